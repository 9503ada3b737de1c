/**
 * The form channel's public endpoint:
 *
 * - `GET /api/forms/<id>`: the form's public definition (fields, success message) as JSON.
 * - `POST /api/forms/<id>/submissions`: a submission, either as JSON
 *   `{"fields":{key:value}, "pageUrl"?}` (JavaScript on an allowed origin; errors in the public
 *   API's JSON shape with a `fields.<key>` path) or as `application/x-www-form-urlencoded` (a
 *   plain HTML form on any site: 303 to the redirect URL or a thank-you page; errors as a small
 *   HTML page listing them with a link back).
 * - `OPTIONS` on both: the CORS preflight, answered for allowed origins only.
 *
 * Limits: a body of at most 16 KB (413), a small per-IP bucket of submissions (429 with
 * Retry-After), an optional `Idempotency-Key` (≤ 100 characters) that stores a retried
 * submission once. Nothing is stored unless the whole submission is valid.
 */
import { Cause, Effect, Either, Exit, Option, Schema as S } from "effect";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import { AppConfig } from "../runtime/services/config.js";
import { Forbidden, InvalidInput, toHttpError, type ApiError } from "../runtime/services/errors.js";
import {
  FORM_MAX_IDEMPOTENCY_KEY,
  FormChannel,
  formErrorPage,
  formThankYouPage,
  type FormPublicDefinition,
  type FormSubmitted,
} from "../runtime/services/form-channel.js";
import {
  bodyDecoder,
  clientIp,
  corsHeaders,
  isJsonContentType,
  MAX_BODY_BYTES,
  originAllowed,
  parseJson,
  readBody,
  sendError,
  sendInternalError,
  sendJson,
  sendMethodNotAllowed,
  sendRouteNotFound,
  type Headers,
} from "./http-util.js";
import { createRateLimiter, type RateLimiter } from "./rate-limit.js";

const FORM_PATH = /^\/api\/forms\/([^/]{1,200})(\/submissions)?\/?$/;

/**
 * Submissions one IP may send: 10 at once, then one every 6 seconds. A person sends a form
 * once; a page of colleagues behind one NAT still gets through; a script does not.
 */
export const FORM_RATE_LIMIT = { capacity: 10, perSecond: 1 / 6 } as const;

const limiters = new WeakMap<AppRuntime, RateLimiter>();

/** The submission limiter of a runtime (one per server process; tests reset it). */
export const formRateLimiter = (runtime: AppRuntime): RateLimiter => {
  let limiter = limiters.get(runtime);
  if (!limiter) {
    let enabled = true;
    void runtime.runPromise(AppConfig).then((config) => (enabled = config.rateLimit), () => {});
    limiter = createRateLimiter({ ip: FORM_RATE_LIMIT, visitor: FORM_RATE_LIMIT, visitorCreation: FORM_RATE_LIMIT }, () => enabled);
    limiters.set(runtime, limiter);
  }
  return limiter;
};

/** A JSON submission: the fields and, optionally, the page it was sent from. */
const JsonSubmission = S.Struct({
  fields: S.Record({ key: S.String, value: S.Unknown }).annotations({ message: () => "expected an object of field key → text" }),
  pageUrl: S.optional(S.NullOr(S.String)),
});
const decodeJsonSubmission = bodyDecoder(JsonSubmission);

const PREFLIGHT_HEADERS = "Content-Type, Idempotency-Key";

