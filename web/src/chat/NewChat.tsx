import { useEffect, useState } from "react";
import { ApiError, del, request } from "../api";
import { Alert } from "../components/ui";
import { ErrorAlert } from "../errors";
import { navigate } from "../router";
import { usePublicConfig, useSession } from "../session";
import { Composer } from "./Composer";
import { useConversations } from "./conversations";
import { TurnError, VerifyBanner } from "./TurnError";

const suggestions = ["Plan a relaxed weekend in Lisbon", "Explain a Go interface with an example", "Help me write a polite follow-up email", "Remember that I prefer short answers"];

/** firstAccountNotice is set by sign-up when the new account became the server's admin. */
export const firstAccountNotice = { current: false };

/**
 * NewChat is the start page: a greeting and the composer. The first message opens a
 * conversation; if the server refuses it (no model provider, quota, …) the conversation
 * is deleted again, so a refusal leaves nothing empty behind.
 */
export function NewChat() {
  const { user } = useSession();
  const cfg = usePublicConfig();
  const mustVerify = !!user && !user.email_verified && cfg?.require_verified_email === true;
  const convs = useConversations();
  const [error, setError] = useState<unknown>(null);
  const [admin] = useState(() => {
    const v = firstAccountNotice.current;
    firstAccountNotice.current = false;
    return v;
  });

  useEffect(() => {
    document.title = "New chat · Ally";
  }, []);

  const start = async (text: string) => {
    setError(null);
    let id = "";
    try {
      id = (await convs.create()).id;
      // The reply goes on on the server once the message is accepted; the conversation
      // page follows it from its stream.
      const stop = new AbortController();
      await request("POST", `/conversations/${id}/messages`, { content: text }, { signal: stop.signal, headers: { Accept: "text/event-stream" } });
      stop.abort();
    } catch (err) {
      if (id) {
        await del(`/conversations/${id}`).catch(() => undefined);
        convs.reload().catch(() => undefined);
      }
      setError(err);
      throw err;
    }
    navigate(`/c/${id}`);
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
        {admin && (
          <Alert kind="info">
            <strong>Yours is the first account on this server, so it is the admin.</strong> The admin area shows the outbox: the
            email this server would send, verification links included. In a terminal, <code>ally mail list</code> shows it too.
          </Alert>
        )}
        {mustVerify && <VerifyBanner />}
        {error instanceof ApiError ? <TurnError error={error} onClose={() => setError(null)} /> : error ? <ErrorAlert error={error} /> : null}
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
