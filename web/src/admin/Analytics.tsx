import { useEffect, useState } from "react";
import { errorText, get } from "../api";
import { Alert, Spinner } from "../components/ui";
import { UsageChart } from "../settings/UsageChart";
import { cellText, type Analytics as Data } from "./adminApi";

const labels: Record<string, string> = {
  active_users: "Active users",
  signups: "Sign-ups",
  messages: "Messages",
  tokens: "Tokens",
  cost_micros: "Cost",
  fallback_share: "Fallback share",
  thumbs_down_rate: "Thumbs-down rate",
  task_runs: "Task runs",
};

/** Analytics shows the daily anonymised figures per plan; figures from fewer than 5 users show as "< 5". */
export default function Analytics() {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState("");
  const [metric, setMetric] = useState("active_users");
  useEffect(() => {
    get<Data>("/admin/analytics").then(setData, (e) => setError(errorText(e)));
  }, []);
  if (error) return <Alert>{error}</Alert>;
  if (!data) return <Spinner />;
  const total = (d: Data["days"][number], m: string) => d.groups.find((g) => g.plan === "all")?.metrics[m];
  const chart = data.days.map((d) => ({ date: d.day, tokens: total(d, "tokens")?.value ?? 0, cost: (total(d, "cost_micros")?.value ?? 0) / 1e6 }));
  const groups = ["all", ...data.plans];
  return (
    <section aria-labelledby="analytics-title">
      <h2 id="analytics-title">Analytics</h2>
      <p className="muted">
        Daily totals from {data.from} to {data.to}, by plan. A figure from fewer than {data.min_group} users, or one that could be worked out from the others, shows as “&lt; {data.min_group}”. Nothing here is per user.
      </p>
      <h3>Tokens per day, all plans</h3>
      <UsageChart days={chart} currency={(n) => `$${n.toFixed(2)}`} />
      <div className="field">
        <label htmlFor="metric">Figure</label>
        <select id="metric" value={metric} onChange={(e) => setMetric(e.target.value)}>
          {data.metrics.map((m) => (
            <option key={m} value={m}>
              {labels[m] ?? m}
            </option>
          ))}
        </select>
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`${labels[metric] ?? metric} per day and plan`}>
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">Day</th>
              {groups.map((g) => (
                <th scope="col" key={g}>
                  {g === "all" ? "All plans" : g}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[...data.days].reverse().map((d) => (
              <tr key={d.day}>
                <th scope="row">{d.day}</th>
                {groups.map((g) => (
                  <td key={g}>{cellText(d.groups.find((x) => x.plan === g)?.metrics[metric], metric, data.min_group)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Nightly quality report</h3>
      {data.quality.length === 0 ? (
        <p>No night analysed in this range.</p>
      ) : (
        <table className="admin-table">
          <thead>
            <tr>
              <th scope="col">Night</th>
              <th scope="col">Users</th>
              <th scope="col">Thumbs-down rate</th>
              <th scope="col">Failure categories</th>
            </tr>
          </thead>
          <tbody>
            {data.quality.map((n) => (
              <tr key={n.night}>
                <th scope="row">{n.night}</th>
                <td>{n.users}</td>
                <td>{n.suppressed || n.thumbs_down_rate === undefined ? `< ${data.min_group}` : `${(n.thumbs_down_rate * 100).toFixed(1)} %`}</td>
                <td>{n.suppressed ? `< ${data.min_group}` : Object.entries(n.categories ?? {}).map(([k, v]) => `${k}: ${v}`).join(", ") || "none"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
