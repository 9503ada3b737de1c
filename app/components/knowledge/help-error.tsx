/**
 * The help center's error page: visitors are not signed in, so the way back is the help
 * center's front page, not Parley's start page.
 */
import { isRouteErrorResponse, Link, useRouteError } from "@remix-run/react";

export function HelpError() {
  const error = useRouteError();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const [title, text] =
    status === 404
      ? ["This page is not available", "The article does not exist, or it is no longer published."]
      : status === 400
        ? ["That search could not be understood", "Try a shorter question."]
        : ["Something went wrong", "Try again in a moment."];
  return (
    <section className="help-article" aria-labelledby="help-error-title">
      <h1 id="help-error-title">{title}</h1>
      <p role="alert">{text}</p>
      <p>
        <Link to="/help">Browse all articles</Link>
      </p>
    </section>
  );
}
