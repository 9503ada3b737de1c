/**
 * The webhook client: carries out a webhook node's HTTP call with Node's `fetch` under the
 * node's deadline, a response size cap enforced while the body streams in, and redirects
 * followed only within the same host. Any HTTP status is a normal response — the interpreter
 * decides what a 500 means; only a call that yields no usable response is a `WebhookFailed`.
 */
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { Cause, Context, Data, Effect, Exit, Layer, Option } from "effect";
import type { InterpreterEvent, Json } from "../core/types.js";
import { readCapped as readStreamCapped } from "./read-capped.js";

// ---------------------------------------------------------------------------------------------
// Contract

export interface WebhookRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  readonly url: string;
  readonly headers: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly body?: string;
  /** Deadline for the whole exchange: connection, redirects and reading the body. */
  readonly timeoutMs: number;
  /** Largest response body read for this call, when it differs from the client's cap (a calendar file may be larger than a webhook's answer). */
  readonly maxResponseBytes?: number;
}

export interface WebhookResponse {
  readonly status: number;
  /** Parsed JSON when the response says it is JSON (and parses), else the text; null when empty. */
  readonly body: Json;
  /** The response's ETag and Last-Modified, when it sends them (a calendar is fetched again conditionally). */
  readonly etag?: string;
  readonly lastModified?: string;
}

export type WebhookFailureReason =
  /** No complete response before the node's deadline. */
  | "timeout"
  /** The response body is larger than the cap. */
  | "too_large"
  /** A redirect to another host, a downgrade to http, or more than the allowed number of hops. */
  | "redirect_refused"
  /** Connection refused or reset, DNS failure, TLS error… */
  | "network"
  /** Not an http(s) URL, credentials in the URL, or a private address when those are refused. */
  | "bad_url"
  /** A header fetch refuses, a GET with a body, or a deadline that is not a positive number. */
  | "bad_request";

export class WebhookFailed extends Data.TaggedError("WebhookFailed")<{
  readonly reason: WebhookFailureReason;
  readonly message: string;
}> {}

export interface WebhookClientShape {
  /** Calls the webhook; resolves to its status and decoded body, whatever the status. */
  readonly call: (request: WebhookRequest) => Effect.Effect<WebhookResponse, WebhookFailed>;
}

export class WebhookClient extends Context.Tag("WebhookClient")<WebhookClient, WebhookClientShape>() {}

export interface WebhookClientOptions {
  /** Largest response body read (default 256 KB). */
  readonly maxResponseBytes?: number;
  /**
   * Whether loopback, private, link-local and other non-public addresses may be called.
   * Default: allowed unless NODE_ENV is "production", so local development and tests can call
   * a server on the same machine while a public deployment cannot be used to probe its own
   * network. The check resolves the host name before the call; a DNS answer that changes
   * between that check and fetch's own lookup is not caught (fetch offers no lookup hook
   * without the undici package).
   */
  readonly allowPrivateNetworks?: boolean;
  /** Same-host redirects followed (default 3). */
  readonly maxRedirects?: number;
  /** Sent when the node sets no User-Agent of its own. */
  readonly userAgent?: string;
}

/** The defaults used when an option is not given (private networks: see the option's doc). */
export const WEBHOOK_CLIENT_DEFAULTS = {
  maxResponseBytes: 256 * 1024,
  maxRedirects: 3,
  userAgent: "Parley-Webhook/1.0",
} as const;

// ---------------------------------------------------------------------------------------------
// Pure helpers

const fail = (reason: WebhookFailureReason, message: string) => Effect.fail(new WebhookFailed({ reason, message }));

/** The URL as a fetchable http(s) URL without credentials, or why not. Pure. */
export const checkWebhookUrl = (text: string): URL | WebhookFailed => {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined) return new WebhookFailed({ reason: "bad_url", message: `"${cutText(text, 200)}" is not a valid URL` });
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return new WebhookFailed({ reason: "bad_url", message: `only http and https URLs can be called, not ${url.protocol}` });
  }
  if (url.username !== "" || url.password !== "") {
    return new WebhookFailed({ reason: "bad_url", message: "URLs with a user name or password are refused; send credentials in a header" });
  }
  return url;
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Whether a body of this content type is decoded as JSON (application/json, text/json, *+json). Pure. */
export const isJsonContentType = (contentType: string | null): boolean =>
  contentType !== null && /^\s*(?:application|text)\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(contentType);

/** The body's value: JSON when declared and valid, else the text; null for an empty body. Pure. */
export const decodeBody = (contentType: string | null, text: string): Json => {
  if (text === "") return null;
  if (!isJsonContentType(contentType)) return text;
  // A proxy's HTML error page sent as "application/json" keeps its text, so the flow (and the
  // person reading the transcript) sees what came back instead of a parse error.
  const parsed = parseJson(text);
  return parsed === undefined ? text : parsed;
};

