import { useEffect, useRef } from "react";
import { IconPlus, IconSearch, IconSettings, IconX } from "../components/icons";
import { Logo } from "../components/Logo";
import { Link } from "../router";
import { useSession } from "../session";
import { LegalLinks } from "../changelog/LegalLinks";
import { WhatsNewLink } from "../changelog/WhatsNewLink";
import { ConversationItem } from "./ConversationItem";
import { useConversations } from "./conversations";

/** Sidebar lists conversations with search, and leads to a new chat and to settings. */
export function Sidebar({
  activeId,
  open,
  onClose,
  onHelp,
  onNewChat,
}: {
  activeId: string;
  open: boolean;
  onClose: () => void;
  /** onHelp opens the keyboard shortcuts sheet. */
  onHelp: () => void;
  /** onNewChat opens the new-chat page with the caret in its message box. */
  onNewChat: () => void;
}) {
  const convs = useConversations();
  const { user } = useSession();
  const closeRef = useRef<HTMLButtonElement>(null);
  // On a phone the sidebar is a drawer: focus moves into it, Escape closes it.
  useEffect(() => {
    if (!open) return;
    closeRef.current?.focus();
    const key = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [open, onClose]);
  return (
    <aside className={"sidebar" + (open ? " open" : "")} aria-label="Conversations">
      <div className="sidebar-top">
        <Link href="/" className="brand" onClick={onClose}>
          <Logo size={26} />
          <span>Ally</span>
        </Link>
        <button ref={closeRef} type="button" className="icon-btn only-mobile" aria-label="Close menu" onClick={onClose}>
          <IconX />
        </button>
      </div>
      <button
        type="button"
        className="btn btn-outline btn-block new-chat-btn"
        onClick={onNewChat}
        aria-keyshortcuts="Control+Shift+O Meta+Shift+O"
      >
        <IconPlus size={16} /> New chat
      </button>
      <div className="search">
        <IconSearch size={16} />
        <label htmlFor="conv-search" className="sr-only">
          Search conversations
        </label>
        <input id="conv-search" type="search" aria-keyshortcuts="Control+K Meta+K" placeholder="Search" value={convs.query} onChange={(e) => convs.setQuery(e.target.value)} />
      </div>
      <nav className="conv-list" aria-label="Recent conversations">
        {convs.unread > 0 && (
          <p className="unread-count small" role="status">
            {convs.unread} unread
          </p>
        )}
        {convs.loaded && convs.list.length === 0 && <p className="muted small pad">{convs.query ? "No conversation matches." : "Your conversations will appear here."}</p>}
        <ul>
          {convs.list.map((c) => (
            <ConversationItem key={c.id} c={c} active={c.id === activeId} onOpen={onClose} />
          ))}
        </ul>
        {convs.more && (
          <button type="button" className="btn btn-ghost btn-sm btn-block" onClick={() => convs.loadMore().catch(() => undefined)}>
            Show older
          </button>
        )}
      </nav>
      <div className="sidebar-bottom">
        <WhatsNewLink onClick={onClose} />
        <Link href="/settings/profile" className="user-row" onClick={onClose}>
          <span className="avatar" aria-hidden="true">
            {(user?.name || user?.email || "?").slice(0, 1).toUpperCase()}
          </span>
          <span className="user-name">{user?.name || user?.email}</span>
          <IconSettings size={17} />
          <span className="sr-only">Settings</span>
        </Link>
        <button type="button" className="icon-btn" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" aria-keyshortcuts="?" onClick={onHelp}>
          <span aria-hidden="true" className="help-mark">
            ?
          </span>
        </button>
        <LegalLinks className="small" whatsNew={false} />
      </div>
    </aside>
  );
}
