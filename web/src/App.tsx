import { lazy, Suspense, useEffect, type ComponentType } from "react";
import { ConversationsProvider } from "./chat/conversations";
import { ChatLayout } from "./chat/ChatLayout";
import { Spinner } from "./components/ui";
import { Forgot } from "./pages/Forgot";
import { NotFound } from "./pages/NotFound";
import { GoogleReturn } from "./pages/GoogleReturn";
import { Pricing } from "./pages/Pricing";
import { Reset } from "./pages/Reset";
import { SignIn } from "./pages/SignIn";
import { SignUp } from "./pages/SignUp";
import { Verify } from "./pages/Verify";
import { PrivacyPage, TermsPage } from "./changelog/PolicyPage";
import { WhatsNew } from "./changelog/WhatsNew";
import { adminPages } from "./admin/routes";
import { match, navigate, useLocation } from "./router";
import { useSession } from "./session";
import { sections } from "./settings/sections";

const Settings = lazy(() => import("./settings/Settings"));
const Admin = lazy(() => import("./admin/Admin"));

/** Pages anyone may open, signed in or not. */
const publicPages: Record<string, ComponentType> = {
  "/verify-email": Verify,
  "/reset-password": Reset,
  "/pricing": Pricing,
  "/privacy": PrivacyPage,
  "/terms": TermsPage,
  "/whats-new": WhatsNew,
};

/** Pages for signed-out visitors; a signed-in person is sent to the app. */
const guestPages: Record<string, ComponentType> = {
  "/login": SignIn,
  "/signup": SignUp,
  "/forgot-password": Forgot,
  "/auth/google": GoogleReturn,
};

/** known tells the app's own pages from addresses it does not have (a real 404 page). */
function known(path: string): boolean {
  if (path === "/" || path === "/settings" || path === "/admin" || match("/c/:id", path)) return true;
  const a = match("/admin/:section", path);
  if (a) return adminPages.some((x) => x.id === a.section);
  const s = match("/settings/:section", path);
  return !!s && sections.some((x) => x.id === s.section);
}

/** safeNext is where to go after signing in: a path of this app, never another site. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

export function App() {
  const { path, query } = useLocation();
  const { user, ended } = useSession();

  const Public = publicPages[path];
  const Guest = guestPages[path];
  const missing = !Public && !Guest && !known(path);

  useEffect(() => {
    if (missing) return;
    if (user === null && !Public && !Guest) {
      // A session the server ended: say so, and signing in brings the person back to the
      // page they were on.
      const here = path + location.search;
      const q = new URLSearchParams();
      if (ended) q.set("ended", "1");
      if (ended && here !== "/") q.set("next", here);
      navigate("/login" + (q.size ? "?" + q.toString() : ""), { replace: true });
    }
    if (user && Guest) navigate(safeNext(query.get("next")), { replace: true });
  }, [user, Public, Guest, missing]);

  if (missing && user !== undefined) return <NotFound signedIn={!!user} />;
  if (Public) return <Public />;
  if (user === undefined) return <Spinner />;
  if (user === null) return Guest ? <Guest /> : <Spinner />;
  if (Guest) return <Spinner />;

  const settings = match("/settings/:section", path) ?? (path === "/settings" ? { section: "profile" } : null);
  const admin = user.role === "admin" ? (match("/admin/:section", path) ?? (path === "/admin" ? { section: "users" } : null)) : null;
  if (admin) {
    return (
      <Suspense fallback={<Spinner />}>
        <Admin section={admin.section} />
      </Suspense>
    );
  }
  return (
    <ConversationsProvider>
      {settings ? (
        <Suspense fallback={<Spinner />}>
          <Settings section={settings.section} />
        </Suspense>
      ) : (
        <ChatLayout id={match("/c/:id", path)?.id ?? ""} />
      )}
    </ConversationsProvider>
  );
}
