import { encode } from "uqr";

/** QRCode draws text as a QR code in SVG: one path of dark modules, no markup injected. */
export default function QRCode({ text, label, size = 192 }: { text: string; label: string; size?: number }) {
  const { data } = encode(text, { border: 2 });
  const n = data.length;
  let d = "";
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return (
    <svg className="qr-code" role="img" aria-label={label} width={size} height={size} viewBox={`0 0 ${n} ${n}`} shapeRendering="crispEdges">
      <rect width={n} height={n} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
