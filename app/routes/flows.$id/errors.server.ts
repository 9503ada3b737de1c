/**
 * The expected failures the editor's helpers raise themselves. They carry the same tags and
 * fields as runtime/services/errors.ts, which is all the app's error mapping (`attempt`,
 * `toHttpError`) reads, so they answer with the same statuses and bodies (400/404/409).
 */
import { Data } from "effect";
import type { DecodeIssue } from "../../runtime.server.js";

export class InvalidInput extends Data.TaggedError("InvalidInput")<{ readonly issues: ReadonlyArray<DecodeIssue> }> {}
export class NotFound extends Data.TaggedError("NotFound")<{ readonly entity: string; readonly id: string }> {}
export class Conflict extends Data.TaggedError("Conflict")<{ readonly message: string; readonly current?: unknown }> {}