const parseJson = (text: string): Json | undefined => {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
};

const cutText = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text);

const privateRanges = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [
    ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
    ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
  ] as const) list.addSubnet(net, prefix, "ipv4");
  for (const [net, prefix] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8]] as const) {
    list.addSubnet(net, prefix, "ipv6");
  }
  return list;
})();

/** Whether an IP address is loopback, private, link-local, carrier-grade NAT, multicast or reserved (IPv4-mapped IPv6 included). Pure. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = family === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address) : null;
  if (mapped) return privateRanges.check(mapped[1], "ipv4");
  return privateRanges.check(address, family === 4 ? "ipv4" : "ipv6");
};

// ---------------------------------------------------------------------------------------------
// The call

interface Hop {
  readonly url: URL;
  readonly method: string;
  readonly body: string | undefined;
}

/** Builds the client with the given caps; no state is shared between calls. */
export const makeWebhookClientLayer = (options: WebhookClientOptions = {}): Layer.Layer<WebhookClient> =>
  Layer.sync(WebhookClient, () => {
    const maxResponseBytes = options.maxResponseBytes ?? WEBHOOK_CLIENT_DEFAULTS.maxResponseBytes;
    const maxRedirects = options.maxRedirects ?? WEBHOOK_CLIENT_DEFAULTS.maxRedirects;
    const userAgent = options.userAgent ?? WEBHOOK_CLIENT_DEFAULTS.userAgent;
    const allowPrivateNetworks = options.allowPrivateNetworks ?? process.env.NODE_ENV !== "production";

    const refusePrivate = (url: URL, deadline: AbortSignal, failure: (error: unknown) => WebhookFailed): Effect.Effect<void, WebhookFailed> => {
      if (allowPrivateNetworks) return Effect.void;
      const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
      const refused = (address: string) =>
        fail("bad_url", `${url.hostname} is a private network address (${address}); this server only calls public addresses`);
      if (isIP(host) !== 0) return isPrivateAddress(host) ? refused(host) : Effect.void;
      return Effect.tryPromise({
        // A resolver that hangs is bound by the node's deadline like the rest of the call.
        try: () => Promise.race([lookup(host, { all: true, verbatim: true }), rejectOnAbort(deadline)]),
        catch: (error) =>
          deadline.aborted ? failure(error) : new WebhookFailed({ reason: "network", message: `could not resolve ${host}: ${errorText(error)}` }),
      }).pipe(
        Effect.flatMap((addresses) => {
          const blocked = addresses.find((entry) => isPrivateAddress(entry.address));
          return blocked ? refused(blocked.address) : Effect.void;
        }),
      );
    };

    const call: WebhookClientShape["call"] = Effect.fn("WebhookClient.call")(function* (request) {
      const url = checkWebhookUrl(request.url);
      if (url instanceof WebhookFailed) return yield* Effect.fail(url);
      if (!Number.isFinite(request.timeoutMs) || request.timeoutMs <= 0) {
        return yield* fail("bad_request", `the timeout must be a positive number of milliseconds, not ${request.timeoutMs}`);
      }
      if (request.body !== undefined && request.method === "GET") {
        return yield* fail("bad_request", "a GET request cannot have a body");
      }
      const headers = yield* buildHeaders(request, userAgent);

      // One deadline for the whole exchange: fetch's signal also errors a body still streaming,
      // so a server that stalls after its headers is bound by it too.
      const deadline = AbortSignal.timeout(request.timeoutMs);
      const failure = (error: unknown): WebhookFailed =>
        deadline.aborted
          ? new WebhookFailed({ reason: "timeout", message: `no complete response within ${request.timeoutMs} ms` })
          : error instanceof WebhookFailed
            ? error
            : new WebhookFailed({ reason: "network", message: errorText(error) });

      let hop: Hop = { url, method: request.method, body: request.body };
      for (let redirects = 0; ; redirects++) {
        yield* refusePrivate(hop.url, deadline, failure);
        const current = hop;
        const response = yield* Effect.tryPromise({
          try: (interrupted) =>
            fetch(current.url, {
              method: current.method,
              headers,
              body: current.body,
              redirect: "manual",
              signal: AbortSignal.any([deadline, interrupted]),
            }),
          catch: failure,
        });
        const location = response.headers.get("location");
        if (!REDIRECT_STATUSES.has(response.status) || location === null) {
          const text = yield* readCapped(response, request.maxResponseBytes ?? maxResponseBytes, failure);
          const etag = response.headers.get("etag");
          const lastModified = response.headers.get("last-modified");
          return {
            status: response.status,
            body: decodeBody(response.headers.get("content-type"), text),
            ...(etag !== null ? { etag } : {}),
            ...(lastModified !== null ? { lastModified } : {}),
          };
        }
        yield* discard(response);
        if (redirects >= maxRedirects) return yield* fail("redirect_refused", `more than ${maxRedirects} redirects`);
        hop = yield* nextHop(hop, response.status, location);
      }
    });

    return { call };
  });

