import { useEffect } from "react";
import { errorText } from "../api";
import { Alert, useAsync } from "../components/ui";
import { navigate } from "../router";
import { usePublicConfig, useSession } from "../session";
import { Composer } from "./Composer";
import { useConversations } from "./conversations";
import { VerifyBanner } from "./TurnError";
import { pendingFirstMessage } from "./useChat";

const suggestions = ["Plan a relaxed weekend in Lisbon", "Explain a Go interface with an example", "Help me write a polite follow-up email", "Remember that I prefer short answers"];

/** NewChat is the start page: a greeting and the composer; the first message opens a conversation. */
export function NewChat() {
  const { user } = useSession();
  const cfg = usePublicConfig();
  const mustVerify = !!user && !user.email_verified && cfg?.require_verified_email === true;
  const convs = useConversations();
  const { error, run } = useAsync();

  useEffect(() => {
    document.title = "New chat · Ally";
  }, []);

  const start = async (text: string) => {
    const c = await run(() => convs.create());
    if (!c) throw new Error("not created");
    pendingFirstMessage.set(c.id, text);
    navigate(`/c/${c.id}`);
  };

  const hour = new Date().getHours();
  const greeting = hour < 5 ? "Good evening" : hour < 12 ? "Good morning" : hour < 18 ? "Good afternoon" : "Good evening";
  const first = user?.name?.split(" ")[0];

  return (
    <div className="new-chat">
      <div className="chat-column">
        <h1 className="greeting">
          {greeting}
          {first ? `, ${first}` : ""}
        </h1>
        {mustVerify && <VerifyBanner />}
        {error ? <Alert>{errorText(error)}</Alert> : null}
        <Composer onSend={start} onStop={() => undefined} streaming={false} disabled={mustVerify} placeholder={mustVerify ? "Confirm your email address to start" : "How can I help you today?"} />
        <div className="suggestions">
          {suggestions.map((s) => (
            <button key={s} type="button" className="chip" disabled={mustVerify} onClick={() => start(s).catch(() => undefined)}>
              {s}
            </button>
          ))}
        </div>
      </div>
    </div>
  );
}