const headerOf = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** A page URL worth keeping: http(s), at most 2,000 characters; anything else is dropped. Pure. */
export const formPageUrl = (text: string | null | undefined): string | null => {
  if (!text) return null;
  const trimmed = text.trim();
  if (trimmed.length > 2000 || !/^https?:\/\//i.test(trimmed)) return null;
  try {
    return new URL(trimmed).href;
  } catch {
    return null;
  }
};

/** The Idempotency-Key header checked: absent, a key, or an error. Pure. */
export const formIdempotencyKey = (header: string | undefined): Either.Either<string | null, InvalidInput> => {
  if (header === undefined) return Either.right(null);
  const key = header.trim();
  if (key === "" || key.length > FORM_MAX_IDEMPOTENCY_KEY || !/^[\x21-\x7e]+$/.test(key)) {
    return Either.left(
      new InvalidInput({
        issues: [{ path: "headers.Idempotency-Key", message: `an Idempotency-Key is 1 to ${FORM_MAX_IDEMPOTENCY_KEY} visible ASCII characters` }],
      }),
    );
  }
  return Either.right(key);
};

/**
 * The fields of a urlencoded body: every key but `pageUrl` names a field; a key sent twice is
 * refused rather than one of its values silently dropped. Pure.
 */
export const formUrlencodedFields = (body: string): Either.Either<{ fields: Record<string, string>; pageUrl: string | null }, InvalidInput> => {
  const params = new URLSearchParams(body);
  const fields: Record<string, string> = {};
  let pageUrl: string | null = null;
  const issues: Array<{ path: string; message: string }> = [];
  for (const [key, value] of params) {
    if (key === "pageUrl") {
      pageUrl = value;
      continue;
    }
    if (Object.prototype.hasOwnProperty.call(fields, key)) {
      if (!issues.some((i) => i.path === `fields.${key}`)) issues.push({ path: `fields.${key}`, message: "sent more than once; send one value" });
      continue;
    }
    fields[key] = value;
  }
  return issues.length > 0 ? Either.left(new InvalidInput({ issues })) : Either.right({ fields, pageUrl });
};

type Outcome<A> = { ok: true; value: A } | { ok: false; error: ApiError } | { ok: false; defect: Cause.Cause<unknown> };

const outcomeOf = <A>(exit: Exit.Exit<A, ApiError>): Outcome<A> => {
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value };
  const failure = Cause.failureOption(exit.cause);
  return Option.isSome(failure) ? { ok: false, error: failure.value } : { ok: false, defect: exit.cause };
};

const sendHtml = (res: ServerResponse, status: number, html: string, headers?: Headers): void => {
  res.statusCode = status;
  if (headers) for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(html));
  res.setHeader("Cache-Control", "no-store");
  // The page shows text only: no scripts, no frames, nothing loaded from elsewhere.
  res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.end(html);
};

/** An error as the small HTML page a plain form post lands on. */
const sendHtmlError = (res: ServerResponse, error: ApiError, labels: ReadonlyMap<string, string>, backUrl: string | null): void => {
  const http = toHttpError(error);
  const issues = error._tag === "InvalidInput" ? error.issues : [{ path: "", message: http.body.error.message }];
  const title = error._tag === "InvalidInput" ? "Please check the form" : "The form could not be sent";
  const close: Headers | undefined = error._tag === "PayloadTooLarge" ? { Connection: "close" } : undefined;
  sendHtml(res, http.status, formErrorPage(title, issues, labels, backUrl), { ...http.headers, ...close });
};

