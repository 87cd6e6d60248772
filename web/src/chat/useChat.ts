import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, get, post, put, request } from "../api";
import type { Conversation, Message, Step } from "../types";
import { readEvents, type SSEEvent } from "./sse";

/** Pending holds a first message typed on the new-chat page, sent once its conversation opens. */
export const pendingFirstMessage = new Map<string, string>();

interface State {
  messages: Message[];
  loading: boolean;
  /** streaming is the id of the reply being followed, "" when none. */
  streaming: string;
  /** error is a refusal to start a reply (quota, unverified, no provider, …). */
  error: ApiError | null;
  notFound: boolean;
  /** unsent is a first message that could not be sent, to put back in the box. */
  unsent: string;
  /** hasMore is true when older messages exist than the first one shown. */
  hasMore: boolean;
}

const tempId = () => "tmp-" + Math.random().toString(36).slice(2);

/**
 * useChat loads a conversation and follows its replies as they stream, picking a reply in
 * progress up again after a reload (GET …/stream).
 */
export function useChat(conversationId: string, onTurnEnd: () => void) {
  const [state, setState] = useState<State>({ messages: [], loading: true, streaming: "", error: null, notFound: false, unsent: "", hasMore: false });
  const alive = useRef(true);
  const following = useRef(false);
  const aborter = useRef(new AbortController());
  const onEnd = useRef(onTurnEnd);
  onEnd.current = onTurnEnd;

  const patchMessage = (id: string, fn: (m: Message) => Message) =>
    setState((s) => ({ ...s, messages: s.messages.map((m) => (m.id === id ? fn(m) : m)) }));

  const load = useCallback(async () => {
    const res = await get<{ messages: Message[]; has_more?: boolean }>(`/conversations/${conversationId}/messages?limit=100`);
    const page = res.messages ?? [];
    if (alive.current)
      setState((s) => {
        // Keep older messages the person already loaded above the latest page.
        const i = page.length ? s.messages.findIndex((m) => m.id === page[0].id) : -1;
        const older = i > 0 ? s.messages.slice(0, i) : [];
        return { ...s, messages: [...older, ...page], loading: false, hasMore: i > 0 ? s.hasMore : !!res.has_more };
      });
    return page;
  }, [conversationId]);

  /** loadEarlier adds the page of messages before the first one shown. */
  const loadEarlier = useCallback(async () => {
    const first = state.messages[0];
    if (!first) return;
    const res = await get<{ messages: Message[]; has_more?: boolean }>(
      `/conversations/${conversationId}/messages?limit=100&before=${encodeURIComponent(first.id)}`,
    );
    if (!alive.current) return;
    setState((s) => ({
      ...s,
      messages: [...(res.messages ?? []).filter((m) => !s.messages.some((x) => x.id === m.id)), ...s.messages],
      hasMore: !!res.has_more,
    }));
  }, [conversationId, state.messages]);

  /** follow reads a reply stream into the message list; replyId is the placeholder's id. */
  const follow = useCallback(
    async (res: Response, placeholderId: string, userTempId?: string) => {
      following.current = true;
      let replyId = placeholderId;
      setState((s) => ({ ...s, streaming: replyId }));
      const handle = (ev: SSEEvent) => {
        if (!alive.current) return;
        const d = (ev.data ?? {}) as Record<string, unknown>;
        switch (ev.event) {
          case "message_start": {
            const id = String(d.message_id);
            const userId = d.user_message_id ? String(d.user_message_id) : "";
            setState((s) => {
              // Replace the placeholder, or restart an existing message being replayed.
              const exists = s.messages.some((m) => m.id === id);
              const messages = s.messages
                .filter((m) => !(exists && m.id === placeholderId))
                .map((m) => {
                  if (m.id === placeholderId || m.id === id) return { ...m, id, content: "", steps: [], status: "streaming" as const };
                  if (userTempId && userId && m.id === userTempId) return { ...m, id: userId };
                  return m;
                });
              return { ...s, messages, streaming: id };
            });
            replyId = id;
            break;
          }
          case "delta":
            patchMessage(replyId, (m) => ({ ...m, content: m.content + String(d.text ?? "") }));
            break;
          case "tool_call": {
            const step: Step = {
              tool_call_id: String(d.tool_call_id),
              tool: String(d.tool),
              input: typeof d.input === "string" ? d.input : JSON.stringify(d.input ?? {}),
              result: "",
              is_error: false,
              writes_memory: false,
            };
            patchMessage(replyId, (m) => ({ ...m, steps: [...(m.steps ?? []), step] }));
            break;
          }
          case "tool_result":
            patchMessage(replyId, (m) => ({
              ...m,
              steps: (m.steps ?? []).map((st) =>
                st.tool_call_id === d.tool_call_id
                  ? { ...st, result: String(d.result ?? ""), is_error: !!d.is_error, writes_memory: !!d.writes_memory, done: true }
                  : st,
              ),
            }));
            break;
          case "message_end":
            patchMessage(replyId, (m) => ({ ...m, status: (d.status as Message["status"]) ?? "complete" }));
            break;
          case "error":
            patchMessage(replyId, (m) => ({
              ...m,
              status: "failed",
              error: { code: String(d.code ?? "error"), message: String(d.message ?? "The reply failed.") },
            }));
            break;
        }
      };
      try {
        await readEvents(res, handle);
      } catch {
        // The connection dropped: the reply goes on on the server; reloading shows it.
      } finally {
        following.current = false;
        if (alive.current) {
          setState((s) => ({ ...s, streaming: "" }));
          await load().catch(() => undefined);
          onEnd.current();
        }
      }
    },
    [load],
  );

  /** reattach follows a reply in progress, if the conversation has one. */
  const reattach = useCallback(async () => {
    const res = await request("GET", `/conversations/${conversationId}/stream`, undefined, {
      headers: { Accept: "text/event-stream" },
      signal: aborter.current.signal,
    });
    if (!alive.current) return;
    // 204: the reply ended between loading the messages and asking for its stream; the
    // messages loaded may still show it streaming, so load them again.
    if (res.status === 204) {
      await load();
      return;
    }
    await follow(res, "reattach");
  }, [conversationId, follow, load]);

  /** start sends a turn (a message, a regeneration or an edit) and follows its reply. */
  const start = useCallback(
    async (path: string, body: unknown, optimistic: (msgs: Message[], userTemp: string, replyTemp: string) => Message[]) => {
      const userTemp = tempId();
      const replyTemp = tempId();
      setState((s) => ({
        ...s,
        error: null,
        messages: optimistic(s.messages, userTemp, replyTemp),
        streaming: replyTemp,
      }));
      try {
        const res = await request("POST", path, body, { signal: aborter.current.signal });
        await follow(res, replyTemp, userTemp);
      } catch (err) {
        // Refused before anything was stored: put the list back and show why.
        setState((s) => ({
          ...s,
          messages: s.messages.filter((m) => m.id !== userTemp && m.id !== replyTemp),
          streaming: "",
          error: err instanceof ApiError ? err : new ApiError(0, "error", String(err)),
        }));
        await load().catch(() => undefined);
        throw err;
      }
    },
    [follow, load],
  );

  const placeholder = (id: string): Message => ({
    id,
    conversation_id: conversationId,
    role: "assistant",
    content: "",
    status: "streaming",
    steps: [],
    created_at: new Date().toISOString(),
  });

  const send = (content: string) =>
    start(`/conversations/${conversationId}/messages`, { content }, (msgs, u, r) => [
      ...msgs,
      { id: u, conversation_id: conversationId, role: "user", content, status: "complete", created_at: new Date().toISOString() },
      placeholder(r),
    ]);

  /** regenerate writes another version of a reply; the earlier ones stay, one switch away. */
  const regenerate = (replyId: string) =>
    start(`/messages/${replyId}/regenerate`, {}, (msgs, _u, r) => {
      const i = msgs.findIndex((m) => m.id === replyId);
      return i < 0 ? [...msgs, placeholder(r)] : [...msgs.slice(0, i), placeholder(r)];
    });

  /** edit adds a changed version of any of the person's messages (a fork) and answers it. */
  const edit = (messageId: string, content: string) =>
    start(`/messages/${messageId}/edit`, { content }, (msgs, u, r) => {
      const i = msgs.findIndex((m) => m.id === messageId);
      return [...msgs.slice(0, i), { ...msgs[i], id: u, content, sibling_ids: undefined }, placeholder(r)];
    });

  /** showVersion switches to another version of a message; the server keeps the choice. */
  const showVersion = async (messageId: string) => {
    const res = await put<{ messages: Message[]; has_more?: boolean }>(`/conversations/${conversationId}/branch`, { message_id: messageId });
    if (alive.current) setState((s) => ({ ...s, messages: res.messages ?? [], hasMore: !!res.has_more, error: null }));
  };

  const stop = async () => {
    const id = state.streaming;
    if (!id || id.startsWith("tmp-")) return;
    await post(`/messages/${id}/stop`);
  };

  useEffect(() => {
    alive.current = true;
    setState({ messages: [], loading: true, streaming: "", error: null, notFound: false, unsent: "", hasMore: false });
    aborter.current = new AbortController();
    const first = pendingFirstMessage.get(conversationId);
    pendingFirstMessage.delete(conversationId);
    (async () => {
      const [conv, msgs] = await Promise.all([get<Conversation>(`/conversations/${conversationId}`), load()]);
      if (!alive.current) return;
      if (conv.active_reply_id || msgs.some((m) => m.status === "streaming")) await reattach();
      else if (first) await send(first).catch(() => alive.current && setState((s) => ({ ...s, unsent: first })));
    })().catch((err) => {
      if (alive.current) setState((s) => ({ ...s, loading: false, notFound: err instanceof ApiError && err.status === 404 }));
    });
    return () => {
      alive.current = false;
      // Leaving the conversation stops following its reply; the reply goes on on the server.
      aborter.current.abort();
    };
  }, [conversationId]);

  return { ...state, loadEarlier, send, regenerate, edit, showVersion, stop, setMessages: (fn: (m: Message[]) => Message[]) => setState((s) => ({ ...s, messages: fn(s.messages) })), clearError: () => setState((s) => ({ ...s, error: null })) };
}
