import { useEffect, useState } from "react";
import { ApiError, del, get, post, put } from "../api";
import { Alert, Spinner, useAsync } from "../components/ui";
import { Link } from "../router";
import { preferencesBody, type Guidance as GuidanceView, type GuidanceChange, type GuidanceVersion, type Preferences } from "../types";
import { ErrorAlert } from "../errors";

const actions: Record<GuidanceChange["action"], string> = { add: "Added", remove: "Removed", edit: "Rewrote" };
const issueNames: Record<string, string> = {
  inaccurate: "inaccurate", unhelpful: "unhelpful", too_long: "too long", too_short: "too short", wrong_format: "format",
  tone: "tone", ignored_preferences: "ignored your preferences", unneeded_refusal: "refused needlessly", tool_error: "tool error", other: "other",
};

function day(d: string): string {
  return new Date(d.length === 10 ? d + "T12:00:00" : d).toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long" });
}

/** Guidance is Settings > Assistant > "What Ally has learned": the learned guidance, what
 * the nightly review changed and why (with links to the conversations it learned from), the
 * notes of the last night, edit, clear, restore any version, and the opt-out. */
export default function Guidance({ nightly, onNightly }: { nightly: boolean; onNightly: (on: boolean) => void }) {
  const [g, setG] = useState<GuidanceView | null>(null);
  const [versions, setVersions] = useState<GuidanceVersion[]>([]);
  const [draft, setDraft] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const load = useAsync();
  const act = useAsync();

  const refresh = async () => {
    setG(await get<GuidanceView>("/me/guidance"));
    setVersions((await get<{ versions: GuidanceVersion[] }>("/me/guidance/versions")).versions);
  };
  useEffect(() => {
    load.run(refresh);
  }, []);
  if (load.error) return <ErrorAlert error={load.error} />;
  if (!g) return <Spinner />;

  const apply = (fn: () => Promise<GuidanceView>, done: string) =>
    act.run(async () => {
      setNotice("");
      setG(await fn());
      setVersions((await get<{ versions: GuidanceVersion[] }>("/me/guidance/versions")).versions);
      setDraft(null);
      setNotice(done);
    });
  const toggle = (on: boolean) =>
    act.run(async () => {
      const current = await get<Preferences>("/me/preferences");
      const saved = await put<Preferences>("/me/preferences", preferencesBody({ ...current, nightly_analysis: on }));
      onNightly(saved.nightly_analysis);
      setNotice(on ? "Nightly analysis is on." : "Nightly analysis is off.");
    });
  const fieldErr = act.error instanceof ApiError && act.error.field === "text" ? act.error.message : undefined;
  const last = g.last_nightly;

  return (
    <section className="guidance" aria-labelledby="guidance-title">
      <h2 id="guidance-title">What Ally has learned</h2>
      <p className="muted">
        Each night Ally reviews the day’s conversations and your thumbs up and down with AI, and keeps a few lines of guidance it follows in every reply. A change needs
        support from your feedback; you can edit, clear or restore it at any time. Your conversations never train third-party AI models.
      </p>
      {act.error && !fieldErr ? <ErrorAlert error={act.error} /> : null}
      {notice && <Alert kind="success">{notice}</Alert>}
      <label className="switch-row">
        <input type="checkbox" role="switch" checked={nightly} disabled={act.busy} onChange={(e) => toggle(e.target.checked)} />
        <span>
          <strong>Nightly analysis</strong>
          <span className="muted small block">
            {nightly
              ? "On: after each day you chat, Ally reviews it overnight."
              : "Off: your days are not analysed. The guidance below stays in use until you clear it; nothing new is learned."}
          </span>
        </span>
      </label>

      <h3>Current guidance</h3>
      {draft === null ? (
        <>
          {g.text ? <pre className="guidance-text">{g.text}</pre> : <p className="muted">Nothing learned yet.</p>}
          {g.updated_at && (
            <p className="muted small">
              {g.source === "nightly" ? "Written by the nightly review" : "Written by you"} on {day(g.updated_at)}.
            </p>
          )}
          <div className="row">
            <button type="button" className="btn" onClick={() => setDraft(g.text)}>
              Edit
            </button>
            {g.text && (
              <button type="button" className="btn" disabled={act.busy} onClick={() => apply(() => del<GuidanceView>("/me/guidance"), "Guidance cleared.")}>
                Clear
              </button>
            )}
          </div>
        </>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            apply(() => put<GuidanceView>("/me/guidance", { text: draft }), "Guidance saved.");
          }}
        >
          <div className="field">
            <label htmlFor="guidance-text">Guidance (one line each, at most 12)</label>
            <textarea id="guidance-text" rows={6} maxLength={1500} value={draft} onChange={(e) => setDraft(e.target.value)} aria-invalid={fieldErr ? true : undefined} />
            {fieldErr && <div className="field-error">{fieldErr}</div>}
          </div>
          <div className="row">
            <button className="btn btn-primary" disabled={act.busy}>
              Save guidance
            </button>
            <button type="button" className="btn" onClick={() => setDraft(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}

      {last && (
        <>
          <h3>What changed {last.night ? `after ${day(last.night)}` : "last"}</h3>
          <ul className="guidance-changes">
            {last.changes.map((c, i) => (
              <li key={i}>
                <strong>{actions[c.action]}</strong> “{c.bullet}”{c.replaces ? ` (was “${c.replaces}”)` : ""} — {c.reason}{" "}
                {c.conversation_ids.map((id, j) => (
                  <Link key={id} href={`/c/${id}`}>
                    {j === 0 ? "see the conversation" : `conversation ${j + 1}`}
                  </Link>
                ))}
              </li>
            ))}
          </ul>
        </>
      )}

      {g.notes.length > 0 && (
        <>
          <h3>Notes on {day(g.notes[0].night)}</h3>
          <ul className="guidance-notes">
            {g.notes.map((n) => (
              <li key={n.conversation_id}>
                <span className="badge">{n.score}/5</span> {n.summary} {n.issues.length > 0 && <span className="muted">({n.issues.map((i) => issueNames[i] ?? i).join(", ")})</span>}{" "}
                <Link href={`/c/${n.conversation_id}`}>{n.message_ids.length > 0 ? "see the replies" : "open"}</Link>
              </li>
            ))}
          </ul>
        </>
      )}

      {versions.length > 1 && (
        <details>
          <summary>History ({versions.length} versions)</summary>
          <ol className="guidance-versions" reversed>
            {versions.map((v) => (
              <li key={v.id}>
                <span className="muted small">
                  {day(v.created_at)} · {v.source === "nightly" ? "nightly review" : "you"}
                </span>
                <pre className="guidance-text">{v.text || "(empty)"}</pre>
                {v.seq !== g.version && (
                  <button type="button" className="btn" disabled={act.busy} onClick={() => apply(() => post<GuidanceView>(`/me/guidance/versions/${v.id}/revert`), `Version ${v.seq} restored.`)}>
                    Restore version {v.seq}
                  </button>
                )}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}
