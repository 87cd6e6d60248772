import { useEffect, useState } from "react";
import { errorText } from "../api";
import { Markdown } from "../components/Markdown";
import { Alert, Spinner } from "../components/ui";
import { Link } from "../router";
import { useSession } from "../session";
import { changelogApi, formatDay, type PolicyPage as Page } from "./changelogApi";
import { LegalLinks } from "./LegalLinks";

/** PolicyPage shows the privacy policy or the terms, rendered as sanitised markdown. */
export function PolicyPage({ document: doc }: { document: "privacy" | "terms" }) {
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { user } = useSession();
  useEffect(() => {
    window.document.title = (doc === "privacy" ? "Privacy policy" : "Terms of service") + " · Ally";
    setPage(null);
    changelogApi.policy(doc).then(setPage, setError);
  }, [doc]);
  return (
    <main className="doc-page">
      <nav className="doc-nav">
        <Link href={user ? "/" : "/login"}>← {user ? "Back to Ally" : "Sign in"}</Link>
      </nav>
      {error ? <Alert>{errorText(error)}</Alert> : null}
      {!page && !error && <Spinner />}
      {page?.upcoming && (
        <Alert kind="info">
          A change takes effect on {formatDay(page.upcoming.effective_at)}:{" "}
          <Link href={"/whats-new#entry-" + page.upcoming.id}>{page.upcoming.title}</Link>
        </Alert>
      )}
      {page && <Markdown text={page.body} className="policy-text" />}
      <LegalLinks />
    </main>
  );
}

export function PrivacyPage() {
  return <PolicyPage document="privacy" />;
}

export function TermsPage() {
  return <PolicyPage document="terms" />;
}
