import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { IconSend, IconStop } from "../components/icons";

interface Props {
  onSend: (text: string) => Promise<unknown>;
  onStop: () => void;
  streaming: boolean;
  disabled?: boolean;
  placeholder?: string;
  /** initial is text to start with (a message that could not be sent). */
  initial?: string;
}

/**
 * Composer is the message box: Enter sends, Shift+Enter starts a new line, Up in an empty
 * box edits the last message (Esc, which stops a reply, is handled for the whole page).
 */
export function Composer({ onSend, onStop, streaming, disabled, placeholder = "Message Ally", initial = "" }: Props) {
  const [text, setText] = useState(initial);
  useEffect(() => {
    if (initial) setText((cur) => cur || initial);
  }, [initial]);
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = Math.min(el.scrollHeight, 240) + "px";
  }, [text]);

  useEffect(() => ref.current?.focus(), []);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const t = text;
    if (!t.trim() || streaming || disabled) return;
    setText("");
    // A refused message comes back into the box: nothing typed is lost.
    onSend(t).catch(() => setText((cur) => cur || t));
  };

  const key = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "ArrowUp" && !text && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      // Up in an empty box edits the last message sent, as in other chat apps.
      const edits = document.querySelectorAll<HTMLButtonElement>(".msg-user .edit-btn, .msg-user [aria-label='Edit message']");
      const last = edits[edits.length - 1];
      if (last) {
        e.preventDefault();
        last.click();
      }
    }
  };

  return (
    <form className="composer" onSubmit={submit}>
      <label htmlFor="composer-input" className="sr-only">
        Message
      </label>
      <textarea
        id="composer-input"
        ref={ref}
        rows={1}
        value={text}
        placeholder={placeholder}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={key}
        disabled={disabled}
        aria-describedby="composer-keys"
      />
      <span id="composer-keys" className="sr-only">
        Enter sends, Shift+Enter starts a new line. Press question mark outside the box for all shortcuts.
      </span>
      {streaming ? (
        <button type="button" className="send-btn stop" onClick={onStop} aria-label="Stop reply" title="Stop (Esc)" aria-keyshortcuts="Escape">
          <IconStop />
        </button>
      ) : (
        <button className="send-btn" disabled={!text.trim() || disabled} aria-label="Send message" title="Send">
          <IconSend />
        </button>
      )}
    </form>
  );
}
