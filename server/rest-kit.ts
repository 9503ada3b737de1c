/**
 * What the REST API's route modules share (server/rest-api.ts and the modules it mounts:
 * rest-flows.ts, rest-reports.ts): an endpoint's answer, reading a JSON body inside an Effect,
 * ISO times, and the role guard that follows the app's own table (app/roles.ts).
 */
import { Effect, Either } from "effect";
import type { IncomingMessage } from "node:http";
import { access, isAllowed, type Area } from "../app/roles.js";
import type { User } from "../runtime/services/accounts.js";
import { Forbidden, type ApiError, type InvalidInput } from "../runtime/services/errors.js";
import { readJsonBody } from "./http-util.js";

/** What an endpoint answers: JSON, or a file's bytes as they are. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  /** A file, sent as it is instead of JSON. */
  readonly bytes?: Buffer;
}

/** One endpoint, run for the token's user. */
export type Serve = (actor: User) => Effect.Effect<Reply, ApiError>;

/** The endpoints of one path, by method. */
export type Endpoints = Partial<Record<string, Serve>>;

/** A JSON answer. Pure. */
export const ok = (body: unknown, status = 200): Reply => ({ status, body });

/** Epoch ms as an ISO string (null stays null). Pure. */
export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The request's JSON body, decoded (InvalidInput with paths, PayloadTooLarge past `limitBytes`). */
export const jsonBody = <A>(req: IncomingMessage, decode: (input: unknown) => Either.Either<A, InvalidInput>, limitBytes?: number) =>
  Effect.flatMap(Effect.promise(() => readJsonBody(req, decode, limitBytes)), (either) =>
    Either.isRight(either) ? Effect.succeed(either.right) : Effect.fail(either.left),
  );

const areaNames: Readonly<Record<Area, string>> = {
  flows: "flows",
  inbox: "the inbox",
  lists: "contact lists",
  reports: "reports",
  knowledge: "the knowledge base",
  settings: "settings",
};

/**
 * Forbidden unless `actor`'s role may open `area` in the app (the same table the app's guards
 * read, so a token can never do more than its user in the app).
 */
export const requireArea = (actor: User, area: Area): Effect.Effect<void, Forbidden> => {
  if (isAllowed(actor.role, access[area])) return Effect.void;
  const roles = ["admin", ...access[area].filter((r) => r !== "admin")].map((r) => `${r}s`);
  const who = roles.length === 1 ? roles[0] : `${roles.slice(0, -1).join(", ")} and ${roles.at(-1)}`;
  return Effect.fail(new Forbidden({ message: `Your role (${actor.role}) does not work with ${areaNames[area]}: only ${who} do.` }));
};

/** `endpoints`, each refused (403) unless its user's role may open `area` in the app. */
export const guardedBy = (area: Area, endpoints: Endpoints): Endpoints =>
  Object.fromEntries(Object.entries(endpoints).map(([method, serve]) => [method, (actor: User) => Effect.zipRight(requireArea(actor, area), serve!(actor))]));
