import { useEffect, useLayoutEffect, useRef } from "react";
import { Spinner } from "../components/ui";
import { Link } from "../router";
import { usePublicConfig, useSession } from "../session";
import { Composer } from "./Composer";
import { useConversations } from "./conversations";
import { MessageView } from "./MessageView";
import { TurnError, VerifyBanner } from "./TurnError";
import { useChat } from "./useChat";

/** ChatView is one conversation: its messages, the reply streaming in, and the composer. */
export function ChatView({ id }: { id: string }) {
  const { user } = useSession();
  const cfg = usePublicConfig();
  const mustVerify = !!user && !user.email_verified && cfg?.require_verified_email === true;
  const convs = useConversations();
  const chat = useChat(id, () => {
    convs.reload().catch(() => undefined);
    // The small model titles the conversation after its first exchange, in the background.
    convs.watchTitle(id);
  });
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  const title = convs.list.find((c) => c.id === id)?.title;
  const unread = !!convs.list.find((c) => c.id === id)?.unread;
  // Opening a conversation reads it: its unread mark goes once its messages are shown.
  useEffect(() => {
    if (unread && !chat.loading) convs.markRead(id);
  }, [id, unread, chat.loading]);
  useEffect(() => {
    document.title = `${title || "New chat"} · Ally`;
  }, [title]);

  // Follow the reply as it grows, unless the person scrolled up to read.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [chat.messages]);
  const onScroll = () => {
    const el = scroller.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };

  if (chat.notFound) {
    return (
      <div className="empty-state">
        <h1>Conversation not found</h1>
        <p className="muted">It may have been deleted.</p>
        <Link className="btn btn-primary" href="/">
          Start a new chat
        </Link>
      </div>
    );
  }

  const lastReply = chat.messages.map((m) => m.role).lastIndexOf("assistant");
  const busy = chat.streaming !== "";

  return (
    <div className="chat">
      <div className="chat-scroll" ref={scroller} onScroll={onScroll}>
        <div className="chat-column">
          {chat.hasMore && !chat.loading && (
            <div className="load-earlier">
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => { stick.current = false; chat.loadEarlier().catch(() => undefined); }}>
                Show earlier messages
              </button>
            </div>
          )}
          {chat.loading ? (
            <Spinner label="Loading conversation" />
          ) : (
            chat.messages.map((m, i) => (
              <MessageView
                key={m.id}
                message={m}
                isLastReply={i === lastReply && i === chat.messages.length - 1}
                busy={busy}
                onRegenerate={() => chat.regenerate(m.id).catch(() => undefined)}
                onShowVersion={(v) => chat.showVersion(v).catch(() => undefined)}
                onEdit={(content) => chat.edit(m.id, content)}
                onFeedback={(f) => chat.setMessages((ms) => ms.map((x) => (x.id === m.id ? { ...x, feedback: f } : x)))}
              />
            ))
          )}
        </div>
      </div>
      <div className="chat-bottom">
        <div className="chat-column">
          {chat.error ? <TurnError error={chat.error} onClose={chat.clearError} /> : mustVerify ? <VerifyBanner /> : null}
          <Composer onSend={chat.send} onStop={() => chat.stop().catch(() => undefined)} streaming={busy} initial={chat.unsent} />
          <p className="composer-note">Ally can make mistakes. Check important information.</p>
        </div>
      </div>
    </div>
  );
}
