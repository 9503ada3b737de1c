/**
 * What the server entry lets into the log: route error responses under 500 (an unknown URL, a
 * POST to a page without an action) stay out; thrown errors and 500s go in, with their cause.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { handleError, shouldLog } from "./entry.server.js";

/** The shape Remix gives its route error responses (what isRouteErrorResponse checks). */
const routeError = (status: number, error?: Error) => ({ status, statusText: "", internal: true, data: "", ...(error ? { error } : {}) });
const args = (aborted = false) => {
  const controller = new AbortController();
  if (aborted) controller.abort();
  return { request: new Request("http://parley.test/x", { signal: controller.signal }), params: {}, context: {} } as never;
};

afterEach(() => vi.restoreAllMocks());

describe("handleError", () => {
  it("leaves 404 and 405 answers out of the log", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect([shouldLog(routeError(404, new Error("No route matches URL"))), shouldLog(routeError(405))]).toEqual([false, false]);
    handleError(routeError(404, new Error("No route matches URL")), args());
    handleError(routeError(405, new Error("no action")), args());
    expect(log).not.toHaveBeenCalled();
  });

  it("logs a thrown error, and a 500's cause", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const thrown = new TypeError("x is undefined");
    const cause = new Error("the loader failed");
    handleError(thrown, args());
    handleError(routeError(500, cause), args());
    expect(log.mock.calls).toEqual([[thrown], [cause]]);
  });

  it("logs nothing for a request the client gave up", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    handleError(new Error("aborted"), args(true));
    expect(log).not.toHaveBeenCalled();
  });
});
