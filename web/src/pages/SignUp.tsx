import { useState, type FormEvent } from "react";
import { ApiError, errorText, post } from "../api";
import { firstAccountNotice } from "../chat/NewChat";
import { Alert, Field, useAsync } from "../components/ui";
import { Link } from "../router";
import { useSession } from "../session";
import type { User } from "../types";
import { AuthLayout } from "./AuthLayout";

export function SignUp() {
  const { signIn } = useSession();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [adult, setAdult] = useState(false);
  const { busy, error, run } = useAsync();
  // missing are the fields left empty at the last attempt: all flagged at once, before
  // anything is sent.
  const [missing, setMissing] = useState<Record<string, string>>({});
  const fieldErr = (f: string) => missing[f] ?? (error instanceof ApiError && error.field === f ? errorText(error) : undefined);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const empty: Record<string, string> = {};
    if (!name.trim()) empty.name = "Enter your name.";
    if (!email.trim()) empty.email = "Enter your email address.";
    if (!password) empty.password = "Choose a password of at least 8 characters.";
    if (!adult) empty.age_confirmed = "Confirm that you are 18 or older.";
    setMissing(empty);
    if (Object.keys(empty).length) {
      // Focus goes to the first flagged field once the flags are drawn.
      const form = e.currentTarget as HTMLFormElement;
      setTimeout(() => form.querySelector<HTMLElement>("[aria-invalid=true]")?.focus());
      return;
    }
    run(async () => {
      const res = await post<{ token?: string; user?: User; admin?: boolean; message?: string } | undefined>("/auth/signup", {
        name,
        email,
        password,
        age_confirmed: adult,
      });
      // Sign-up may answer with a session, or only create the account: then sign in.
      if (res?.admin) firstAccountNotice.current = true;
      if (res?.token) return signIn(res.token, res.user);
      const login = await post<{ token: string; user: User }>("/auth/login", { email, password });
      await signIn(login.token, login.user);
    });
  };

  const general = error && !(error instanceof ApiError && error.field) ? errorText(error) : null;
  return (
    <AuthLayout
      title="Create your account"
      footer={
        <>
          Already have an account? <Link href="/login">Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit} noValidate>
        {general && <Alert>{general}</Alert>}
        <Field label="Name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} error={fieldErr("name")} />
        <Field
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={fieldErr("email")}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint="At least 8 characters. Avoid common passwords."
          error={fieldErr("password")}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={adult}
            onChange={(e) => setAdult(e.target.checked)}
            required
            aria-invalid={fieldErr("age_confirmed") ? true : undefined}
            aria-describedby={fieldErr("age_confirmed") ? "age-err" : undefined}
          />
          <span>I confirm that I am 18 years of age or older.</span>
        </label>
        {fieldErr("age_confirmed") && (
          <div className="field-error" id="age-err">
            {fieldErr("age_confirmed")}
          </div>
        )}
        <button className="btn btn-primary btn-block" disabled={busy}>
          {busy ? "Creating account…" : "Create account"}
        </button>
        <p className="fine-print">
          By creating an account you accept the <Link href="/terms">terms</Link> and the <Link href="/privacy">privacy policy</Link>. We will send you an
          email to confirm your address.
        </p>
      </form>
    </AuthLayout>
  );
}
