/**
 * Small helpers for the lean public-API handler on plain node:http: reading a capped body,
 * decoding JSON through a Schema, CORS headers, and answering JSON or the one error shape
 * `{"error":{"code","message","path"?}}` (via toHttpError, so Remix and the API agree).
 */
import { Cause, Either, Option, ParseResult, Schema as S } from "effect";
import type { IncomingMessage, ServerResponse } from "node:http";
import { formatPath, type DecodeIssue } from "../flows/decode.js";
import { InvalidInput, methodNotAllowedBody, PayloadTooLarge, toHttpError, type ApiError } from "../runtime/services/errors.js";

/** Largest request body the public API accepts (bytes). */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads the request body as bytes, failing with PayloadTooLarge as soon as the declared length
 * or the bytes received so far pass `limitBytes` (the rest is discarded, never buffered), and
 * with InvalidInput when the client breaks the body off. Never rejects.
 */
export const readRawBody = (
  req: IncomingMessage,
  limitBytes = MAX_BODY_BYTES,
): Promise<Either.Either<Buffer, PayloadTooLarge | InvalidInput>> =>
  new Promise((resolve) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limitBytes) {
      // Drain what the client still sends so it can read our answer instead of a reset socket.
      req.resume();
      resolve(Either.left(new PayloadTooLarge({ limitBytes })));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: Either.Either<Buffer, PayloadTooLarge | InvalidInput>) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      resolve(result);
    };
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limitBytes) {
        settle(Either.left(new PayloadTooLarge({ limitBytes })));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (settled) return;
      settle(Either.right(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    });
    // Every request closes, usually long after its body was read: build the error (a stack
    // capture) only when the body really was cut off.
    const cutOff = () => {
      if (!settled) settle(Either.left(new InvalidInput({ issues: [{ path: "", message: "the request body was cut off" }] })));
    };
    req.on("error", cutOff);
    req.on("close", cutOff);
  });

/** `readRawBody` decoded as UTF-8 text. */
export const readBody = async (
  req: IncomingMessage,
  limitBytes = MAX_BODY_BYTES,
): Promise<Either.Either<string, PayloadTooLarge | InvalidInput>> =>
  Either.map(await readRawBody(req, limitBytes), (bytes) => bytes.toString("utf8"));

/** Parses JSON text; malformed or empty text is an InvalidInput at the root. Pure. */
export const parseJson = (text: string): Either.Either<unknown, InvalidInput> => {
  if (text.trim() === "") return Either.left(new InvalidInput({ issues: [{ path: "", message: "the body must be a JSON object; it is empty" }] }));
  try {
    return Either.right(JSON.parse(text) as unknown);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return Either.left(new InvalidInput({ issues: [{ path: "", message: `the body is not valid JSON (${detail})` }] }));
  }
};

/**
 * A decoder built once per Schema (never per request): unknown input → the decoded value or
 * InvalidInput carrying every issue with its path. Pure.
 */
export const bodyDecoder = <A, I>(schema: S.Schema<A, I, never>) => {
  // The same options and issue format as flows/decode.ts `decodeWith`, with the parser looked
  // up once here rather than on every call (this runs on every API request).
  const decode = S.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" });
  return (input: unknown): Either.Either<A, InvalidInput> =>
    Either.mapLeft(
      decode(input),
      (error) =>
        new InvalidInput({
          issues: ParseResult.ArrayFormatter.formatErrorSync(error).map(
            (issue): DecodeIssue => ({ path: formatPath(issue.path), message: issue.message }),
          ),
        }),
    );
};

/** Reads, size-checks, parses and decodes a JSON body in one go. */
export const readJsonBody = async <A>(
  req: IncomingMessage,
  decode: (input: unknown) => Either.Either<A, InvalidInput>,
  limitBytes = MAX_BODY_BYTES,
): Promise<Either.Either<A, InvalidInput | PayloadTooLarge>> => {
  const text = await readBody(req, limitBytes);
  if (Either.isLeft(text)) return Either.left(text.left);
  const json = parseJson(text.right);
  if (Either.isLeft(json)) return Either.left(json.left);
  // Every body is an object; without this, `[]` or `null` got a dump of the whole schema as its message.
  if (typeof json.right !== "object" || json.right === null || Array.isArray(json.right)) {
    const actual = json.right === null ? "null" : Array.isArray(json.right) ? "an array" : `a ${typeof json.right}`;
    return Either.left(new InvalidInput({ issues: [{ path: "", message: `the body must be a JSON object, not ${actual}` }] }));
  }
  return decode(json.right);
};

