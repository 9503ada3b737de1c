/**
 * The Messenger webhook, one per channel: /api/messenger/<channelId>/webhook.
 *
 * GET answers Facebook's subscription check (the challenge as text/plain when the verify token
 * is the channel's, else 403). POST reads the raw body (at most 1 MB, kept as bytes: the
 * signature is over exactly what was sent), and answers 200 only after its messages are stored,
 * since Facebook retries anything else. Errors use the public API's JSON shape: 401 without a
 * signature, 403 with a wrong one, 400 with the path of a bad field, 404 for an unknown channel,
 * 413 for a body over the cap; none of them stores anything.
 */
import { Cause, Effect, Either, Exit, Option } from "effect";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import type { ApiError } from "../runtime/services/errors.js";
import { MESSENGER_MAX_BODY_BYTES, MessengerChannel } from "../runtime/services/messenger-channel.js";
import { readRawBody, sendError, sendInternalError, sendJson, sendMethodNotAllowed, sendRouteNotFound } from "./http-util.js";

const WEBHOOK_PATH = /^\/api\/messenger\/([^/]{1,200})\/webhook\/?$/;

const headerOf = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Answers an Exit: its value through `ok`, an expected failure with its status, a defect as 500. */
const answer = <A>(res: ServerResponse, exit: Exit.Exit<A, ApiError>, ok: (value: A) => void, label: string): void => {
  if (Exit.isSuccess(exit)) return ok(exit.value);
  const failure = Cause.failureOption(exit.cause);
  if (Option.isSome(failure)) return sendError(res, failure.value);
  console.error(`${label}: unexpected error`, Cause.pretty(exit.cause));
  sendInternalError(res);
};

export const handleMessengerRequest = async (
  runtime: AppRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> => {
  const match = WEBHOOK_PATH.exec(path);
  if (!match) return sendRouteNotFound(res);
  let channelId: string;
  try {
    channelId = decodeURIComponent(match[1]!);
  } catch {
    return sendRouteNotFound(res);
  }

  if (req.method === "GET" || req.method === "HEAD") {
    const exit = await runtime.runPromiseExit(Effect.flatMap(MessengerChannel, (m) => m.handshake(channelId, query)));
    return answer(
      res,
      exit,
      (outcome) => {
        if (!outcome.ok) return sendJson(res, 403, { error: { code: "forbidden", message: outcome.reason } });
        res.statusCode = 200;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        res.setHeader("Cache-Control", "no-store");
        res.setHeader("Content-Length", Buffer.byteLength(outcome.challenge));
        res.end(req.method === "HEAD" ? undefined : outcome.challenge);
      },
      path,
    );
  }

  if (req.method !== "POST") return sendMethodNotAllowed(res, "GET, POST");
  const raw = await readRawBody(req, MESSENGER_MAX_BODY_BYTES);
  if (Either.isLeft(raw)) return sendError(res, raw.left);
  const exit = await runtime.runPromiseExit(
    Effect.flatMap(MessengerChannel, (m) => m.receive(channelId, raw.right, headerOf(req, "x-hub-signature-256"))),
  );
  answer(res, exit, (received) => sendJson(res, 200, { ok: true, ...received }), path);
};
