import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { ApiError, errorText } from "../api";
import { changelogApi, formatDay, type AdminEntry, type Notices } from "../changelog/changelogApi";
import { loadChangelog } from "../changelog/unseen";
import { Markdown } from "../components/Markdown";
import { Alert, Field, Spinner } from "../components/ui";

type Form = { title: string; body: string; policy_change: boolean; effective_at: string };
const empty: Form = { title: "", body: "", policy_change: false, effective_at: "" };

function toForm(e: AdminEntry): Form {
  return { title: e.title, body: e.body, policy_change: e.policy_change, effective_at: e.effective_at ? e.effective_at.slice(0, 10) : "" };
}

/**
 * ChangelogEditor is the admin area's changelog: entries with their status, an editor with
 * a live preview (the same sanitised markdown What's new shows), drafts, publishing, the
 * policy-change flag with its effective date, and the progress of a policy change's email.
 */
export default function ChangelogEditor() {
  const [entries, setEntries] = useState<AdminEntry[] | null>(null);
  const [selected, setSelected] = useState<AdminEntry | null>(null);
  const [form, setForm] = useState<Form>(empty);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState("");
  const [busy, setBusy] = useState(false);
  const bodyId = useId();

  const reload = useCallback(() => changelogApi.admin.list().then(setEntries, setError), []);
  useEffect(() => {
    document.title = "Changelog · Admin · Ally";
    reload();
  }, [reload]);

  const edit = (e: AdminEntry | null) => {
    setSelected(e);
    setForm(e ? toForm(e) : empty);
    setError(null);
    setNotice("");
  };

  const run = async (what: () => Promise<AdminEntry | void>, done: string) => {
    setBusy(true);
    setError(null);
    setNotice("");
    try {
      const e = await what();
      await reload();
      if (e) edit(e);
      else edit(null);
      setNotice(done);
      loadChangelog(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const draft = () => {
    const d = { title: form.title, body: form.body, policy_change: form.policy_change, effective_at: form.policy_change ? form.effective_at : "" };
    if (selected?.status === "published") return { title: form.title, body: form.body };
    return d;
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    run(() => (selected ? changelogApi.admin.update(selected.id, draft()) : changelogApi.admin.create(draft())), "Saved.");
  };
  const publish = () => {
    const msg = form.policy_change
      ? "Publish this policy change? Every active user is emailed at once, and it cannot be unpublished."
      : "Publish this entry to What's new?";
    if (!window.confirm(msg)) return;
    run(async () => {
      const saved = selected ? await changelogApi.admin.update(selected.id, draft()) : await changelogApi.admin.create(draft());
      return changelogApi.admin.publish(saved.id);
    }, form.policy_change ? "Published. The notice is being emailed to every active user." : "Published.");
  };
  const remove = () => {
    if (!selected || !window.confirm("Delete this entry?")) return;
    run(() => changelogApi.admin.remove(selected.id), "Deleted.");
  };

  const fieldErr = (f: string) => (error instanceof ApiError && error.field === f ? error.message : undefined);
  const general = error && !(error instanceof ApiError && error.field) ? errorText(error) : null;
  const published = selected?.status === "published";

  return (
    <div className="changelog-admin">
      <h1>Changelog</h1>
      <div className="changelog-admin-grid">
        <section aria-labelledby="cl-entries">
          <h2 id="cl-entries">Entries</h2>
          <button type="button" className="btn btn-outline btn-sm" onClick={() => edit(null)}>
            New entry
          </button>
          {entries === null ? (
            <Spinner />
          ) : (
            <ul className="changelog-admin-list">
              {entries.map((e) => (
                <li key={e.id}>
                  <button type="button" className={"entry-pick" + (selected?.id === e.id ? " active" : "")} aria-current={selected?.id === e.id} onClick={() => edit(e)}>
                    <span className="entry-pick-title">{e.title}</span>
                    <span className="muted small">
                      {e.status === "draft" ? "Draft" : "Published " + formatDay(e.published_at)}
                      {e.policy_change ? " · policy change" : ""}
                    </span>
                  </button>
                </li>
              ))}
              {entries.length === 0 && <li className="muted small">No entries yet.</li>}
            </ul>
          )}
        </section>
        <section aria-labelledby="cl-editor">
          <h2 id="cl-editor">{selected ? (published ? "Published entry" : "Edit draft") : "New entry"}</h2>
          {general && <Alert>{general}</Alert>}
          {notice && <Alert kind="success">{notice}</Alert>}
          <form onSubmit={save} noValidate>
            <Field label="Title" value={form.title} maxLength={200} onChange={(e) => setForm({ ...form, title: e.target.value })} error={fieldErr("title")} />
            <div className="field">
              <label htmlFor={bodyId}>Body (markdown)</label>
              <textarea
                id={bodyId}
                rows={10}
                value={form.body}
                aria-invalid={fieldErr("body") ? true : undefined}
                onChange={(e) => setForm({ ...form, body: e.target.value })}
              />
              {fieldErr("body") && <div className="field-error">{fieldErr("body")}</div>}
            </div>
            <label className="check">
              <input
                type="checkbox"
                checked={form.policy_change}
                disabled={published}
                onChange={(e) => setForm({ ...form, policy_change: e.target.checked })}
              />
              <span>Policy change: email every active user when published</span>
            </label>
            {form.policy_change && (
              <Field
                label="Takes effect on"
                type="date"
                value={form.effective_at}
                disabled={published}
                onChange={(e) => setForm({ ...form, effective_at: e.target.value })}
                hint="At least the configured notice period (ALLY_POLICY_NOTICE_DAYS) after publishing."
                error={fieldErr("effective_at")}
              />
            )}
            <div className="form-actions">
              <button className="btn btn-outline" disabled={busy}>
                {published ? "Save changes" : "Save draft"}
              </button>
              {!published && (
                <button type="button" className="btn btn-primary" disabled={busy} onClick={publish}>
                  Publish
                </button>
              )}
              {selected && !(published && selected.policy_change) && (
                <button type="button" className="btn btn-ghost" disabled={busy} onClick={remove}>
                  Delete
                </button>
              )}
            </div>
          </form>
          {published && selected.policy_change && <NoticeProgress id={selected.id} />}
          <h3>Preview</h3>
          <div className="changelog-preview" aria-label="Preview">
            <h2>{form.title || "Untitled"}</h2>
            <Markdown text={form.body} />
          </div>
        </section>
      </div>
    </div>
  );
}

/** NoticeProgress shows how far a policy change's email has gone, refreshing until done. */
function NoticeProgress({ id }: { id: string }) {
  const [n, setN] = useState<Notices | null>(null);
  useEffect(() => {
    let stop = false;
    let timer = 0;
    const tick = () =>
      changelogApi.admin.notices(id).then(
        (p) => {
          if (stop) return;
          setN(p);
          const done = p.started && p.batches_done === p.batches && p.pending === 0;
          if (!done) timer = window.setTimeout(tick, 2000);
        },
        () => undefined,
      );
    tick();
    return () => {
      stop = true;
      window.clearTimeout(timer);
    };
  }, [id]);
  if (!n) return null;
  return (
    <div className="notice-progress" role="status" aria-label="Policy notice emails">
      <h3>Notice emails</h3>
      {!n.started ? (
        <p>Waiting to start…</p>
      ) : (
        <>
          <progress max={Math.max(n.total, 1)} value={n.sent + n.failed + n.skipped} aria-label="Emails done" />
          <p data-testid="notice-progress">
            {n.sent} of {n.total} sent{n.failed ? `, ${n.failed} failed` : ""}
            {n.pending ? `, ${n.pending} on their way` : ""}
            {n.skipped ? `, ${n.skipped} skipped (account closed meanwhile)` : ""} · {n.batches_done} of {n.batches} batches
          </p>
        </>
      )}
    </div>
  );
}