/** The client with the default caps; private networks allowed unless NODE_ENV is "production". */
export const WebhookClientLive: Layer.Layer<WebhookClient> = makeWebhookClientLayer();

const rejectOnAbort = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

const errorText = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  // fetch reports "fetch failed" and puts the reason (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return cutText(`${error.message}${cause}`, 300);
};

const buildHeaders = (request: WebhookRequest, userAgent: string): Effect.Effect<Headers, WebhookFailed> =>
  Effect.try({
    try: () => {
      const headers = new Headers();
      for (const header of request.headers) headers.append(header.name, header.value);
      if (!headers.has("user-agent")) headers.set("user-agent", userAgent);
      // The interpreter JSON-escapes bodies that look like JSON; say so when the node did not.
      if (request.body !== undefined && !headers.has("content-type") && parseJson(request.body) !== undefined) {
        headers.set("content-type", "application/json");
      }
      return headers;
    },
    catch: (error) => new WebhookFailed({ reason: "bad_request", message: `invalid header: ${errorText(error)}` }),
  });

/** Where a redirect leads, as fetch would go there, provided it stays on the same host over http(s). */
const nextHop = (hop: Hop, status: number, location: string): Effect.Effect<Hop, WebhookFailed> => {
  const target = URL.canParse(location, hop.url) ? new URL(location, hop.url) : undefined;
  if (target === undefined) return fail("redirect_refused", `redirected to an invalid URL "${cutText(location, 200)}"`);
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return fail("redirect_refused", `redirected to a ${target.protocol} URL`);
  }
  if (target.hostname !== hop.url.hostname) {
    return fail("redirect_refused", `redirected from ${hop.url.hostname} to another host (${target.hostname}); only same-host redirects are followed`);
  }
  if (hop.url.protocol === "https:" && target.protocol === "http:") {
    return fail("redirect_refused", "redirected from https to plain http");
  }
  if (target.username !== "" || target.password !== "") return fail("redirect_refused", "redirected to a URL with credentials");
  // Fetch's rules: 303 becomes a GET, and so does a POST answered with 301/302; 307/308 repeat as is.
  const becomesGet = status === 303 ? hop.method !== "HEAD" : (status === 301 || status === 302) && hop.method === "POST";
  return Effect.succeed(becomesGet ? { url: target, method: "GET", body: undefined } : { ...hop, url: target });
};

/** Releases a response whose body is not wanted (keeps the connection pool healthy). */
const discard = (response: Response): Effect.Effect<void> =>
  Effect.promise(() => (response.body ? response.body.cancel().catch(() => undefined) : Promise.resolve()));

/** Reads the body as UTF-8 text, giving up as soon as more than `maxBytes` have arrived. */
const readCapped = (
  response: Response,
  maxBytes: number,
  failure: (error: unknown) => WebhookFailed,
): Effect.Effect<string, WebhookFailed> => {
  const tooLarge = new WebhookFailed({ reason: "too_large", message: `the response is larger than ${Math.round(maxBytes / 1024)} KB` });
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return Effect.zipRight(discard(response), Effect.fail(tooLarge));
  const body = response.body;
  if (body === null) return Effect.succeed("");
  return Effect.tryPromise({
    try: async (interrupted) => {
      const bytes = await readStreamCapped(body, maxBytes, interrupted);
      if (bytes === null) throw tooLarge;
      return new TextDecoder().decode(bytes);
    },
    catch: failure,
  });
};

// ---------------------------------------------------------------------------------------------
// Feeding the outcome back to the interpreter

/** The interpreter event for a webhook node's outcome: `webhook_result` (any status), or `webhook_error` for any failure (defects included). Pure. */
export const webhookEvent = (
  nodeId: string,
  exit: Exit.Exit<WebhookResponse, WebhookFailed>,
): Extract<InterpreterEvent, { readonly type: "webhook_result" | "webhook_error" }> =>
  Exit.match(exit, {
    onSuccess: (response) => ({ type: "webhook_result", nodeId, status: response.status, body: response.body }),
    onFailure: (cause) => ({
      type: "webhook_error",
      nodeId,
      message: Option.match(Cause.failureOption(cause), {
        onSome: (error) => error.message,
        onNone: () => (Cause.isInterruptedOnly(cause) ? "the webhook call was interrupted" : "the webhook call failed unexpectedly"),
      }),
    }),
  });
