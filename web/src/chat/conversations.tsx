import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { del, get, patch, post } from "../api";
import type { Conversation } from "../types";

interface Conversations {
  list: Conversation[];
  loaded: boolean;
  query: string;
  setQuery: (q: string) => void;
  reload: () => Promise<void>;
  /** more is true when older conversations can be loaded with loadMore. */
  more: boolean;
  loadMore: () => Promise<void>;
  create: () => Promise<Conversation>;
  rename: (id: string, title: string) => Promise<void>;
  remove: (id: string) => Promise<void>;
  /** unread counts conversations with something not yet seen (a task's result). */
  unread: number;
  /** markRead clears a conversation's unread mark once it is opened, here and on the server. */
  markRead: (id: string) => void;
  /** watchTitle follows a conversation whose title is still pending until the small model's title arrives. */
  watchTitle: (id: string) => void;
}

const Ctx = createContext<Conversations | null>(null);

interface Page {
  conversations: Conversation[];
  next_cursor?: string;
  unread?: number;
}

const pagePath = (q: string, cursor: string) =>
  "/conversations?limit=50" + (q ? "&q=" + encodeURIComponent(q) : "") + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");

/** ConversationsProvider holds the sidebar's list, searched on the server (CHAT-1). */
export function ConversationsProvider({ children }: { children: ReactNode }) {
  const [list, setList] = useState<Conversation[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [query, setQuery] = useState("");
  const [cursor, setCursor] = useState("");
  const [serverUnread, setServerUnread] = useState<number | null>(null);
  const queryRef = useRef(query);
  queryRef.current = query;

  const reload = useCallback(async () => {
    const q = queryRef.current.trim();
    const res = await get<Page>(pagePath(q, ""));
    if (queryRef.current.trim() !== q) return; // a newer search is on its way
    setList(res.conversations ?? []);
    setCursor(res.next_cursor ?? "");
    if (!q) setServerUnread(typeof res.unread === "number" ? res.unread : null);
    setLoaded(true);
  }, []);

  const loadMore = useCallback(async () => {
    if (!cursor) return;
    const q = queryRef.current.trim();
    const res = await get<Page>(pagePath(q, cursor));
    setList((l) => [...l, ...(res.conversations ?? []).filter((c) => !l.some((x) => x.id === c.id))]);
    setCursor(res.next_cursor ?? "");
  }, [cursor]);

  useEffect(() => {
    const t = setTimeout(() => reload().catch(() => setLoaded(true)), query ? 250 : 0);
    return () => clearTimeout(t);
  }, [query, reload]);

  const create = useCallback(async () => {
    const c = await post<Conversation>("/conversations", {});
    setList((l) => [c, ...l.filter((x) => x.id !== c.id)]);
    return c;
  }, []);

  const rename = useCallback(async (id: string, title: string) => {
    const c = await patch<Conversation>(`/conversations/${id}`, { title });
    setList((l) => l.map((x) => (x.id === id ? { ...x, title: c.title } : x)));
  }, []);

  const remove = useCallback(async (id: string) => {
    await del(`/conversations/${id}`);
    setList((l) => l.filter((x) => x.id !== id));
  }, []);

  const markRead = useCallback((id: string) => {
    setList((l) => {
      if (!l.some((x) => x.id === id && x.unread)) return l;
      setServerUnread((n) => (n === null ? n : Math.max(0, n - 1)));
      return l.map((x) => (x.id === id ? { ...x, unread: false } : x));
    });
    // Loading the messages read it on the server already, unless the mark came while the
    // conversation was open: say so, so it stays read after a reload.
    post(`/conversations/${id}/read`).catch(() => undefined);
  }, []);

  const watching = useRef(new Set<string>());
  const watchTitle = useCallback((id: string) => {
    if (watching.current.has(id)) return;
    watching.current.add(id);
    // A background job writes the title a moment after the first reply: ask a few times.
    let tries = 0;
    const tick = async () => {
      tries++;
      const c = await get<Conversation>(`/conversations/${id}`).catch(() => null);
      if (c) setList((l) => l.map((x) => (x.id === id ? { ...x, title: c.title, title_pending: c.title_pending } : x)));
      if (c && c.title_pending && tries < 15) setTimeout(tick, 1000);
      else watching.current.delete(id);
    };
    tick();
  }, []);

  // The server's count covers conversations beyond the loaded page; without it, count the page.
  const unread = serverUnread ?? list.filter((c) => c.unread).length;

  return (
    <Ctx.Provider value={{ list, loaded, query, setQuery, reload, more: cursor !== "", loadMore, create, rename, remove, unread, markRead, watchTitle }}>{children}</Ctx.Provider>
  );
}

export function useConversations(): Conversations {
  const c = useContext(Ctx);
  if (!c) throw new Error("useConversations outside ConversationsProvider");
  return c;
}
