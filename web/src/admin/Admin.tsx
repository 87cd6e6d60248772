import { Suspense, useEffect } from "react";
import "./admin.css";
import { Spinner } from "../components/ui";
import { Link } from "../router";
import { adminPages } from "./routes";

/** Admin is the operators' area: its navigation and the open page. Loaded only when an
 * administrator opens it, so the app's main bundle does not carry it. */
export default function Admin({ section }: { section: string }) {
  const current = adminPages.find((p) => p.id === section);
  useEffect(() => {
    document.title = `${current?.title ?? "Admin"} · Admin · Ally`;
  }, [current]);
  const Page = current?.component;
  return (
    <div className="settings admin">
      <header className="settings-header">
        <Link href="/" className="back-link">
          ← Back to chat
        </Link>
      </header>
      <div className="settings-body">
        <nav className="settings-nav" aria-label="Admin">
          <h1 className="settings-title">Admin</h1>
          <ul>
            {adminPages.map((p) => (
              <li key={p.id}>
                <Link href={`/admin/${p.id}`} aria-current={p.id === section ? "page" : undefined}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main className="settings-main">
          {Page ? (
            <Suspense fallback={<Spinner />}>
              <Page />
            </Suspense>
          ) : (
            <p>No such admin page.</p>
          )}
        </main>
      </div>
    </div>
  );
}
