import { lazy, Suspense, useEffect, type ComponentType } from "react";
import { ConversationsProvider } from "./chat/conversations";
import { ChatLayout } from "./chat/ChatLayout";
import { Spinner } from "./components/ui";
import { Forgot } from "./pages/Forgot";
import { GoogleReturn } from "./pages/GoogleReturn";
import { Pricing } from "./pages/Pricing";
import { Reset } from "./pages/Reset";
import { SignIn } from "./pages/SignIn";
import { SignUp } from "./pages/SignUp";
import { Verify } from "./pages/Verify";
import { match, navigate, useLocation } from "./router";
import { useSession } from "./session";

const Settings = lazy(() => import("./settings/Settings"));
const Admin = lazy(() => import("./admin/Admin"));

/** Pages anyone may open, signed in or not. */
const publicPages: Record<string, ComponentType> = {
  "/verify-email": Verify,
  "/reset-password": Reset,
  "/pricing": Pricing,
};

/** Pages for signed-out visitors; a signed-in person is sent to the app. */
const guestPages: Record<string, ComponentType> = {
  "/login": SignIn,
  "/signup": SignUp,
  "/forgot-password": Forgot,
  "/auth/google": GoogleReturn,
};

export function App() {
  const { path } = useLocation();
  const { user } = useSession();

  const Public = publicPages[path];
  const Guest = guestPages[path];

  useEffect(() => {
    if (user === null && !Public && !Guest) navigate("/login", { replace: true });
    if (user && Guest) navigate("/", { replace: true });
  }, [user, Public, Guest]);

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
