import { useState, type FormEvent } from "react";
import { IconChevronLeft, IconChevronRight, IconCopy, IconPencil, IconRefresh } from "../components/icons";
import { copyText, Markdown } from "../components/Markdown";
import type { Feedback, Message } from "../types";
import { FeedbackButtons } from "./FeedbackButtons";
import { Steps } from "./Steps";

const statusNote: Record<string, string> = {
  stopped: "Stopped",
  interrupted: "Interrupted: the server restarted while writing this reply. You can regenerate it.",
};

interface Props {
  message: Message;
  isLastReply: boolean;
  busy: boolean;
  onRegenerate: () => void;
  onEdit: (content: string) => Promise<void>;
  onFeedback: (f: Feedback | null) => void;
  /** onShowVersion switches to another version of this message. */
  onShowVersion: (id: string) => void;
}

/** Versions is the "‹ 2 / 3 ›" switcher of a message with several versions. */
function Versions({ message: m, busy, onShow }: { message: Message; busy: boolean; onShow: (id: string) => void }) {
  const ids = m.sibling_ids ?? [];
  if (ids.length < 2) return null;
  const i = Math.max(0, m.sibling_index ?? ids.indexOf(m.id));
  const what = m.role === "user" ? "message" : "reply";
  return (
    <div className="versions" role="group" aria-label={`Version ${i + 1} of ${ids.length} of this ${what}`}>
      <button type="button" className="icon-btn" aria-label="Previous version" title="Previous version" disabled={busy || i === 0} onClick={() => onShow(ids[i - 1])}>
        <IconChevronLeft size={16} />
      </button>
      <span className="versions-count" aria-hidden="true">
        {i + 1} / {ids.length}
      </span>
      <button type="button" className="icon-btn" aria-label="Next version" title="Next version" disabled={busy || i === ids.length - 1} onClick={() => onShow(ids[i + 1])}>
        <IconChevronRight size={16} />
      </button>
    </div>
  );
}

/** MessageView shows one message: the person's as a bubble, the assistant's as markdown. */
export function MessageView({ message: m, isLastReply, busy, onRegenerate, onEdit, onFeedback, onShowVersion }: Props) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.content);
  const [copied, setCopied] = useState(false);

  if (m.role === "user") {
    const submit = (e: FormEvent) => {
      e.preventDefault();
      if (!draft.trim()) return;
      setEditing(false);
      onEdit(draft).catch(() => setEditing(true));
    };
    return (
      <div className="msg msg-user">
        {editing ? (
          <form className="edit-form" onSubmit={submit}>
            <label className="sr-only" htmlFor={`edit-${m.id}`}>
              Edit your message
            </label>
            <textarea id={`edit-${m.id}`} value={draft} onChange={(e) => setDraft(e.target.value)} rows={3} autoFocus />
            <div className="edit-actions">
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => setEditing(false)}>
                Cancel
              </button>
              <button className="btn btn-primary btn-sm">Save and send</button>
            </div>
          </form>
        ) : (
          <>
            <div className="bubble">{m.content}</div>
            {!m.id.startsWith("tmp-") && (
              <div className="msg-user-foot">
                {!busy && (
                  <div className="msg-actions">
                    <button type="button" className="icon-btn" aria-label="Edit message" title="Edit" onClick={() => { setDraft(m.content); setEditing(true); }}>
                      <IconPencil size={16} />
                    </button>
                  </div>
                )}
                <Versions message={m} busy={busy} onShow={onShowVersion} />
              </div>
            )}
          </>
        )}
      </div>
    );
  }

  const streaming = m.status === "streaming";
  const copy = () =>
    copyText(m.content).then((ok) => {
      setCopied(ok);
      setTimeout(() => setCopied(false), 1500);
    });
  return (
    <div className="msg msg-assistant" aria-busy={streaming || undefined}>
      <Steps steps={m.steps ?? []} />
      {m.content ? <Markdown text={m.content} /> : streaming ? <div className="typing" aria-label="Thinking"><span /><span /><span /></div> : null}
      {m.status === "failed" && (
        <div className="msg-error" role="alert">
          {m.error?.message ?? "The reply failed."}
        </div>
      )}
      {statusNote[m.status] && <div className="msg-note">{statusNote[m.status]}</div>}
      {!streaming && !m.id.startsWith("tmp-") && (
        <div className="msg-actions">
          <Versions message={m} busy={busy} onShow={onShowVersion} />
          {m.content && (
            <button type="button" className="icon-btn" aria-label={copied ? "Copied" : "Copy reply"} title="Copy" onClick={copy}>
              <IconCopy size={16} />
            </button>
          )}
          {isLastReply && !busy && (
            <button type="button" className="icon-btn" aria-label="Regenerate reply" title="Regenerate" onClick={onRegenerate}>
              <IconRefresh size={16} />
            </button>
          )}
          {m.status !== "failed" && <FeedbackButtons messageId={m.id} feedback={m.feedback} onChange={onFeedback} />}
        </div>
      )}
    </div>
  );
}
