import { useState } from "react";
import { formatNumber } from "../components/ui";

export interface DayPoint {
  date: string;
  tokens: number;
  cost: number;
}

const W = 640;
const H = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 44 };

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const short = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(Math.round(n)));

/** UsageChart draws daily tokens as bars (a small SVG chart: no charting library needed). */
export function UsageChart({ days, currency }: { days: DayPoint[]; currency: (n: number) => string }) {
  const [hover, setHover] = useState<number | null>(null);
  const max = niceMax(Math.max(0, ...days.map((d) => d.tokens)));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const bw = iw / Math.max(1, days.length);
  const y = (v: number) => PAD.top + ih - (v / max) * ih;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  const labelEvery = Math.ceil(days.length / 7);
  const total = days.reduce((a, d) => a + d.tokens, 0);
  const shown = hover !== null ? days[hover] : null;

  return (
    <figure className="chart">
      <div className="chart-readout" aria-live="polite">
        {shown ? (
          <>
            <strong>{new Date(shown.date + "T00:00:00").toLocaleDateString(undefined, { dateStyle: "medium" })}</strong>: {formatNumber(shown.tokens)} tokens · {currency(shown.cost)}
          </>
        ) : (
          <>
            <strong>{formatNumber(total)}</strong> tokens in {days.length} days
          </>
        )}
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Daily tokens over the last ${days.length} days, ${formatNumber(total)} in total`} className="chart-svg">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="chart-grid" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="chart-axis">
              {short(t)}
            </text>
          </g>
        ))}
        {days.map((d, i) => {
          const h = Math.max(d.tokens > 0 ? 2 : 0, (d.tokens / max) * ih);
          return (
            <g key={d.date} onMouseEnter={() => setHover(i)} onMouseLeave={() => setHover(null)}>
              <rect x={PAD.left + i * bw} y={PAD.top} width={bw} height={ih} className="chart-hit" />
              <rect x={PAD.left + i * bw + bw * 0.15} y={PAD.top + ih - h} width={bw * 0.7} height={h} rx={Math.min(3, bw * 0.2)} className={"chart-bar" + (hover === i ? " hover" : "")} data-date={d.date} />
              {i % labelEvery === 0 && (
                <text x={PAD.left + i * bw + bw / 2} y={H - 8} textAnchor="middle" className="chart-axis">
                  {new Date(d.date + "T00:00:00").toLocaleDateString(undefined, { month: "short", day: "numeric" })}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
