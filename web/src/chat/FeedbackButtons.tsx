import { useState, type FormEvent } from "react";
import { del, errorText, put } from "../api";
import { IconThumbDown, IconThumbUp } from "../components/icons";
import type { Feedback } from "../types";

/** FeedbackButtons rate a reply up or down, with an optional reason (CHAT-7). */
export function FeedbackButtons({ messageId, feedback, onChange }: { messageId: string; feedback?: Feedback | null; onChange: (f: Feedback | null) => void }) {
  const [asking, setAsking] = useState<"up" | "down" | null>(null);
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");

  const save = async (rating: "up" | "down", why: string) => {
    setError("");
    try {
      await put(`/messages/${messageId}/feedback`, { rating, reason: why });
      onChange({ rating, reason: why });
      setAsking(null);
      setReason("");
    } catch (err) {
      setError(errorText(err));
    }
  };

  const click = async (rating: "up" | "down") => {
    if (feedback?.rating === rating) {
      try {
        await del(`/messages/${messageId}/feedback`);
        onChange(null);
      } catch (err) {
        setError(errorText(err));
      }
      return;
    }
    await save(rating, "");
    setAsking(rating);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (asking) save(asking, reason.trim());
  };

  return (
    <>
      <button type="button" className={"icon-btn" + (feedback?.rating === "up" ? " active" : "")} aria-pressed={feedback?.rating === "up"} aria-label="Good reply" title="Good reply" onClick={() => click("up")}>
        <IconThumbUp size={16} />
      </button>
      <button type="button" className={"icon-btn" + (feedback?.rating === "down" ? " active" : "")} aria-pressed={feedback?.rating === "down"} aria-label="Bad reply" title="Bad reply" onClick={() => click("down")}>
        <IconThumbDown size={16} />
      </button>
      {asking && (
        <form className="feedback-form" onSubmit={submit}>
          <label htmlFor={`reason-${messageId}`}>{asking === "up" ? "What was good? (optional)" : "What went wrong? (optional)"}</label>
          <div className="feedback-row">
            <input id={`reason-${messageId}`} value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} autoFocus />
            <button className="btn btn-primary btn-sm">Send</button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setAsking(null)}>
              Skip
            </button>
          </div>
        </form>
      )}
      {error && (
        <span className="inline-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
