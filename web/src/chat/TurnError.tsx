import { useState } from "react";
import { ApiError, errorText, post } from "../api";
import { Alert } from "../components/ui";
import { ErrorText, retryAt, useNow, waitText } from "../errors";
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
        <strong>The assistant cannot answer yet.</strong> No model provider is set up on this server. If you run it, set
        ANTHROPIC_API_KEY (or point OPENAI_BASE_URL at a local server such as Ollama) and start it again; otherwise ask its
        operator.
      </Alert>
    );
  }
  if (error.code === "rate_limited") return <TooQuick error={error} />;
  return (
    <Alert>
      <ErrorText error={error} />{" "}
      <button type="button" className="link-btn" onClick={onClose}>
        Dismiss
      </button>
    </Alert>
  );
}

/** TooQuick counts down to the moment messages may be sent again. */
function TooQuick({ error }: { error: ApiError }) {
  const at = retryAt(error);
  const now = useNow(at !== null);
  const left = at === null ? 0 : (at - now) / 1000;
  return (
    <Alert kind="warning">
      {at === null ? (
        "You are sending messages too quickly. Wait a moment and try again."
      ) : (
        <>
          {/* The count is for the eye; a screen reader hears the sentence once. */}
          <span aria-hidden="true">{left > 0 ? `You are sending messages too quickly. Try again in ${waitText(left)}.` : "You can send messages again."}</span>
          <span className="sr-only">You are sending messages too quickly. Try again in {waitText((at - error.at) / 1000)}.</span>
        </>
      )}
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
