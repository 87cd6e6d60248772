export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" className="logo">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path d="M16 7l7.5 18h-3.6l-1.6-4h-4.6l-1.6 4H8.5L16 7zm0 6.6L14.3 18h3.4L16 13.6z" fill="var(--logo-fg)" />
    </svg>
  );
}
