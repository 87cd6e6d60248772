import { useEffect, useState } from "react";
import { ApiError, get } from "../api";
import { Alert, Spinner } from "../components/ui";
import { useLocation } from "../router";
import { getBilling, getPlans, limitLines, openPortal, priceText, startCheckout, type BillingStatus, type Plan } from "../billing/billingApi";
import { Meter } from "./Usage";
import { ErrorAlert } from "../errors";

interface Allowance {
  used: number;
  limit: number | null;
}

const day = (s: string) => new Date(s).toLocaleDateString(undefined, { dateStyle: "long" });

/** statusText says what the subscription's state means for the person. */
function statusText(b: BillingStatus): string {
  switch (b.status) {
    case "none":
      return "No subscription";
    case "active":
    case "trialing":
      if (b.current_period_end) return b.cancel_at_period_end ? `Ends on ${day(b.current_period_end)}` : `Renews on ${day(b.current_period_end)}`;
      return "Active";
    case "past_due":
      return b.grace_ends_at ? `Payment failed: update your payment details before ${day(b.grace_ends_at)} to keep your plan` : "Payment failed";
    case "canceled":
      return "Cancelled";
    default:
      return `Subscription ${b.status.replace(/_/g, " ")}`;
  }
}

/** Billing shows the plan, its state and renewal date, usage against it, and the ways to change it (BILL-4). */
export default function Billing() {
  const { query } = useLocation();
  const [billing, setBilling] = useState<BillingStatus | null>(null);
  const [off, setOff] = useState(false);
  const [plans, setPlans] = useState<Plan[]>([]);
  const [today, setToday] = useState<{ messages?: Allowance; tokens?: Allowance } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState("");

  useEffect(() => {
    getPlans().then((r) => setPlans(r.plans), setError);
    getBilling().then(setBilling, (e) => {
      if (e instanceof ApiError && e.status === 404) setOff(true);
      else setError(e);
    });
    get<{ today?: { messages?: Allowance; tokens?: Allowance } }>("/usage").then((r) => setToday(r.today ?? null), () => setToday(null));
  }, []);

  const go = async (what: string, fn: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
      setBusy("");
    }
  };

  if (off) {
    return (
      <section className="panel">
        <h2>Billing</h2>
        <p>Billing is not enabled on this server: every account is on the default plan.</p>
      </section>
    );
  }
  if (!billing) return error ? <ErrorAlert error={error} /> : <Spinner />;

  const current = plans.find((p) => p.id === billing.plan);
  const upgrades = plans.filter((p) => p.price && p.id !== billing.plan);
  const subscribed = ["active", "trialing", "past_due"].includes(billing.status);
  return (
    <>
      {query.get("checkout") === "success" && <Alert kind="success">Thank you! Your subscription is being set up; your new limits apply as soon as Stripe confirms it.</Alert>}
      {query.get("checkout") === "cancelled" && <Alert kind="info">Checkout was cancelled; nothing was charged.</Alert>}
      {error != null && <ErrorAlert error={error} />}
      <section className="panel">
        <h2>Your plan</h2>
        <div className="stats">
          <div className="stat">
            <span className="stat-label">Plan</span>
            <span className="stat-value" data-testid="billing-plan">{billing.plan_name}</span>
          </div>
          <div className="stat">
            <span className="stat-label">Status</span>
            <span className="stat-value" data-testid="billing-status">{statusText(billing)}</span>
          </div>
        </div>
        {billing.status === "past_due" && (
          <Alert kind="warning">Your last payment failed. Update your payment details in the billing portal to keep your plan.</Alert>
        )}
        <div className="form-actions">
          {!subscribed &&
            upgrades.map((p) => (
              <button key={p.id} type="button" className="btn btn-primary" disabled={busy !== ""} onClick={() => go(p.id, () => startCheckout(p.id))}>
                {busy === p.id ? "Opening Checkout…" : `Upgrade to ${p.name} (${priceText(p.price)})`}
              </button>
            ))}
          {billing.has_customer && (
            <button type="button" className="btn btn-outline" disabled={busy !== ""} onClick={() => go("portal", openPortal)}>
              {busy === "portal" ? "Opening…" : "Manage billing"}
            </button>
          )}
        </div>
        <p className="muted small">Payments are handled by Stripe; Ally never sees or stores your card details.</p>
      </section>
      <section className="panel">
        <h2>Usage today</h2>
        {today ? (
          <>
            <Meter label="Messages" a={today.messages} />
            <Meter label="Tokens" a={today.tokens} />
          </>
        ) : (
          <p className="empty-note">No usage figures yet.</p>
        )}
        {current && (
          <ul className="muted small">
            {limitLines(current.limits).map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
