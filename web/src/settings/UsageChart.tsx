import { useEffect, useRef, useState, type RefObject } from "react";
import { formatNumber } from "../components/ui";

export interface DayPoint {
  date: string;
  tokens: number;
  cost: number;
}

const H = 220;
const PAD = { top: 12, right: 8, bottom: 28, left: 44 };

/** scale picks a round tick step (1, 2 or 5 times a power of ten) and the axis top. */
function scale(v: number, ticks = 4): { max: number; step: number } {
  if (v <= 0) return { max: ticks, step: 1 };
  const raw = v / ticks;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  return { max: step * Math.ceil(v / step), step };
}

/** useWidth follows an element's width, so the chart is drawn at its real size (text stays legible on a phone). */
function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [w, setW] = useState(640);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(Math.max(240, Math.round(el.clientWidth))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}

const short = (n: number) => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(Math.round(n)));

/** UsageChart draws daily tokens as bars (a small SVG chart: no charting library needed). */
export function UsageChart({ days, currency }: { days: DayPoint[]; currency: (n: number) => string }) {
  const [hover, setHover] = useState<number | null>(null);
  const [ref, W] = useWidth<HTMLElement>();
  const { max, step } = scale(Math.max(0, ...days.map((d) => d.tokens)));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const bw = iw / Math.max(1, days.length);
  const y = (v: number) => PAD.top + ih - (v / max) * ih;
  const ticks: number[] = [];
  for (let t = 0; t <= max + step / 2; t += step) ticks.push(t);
  const labelEvery = Math.ceil(days.length / Math.max(2, Math.floor(iw / 90)));
  const total = days.reduce((a, d) => a + d.tokens, 0);
  const shown = hover !== null ? days[hover] : null;

  return (
    <figure className="chart" ref={ref}>
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
