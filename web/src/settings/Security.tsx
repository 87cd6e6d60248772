import { useEffect, useState } from "react";
import { del, get } from "../api";
import { formatDate, Spinner, useAsync } from "../components/ui";
import { useSession } from "../session";
import { ErrorAlert } from "../errors";

interface SessionRow {
  id: string;
  created_at: string;
  last_seen_at?: string;
  last_used_at?: string;
  expires_at?: string;
  ip?: string;
  user_agent?: string;
  current?: boolean;
}

interface SignIn {
  id?: string;
  at?: string;
  created_at?: string;
  ip?: string;
  user_agent?: string;
  method?: string;
  success?: boolean;
}

/** device turns a user agent into something a person recognises. */
export function device(ua = ""): string {
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  if (!browser && !os) return ua ? ua.slice(0, 60) : "Unknown device";
  return [browser, os].filter(Boolean).join(" on ");
}

const list = <T,>(res: unknown, key: string): T[] => (Array.isArray(res) ? res : ((res as Record<string, T[]>)?.[key] ?? []));

export default function Security() {
  return (
    <>
      <Sessions />
      <History />
    </>
  );
}

function Sessions() {
  const { signOut } = useSession();
  const [rows, setRows] = useState<SessionRow[] | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const { busy, error, run } = useAsync();
  useEffect(() => {
    run(async () => setRows(list<SessionRow>(await get("/me/sessions"), "sessions")));
  }, []);
  const revoke = (id: string) =>
    run(async () => {
      await del(`/me/sessions/${encodeURIComponent(id)}`);
      setRows((r) => (r ?? []).filter((s) => s.id !== id));
    });
  return (
    <section className="panel">
      <h2>Where you are signed in</h2>
      {error ? <ErrorAlert error={error} /> : null}
      {!rows && !error && <Spinner />}
      {rows && (
        <ul className="rows">
          {rows.map((s) => (
            <li key={s.id} className="row">
              <div>
                <div className="row-title">
                  {device(s.user_agent)} {s.current && <span className="badge">This device</span>}
                </div>
                <div className="muted small">
                  {s.ip ? `${s.ip} · ` : ""}Signed in {formatDate(s.created_at)}
                  {(s.last_seen_at || s.last_used_at) && ` · Last active ${formatDate(s.last_seen_at || s.last_used_at)}`}
                </div>
              </div>
              {!s.current && (
                <button type="button" className="btn btn-outline btn-sm" disabled={busy} onClick={() => revoke(s.id)}>
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="panel-footer">
        {confirmAll ? (
          <>
            <span>Sign out on every device, including this one?</span>
            <button type="button" className="btn btn-danger btn-sm" onClick={() => signOut(true)} autoFocus>
              Sign out everywhere
            </button>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => setConfirmAll(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="btn btn-outline" onClick={() => setConfirmAll(true)}>
            Sign out everywhere
          </button>
        )}
      </div>
    </section>
  );
}

const methods: Record<string, string> = { password: "Password", google: "Google", reset: "Password reset" };

function History() {
  const [rows, setRows] = useState<SignIn[] | null>(null);
  const { error, run } = useAsync();
  useEffect(() => {
    run(async () => setRows(list<SignIn>(await get("/me/sign-ins"), "sign_ins")));
  }, []);
  return (
    <section className="panel">
      <h2>Sign-in history</h2>
      <p className="muted small">The last 90 days.</p>
      {error ? <ErrorAlert error={error} /> : null}
      {!rows && !error && <Spinner />}
      {rows && rows.length === 0 && <p className="empty-note">No sign-ins yet.</p>}
      {rows && rows.length > 0 && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Sign-in history">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Method</th>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={r.id ?? i}>
                  <td>{formatDate(r.at ?? r.created_at)}</td>
                  <td>{methods[r.method ?? ""] ?? r.method}{r.success === false ? " (failed)" : ""}</td>
                  <td>{device(r.user_agent)}</td>
                  <td>{r.ip}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
