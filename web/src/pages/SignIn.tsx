import { useEffect, useState, type FormEvent } from "react";
import { ApiError, post } from "../api";
import { Alert, Field, formatDate, useAsync } from "../components/ui";
import { Link, useLocation } from "../router";
import { publicConfig, useSession } from "../session";
import type { User } from "../types";
import { AuthLayout } from "./AuthLayout";
import { Recovery, recoveryPreview, type Deleted } from "./Recovery";
import { ErrorAlert } from "../errors";

export function SignIn() {
  const { signIn } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [google, setGoogle] = useState(false);
  const { busy, error, run } = useAsync();
  const { query } = useLocation();
  const googleError = query.get("error");
  // Set by Settings > Privacy right after the account was deleted.
  const deletedUntil = query.get("deleted");
  // Set by the app when the server ended the session (expired, signed out elsewhere).
  const ended = query.get("ended") === "1";
  const [recovery, setRecovery] = useState<Deleted | null>(null);

  useEffect(() => {
    publicConfig().then((c) => setGoogle(c.google_enabled));
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    run(async () => {
      try {
        const res = await post<{ token: string; user: User }>("/auth/login", { email, password });
        await signIn(res.token, res.user);
      } catch (err) {
        // A deleted account answers 403; if it can still be recovered, offer that instead.
        const deleted = err instanceof ApiError && err.status === 403 ? await recoveryPreview(email, password) : null;
        if (!deleted) throw err;
        setRecovery(deleted);
      }
    });
  };

  if (recovery) {
    return <Recovery email={email} password={password} until={recovery.recoverable_until} onBack={() => setRecovery(null)} />;
  }

  return (
    <AuthLayout
      title="Welcome back"
      footer={
        <>
          New to Ally? <Link href="/signup">Create an account</Link>
        </>
      }
    >
      {google && (
        <>
          <a className="btn btn-outline btn-block" href="/api/v1/auth/google/start">
            <GoogleMark /> Continue with Google
          </a>
          <div className="divider">
            <span>or</span>
          </div>
        </>
      )}
      <form onSubmit={submit} noValidate>
        {ended && !error && !deletedUntil && <Alert kind="info">Your session ended. Sign in again.</Alert>}
        {deletedUntil && !error && (
          <Alert kind="info">
            Your account is deleted and you are signed out. Changed your mind? Sign in before {formatDate(deletedUntil)} to recover it.
          </Alert>
        )}
        {error ? <ErrorAlert error={error} /> : googleError ? <Alert>{googleMessages[googleError] ?? googleMessages.google_failed}</Alert> : null}
        <Field label="Email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="form-row-end">
          <Link href="/forgot-password">Forgot password?</Link>
        </div>
        <button className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthLayout>
  );
}

const googleMessages: Record<string, string> = {
  google_cancelled: "Google sign-in was cancelled.",
  google_state: "That Google sign-in took too long or was opened in another browser. Please try again.",
  google_failed: "Google sign-in did not work. Please try again, or sign in with your email and password.",
};

function GoogleMark() {
  return (
    <svg width="18" height="18" viewBox="0 0 48 48" aria-hidden="true">
      <path fill="#FFC107" d="M43.6 20.5H42V20H24v8h11.3C33.7 32.7 29.2 36 24 36c-6.6 0-12-5.4-12-12s5.4-12 12-12c3.1 0 5.8 1.2 7.9 3.1l5.7-5.7C34 6.1 29.3 4 24 4 12.9 4 4 12.9 4 24s8.9 20 20 20 20-8.9 20-20c0-1.3-.1-2.4-.4-3.5z" />
      <path fill="#FF3D00" d="M6.3 14.7l6.6 4.8C14.7 15.1 19 12 24 12c3.1 0 5.8 1.2 7.9 3.1l5.7-5.7C34 6.1 29.3 4 24 4 16.3 4 9.7 8.3 6.3 14.7z" />
      <path fill="#4CAF50" d="M24 44c5.2 0 9.9-2 13.4-5.2l-6.2-5.2C29.2 35.1 26.7 36 24 36c-5.2 0-9.6-3.3-11.3-8l-6.5 5C9.5 39.6 16.2 44 24 44z" />
      <path fill="#1976D2" d="M43.6 20.5H42V20H24v8h11.3c-.8 2.2-2.2 4.2-4.1 5.6l6.2 5.2C37 39.2 44 34 44 24c0-1.3-.1-2.4-.4-3.5z" />
    </svg>
  );
}
