import { useCallback, useEffect, useState } from "react";
import { errorText, get } from "../api";
import { Alert, Spinner, formatDate } from "../components/ui";
import type { AuditEntry } from "./adminApi";

/** Audit lists administrators' actions, newest first. */
export default function Audit() {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState("");
  const [error, setError] = useState("");
  const load = useCallback(async (cursor = "") => {
    try {
      const page = await get<{ entries: AuditEntry[]; next: string }>(`/admin/audit?limit=50${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
      setEntries((old) => (cursor && old ? [...old, ...page.entries] : page.entries));
      setNext(page.next);
    } catch (e) {
      setError(errorText(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  if (error) return <Alert>{error}</Alert>;
  if (!entries) return <Spinner />;
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit log</h2>
      {entries.length === 0 ? (
        <p>No action recorded yet.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Audit log">
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">By</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id}>
                  <td>{formatDate(e.created_at)}</td>
                  <td>{e.action}</td>
                  <td>{e.target_type ? `${e.target_type} ${e.target_id}` : ""}</td>
                  <td>{e.actor_id}</td>
                  <td>{Object.entries(e.details).map(([k, v]) => `${k}: ${String(v)}`).join("; ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <button className="btn" type="button" onClick={() => void load(next)}>
          Show more
        </button>
      )}
    </section>
  );
}
