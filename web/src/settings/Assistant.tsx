import { useEffect, useState, type FormEvent } from "react";
import { ApiError, get, put } from "../api";
import { Alert, Field, Spinner, useAsync } from "../components/ui";
import { preferencesBody, type Preferences } from "../types";
import Guidance from "./Guidance";
import { ErrorAlert } from "../errors";

const lengths: { value: Preferences["response_length"]; label: string }[] = [
  { value: "short", label: "Short" },
  { value: "medium", label: "Medium" },
  { value: "long", label: "Detailed" },
];

export default function Assistant() {
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAsync();
  const load = useAsync();

  useEffect(() => {
    load.run(async () => setPrefs(await get<Preferences>("/me/preferences")));
  }, []);

  if (load.error) return <ErrorAlert error={load.error} />;
  if (!prefs) return <Spinner />;
  const set = (p: Partial<Preferences>) => {
    setSaved(false);
    setPrefs({ ...prefs, ...p });
  };
  const fieldErr = (f: string) => (error instanceof ApiError && error.field === f ? error.message : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run(async () => {
      setPrefs(await put<Preferences>("/me/preferences", preferencesBody(prefs)));
      setSaved(true);
    });
  };

  return (
    <section className="panel">
      <h2>Assistant</h2>
      <p className="muted">How your assistant speaks to you. It follows these in every conversation.</p>
      <form onSubmit={submit} noValidate>
        {error && !(error instanceof ApiError && error.field) ? <ErrorAlert error={error} /> : null}
        {saved && <Alert kind="success">Saved.</Alert>}
        <Field label="Assistant name" value={prefs.assistant_name} placeholder="Ally" maxLength={60} onChange={(e) => set({ assistant_name: e.target.value })} error={fieldErr("assistant_name")} />
        <div className="field">
          <label htmlFor="tone">Tone and instructions</label>
          <textarea id="tone" rows={4} value={prefs.tone} placeholder="e.g. Friendly and direct. Use metric units." onChange={(e) => set({ tone: e.target.value })} />
          {fieldErr("tone") && <div className="field-error">{fieldErr("tone")}</div>}
        </div>
        <fieldset className="segmented">
          <legend>Response length</legend>
          {lengths.map((l) => (
            <label key={l.value} className={prefs.response_length === l.value ? "selected" : ""}>
              <input type="radio" name="length" value={l.value} checked={prefs.response_length === l.value} onChange={() => set({ response_length: l.value })} />
              {l.label}
            </label>
          ))}
        </fieldset>
        <Field label="Language" value={prefs.language} placeholder="The language you write in" onChange={(e) => set({ language: e.target.value })} error={fieldErr("language")} />
        <label className="switch-row">
          <input type="checkbox" role="switch" checked={prefs.memory_enabled} onChange={(e) => set({ memory_enabled: e.target.checked })} />
          <span>
            <strong>Memory</strong>
            <span className="muted small block">Let the assistant remember things about you across conversations. Turning it off keeps your memory files; it stops reading and writing them.</span>
          </span>
        </label>
        <button className="btn btn-primary" disabled={busy}>
          {busy ? "Saving…" : "Save"}
        </button>
      </form>
      <Guidance nightly={prefs.nightly_analysis} onNightly={(on) => setPrefs((p) => p && { ...p, nightly_analysis: on })} />
    </section>
  );
}
