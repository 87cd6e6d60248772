import { Link } from "../router";
import { AuthLayout } from "./AuthLayout";

/** NotFound is the page for an address the app does not have. */
export function NotFound({ signedIn }: { signedIn: boolean }) {
  return (
    <AuthLayout title="Page not found">
      <p className="muted">There is no page at this address. Check the link, or go back to {signedIn ? "your chats" : "the sign-in page"}.</p>
      <Link className="btn btn-primary btn-block" href={signedIn ? "/" : "/login"}>
        {signedIn ? "Go to your chats" : "Go to sign in"}
      </Link>
    </AuthLayout>
  );
}
