/**
 * The server entry: renders every page as Remix's default entry does (a stream; for crawlers
 * and other bots the whole page at once), and decides what reaches the log.
 *
 * Why our own: Remix's default `handleError` logs a stack trace for every unknown URL (404)
 * and every POST to a page without an action (405). Those are answers, not faults, and on a
 * self-hosted server that bots scan they buried the real errors in the log. Route error
 * responses under 500 are now left out; every other error is logged as before.
 */
import { PassThrough } from "node:stream";
import type { ActionFunctionArgs, EntryContext, LoaderFunctionArgs } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";

/** How long a page's deferred data may stream before the render gives up on it. */
export const streamTimeout = 5_000;

/** Whether an error the server met is worth a line in the log (see the module comment). */
export const shouldLog = (error: unknown): boolean => !(isRouteErrorResponse(error) && error.status < 500);

export function handleError(error: unknown, { request }: LoaderFunctionArgs | ActionFunctionArgs): void {
  if (request.signal.aborted || !shouldLog(error)) return;
  // A route error response of 500 or more carries the Error that caused it.
  const cause = isRouteErrorResponse(error) ? ((error as { error?: unknown }).error ?? error) : error;
  console.error(cause);
}

export default function handleRequest(request: Request, status: number, headers: Headers, remixContext: EntryContext): Promise<Response> {
  // A bot (and a SPA build) gets the page when all of it is ready; a browser gets the shell first.
  const whole = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise((resolve, reject) => {
    let failed = false;
    let sent = false;
    const send = () => {
      sent = true;
      const body = new PassThrough();
      headers.set("Content-Type", "text/html");
      resolve(new Response(createReadableStreamFromReadable(body), { status: failed ? 500 : status, headers }));
      pipe(body);
    };
    const { pipe, abort } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} />, {
      ...(whole ? { onAllReady: send } : { onShellReady: send }),
      onShellError: reject,
      onError(error: unknown) {
        failed = true;
        // Before the page is sent, onShellError (or Remix, for the whole page) reports it; after, only this can.
        if (sent && !request.signal.aborted) console.error(error);
      },
    });
    // Give deferred data a second past the loaders' own timeout before stopping the render.
    setTimeout(abort, streamTimeout + 1_000);
  });
}
