import { useState, type FormEvent } from "react";
import { ApiError, patch } from "../api";
import { Alert, Field, useAsync } from "../components/ui";
import { useSession } from "../session";
import type { User } from "../types";
import { ErrorAlert } from "../errors";

const zones: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
})();

export default function Profile() {
  const { user, setUser } = useSession();
  if (!user) return null;
  return (
    <>
      <Details user={user} onSaved={setUser} />
      <Password />
    </>
  );
}

function Details({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const [name, setName] = useState(user.name);
  const [email, setEmail] = useState(user.email);
  const [timezone, setTimezone] = useState(user.timezone || "UTC");
  const [current, setCurrent] = useState("");
  const emailChanged = email.trim().toLowerCase() !== user.email;
  const [saved, setSaved] = useState("");
  const { busy, error, run } = useAsync();
  const fieldErr = (f: string) => (error instanceof ApiError && error.field === f ? error.message : undefined);
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved("");
    run(async () => {
      const body: Record<string, string> = { name, timezone };
      if (emailChanged) Object.assign(body, { email, current_password: current });
      const u = await patch<User>("/me", body);
      onSaved(u);
      setCurrent("");
      setSaved(body.email ? `Saved. We sent a link to ${email} to confirm the new address.` : "Saved.");
    });
  };

  return (
    <section className="panel" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Profile</h2>
      <form onSubmit={submit} noValidate>
        {error && !(error instanceof ApiError && error.field) ? <ErrorAlert error={error} /> : null}
        {saved && <Alert kind="success">{saved}</Alert>}
        <Field label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={fieldErr("name")} />
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldErr("email")}
          hint={
            user.pending_email
              ? `Waiting for confirmation of ${user.pending_email}.`
              : user.email_verified
                ? "Confirmed."
                : "Not confirmed yet."
          }
        />
        {emailChanged && (
          <Field
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            hint="Needed to change your email address."
            error={fieldErr("current_password")}
          />
        )}
        <div className="field">
          <label htmlFor="tz">Timezone</label>
          <select id="tz" value={timezone} onChange={(e) => setTimezone(e.target.value)}>
            {!zones.includes(timezone) && <option value={timezone}>{timezone}</option>}
            {zones.map((z) => (
              <option key={z} value={z}>
                {z.replace(/_/g, " ")}
              </option>
            ))}
          </select>
          {browserZone && browserZone !== timezone && (
            <div className="hint">
              This device is on {browserZone.replace(/_/g, " ")}.{" "}
              <button type="button" className="link-btn" onClick={() => setTimezone(browserZone)}>
                Use it
              </button>
            </div>
          )}
          {fieldErr("timezone") && <div className="field-error">{fieldErr("timezone")}</div>}
        </div>
        <button className="btn btn-primary" disabled={busy}>
          {busy ? "Saving…" : "Save changes"}
        </button>
      </form>
    </section>
  );
}

function Password() {
  const { user } = useSession();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, run } = useAsync();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    run(async () => {
      await patch("/me", { current_password: current, password: next });
      setCurrent("");
      setNext("");
      setDone(true);
    });
  };
  return (
    <section className="panel" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form onSubmit={submit} noValidate>
        {error ? <ErrorAlert error={error} /> : null}
        {done && <Alert kind="success">Password changed. Your other devices were signed out.</Alert>}
        {user?.has_password && (
          <Field label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        )}
        <Field label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} hint="At least 8 characters." />
        <button className="btn btn-primary" disabled={busy || !next}>
          {busy ? "Saving…" : "Change password"}
        </button>
      </form>
    </section>
  );
}
