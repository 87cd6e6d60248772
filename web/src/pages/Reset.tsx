import { useState, type FormEvent } from "react";
import { errorText, post } from "../api";
import { Alert, Field, useAsync } from "../components/ui";
import { Link, useLocation } from "../router";
import { AuthLayout } from "./AuthLayout";

export function Reset() {
  const { query } = useLocation();
  const token = query.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, setError, run } = useAsync();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password !== confirm) {
      setError(new Error("mismatch"));
      return;
    }
    run(async () => {
      await post("/auth/password-reset/confirm", { token, password });
      setDone(true);
    });
  };
  const message = error instanceof Error && error.message === "mismatch" ? "The two passwords differ." : error ? errorText(error) : null;
  return (
    <AuthLayout title="Choose a new password" footer={<Link href="/login">Back to sign in</Link>}>
      {done ? (
        <>
          <Alert kind="success">Your password is changed and every device was signed out.</Alert>
          <Link className="btn btn-primary btn-block" href="/login">
            Sign in
          </Link>
        </>
      ) : !token ? (
        <Alert>This link is incomplete. Open the link from your email again, or ask for a new one.</Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          {message && <Alert>{message}</Alert>}
          <Field label="New password" type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} hint="At least 8 characters." />
          <Field label="Repeat new password" type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
          <button className="btn btn-primary btn-block" disabled={busy || !password}>
            {busy ? "Saving…" : "Set new password"}
          </button>
        </form>
      )}
    </AuthLayout>
  );
}
