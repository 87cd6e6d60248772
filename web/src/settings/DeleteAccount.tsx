import { useState, type FormEvent } from "react";
import { ApiError, post } from "../api";
import { Alert, Field, useAsync } from "../components/ui";
import { navigate } from "../router";
import { useSession } from "../session";
import { ErrorAlert } from "../errors";

interface Deleted {
  status: string;
  recoverable_until: string;
}

/**
 * DeleteAccount deletes the account after re-authentication: the current password, or for
 * an account without one, a Google sign-in of the last few minutes. The person is then
 * signed out and the sign-in page says until when the account can be recovered.
 */
export function DeleteAccount({ graceDays }: { graceDays: number }) {
  const { user, forget } = useSession();
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState("");
  const { busy, error, setError, run } = useAsync();
  const hasPassword = user?.has_password ?? true;
  const needsGoogle = error instanceof ApiError && error.details?.reason === "reauthentication_required";
  const wrongPassword = error instanceof ApiError && error.field === "password" ? error.message : undefined;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    run(async () => {
      const res = await post<Deleted>("/me/delete", hasPassword ? { password } : {});
      // Every session of the account has ended on the server, this one included.
      forget();
      navigate(`/login?deleted=${encodeURIComponent(res.recoverable_until)}`, { replace: true });
    });
  };

  // Google re-authentication: end this session and sign in with Google again; the fresh
  // session may then delete the account for a few minutes.
  const googleAgain = async () => {
    try {
      await post("/auth/logout");
    } catch {
      // Going through Google sign-in again works whatever the server said here.
    }
    forget();
    window.location.assign("/api/v1/auth/google/start");
  };

  const cancel = () => {
    setOpen(false);
    setPassword("");
    setError(null);
  };

  return (
    <section className="panel" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete your account</h2>
      <p className="muted">
        Your account and everything in it (conversations, memory, preferences and usage) will be deleted. You can change your
        mind for {graceDays} days; after that it is gone for good.
      </p>
      {!open ? (
        <button type="button" className="btn btn-outline danger-text" onClick={() => setOpen(true)}>
          Delete my account…
        </button>
      ) : (
        <form onSubmit={submit} noValidate className="delete-confirm">
          <Alert kind="warning">
            <p className="alert-title">What happens next</p>
            <ul>
              <li>Your account is disabled at once and you are signed out on every device; replies being written stop.</li>
              <li>We email you a confirmation.</li>
              <li>
                For {graceDays} days you can recover everything by signing in with your email address and password.
              </li>
              <li>After {graceDays} days your data is permanently deleted and cannot be recovered.</li>
            </ul>
          </Alert>
          {error && !wrongPassword && !needsGoogle ? <ErrorAlert error={error} /> : null}
          {hasPassword ? (
            <Field
              label="Current password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              hint="To confirm it is you."
              error={wrongPassword}
              autoFocus
            />
          ) : needsGoogle ? (
            <Alert kind="info">
              To confirm it is you, sign in with Google again, then come back here within 10 minutes.{" "}
              <button type="button" className="link-btn" onClick={googleAgain}>
                Sign in with Google again
              </button>
            </Alert>
          ) : (
            <p className="muted small">You sign in with Google: a sign-in within the last 10 minutes confirms it is you.</p>
          )}
          <div className="form-actions">
            <button className="btn btn-danger" disabled={busy || (hasPassword && !password)}>
              {busy ? "Deleting…" : "Delete my account"}
            </button>
            <button type="button" className="btn btn-ghost" onClick={cancel}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

