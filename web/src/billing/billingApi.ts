import { get, post } from "../api";

/** PlanLimits mirrors the API's limits: null is unlimited. */
export interface PlanLimits {
  tokens_per_day: number | null;
  messages_per_day: number | null;
  active_tasks: number | null;
  min_task_interval?: string;
  memory_file_bytes: number | null;
  memory_total_bytes: number | null;
  fallback_per_day: number | null;
}

export interface Price {
  id: string;
  unit_amount: number;
  currency: string;
  interval?: string;
}

export interface Plan {
  id: string;
  name: string;
  price: Price | null;
  limits: PlanLimits;
  default: boolean;
}

export interface BillingStatus {
  enabled: boolean;
  plan: string;
  plan_name: string;
  status: string;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  grace_ends_at: string | null;
  subscribed_plan?: string;
  has_customer: boolean;
}

export const getPlans = () => get<{ plans: Plan[]; billing_enabled: boolean }>("/plans");
export const getBilling = () => get<BillingStatus>("/billing");

/** startCheckout asks for a Checkout page and sends the browser there. */
export async function startCheckout(plan: string) {
  const { url } = await post<{ url: string }>("/billing/checkout", { plan });
  window.location.assign(url);
}

/** openPortal asks for a Customer Portal page and sends the browser there. */
export async function openPortal() {
  const { url } = await post<{ url: string }>("/billing/portal");
  window.location.assign(url);
}

/** priceText writes a price as people read it: "$12.00 / month". */
export function priceText(p: Price | null): string {
  if (!p) return "Free";
  if (!p.currency) return "Paid";
  const amount = new Intl.NumberFormat(undefined, { style: "currency", currency: p.currency.toUpperCase() }).format(p.unit_amount / 100);
  return p.interval ? `${amount} / ${p.interval}` : amount;
}

const bytes = (n: number) => (n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MB` : `${Math.round(n / 1024)} KB`);
const count = (n: number | null, unit: string) => (n === null ? `Unlimited ${unit}` : `${n.toLocaleString()} ${unit}`);

/** limitLines describes a plan's limits, one line each. */
export function limitLines(l: PlanLimits): string[] {
  return [
    count(l.messages_per_day, "messages a day"),
    count(l.tokens_per_day, "tokens a day"),
    count(l.active_tasks, "active scheduled tasks") + (l.min_task_interval ? `, at most every ${l.min_task_interval}` : ""),
    l.memory_total_bytes === null ? "Unlimited memory" : `${bytes(l.memory_total_bytes)} of memory`,
    count(l.fallback_per_day, "backup-model replies a day"),
  ];
}
