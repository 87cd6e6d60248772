import { useState, type FormEvent } from "react";
import { post } from "../api";
import { Alert, Field, useAsync } from "../components/ui";
import { Link } from "../router";
import { AuthLayout } from "./AuthLayout";
import { ErrorAlert } from "../errors";

export function Forgot() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, error, run } = useAsync();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run(async () => {
      await post("/auth/password-reset", { email });
      setSent(true);
    });
  };
  return (
    <AuthLayout title="Reset your password" footer={<Link href="/login">Back to sign in</Link>}>
      {sent ? (
        <Alert kind="success">If an account uses {email}, we have sent it a link to choose a new password. The link works for one hour.</Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <p className="muted">Enter your email and we will send you a link to choose a new password.</p>
          {error ? <ErrorAlert error={error} /> : null}
          <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <button className="btn btn-primary btn-block" disabled={busy || !email}>
            {busy ? "Sending…" : "Send reset link"}
          </button>
        </form>
      )}
    </AuthLayout>
  );
}
