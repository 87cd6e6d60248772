import { useEffect, useState } from "react";
import { del, get, post } from "../api";
import { Alert, Spinner, formatDate, useAsync } from "../components/ui";
import QRCode from "./QRCode";
import { ErrorAlert } from "../errors";

interface TelegramStatus {
  enabled: boolean;
  linked: boolean;
  username: string;
  linked_at: string | null;
  status: "" | "linked" | "broken";
  bot: string;
}

interface DeepLink {
  url: string;
  expires_at: string;
}

/** Telegram is Settings > Telegram: link a chat with a one-time deep link (or its QR code), see the link, unlink. */
export default function Telegram() {
  const [st, setSt] = useState<TelegramStatus | null>(null);
  const [link, setLink] = useState<DeepLink | null>(null);
  const [notice, setNotice] = useState("");
  const load = useAsync();
  const action = useAsync();

  const refresh = () => load.run(async () => setSt(await get<TelegramStatus>("/telegram")));
  useEffect(() => {
    refresh();
  }, []);
  // While a link is shown, watch for the chat to be linked (the user taps it on their phone).
  useEffect(() => {
    if (!link || st?.linked) return;
    const timer = setInterval(async () => {
      try {
        const s = await get<TelegramStatus>("/telegram");
        if (s.linked) {
          setSt(s);
          setLink(null);
          setNotice("Telegram is linked.");
        }
      } catch {
        /* the next tick tries again */
      }
    }, 2000);
    return () => clearInterval(timer);
  }, [link, st?.linked]);

  if (load.error && !st) return <ErrorAlert error={load.error} />;
  if (!st) return <Spinner />;

  const createLink = () =>
    action.run(async () => {
      setNotice("");
      setLink(await post<DeepLink>("/telegram/link"));
    });
  const unlink = () =>
    action.run(async () => {
      await del("/telegram");
      setLink(null);
      setNotice("Telegram is unlinked.");
      await refresh();
    });

  return (
    <section className="panel telegram-settings">
      <h2>Telegram</h2>
      <p className="muted">Talk to your assistant from Telegram: the same assistant, memory and limits, with your Telegram conversations on the web too. Scheduled tasks can send their results there.</p>
      {notice && <Alert kind="success">{notice}</Alert>}
      {action.error ? <ErrorAlert error={action.error} /> : null}
      {!st.enabled && !st.linked ? (
        <Alert kind="info">Telegram is not set up on this server.</Alert>
      ) : st.linked ? (
        <div className="telegram-linked">
          <p>
            <strong>Linked</strong>
            {st.username ? <> to @{st.username}</> : null}
            {st.linked_at ? <span className="muted"> since {formatDate(st.linked_at)}</span> : null}.
          </p>
          {st.status === "broken" && (
            <Alert kind="warning">Telegram refused our last message: the chat may have blocked the bot. Unblock {st.bot ? "@" + st.bot : "the bot"} and send it a message, or unlink and link again.</Alert>
          )}
          <p className="muted small">In the chat: /new starts a new conversation, /stop unlinks, /help explains.</p>
          <button type="button" className="btn btn-danger" onClick={unlink} disabled={action.busy}>
            {action.busy ? "Unlinking…" : "Unlink Telegram"}
          </button>
        </div>
      ) : (
        <div className="telegram-unlinked">
          <p>Not linked.</p>
          {link ? (
            <div className="telegram-deep-link">
              <a className="btn btn-primary" href={link.url} target="_blank" rel="noopener noreferrer">
                Open Telegram
              </a>
              <p className="muted small">
                Or scan this code with your phone. The link works once, until {formatDate(link.expires_at)}.
              </p>
              <QRCode text={link.url} label="QR code of the Telegram link" />
              <p className="small mono break">{link.url}</p>
            </div>
          ) : (
            <button type="button" className="btn btn-primary" onClick={createLink} disabled={action.busy}>
              {action.busy ? "Creating link…" : "Link Telegram"}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
