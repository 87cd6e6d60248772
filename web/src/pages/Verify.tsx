import { useEffect, useRef, useState } from "react";
import { errorText, post } from "../api";
import { Alert, Spinner } from "../components/ui";
import { Link, useLocation } from "../router";
import { useSession } from "../session";
import { AuthLayout } from "./AuthLayout";

/** Verify confirms an email address with the token from the link in the email. */
export function Verify() {
  const { query } = useLocation();
  const { user, refresh } = useSession();
  const token = query.get("token") ?? "";
  const [state, setState] = useState<"working" | "done" | "failed">(token ? "working" : "failed");
  const [error, setError] = useState<unknown>(token ? null : new Error());
  const sent = useRef(false);

  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true; // the token is single-use: never send it twice
    post("/auth/verify-email", { token })
      .then(async () => {
        // Signed in (or signing in as the page loads): show the account as confirmed.
        await refresh().catch(() => undefined);
        setState("done");
      })
      .catch((err) => {
        setError(err);
        setState("failed");
      });
  }, [token, refresh]);

  return (
    <AuthLayout title="Confirm your email">
      {state === "working" && <Spinner label="Confirming your email" />}
      {state === "done" && (
        <>
          <Alert kind="success">Your email address is confirmed.</Alert>
          <Link className="btn btn-primary btn-block" href={user ? "/" : "/login"}>
            {user ? "Start chatting" : "Sign in"}
          </Link>
        </>
      )}
      {state === "failed" && (
        <>
          <Alert>{token ? errorText(error) : "This link is incomplete. Open the link from your email again."}</Alert>
          <p className="muted">Links expire after 24 hours and work once. You can ask for a new one after signing in.</p>
          <Link className="btn btn-outline btn-block" href="/">
            Back to Ally
          </Link>
        </>
      )}
    </AuthLayout>
  );
}
