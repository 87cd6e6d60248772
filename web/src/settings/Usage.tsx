import { useEffect, useState } from "react";
import { get } from "../api";
import { formatNumber, Spinner } from "../components/ui";
import { Link } from "../router";
import { UsageChart, type DayPoint } from "./UsageChart";
import { ErrorAlert } from "../errors";

type Row = Record<string, unknown>;

const num = (r: Row | undefined, ...keys: string[]) => {
  for (const k of keys) if (typeof r?.[k] === "number") return r[k] as number;
  return 0;
};
const tokensOf = (r: Row) =>
  num(r, "total_tokens") || num(r, "input_tokens") + num(r, "output_tokens") + num(r, "cache_read_tokens") + num(r, "cache_write_tokens");
const costOf = (r: Row) => num(r, "cost_usd", "cost") || num(r, "cost_micro_usd", "cost_microusd") / 1e6;

const isoDay = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
const money = (n: number) => new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", maximumFractionDigits: n > 0 && n < 0.1 ? 4 : 2 }).format(n);

const RANGE = 30;

interface Allowance {
  used: number;
  limit: number | null;
  remaining?: number | null;
}
interface Today {
  reset_at?: string;
  messages?: Allowance;
  tokens?: Allowance;
}

/** Meter shows an allowance used so far against its limit. */
export function Meter({ label, a }: { label: string; a?: Allowance }) {
  if (!a) return null;
  const pct = a.limit ? Math.min(100, Math.round((a.used / a.limit) * 100)) : 0;
  return (
    <div className="meter">
      <div className="meter-head">
        <span>{label}</span>
        <span className="muted">
          {formatNumber(a.used)}
          {a.limit !== null ? ` of ${formatNumber(a.limit)}` : " (no limit)"}
        </span>
      </div>
      {a.limit !== null && (
        <progress className="meter-bar" max={100} value={pct} aria-label={`${label}: ${pct}% used`}>
          {pct}%
        </progress>
      )}
    </div>
  );
}

/** Usage shows tokens and cost per day and per conversation (CHAT-6). */
export default function Usage() {
  const [data, setData] = useState<{ days: Row[]; conversations: Row[]; background: Row[]; totals?: Row; today?: Today; plan?: { name?: string } } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const to = new Date();
    const from = new Date(to);
    from.setDate(from.getDate() - (RANGE - 1));
    get<Record<string, unknown>>(`/usage?from=${isoDay(from)}&to=${isoDay(to)}`)
      .then((res) =>
        setData({
          days: (res.days ?? res.daily ?? []) as Row[],
          conversations: (res.conversations ?? res.by_conversation ?? []) as Row[],
          background: (res.background ?? []) as Row[],
          totals: (res.totals ?? res.total) as Row | undefined,
          today: res.today as Today | undefined,
          plan: res.plan as { name?: string } | undefined,
        }),
      )
      .catch(setError);
  }, []);

  if (error) return <ErrorAlert error={error} />;
  if (!data) return <Spinner />;

  // Every day of the range gets a bar, zero when nothing was used.
  const byDate = new Map(data.days.map((d) => [String(d.date ?? d.day).slice(0, 10), d]));
  const points: DayPoint[] = [];
  const day = new Date();
  day.setDate(day.getDate() - (RANGE - 1));
  for (let i = 0; i < RANGE; i++, day.setDate(day.getDate() + 1)) {
    const r = byDate.get(isoDay(day));
    points.push({ date: isoDay(day), tokens: r ? tokensOf(r) : 0, cost: r ? costOf(r) : 0 });
  }
  const totalTokens = data.totals ? tokensOf(data.totals) : points.reduce((a, p) => a + p.tokens, 0);
  const totalCost = data.totals ? costOf(data.totals) : points.reduce((a, p) => a + p.cost, 0);
  const convs = [...data.conversations].sort((a, b) => tokensOf(b) - tokensOf(a));

  return (
    <>
      <section className="panel">
        <h2>Usage</h2>
        <div className="stats">
          <div className="stat">
            <span className="stat-label">Tokens, last {RANGE} days</span>
            <span className="stat-value">{formatNumber(totalTokens)}</span>
          </div>
          <div className="stat">
            <span className="stat-label">Cost</span>
            <span className="stat-value">{money(totalCost)}</span>
          </div>
        </div>
        <UsageChart days={points} currency={money} />
        {data.background.map((b) => (
          <p key={String(b.purpose)} className="muted small">
            Also for you, by Ally on its own: {String(b.label)}, {formatNumber(tokensOf(b))} tokens, {money(costOf(b))}. Not counted in your daily limits.
          </p>
        ))}
      </section>
      {data.today && (
        <section className="panel">
          <h2>Today{data.plan?.name ? ` on the ${data.plan.name} plan` : ""}</h2>
          <Meter label="Messages" a={data.today.messages} />
          <Meter label="Tokens" a={data.today.tokens} />
          {data.today.reset_at && <p className="muted small">Resets {new Date(data.today.reset_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}.</p>}
        </section>
      )}
      <section className="panel">
        <h2>By conversation</h2>
        {convs.length === 0 ? (
          <p className="empty-note">No usage in this period.</p>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Usage by conversation">
            <table className="table usage-table">
              <thead>
                <tr>
                  <th scope="col">Conversation</th>
                  <th scope="col" className="num">Input</th>
                  <th scope="col" className="num">Output</th>
                  <th scope="col" className="num narrow-hide">Cached</th>
                  <th scope="col" className="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                {convs.map((c, i) => (
                  <tr key={String(c.conversation_id ?? c.id ?? i)}>
                    <td>
                      {c.conversation_id || c.id ? <Link href={`/c/${String(c.conversation_id ?? c.id)}`}>{String(c.title || "Untitled")}</Link> : String(c.title || "Other")}
                    </td>
                    <td className="num">{formatNumber(num(c, "input_tokens"))}</td>
                    <td className="num">{formatNumber(num(c, "output_tokens"))}</td>
                    <td className="num narrow-hide">{formatNumber(num(c, "cache_read_tokens"))}</td>
                    <td className="num">{money(costOf(c))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
