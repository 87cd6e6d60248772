import { Suspense, useEffect } from "react";
import { IconLogout } from "../components/icons";
import { Spinner } from "../components/ui";
import { Link } from "../router";
import { useSession } from "../session";
import { sections } from "./sections";

/** Settings is the account area: a list of sections and the open one. */
export default function Settings({ section }: { section: string }) {
  const { signOut, user } = useSession();
  const current = sections.find((s) => s.id === section);
  useEffect(() => {
    document.title = `${current?.title ?? "Settings"} · Settings · Ally`;
  }, [current]);
  const Page = current?.component;
  return (
    <div className="settings">
      <header className="settings-header">
        <Link href="/" className="back-link">
          ← Back to chat
        </Link>
      </header>
      <div className="settings-body">
        <nav className="settings-nav" aria-label="Settings">
          <h1 className="settings-title">Settings</h1>
          <ul>
            {sections.map((s) => (
              <li key={s.id}>
                <Link href={`/settings/${s.id}`} aria-current={s.id === section ? "page" : undefined}>
                  {s.title}
                </Link>
              </li>
            ))}
          </ul>
          {user?.role === "admin" && (
            <Link href="/admin/users" className="admin-link">
              Admin area
            </Link>
          )}
          <button type="button" className="btn btn-ghost signout" onClick={() => signOut()}>
            <IconLogout size={16} /> Sign out
          </button>
        </nav>
        <main className="settings-main">
          {Page ? (
            <Suspense fallback={<Spinner />}>
              <Page />
            </Suspense>
          ) : (
            <p>No such settings page.</p>
          )}
        </main>
      </div>
    </div>
  );
}
