import { useState, type FormEvent, type KeyboardEvent } from "react";
import { errorText } from "../api";
import { IconPencil, IconTrash } from "../components/icons";
import { Link, navigate } from "../router";
import type { Conversation } from "../types";
import { useConversations } from "./conversations";

/** ConversationItem is one row of the sidebar, with rename and delete. */
export function ConversationItem({ c, active, onOpen }: { c: Conversation; active: boolean; onOpen: () => void }) {
  const convs = useConversations();
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const [title, setTitle] = useState(c.title);
  const [error, setError] = useState("");
  const label = c.title || "New chat";

  const rename = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) return;
    try {
      await convs.rename(c.id, title.trim());
      setMode("view");
      setError("");
    } catch (err) {
      setError(errorText(err));
    }
  };
  const remove = async () => {
    try {
      await convs.remove(c.id);
      if (active) navigate("/");
    } catch (err) {
      setError(errorText(err));
    }
  };
  const escape = (e: KeyboardEvent) => {
    if (e.key === "Escape") setMode("view");
  };

  if (mode === "rename") {
    return (
      <li className="conv-item editing">
        <form onSubmit={rename} onKeyDown={escape}>
          <label className="sr-only" htmlFor={`rename-${c.id}`}>
            New title
          </label>
          <input id={`rename-${c.id}`} value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} autoFocus onBlur={(e) => rename(e)} />
        </form>
        {error && <div className="inline-error">{error}</div>}
      </li>
    );
  }
  if (mode === "delete") {
    return (
      <li className="conv-item confirming" onKeyDown={escape}>
        <span className="conv-confirm">Delete “{label}”?</span>
        <div className="conv-confirm-actions">
          <button type="button" className="btn btn-danger btn-sm" onClick={remove} autoFocus>
            Delete
          </button>
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => setMode("view")}>
            Cancel
          </button>
        </div>
        {error && <div className="inline-error">{error}</div>}
      </li>
    );
  }
  return (
    <li className={"conv-item" + (active ? " active" : "") + (c.unread ? " unread" : "")}>
      <Link href={`/c/${c.id}`} className="conv-link" aria-current={active ? "page" : undefined} onClick={onOpen}>
        {c.unread && <span className="unread-dot" aria-hidden="true" />}
        {label}
        {c.channel === "telegram" && (
          <span className="channel-badge" title="Telegram conversation">
            Telegram
          </span>
        )}
        {c.unread && <span className="sr-only"> (unread)</span>}
      </Link>
      <div className="conv-actions">
        <button type="button" className="icon-btn" aria-label={`Rename ${label}`} title="Rename" onClick={() => { setTitle(c.title); setMode("rename"); }}>
          <IconPencil size={15} />
        </button>
        <button type="button" className="icon-btn" aria-label={`Delete ${label}`} title="Delete" onClick={() => setMode("delete")}>
          <IconTrash size={15} />
        </button>
      </div>
    </li>
  );
}
