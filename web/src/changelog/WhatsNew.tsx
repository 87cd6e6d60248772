import { useEffect } from "react";
import { Markdown } from "../components/Markdown";
import { Spinner } from "../components/ui";
import { Link } from "../router";
import { useSession } from "../session";
import { formatDay } from "./changelogApi";
import { LegalLinks } from "./LegalLinks";
import { markChangelogSeen, useChangelog } from "./unseen";

/** WhatsNew lists the published changelog entries, newest first, and marks them seen. */
export function WhatsNew() {
  const { entries } = useChangelog();
  const { user } = useSession();
  useEffect(() => {
    document.title = "What's new · Ally";
  }, []);
  useEffect(() => {
    if (entries) markChangelogSeen();
  }, [entries]);
  return (
    <main className="doc-page">
      <nav className="doc-nav">
        <Link href={user ? "/" : "/login"}>← {user ? "Back to Ally" : "Sign in"}</Link>
      </nav>
      <h1>What's new</h1>
      {entries === null && <Spinner />}
      {entries?.length === 0 && <p className="muted">Nothing has been announced yet.</p>}
      {entries?.map((e) => (
        <article key={e.id} id={"entry-" + e.id} className="changelog-entry" aria-labelledby={"entry-title-" + e.id}>
          <h2 id={"entry-title-" + e.id}>{e.title}</h2>
          <p className="muted small">
            {formatDay(e.published_at)}
            {e.policy_change && (
              <span className="policy-tag">
                Policy change, in effect from {formatDay(e.effective_at)}
              </span>
            )}
          </p>
          <Markdown text={e.body} />
        </article>
      ))}
      <LegalLinks />
    </main>
  );
}
