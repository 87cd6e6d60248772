import { useEffect, useRef } from "react";

/** mod is the platform's command key: ⌘ on Apple devices, Ctrl elsewhere. */
export const mod = /Mac|iPhone|iPad/.test(navigator.platform) ? "⌘" : "Ctrl";

export const shortcuts: [string[], string][] = [
  [["Enter"], "Send the message"],
  [["Shift", "Enter"], "New line"],
  [["Esc"], "Stop the reply"],
  [["↑"], "Edit your last message (in an empty message box)"],
  [[mod, "Shift", "O"], "New chat"],
  [[mod, "K"], "Search conversations"],
  [["?"], "Show these shortcuts"],
];

/**
 * ShortcutsSheet lists the keyboard shortcuts in a modal dialog. Closing it (Esc, the
 * button or a click outside) returns focus to whatever opened it.
 */
export function ShortcutsSheet({ open, onClose }: { open: boolean; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement as HTMLElement | null;
      d.showModal();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);
  const closed = () => {
    onClose();
    const back = opener.current;
    opener.current = null;
    if (back && back.isConnected) back.focus();
    else document.getElementById("composer-input")?.focus();
  };
  return (
    <dialog
      ref={ref}
      className="shortcuts"
      aria-labelledby="shortcuts-title"
      onClose={closed}
      onClick={(e) => {
        if (e.target === ref.current) ref.current?.close();
      }}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl>
        {shortcuts.map(([keys, what]) => (
          <div key={what} style={{ display: "contents" }}>
            <dt>
              {keys.map((k, i) => (
                <span key={k}>
                  {i > 0 && " + "}
                  <kbd>{k}</kbd>
                </span>
              ))}
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <form method="dialog">
        <button className="btn btn-primary" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}

const typing = (el: Element | null) =>
  !!el && (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement || (el as HTMLElement).isContentEditable);

/** focusComposer puts the caret in the message box once the page shows it. */
export function focusComposer() {
  requestAnimationFrame(() => document.getElementById("composer-input")?.focus());
}

interface Handlers {
  newChat: () => void;
  search: () => void;
  help: () => void;
}

/**
 * useShortcuts listens for the app's keyboard shortcuts on the whole chat page. Esc stops
 * a reply being written (unless a dialog or menu takes it first).
 */
export function useShortcuts({ newChat, search, help }: Handlers) {
  const h = useRef({ newChat, search, help });
  h.current = { newChat, search, help };
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const cmd = e.ctrlKey || e.metaKey;
      const k = e.key.toLowerCase();
      if (cmd && e.shiftKey && k === "o") {
        e.preventDefault();
        h.current.newChat();
      } else if (cmd && !e.shiftKey && k === "k") {
        e.preventDefault();
        h.current.search();
      } else if (e.key === "?" && !cmd && !e.altKey && !typing(document.activeElement)) {
        e.preventDefault();
        h.current.help();
      } else if (e.key === "Escape" && !document.querySelector("dialog[open]")) {
        const stop = document.querySelector<HTMLButtonElement>(".send-btn.stop");
        if (stop) {
          e.preventDefault();
          stop.click();
          focusComposer();
        }
      }
    };
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, []);
}
