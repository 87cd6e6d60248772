import { Link } from "../router";

/** LegalLinks is the footer line with the privacy policy, the terms and (unless linked nearby) What's new. */
export function LegalLinks({ className = "", whatsNew = true }: { className?: string; whatsNew?: boolean }) {
  return (
    <nav className={"legal-links " + className} aria-label="Policies">
      <Link href="/privacy">Privacy</Link>
      <span aria-hidden="true"> · </span>
      <Link href="/terms">Terms</Link>
      {whatsNew && (
        <>
          <span aria-hidden="true"> · </span>
          <Link href="/whats-new">What's new</Link>
        </>
      )}
    </nav>
  );
}
