/** The admin API's shapes (docs/api.md, "Admin area"). */

export interface AdminUser {
  id: string;
  email: string;
  name: string;
  plan: string;
  role: string;
  status: "active" | "suspended" | "deleted";
  verified: boolean;
  created_at: string;
  last_active_at: string | null;
  tokens_total: number;
  messages_total: number;
}

export interface Cell {
  value: number | null;
  suppressed: boolean;
}

export interface AnalyticsDay {
  day: string;
  groups: { plan: string; metrics: Record<string, Cell> }[];
}

export interface NightReport {
  night: string;
  users: number;
  suppressed: boolean;
  thumbs_down_rate?: number;
  mean_score?: number;
  categories?: Record<string, number>;
}

export interface Analytics {
  from: string;
  to: string;
  min_group: number;
  plans: string[];
  metrics: string[];
  days: AnalyticsDay[];
  quality: NightReport[];
}

export interface OutboxMessage {
  id: string;
  kind: string;
  to: string;
  subject: string;
  status: string;
  created_at: string;
  body_hidden: boolean;
  text: string;
}

export interface AuditEntry {
  id: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  details: Record<string, unknown>;
  created_at: string;
}

/** cellText shows a figure, or "< 5" for one suppressed to protect small groups. */
export function cellText(c: Cell | undefined, metric: string, min = 5): string {
  if (!c || c.suppressed || c.value === null) return `< ${min}`;
  if (metric.endsWith("_share") || metric.endsWith("_rate")) return `${(c.value * 100).toFixed(1)} %`;
  if (metric === "cost_micros") return `$${(c.value / 1e6).toFixed(2)}`;
  return Math.round(c.value).toLocaleString();
}
