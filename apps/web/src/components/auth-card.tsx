import type { ReactNode } from "react";

/** The centred card the login and setup pages share. */
export function AuthCard({
  title,
  intro,
  children,
}: {
  title: string;
  intro?: ReactNode;
  children: ReactNode;
}) {
  return (
    <main className="auth-page">
      <div className="card auth-card">
        <p className="brand">
          <span className="brand-mark" aria-hidden="true" />
          RedFlag
        </p>
        <h1>{title}</h1>
        {intro ? <p className="muted">{intro}</p> : null}
        {children}
      </div>
    </main>
  );
}
