import { post } from "../api";
import { formatDate, useAsync } from "../components/ui";
import { useSession } from "../session";
import type { User } from "../types";
import { AuthLayout } from "./AuthLayout";
import { ErrorAlert } from "../errors";

/** Deleted is what POST /me/recover answers with "preview": true. */
export interface Deleted {
  status: string;
  recoverable_until: string;
}

/**
 * recoveryPreview asks whether the account behind these credentials is deleted but still
 * recoverable, and until when; null when it is not (suspended, too late, or not deleted),
 * so the sign-in error stands.
 */
export async function recoveryPreview(email: string, password: string): Promise<Deleted | null> {
  try {
    return await post<Deleted>("/me/recover", { email, password, preview: true });
  } catch {
    return null;
  }
}

/** Recovery offers to undo the deletion of an account during its recovery window. */
export function Recovery({ email, password, until, onBack }: { email: string; password: string; until: string; onBack: () => void }) {
  const { signIn } = useSession();
  const { busy, error, run } = useAsync();
  const recover = () =>
    run(async () => {
      const res = await post<{ token: string; user: User }>("/me/recover", { email, password });
      await signIn(res.token, res.user);
    });
  return (
    <AuthLayout title="Recover your account?">
      {error ? <ErrorAlert error={error} /> : null}
      <p>
        The account <strong>{email}</strong> was deleted. It will be permanently deleted on <strong>{formatDate(until)}</strong>.
      </p>
      <p className="muted">Until then you can recover it, with all your conversations, memory and settings.</p>
      <button type="button" className="btn btn-primary btn-block" disabled={busy} onClick={recover} autoFocus>
        {busy ? "Recovering…" : "Recover my account"}
      </button>
      <button type="button" className="btn btn-ghost btn-block recovery-back" onClick={onBack}>
        Back to sign in
      </button>
    </AuthLayout>
  );
}