export const handleFormRequest = async (
  runtime: AppRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  _query: URLSearchParams,
): Promise<void> => {
  const match = FORM_PATH.exec(path);
  if (!match) return sendRouteNotFound(res);
  let channelId: string;
  try {
    channelId = decodeURIComponent(match[1]!);
  } catch {
    return sendRouteNotFound(res);
  }
  const isSubmissions = match[2] !== undefined;
  const origin = headerOf(req, "origin");

  const defined = outcomeOf(await runtime.runPromiseExit(Effect.flatMap(FormChannel, (f) => f.definition(channelId))));
  if (!defined.ok) {
    if ("defect" in defined) {
      console.error(`${path}: unexpected error`, Cause.pretty(defined.defect));
      return sendInternalError(res);
    }
    if (isSubmissions && req.method === "POST" && !isJsonContentType(headerOf(req, "content-type"))) {
      req.resume();
      return sendHtmlError(res, defined.error, new Map(), null);
    }
    return sendError(res, defined.error, { Vary: "Origin" });
  }
  const { form, allowedOrigins } = defined.value;
  const allowed = origin !== undefined && originAllowed(origin, allowedOrigins);
  const cors = corsHeaders(origin, allowed);

  if (req.method === "OPTIONS") {
    if (!allowed) {
      return sendError(res, new Forbidden({ message: "this origin may not submit this form; add it to the form’s allowed origins" }), { Vary: "Origin" });
    }
    res.statusCode = 204;
    res.setHeader("Access-Control-Allow-Origin", origin!);
    res.setHeader("Access-Control-Allow-Methods", isSubmissions ? "POST, OPTIONS" : "GET, OPTIONS");
    res.setHeader("Access-Control-Allow-Headers", PREFLIGHT_HEADERS);
    res.setHeader("Access-Control-Max-Age", "600");
    res.setHeader("Vary", "Origin");
    return void res.end();
  }

  if (!isSubmissions) {
    if (req.method !== "GET" && req.method !== "HEAD") return sendMethodNotAllowed(res, "GET, OPTIONS", cors);
    const body: { form: FormPublicDefinition } = { form };
    return sendJson(res, 200, body, cors);
  }

  if (req.method !== "POST") return sendMethodNotAllowed(res, "POST, OPTIONS", cors);
  const contentType = headerOf(req, "content-type");
  const json = isJsonContentType(contentType);
  const urlencoded = !json && (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/x-www-form-urlencoded";
  const labels = new Map(form.fields.map((f) => [f.key, f.label]));
  const referer = formPageUrl(headerOf(req, "referer"));

  const limited = formRateLimiter(runtime).take("ip", clientIp(req, (await runtime.runPromise(AppConfig)).trustedProxies));
  if (limited) {
    req.resume();
    return urlencoded ? sendHtmlError(res, limited, labels, referer) : sendError(res, limited, cors);
  }

  if (!json && !urlencoded) {
    req.resume();
    return sendJson(
      res,
      415,
      {
        error: {
          code: "unsupported_media_type",
          message: "send the submission as JSON (Content-Type: application/json) or as a plain HTML form (application/x-www-form-urlencoded)",
        },
      },
      { ...cors, "Accept-Post": "application/json, application/x-www-form-urlencoded" },
    );
  }

  // JavaScript may submit only from the form's allowed origins; a plain HTML form may be on any site.
  if (json && origin !== undefined && !allowed) {
    req.resume();
    return sendError(res, new Forbidden({ message: "this origin may not submit this form; add it to the form’s allowed origins" }), cors);
  }

  const fail = (error: ApiError) => (urlencoded ? sendHtmlError(res, error, labels, referer) : sendError(res, error, cors));

  const key = formIdempotencyKey(headerOf(req, "idempotency-key"));
  if (Either.isLeft(key)) {
    req.resume();
    return fail(key.left);
  }
  const text = await readBody(req, MAX_BODY_BYTES);
  if (Either.isLeft(text)) return fail(text.left);

  let fields: Record<string, unknown>;
  let pageUrl: string | null;
  if (json) {
    const parsed = parseJson(text.right);
    if (Either.isLeft(parsed)) return fail(parsed.left);
    if (typeof parsed.right !== "object" || parsed.right === null || Array.isArray(parsed.right)) {
      return fail(new InvalidInput({ issues: [{ path: "", message: 'the body must be a JSON object like {"fields":{"email":"…"}}' }] }));
    }
    const decoded = decodeJsonSubmission(parsed.right);
    if (Either.isLeft(decoded)) return fail(decoded.left);
    fields = decoded.right.fields;
    const given = decoded.right.pageUrl;
    pageUrl = formPageUrl(given);
    if (given && pageUrl === null) {
      return fail(new InvalidInput({ issues: [{ path: "pageUrl", message: "expected the http(s) URL of the page the form is on" }] }));
    }
  } else {
    const read = formUrlencodedFields(text.right);
    if (Either.isLeft(read)) return fail(read.left);
    fields = read.right.fields;
    pageUrl = formPageUrl(read.right.pageUrl) ?? referer;
  }

  const submitted = outcomeOf<FormSubmitted>(
    await runtime.runPromiseExit(
      Effect.flatMap(FormChannel, (f) => f.submit(channelId, { fields, pageUrl, idempotencyKey: key.right })),
    ),
  );
  if (!submitted.ok) {
    if ("defect" in submitted) {
      console.error(`${path}: unexpected error`, Cause.pretty(submitted.defect));
      return sendInternalError(res, cors);
    }
    return fail(submitted.error);
  }
  // A honeypot submission gets exactly the answer a stored one gets: nothing tells a bot it was caught.
  const { successMessage, redirectUrl } = submitted.value;
  if (json) return sendJson(res, 201, { ok: true, message: successMessage }, cors);
  if (redirectUrl !== "") {
    res.statusCode = 303;
    res.setHeader("Location", redirectUrl);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Content-Length", 0);
    return void res.end();
  }
  sendHtml(res, 200, formThankYouPage(successMessage, pageUrl));
};
