import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { errorText, get, post } from "../api";
import { Alert, Field, Spinner, formatDate, formatNumber } from "../components/ui";
import type { AdminUser } from "./adminApi";

type Action = "suspend" | "unsuspend" | "resend-verification" | "delete";

const actionLabel: Record<Action, string> = {
  suspend: "Suspend",
  unsuspend: "Unsuspend",
  "resend-verification": "Resend verification",
  delete: "Delete account",
};

/** Users finds accounts by email or name and acts on them, each action confirmed with a reason. */
export default function Users() {
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [next, setNext] = useState("");
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [pending, setPending] = useState<{ user: AdminUser; action: Action } | null>(null);

  const load = useCallback(async (query: string, cursor = "") => {
    setError("");
    try {
      const page = await get<{ users: AdminUser[]; next: string }>(
        `/admin/users?q=${encodeURIComponent(query)}&limit=25${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`,
      );
      setUsers((old) => (cursor && old ? [...old, ...page.users] : page.users));
      setNext(page.next);
    } catch (e) {
      setError(errorText(e));
    }
  }, []);

  useEffect(() => {
    void load(query);
  }, [load, query]);

  const search = (e: FormEvent) => {
    e.preventDefault();
    setQuery(q.trim());
  };

  const done = (u: AdminUser, msg: string) => {
    setUsers((old) => old?.map((x) => (x.id === u.id ? u : x)) ?? null);
    setNotice(msg);
    setPending(null);
  };

  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <form className="admin-search" role="search" onSubmit={search}>
        <Field label="Search by email or name" type="search" value={q} onChange={(e) => setQ(e.target.value)} maxLength={200} />
        <button className="btn btn-primary" type="submit">
          Search
        </button>
      </form>
      {notice && <Alert kind="success">{notice}</Alert>}
      {error && <Alert>{error}</Alert>}
      {users === null ? (
        <Spinner />
      ) : users.length === 0 ? (
        <p>No account matches.</p>
      ) : (
        <ul className="admin-list">
          {users.map((u) => (
            <li key={u.id} className="admin-card" data-user={u.email}>
              <div className="admin-card-head">
                <strong>{u.name || u.email}</strong> <span className="muted">{u.email}</span>
              </div>
              <dl className="admin-facts">
                <div><dt>Plan</dt><dd>{u.plan}</dd></div>
                <div><dt>Status</dt><dd>{u.status}{u.role === "admin" ? " · admin" : ""}</dd></div>
                <div><dt>Verified</dt><dd>{u.verified ? "yes" : "no"}</dd></div>
                <div><dt>Created</dt><dd>{formatDate(u.created_at)}</dd></div>
                <div><dt>Last active</dt><dd>{u.last_active_at ? formatDate(u.last_active_at) : "never"}</dd></div>
                <div><dt>Tokens</dt><dd>{formatNumber(u.tokens_total)}</dd></div>
                <div><dt>Messages</dt><dd>{formatNumber(u.messages_total)}</dd></div>
              </dl>
              {u.status !== "deleted" && (
                <div className="admin-actions">
                  {u.status === "active" && <button className="btn" type="button" onClick={() => setPending({ user: u, action: "suspend" })}>Suspend</button>}
                  {u.status === "suspended" && <button className="btn" type="button" onClick={() => setPending({ user: u, action: "unsuspend" })}>Unsuspend</button>}
                  {!u.verified && u.status === "active" && <button className="btn" type="button" onClick={() => setPending({ user: u, action: "resend-verification" })}>Resend verification</button>}
                  <button className="btn btn-danger" type="button" onClick={() => setPending({ user: u, action: "delete" })}>Delete account</button>
                </div>
              )}
              {pending?.user.id === u.id && <Confirm user={u} action={pending.action} onCancel={() => setPending(null)} onDone={done} />}
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button className="btn" type="button" onClick={() => void load(query, next)}>
          Show more
        </button>
      )}
    </section>
  );
}

/** Confirm asks for the reason of an action (required for a deletion) before sending it. */
function Confirm({ user, action, onCancel, onDone }: { user: AdminUser; action: Action; onCancel: () => void; onDone: (u: AdminUser, msg: string) => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const id = useId();
  const required = action === "delete";
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (required && !reason.trim()) {
      setError("Give the reason: it is recorded in the audit log and sent to the user.");
      return;
    }
    setBusy(true);
    setError("");
    try {
      if (action === "resend-verification") {
        await post(`/admin/users/${user.id}/${action}`);
        onDone(user, `A new verification link is on its way to ${user.email}.`);
      } else {
        const res = await post<{ user: AdminUser }>(`/admin/users/${user.id}/${action}`, { reason: reason.trim() });
        onDone(res.user, action === "delete" ? `${user.email} is deleted and emailed; the data is purged after the recovery window.` : `${user.email} is now ${res.user.status}.`);
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="admin-confirm" role="dialog" aria-labelledby={id} onSubmit={submit}>
      <h3 id={id}>
        {actionLabel[action]}: {user.email}?
      </h3>
      {action === "delete" && <p>The account is disabled at once, the user is emailed with your reason, and everything is erased after the recovery window.</p>}
      {action !== "resend-verification" && (
        <Field label={required ? "Reason (required)" : "Reason (optional)"} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} error={error || undefined} autoFocus />
      )}
      {action === "resend-verification" && error && <Alert>{error}</Alert>}
      <div className="admin-actions">
        <button className={"btn " + (action === "delete" ? "btn-danger" : "btn-primary")} type="submit" disabled={busy}>
          Confirm {actionLabel[action].toLowerCase()}
        </button>
        <button className="btn btn-ghost" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
