/**
 * The secret calendar feed (decision 052): GET /calendar/<token>/closed-dates.ics (the
 * workspace's closed dates) and GET /calendar/<token>/teams/<teamId>.ics (a team's effective
 * ones), and their weekly opening hours as weekly events (decision 057):
 * /calendar/<token>/hours.ics and /calendar/<token>/teams/<teamId>/hours.ics — for calendar apps that subscribe to a URL without signing in. A lean handler in front
 * of Remix like the public API: no session, no CSRF, limited per address. A wrong, reset or
 * turned-off token, an unknown team and an unknown path all get the same 404.
 */
import { Cause, Effect, Exit, Option } from "effect";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import { CalendarFeed } from "../runtime/services/calendar-feed.js";
import { AppConfig } from "../runtime/services/config.js";
import { clientIp, decodePathSegment, sendError, sendFailure, serveUnder } from "./http-util.js";
import { createRateLimiter, type BucketRule } from "./rate-limit.js";

export interface CalendarFeedRoutes {
  /** Serves /calendar and everything under it; false for every other path. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface CalendarFeedOptions {
  /** Overrides config.rateLimit (PARLEY_NO_RATE_LIMIT=1 turns limits off). */
  readonly rateLimitEnabled?: boolean;
  /** Per-address bucket; a calendar app asks every few hours, a guesser many times a second. */
  readonly rateLimit?: BucketRule;
}

export const defaultCalendarFeedLimit: BucketRule = { capacity: 30, perSecond: 0.5 };

const NOT_FOUND = "Not found\n";

const sendNotFound = (res: ServerResponse): void => {
  res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(NOT_FOUND), "Cache-Control": "no-store" });
  res.end(NOT_FOUND);
};

/**
 * `[token, "closed-dates.ics" | "hours.ics"]`, `[token, "teams", "<id>.ics"]` or
 * `[token, "teams", "<id>", "hours.ics"]` → what to serve; undefined for anything else.
 */
export const feedPath = (path: string): { readonly token: string; readonly teamId?: string; readonly hours?: true } | undefined => {
  const segments = path.split("/").slice(2).map(decodePathSegment);
  if (segments.some((s) => s === undefined || s === "")) return undefined;
  const [token, second, third, fourth, ...rest] = segments as string[];
  if (token === undefined || rest.length > 0) return undefined;
  if (second === "closed-dates.ics" && third === undefined) return { token };
  if (second === "hours.ics" && third === undefined) return { token, hours: true };
  if (second === "teams" && third !== undefined && fourth === "hours.ics") return { token, teamId: third, hours: true };
  if (second === "teams" && third !== undefined && fourth === undefined && third.endsWith(".ics") && third.length > 4) return { token, teamId: third.slice(0, -4) };
  return undefined;
};

export const createCalendarFeedRoutes = (runtime: AppRuntime, options: CalendarFeedOptions = {}): CalendarFeedRoutes => {
  const services = runtime.runPromise(Effect.all({ feed: CalendarFeed, config: AppConfig }));
  services.catch(() => {});
  let limitsOn = options.rateLimitEnabled ?? true;
  if (options.rateLimitEnabled === undefined) void services.then((s) => (limitsOn = s.config.rateLimit), () => {});
  const limiter = createRateLimiter<"ip">({ ip: options.rateLimit ?? defaultCalendarFeedLimit }, () => limitsOn);

  const route = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const s = await services;
    const limited = limiter.take("ip", clientIp(req, s.config.trustedProxies));
    if (limited) return sendError(res, limited);
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
      return void res.end("Method not allowed\n");
    }
    const wanted = feedPath(path);
    if (wanted === undefined) return sendNotFound(res);
    const exit = await runtime.runPromiseExit(
      wanted.teamId === undefined
        ? wanted.hours
          ? s.feed.workspaceHoursCalendar(wanted.token)
          : s.feed.workspaceCalendar(wanted.token)
        : wanted.hours
          ? s.feed.teamHoursCalendar(wanted.token, wanted.teamId)
          : s.feed.teamCalendar(wanted.token, wanted.teamId),
    );
    if (Exit.isFailure(exit)) {
      // NotFound, whichever part was wrong; a defect is a 500, logged.
      if (Option.isSome(Cause.failureOption(exit.cause))) return sendNotFound(res);
      return sendFailure(res, exit.cause, "calendar feed");
    }
    res.writeHead(200, {
      "Content-Type": "text/calendar; charset=utf-8",
      "Content-Length": Buffer.byteLength(exit.value),
      "Cache-Control": "private, max-age=300",
      // The URL is the secret: not sent on to other sites, not indexed.
      "Referrer-Policy": "no-referrer",
      "X-Robots-Tag": "noindex",
    });
    res.end(method === "HEAD" ? undefined : exit.value);
  };

  return { handle: serveUnder("/calendar", "calendar feed", route) };
};
