import { useEffect, type ReactNode } from "react";
import { LegalLinks } from "../changelog/LegalLinks";
import { Logo } from "../components/Logo";

/** AuthLayout frames the signed-out pages: a centred card under the product mark. */
export function AuthLayout({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Ally`;
  }, [title]);
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <Logo size={36} />
          <span>Ally</span>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
      {footer && <div className="auth-footer">{footer}</div>}
      <LegalLinks className="auth-legal" />
    </main>
  );
}
