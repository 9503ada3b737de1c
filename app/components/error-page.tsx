import { isRouteErrorResponse, Link, useRouteError } from "@remix-run/react";
import { useEffect, useState } from "react";

const titles: Record<number, string> = {
  400: "That request could not be understood",
  401: "Please sign in",
  403: "You don’t have access to this page",
  404: "Page not found",
  409: "Someone else changed this first",
  413: "That was too large",
  429: "Too many requests",
};

const explanations: Record<number, string> = {
  401: "Your session has ended. Sign in again to continue.",
  403: "Your role does not include this part of Parley. Ask an admin if you need it.",
  404: "The page or item you asked for does not exist, or it has been removed.",
  409: "Reload the page to see the latest version, then try again.",
  429: "Wait a moment, then try again.",
};

/**
 * The `message` of an `{"error":{…}}` body, when the thrown response carries one. Pure.
 * Plain strings are the router's own ("No route matches URL …"), not written for people.
 */
const messageOf = (payload: unknown): string | undefined => {
  if (typeof payload !== "object" || payload === null) return undefined;
  const error = (payload as { error?: unknown }).error;
  if (typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return undefined;
};

/** A friendly page for an HTTP status, with what went wrong and a way back. */
export function StatusPage({ status, message }: { status: number; message?: string }) {
  const title = titles[status] ?? "Something went wrong";
  const explanation = message ?? explanations[status] ?? "An unexpected error happened. It has been logged; try again in a moment.";
  // Known only in the browser, after hydrating: a page opened in a fresh tab has nowhere to go back to.
  const [canGoBack, setCanGoBack] = useState(false);
  useEffect(() => setCanGoBack(window.history.length > 1), []);
  return (
    <section className="status-page" aria-labelledby="status-title">
      <p className="status-page__code">Error {status}</p>
      <h1 id="status-title">{title}</h1>
      <p role="alert">{explanation}</p>
      <p className="status-page__actions">
        <Link to="/" className="button">
          Go to your start page
        </Link>
        {canGoBack && status !== 401 ? (
          // Most of these come from a form or a link on the page before; the way back keeps what was typed.
          <button type="button" className="button button--secondary" onClick={() => window.history.back()}>
            Go back
          </button>
        ) : null}
        {status === 401 ? (
          <Link to="/login" className="button button--secondary">
            Sign in
          </Link>
        ) : null}
      </p>
    </section>
  );
}

/** The error boundary every route exports: the status page for a thrown response or error. */
export function RouteErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error)) return <StatusPage status={error.status} message={messageOf(error.data)} />;
  // An unexpected error's message can reveal internals; it is logged on the server instead.
  return <StatusPage status={500} />;
}
