import { useCallback, useEffect, useRef, useState } from "react";
import { IconMenu, IconPlus } from "../components/icons";
import { navigate } from "../router";
import { ChatView } from "./ChatView";
import { NewChat } from "./NewChat";
import { focusComposer, ShortcutsSheet, useShortcuts } from "./Shortcuts";
import { Sidebar } from "./Sidebar";

/** ChatLayout is the signed-in home: sidebar and the open conversation (or a new one). */
export function ChatLayout({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const [help, setHelp] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  const newChat = useCallback(() => {
    setOpen(false);
    navigate("/");
    focusComposer();
  }, []);
  useShortcuts({
    newChat,
    search: () => {
      // On a phone the search sits in the drawer: open it first.
      if (window.matchMedia("(max-width: 800px)").matches) setOpen(true);
      requestAnimationFrame(() => requestAnimationFrame(() => document.getElementById("conv-search")?.focus()));
    },
    help: () => setHelp(true),
  });
  // An edit of a message that ends (sent or cancelled) removes the focused form: focus
  // goes back to the message box rather than to the page.
  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => {
    const el = mainRef.current;
    if (!el) return;
    const obs = new MutationObserver((records) => {
      const editGone = records.some((r) => [...r.removedNodes].some((n) => n instanceof HTMLElement && (n.matches(".edit-form") || !!n.querySelector(".edit-form"))));
      if (editGone && (document.activeElement === document.body || !document.activeElement)) document.getElementById("composer-input")?.focus();
    });
    obs.observe(el, { childList: true, subtree: true });
    return () => obs.disconnect();
  }, []);
  return (
    <div className="app-shell">
      <Sidebar activeId={id} open={open} onClose={close} onHelp={() => setHelp(true)} onNewChat={newChat} />
      {open && <div className="scrim" onClick={() => setOpen(false)} aria-hidden="true" />}
      <main className="main" ref={mainRef}>
        <header className="topbar only-mobile">
          <button type="button" className="icon-btn" aria-label="Open menu" onClick={() => setOpen(true)}>
            <IconMenu />
          </button>
          <span className="topbar-title">Ally</span>
          <button type="button" className="icon-btn" aria-label="New chat" onClick={newChat}>
            <IconPlus />
          </button>
        </header>
        {id ? <ChatView key={id} id={id} /> : <NewChat />}
      </main>
      <ShortcutsSheet open={help} onClose={() => setHelp(false)} />
    </div>
  );
}
