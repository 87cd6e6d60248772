import { useEffect, useState } from "react";
import { ApiError } from "./api";
import { Alert } from "./components/ui";

// One place that turns what the server answered into what a person reads: a sentence that
// starts with a capital and says what to do. Server codes (internal/errs) whose message is
// written for developers get a sentence of their own here; the others pass the server's
// message through, as a sentence.

/** codeText is the sentence for an error code, whatever the server's message says. */
const codeText: Record<string, string> = {
  network: "Ally cannot reach the server. Check your connection and try again.",
  internal: "Something went wrong on our side. Try again in a moment.",
  unavailable: "This is not available right now. Try again in a moment.",
  no_provider: "The assistant cannot answer yet: no model provider is set up on this server. Ask its operator to add one.",
  too_large: "That is too large to send. Make it shorter and try again.",
  not_found: "This no longer exists. It may have been deleted.",
  session_ended: "Your session ended. Sign in again.",
};

/** sentence makes a server message read as a sentence: a capital first, a full stop last. */
export function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?…)]$/.test(first) ? first : first + ".";
}

/** waitText is a wait as a countdown: "4:32" under an hour, then in hours. */
export function waitText(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s >= 3600) {
    const h = Math.round(s / 3600);
    return h === 1 ? "an hour" : `${h} hours`;
  }
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** retryAt is when a rate-limited request may be tried again, or null. */
export function retryAt(err: ApiError): number | null {
  const s = Number(err.details?.retry_after_seconds);
  return s > 0 ? err.at + s * 1000 : null;
}

/** rateLimitText is the one sentence for a rate limit, counted from now. */
export function rateLimitText(err: ApiError, now = Date.now()): string {
  const at = retryAt(err);
  if (at === null) return "Too many attempts. Wait a moment and try again.";
  if (at <= now) return "You can try again now.";
  return `Too many attempts. Try again in ${waitText((at - now) / 1000)}.`;
}

/** messageFor is what to show a person for an error. */
export function messageFor(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === "rate_limited") return rateLimitText(err);
    const fixed = codeText[err.code];
    if (fixed) return fixed;
    if (err.message) return sentence(err.message);
    return codeText.internal;
  }
  return "Something went wrong. Try again.";
}

/** useNow re-renders every second while on, for countdowns. */
export function useNow(on: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return now;
}

/** ErrorText is an error's sentence; a rate limit counts down live to the moment it lifts. */
export function ErrorText({ error }: { error: unknown }) {
  const limited = error instanceof ApiError && error.code === "rate_limited" && retryAt(error) !== null;
  const now = useNow(limited);
  if (limited) {
    const text = rateLimitText(error as ApiError, now);
    // The live text is for the eye; screen readers hear the sentence once, not every second.
    return (
      <>
        <span aria-hidden="true">{text}</span>
        <span className="sr-only">{rateLimitText(error as ApiError)}</span>
      </>
    );
  }
  return <>{messageFor(error)}</>;
}

/** ErrorAlert shows an error as an alert. */
export function ErrorAlert({ error }: { error: unknown }) {
  return (
    <Alert>
      <ErrorText error={error} />
    </Alert>
  );
}
