import { useEffect, useState } from "react";
import { Spinner } from "../components/ui";
import { Link } from "../router";
import { useSession } from "../session";
import { getPlans, limitLines, priceText, type Plan } from "../billing/billingApi";
import { ErrorAlert } from "../errors";

/** Pricing is the public page of plans, from GET /api/v1/plans. */
export function Pricing() {
  const { user } = useSession();
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    document.title = "Pricing · Ally";
    getPlans().then((r) => setPlans(r.plans), setError);
  }, []);
  if (error) return <ErrorAlert error={error} />;
  if (!plans) return <Spinner />;
  return (
    <main className="pricing-page">
      <h1>Plans</h1>
      <div className="pricing-grid">
        {plans.map((p) => (
          <section key={p.id} className="panel pricing-plan" aria-labelledby={`plan-${p.id}`}>
            <h2 id={`plan-${p.id}`}>{p.name}</h2>
            <p className="stat-value">{priceText(p.price)}</p>
            <ul>
              {limitLines(p.limits).map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
            {p.price &&
              (user ? (
                <Link className="btn btn-primary" href="/settings/billing">
                  Choose {p.name}
                </Link>
              ) : (
                <Link className="btn btn-primary" href="/signup">
                  Sign up
                </Link>
              ))}
          </section>
        ))}
      </div>
      <p className="muted small">Payments are handled by Stripe; Ally never sees or stores your card details.</p>
    </main>
  );
}
