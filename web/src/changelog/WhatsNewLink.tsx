import { Link } from "../router";
import { useChangelog } from "./unseen";

/** WhatsNewLink leads to What's new, with a marker while there are unseen entries. */
export function WhatsNewLink({ onClick }: { onClick?: () => void }) {
  const { unseen } = useChangelog();
  return (
    <Link href="/whats-new" className="whats-new-link" onClick={onClick}>
      <span>What's new</span>
      {unseen > 0 && (
        <span className="unseen-badge" data-testid="whats-new-unseen">
          {unseen}
          <span className="sr-only"> unseen</span>
        </span>
      )}
    </Link>
  );
}