/**
 * True when a Content-Type header names JSON (`application/json` or a `+json` type, any
 * parameters). Pure.
 */
export const isJsonContentType = (header: string | undefined): boolean => {
  if (!header) return false;
  const type = header.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
};

export type Headers = Record<string, string>;

/** Writes a JSON answer with the given status and extra headers. */
export const sendJson = (res: ServerResponse, status: number, body: unknown, headers?: Headers): void => {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  if (headers) for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.setHeader("Cache-Control", "no-store");
  res.end(text);
};

/** Answers an expected failure with its status, error body and headers (e.g. Retry-After). */
export const sendError = (res: ServerResponse, error: ApiError, headers?: Headers): void => {
  const http = toHttpError(error);
  // A too-large body may still be arriving: close the connection rather than parse the rest.
  const close: Headers | undefined = error._tag === "PayloadTooLarge" ? { Connection: "close" } : undefined;
  // RFC 6750: a 401 names the scheme it wants.
  const challenge: Headers | undefined = error._tag === "Unauthenticated" ? { "WWW-Authenticate": 'Bearer realm="parley"' } : undefined;
  sendJson(res, http.status, http.body, { ...headers, ...http.headers, ...close, ...challenge });
};

/** Answers an unexpected failure (a bug): 500 with no internals in the body. */
export const sendInternalError = (res: ServerResponse, headers?: Headers): void =>
  sendJson(res, 500, { error: { code: "internal", message: "something went wrong on our side; please retry" } }, headers);

/** Answers a handler's failure: its expected error (status, body, headers), or a 500 for a defect, logged under `label`. */
export const sendFailure = (res: ServerResponse, cause: Cause.Cause<ApiError>, label: string, headers?: Headers): void => {
  const failure = Cause.failureOption(cause);
  if (Option.isSome(failure)) return sendError(res, failure.value, headers);
  console.error(`${label}: unexpected failure`, Cause.pretty(cause));
  sendInternalError(res, headers);
};

/**
 * A node:http handler for every path that is `prefix` or under it (`/api` serves `/api` and
 * `/api/…`, not `/apis`): `route` answers it, and a bug it throws becomes a JSON 500 logged
 * under `label`. Answers false for every other path, so the next handler can take it.
 */
