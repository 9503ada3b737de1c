import { Form, useSearchParams } from "@remix-run/react";
import type { ReactNode } from "react";
import { ErrorNotice } from "./settings/notices.js";

/** The card of the sign-in pages (no navigation around it): the brand, the page's heading (`titleId`), then `children`. */
export function AuthCard({ titleId, title, children }: { titleId: string; title: string; children: ReactNode }) {
  return (
    <main className="auth-page">
      <section className="card auth-card" aria-labelledby={titleId}>
        <p className="brand brand--large">
          <span className="brand__mark" aria-hidden="true">
            P
          </span>
          Parley
        </p>
        <h1 id={titleId}>{title}</h1>
        {children}
      </section>
    </main>
  );
}

/**
 * A sign-in step's form: the login form's double-submit token, where to go afterwards (the
 * page's `redirectTo`), and the refusal as an alert the form is described by; then `children`.
 */
export function SignInForm({ csrf, error, errorId, children }: { csrf: string; error: string | undefined; errorId: string; children: ReactNode }) {
  const [params] = useSearchParams();
  return (
    <Form method="post" className="form" aria-describedby={error ? errorId : undefined}>
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? ""} />
      <ErrorNotice id={errorId} message={error} />
      {children}
    </Form>
  );
}
