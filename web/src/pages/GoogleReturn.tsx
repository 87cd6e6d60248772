import { useEffect, useRef, useState, type FormEvent } from "react";
import { post } from "../api";
import { Alert, Spinner, useAsync } from "../components/ui";
import { Link, useLocation } from "../router";
import { useSession } from "../session";
import type { User } from "../types";
import { AuthLayout } from "./AuthLayout";
import { ErrorAlert } from "../errors";

/**
 * GoogleReturn finishes Google sign-in: the server sent the browser here with a one-time
 * code, exchanged for a session. A new account first confirms the person is 18 or older.
 */
export function GoogleReturn() {
  const { query } = useLocation();
  const { signIn } = useSession();
  const code = query.get("code") ?? "";
  const isSignup = query.get("kind") === "signup";
  const [adult, setAdult] = useState(false);
  const { busy, error, run } = useAsync();
  const sent = useRef(false);

  const exchange = (ageConfirmed: boolean) =>
    run(async () => {
      const res = await post<{ token: string; user: User }>("/auth/google/exchange", { code, age_confirmed: ageConfirmed });
      await signIn(res.token, res.user);
    });

  useEffect(() => {
    if (!code || isSignup || sent.current) return;
    sent.current = true; // the code is single-use
    exchange(false);
  }, [code, isSignup]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    exchange(adult);
  };

  if (!code) {
    return (
      <AuthLayout title="Google sign-in">
        <Alert>This sign-in link is incomplete.</Alert>
        <Link className="btn btn-outline btn-block" href="/login">
          Back to sign in
        </Link>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title={isSignup ? "Create your account" : "Signing you in"}>
      {error ? (
        <>
          <ErrorAlert error={error} />
          <Link className="btn btn-outline btn-block" href="/login">
            Back to sign in
          </Link>
        </>
      ) : isSignup ? (
        <form onSubmit={submit}>
          <p className="muted">One last step before we create your account with your Google address.</p>
          <label className="check">
            <input type="checkbox" checked={adult} onChange={(e) => setAdult(e.target.checked)} />
            <span>I confirm that I am 18 years of age or older.</span>
          </label>
          <button className="btn btn-primary btn-block" disabled={busy || !adult}>
            {busy ? "Creating account…" : "Create account"}
          </button>
        </form>
      ) : (
        <Spinner label="Signing you in" />
      )}
    </AuthLayout>
  );
}