export const serveUnder =
  (prefix: string, label: string, route: (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => Promise<unknown>) =>
  (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? "/";
    if (!url.startsWith(prefix)) return false;
    const { path, query } = splitUrl(url);
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    route(req, res, path, query).catch((error: unknown) => {
      console.error(`${label}: unexpected error`, error);
      if (!res.headersSent) sendInternalError(res);
      else res.end();
    });
    return true;
  };

/** Answers a route that exists under another method. */
export const sendMethodNotAllowed = (res: ServerResponse, allow: string, headers?: Headers): void =>
  sendJson(res, 405, methodNotAllowedBody(allow), { ...headers, Allow: allow });

/**
 * Answers a body that is not declared as JSON (or as `expected`, e.g. a multipart upload): 415,
 * before a byte of it is read. Also makes a cross-origin JSON POST "non-simple", so a browser
 * asks (preflight) before sending it.
 */
export const sendUnsupportedMediaType = (
  res: ServerResponse,
  headers?: Headers,
  expected: { readonly type: string; readonly message: string } = { type: "application/json", message: "send the body as JSON with `Content-Type: application/json`" },
): void =>
  sendJson(res, 415, { error: { code: "unsupported_media_type", message: expected.message } }, { ...headers, "Accept-Post": expected.type });

/** Answers a path under /api that names no endpoint. */
export const sendRouteNotFound = (res: ServerResponse, headers?: Headers): void =>
  sendJson(res, 404, { error: { code: "not_found", message: "no such endpoint" } }, headers);

// ---------------------------------------------------------------------------------------------
// CORS

/** True when `origin` may call the API for a channel allowing `allowedOrigins`. Pure. */
export const originAllowed = (origin: string, allowedOrigins: ReadonlyArray<string>): boolean => {
  for (const allowed of allowedOrigins) {
    if (allowed === "*") return true;
    if (normalizeOrigin(allowed) === normalizeOrigin(origin)) return true;
  }
  return false;
};

const normalizeOrigin = (origin: string): string => origin.trim().replace(/\/+$/, "").toLowerCase();

/**
 * CORS headers for an answer: the Origin is echoed when allowed (never `*`, so one header works
 * for every channel and caches keyed on Origin stay correct). Pure.
 */
export const corsHeaders = (origin: string | undefined, allowed: boolean): Headers =>
  origin && allowed
    ? { "Access-Control-Allow-Origin": origin, Vary: "Origin", "Access-Control-Expose-Headers": "Retry-After" }
    : { Vary: "Origin" };

/** Headers answering a CORS preflight whose origin is allowed. Pure. */
export const preflightHeaders = (origin: string): Headers => ({
  "Access-Control-Allow-Origin": origin,
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, Last-Event-ID",
  "Access-Control-Max-Age": "600",
  Vary: "Origin",
});

// ---------------------------------------------------------------------------------------------
// Request facts

/** The bearer token of `Authorization: Bearer …`, or undefined. Pure. */
export const bearerToken = (req: IncomingMessage): string | undefined => {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
};

/**
 * The client's address. With no trusted proxy (the default), the socket's peer: a client can
 * write any X-Forwarded-For it likes. Behind `trustedProxies` reverse proxies, each of which
 * appends its peer's address to X-Forwarded-For, the address that many hops back from the
 * socket (the leftmost one when the request came through fewer). Pure.
 */
export const clientIp = (req: IncomingMessage, trustedProxies = 0): string => {
  const socket = req.socket.remoteAddress ?? "unknown";
  if (trustedProxies <= 0) return socket;
  const header = req.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const hops = [...forwarded, socket];
  return hops[Math.max(0, hops.length - 1 - trustedProxies)]!;
};

/** A percent-decoded path segment, or undefined when its escapes are malformed. Pure. */
export const decodePathSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/** Splits `/path?query` without building a URL object (the hot path). Pure. */
export const splitUrl = (url: string): { path: string; query: URLSearchParams } => {
  const q = url.indexOf("?");
  return q === -1 ? { path: url, query: EMPTY_QUERY } : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
};
const EMPTY_QUERY = new URLSearchParams();

/** The device class from a User-Agent (mobile / tablet / desktop); a small, deliberate check. Pure. */
export const deviceFromUserAgent = (userAgent: string | undefined): "mobile" | "tablet" | "desktop" => {
  if (!userAgent) return "desktop";
  if (/iPad|Tablet|PlayBook|Silk|Kindle|Nexus (7|9|10)\b/i.test(userAgent)) return "tablet";
  // Android phones say "Mobile"; Android without it is a tablet.
  if (/Android/i.test(userAgent)) return /Mobile/i.test(userAgent) ? "mobile" : "tablet";
  if (/Mobi|iPhone|iPod|Windows Phone|BlackBerry|Opera Mini/i.test(userAgent)) return "mobile";
  return "desktop";
};

/**
 * Language tags from Accept-Language as sent, best first (by q, then order); `*`, q=0 and
 * malformed entries dropped; at most 10. Pure.
 */
export const languagesFromHeader = (header: string | undefined): string[] => {
  if (!header) return [];
  const entries: Array<{ tag: string; q: number; i: number }> = [];
  header.split(",").forEach((part, i) => {
    const [rawTag, ...params] = part.trim().split(";");
    const tag = rawTag?.trim() ?? "";
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return;
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(param);
      if (m) q = Number(m[1]);
    }
    if (Number.isFinite(q) && q > 0) entries.push({ tag, q, i });
  });
  return entries
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .slice(0, 10)
    .map((e) => e.tag);
};
