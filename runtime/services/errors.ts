/**
 * Expected failures shared by the services, and their one mapping to HTTP: every route
 * (public API and Remix) answers `{"error":{"code","message","path"?}}` with the status here.
 */
import { Data } from "effect";
import type { DecodeIssue } from "../../flows/decode.js";

/** A body, query or spec failed to decode: every issue with its path. */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly issues: ReadonlyArray<DecodeIssue>;
}> {}
export class Unauthenticated extends Data.TaggedError("Unauthenticated")<{ readonly message: string }> {}
export class Forbidden extends Data.TaggedError("Forbidden")<{ readonly message: string }> {}
export class NotFound extends Data.TaggedError("NotFound")<{ readonly entity: string; readonly id: string }> {}
/** A write based on a stale version (optimistic concurrency) or a state that forbids it. */
export class Conflict extends Data.TaggedError("Conflict")<{ readonly message: string; readonly current?: unknown }> {}
export class PayloadTooLarge extends Data.TaggedError("PayloadTooLarge")<{ readonly limitBytes: number }> {}
export class RateLimited extends Data.TaggedError("RateLimited")<{ readonly retryAfterSeconds: number }> {}

export type ApiError = InvalidInput | Unauthenticated | Forbidden | NotFound | Conflict | PayloadTooLarge | RateLimited;

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly path?: string; readonly issues?: ReadonlyArray<DecodeIssue> };
}

/** The body of a 405: the route exists, but only under the methods in `allow` (e.g. "POST"). Pure. */
export const methodNotAllowedBody = (allow: string): ErrorBody => ({
  error: { code: "method_not_allowed", message: `use ${allow}` },
});

/** Status, body and extra headers for an expected failure. Pure. */
export const toHttpError = (
  error: ApiError,
): { status: number; body: ErrorBody; headers?: Record<string, string> } => {
  switch (error._tag) {
    case "InvalidInput": {
      const first = error.issues[0];
      return {
        status: 400,
        body: {
          error: {
            code: "invalid_input",
            message: first ? `${first.path ? first.path + ": " : ""}${first.message}` : "invalid input",
            ...(first?.path ? { path: first.path } : {}),
            issues: error.issues,
          },
        },
      };
    }
    case "Unauthenticated":
      return { status: 401, body: { error: { code: "unauthenticated", message: error.message } } };
    case "Forbidden":
      return { status: 403, body: { error: { code: "forbidden", message: error.message } } };
    case "NotFound":
      return { status: 404, body: { error: { code: "not_found", message: `${error.entity} ${error.id} was not found` } } };
    case "Conflict":
      return { status: 409, body: { error: { code: "conflict", message: error.message } } };
    case "PayloadTooLarge":
      return {
        status: 413,
        body: { error: { code: "payload_too_large", message: `the body is larger than ${error.limitBytes} bytes` } },
      };
    case "RateLimited":
      return {
        status: 429,
        body: { error: { code: "rate_limited", message: `too many requests; retry in ${error.retryAfterSeconds} s` } },
        headers: { "Retry-After": String(error.retryAfterSeconds) },
      };
  }
};
