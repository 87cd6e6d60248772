import { useCallback, useState } from "react";
import { IconMenu, IconPlus } from "../components/icons";
import { navigate } from "../router";
import { ChatView } from "./ChatView";
import { NewChat } from "./NewChat";
import { Sidebar } from "./Sidebar";

/** ChatLayout is the signed-in home: sidebar and the open conversation (or a new one). */
export function ChatLayout({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const close = useCallback(() => setOpen(false), []);
  return (
    <div className="app-shell">
      <Sidebar activeId={id} open={open} onClose={close} />
      {open && <div className="scrim" onClick={() => setOpen(false)} aria-hidden="true" />}
      <main className="main">
        <header className="topbar only-mobile">
          <button type="button" className="icon-btn" aria-label="Open menu" onClick={() => setOpen(true)}>
            <IconMenu />
          </button>
          <span className="topbar-title">Ally</span>
          <button type="button" className="icon-btn" aria-label="New chat" onClick={() => navigate("/")}>
            <IconPlus />
          </button>
        </header>
        {id ? <ChatView key={id} id={id} /> : <NewChat />}
      </main>
    </div>
  );
}
