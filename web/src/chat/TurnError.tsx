import { useState } from "react";
import { ApiError, errorText, formatWait, post } from "../api";
import { Alert } from "../components/ui";
import { Link } from "../router";

/** resetTime reads when a quota resets from an error's details. */
function resetTime(err: ApiError): Date | null {
  const d = err.details ?? {};
  for (const k of ["resets_at", "reset_at", "reset"]) {
    const v = d[k];
    if (typeof v === "string" || typeof v === "number") {
      const t = new Date(v);
      if (!isNaN(t.getTime())) return t;
    }
  }
  const s = Number(d.retry_after_seconds);
  return s > 0 ? new Date(Date.now() + s * 1000) : null;
}

/** TurnError explains why a reply could not start, and what to do about it. */
export function TurnError({ error, onClose }: { error: ApiError; onClose: () => void }) {
  if (error.code === "quota_exceeded") {
    const at = resetTime(error);
    return (
      <Alert kind="warning">
        <strong>You have reached your plan's limit.</strong> {error.message}
        {at && (
          <>
            {" "}
            It resets at <time dateTime={at.toISOString()}>{at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}</time>.
          </>
        )}{" "}
        <Link href="/settings/usage">See your usage</Link> or <Link href="/settings/billing">upgrade your plan</Link>.
      </Alert>
    );
  }
  if (error.code === "email_not_verified") return <VerifyBanner />;
  if (error.code === "no_provider") {
    return (
      <Alert kind="warning">
        <strong>The assistant is not available.</strong> No model provider is configured on this server; the operator needs to set one up.
      </Alert>
    );
  }
  if (error.code === "rate_limited") {
    const s = Number(error.details?.retry_after_seconds);
    return <Alert kind="warning">You are sending messages too quickly.{s > 0 ? ` Try again in ${formatWait(s)}.` : ""}</Alert>;
  }
  return (
    <Alert>
      {errorText(error)}{" "}
      <button type="button" className="link-btn" onClick={onClose}>
        Dismiss
      </button>
    </Alert>
  );
}

/** VerifyBanner asks the person to confirm their email and offers to resend the link. */
export function VerifyBanner() {
  const [state, setState] = useState<"idle" | "sent" | "error">("idle");
  const [err, setErr] = useState("");
  const resend = async () => {
    try {
      await post("/auth/verify-email/resend", {});
      setState("sent");
    } catch (e) {
      setErr(errorText(e));
      setState("error");
    }
  };
  return (
    <Alert kind="warning">
      <strong>Confirm your email address to start chatting.</strong> We sent you a link when you signed up.{" "}
      {state === "sent" ? (
        <span>A new link is on its way.</span>
      ) : (
        <button type="button" className="link-btn" onClick={resend}>
          Send a new link
        </button>
      )}
      {state === "error" && <span> {err}</span>}
    </Alert>
  );
}
