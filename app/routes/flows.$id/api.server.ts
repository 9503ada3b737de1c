/**
 * Shared by the app's JSON resource routes: reading a bounded JSON body against a Schema
 * (400 with every issue's path + message, 413 when too large), answering with the
 * service's expected failures in the app's one error shape, and the 405 of an action-only route.
 */
import type { AppLoadContext } from "@remix-run/node";
import { Either, type Schema as S } from "effect";
import { decodeWith } from "../../../flows/decode.js";
import { attempt, methodNotAllowedBody } from "../../runtime.server.js";

/** An Effect the app's runtime can run (its services as requirements). */
export type AppEffect<A, E> = Parameters<typeof attempt<A, E>>[1];

/** Throws a 413 or 400 Response, or returns the decoded body. */
export const readJsonBody = async <A, I>(request: Request, schema: S.Schema<A, I, never>, maxBytes: number): Promise<A> => {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  const tooLarge = () =>
    Response.json({ error: { code: "payload_too_large", message: `the body is larger than ${maxBytes} bytes` } }, { status: 413 });
  if (declared > maxBytes) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text) > maxBytes) throw tooLarge();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw Response.json({ error: { code: "invalid_input", message: "the body is not JSON" } }, { status: 400 });
  }
  const decoded = decodeWith(schema)(value);
  if (Either.isLeft(decoded)) {
    const first = decoded.left[0];
    throw Response.json(
      {
        error: {
          code: "invalid_input",
          message: first ? `${first.path ? `${first.path}: ` : ""}${first.message}` : "invalid input",
          ...(first?.path ? { path: first.path } : {}),
          issues: decoded.left,
        },
      },
      { status: 400 },
    );
  }
  return decoded.right;
};

/** Runs `effect`: its value as JSON (status `status`), or an expected failure as its error JSON. */
export const respond = async <A, E>(context: AppLoadContext, effect: AppEffect<A, E>, status = 200): Promise<Response> => {
  const result = await attempt(context, effect);
  return result.ok ? Response.json(result.value, { status }) : Response.json({ error: result.error }, { status: result.status });
};

/**
 * The `loader` of an action-only route: a GET (or HEAD) there is the wrong method, not a bad
 * request (Remix's own answer to a missing loader is a 400), so it is 405 with `Allow` and the
 * server's `method_not_allowed` body. It tells nothing about the resource, so no sign-in is asked.
 */
export const methodNotAllowed = (allow: string): Response =>
  Response.json(methodNotAllowedBody(allow), { status: 405, headers: { Allow: allow } });
