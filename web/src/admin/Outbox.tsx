import { useEffect, useState } from "react";
import { errorText, get } from "../api";
import { Alert, Spinner, formatDate } from "../components/ui";
import type { OutboxMessage } from "./adminApi";

/** Outbox lists stored email; bodies show only for mails without single-use links or user content. */
export default function Outbox() {
  const [messages, setMessages] = useState<OutboxMessage[] | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    get<{ messages: OutboxMessage[] }>("/admin/outbox?limit=100").then((r) => setMessages(r.messages), (e) => setError(errorText(e)));
  }, []);
  if (error) return <Alert>{error}</Alert>;
  if (!messages) return <Spinner />;
  return (
    <section aria-labelledby="outbox-title">
      <h2 id="outbox-title">Outbox</h2>
      {messages.length === 0 ? (
        <p>No email stored.</p>
      ) : (
        <ul className="admin-list">
          {messages.map((m) => (
            <li key={m.id} className="admin-card">
              <div className="admin-card-head">
                <strong>{m.subject}</strong>
              </div>
              <p className="muted small">
                To {m.to} · {m.kind} · {m.status} · {formatDate(m.created_at)}
              </p>
              {m.body_hidden ? (
                <p className="muted small">Body hidden: it holds a single-use link or the user's content.</p>
              ) : (
                <details>
                  <summary>Show the text</summary>
                  <pre className="admin-mail">{m.text}</pre>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
