import type { AppLoadContext } from "@remix-run/node";
import { Effect, Layer, ManagedRuntime } from "effect";
import { afterAll, describe, expect, it } from "vitest";
import { Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, RateLimited, Unauthenticated } from "../runtime/services/errors.js";
import { attempt, run } from "./runtime.server.js";

// The helpers only need `context.runtime` to run Effects; these Effects need no services.
const runtime = ManagedRuntime.make(Layer.empty);
const context = { runtime } as unknown as AppLoadContext;
afterAll(() => runtime.dispose());

/** What `run` threw. */
const thrownBy = async (effect: Effect.Effect<unknown, unknown>): Promise<unknown> => {
  try {
    await run(context, effect);
  } catch (thrown) {
    return thrown;
  }
  throw new Error("run did not throw");
};
const thrownResponse = async (effect: Effect.Effect<unknown, unknown>) => {
  const thrown = await thrownBy(effect);
  if (!(thrown instanceof Response)) throw new Error(`expected a Response, got ${String(thrown)}`);
  return { status: thrown.status, headers: thrown.headers, body: (await thrown.json()) as unknown };
};

describe("run", () => {
  it("returns the value of a successful effect", async () => {
    expect(await run(context, Effect.succeed(42))).toBe(42);
  });

  it.each([
    [new InvalidInput({ issues: [{ path: "email", message: "expected an email address" }] }), 400, "invalid_input"],
    [new Unauthenticated({ message: "sign in" }), 401, "unauthenticated"],
    [new Forbidden({ message: "admins only" }), 403, "forbidden"],
    [new NotFound({ entity: "user", id: "usr_1" }), 404, "not_found"],
    [new Conflict({ message: "taken" }), 409, "conflict"],
    [new PayloadTooLarge({ limitBytes: 16_384 }), 413, "payload_too_large"],
    [new RateLimited({ retryAfterSeconds: 7 }), 429, "rate_limited"],
  ] as const)("throws %s as a response with its status", async (error, status, code) => {
    const thrown = await thrownResponse(Effect.fail(error));
    expect(thrown.status).toBe(status);
    expect(thrown.headers.get("Content-Type")).toContain("application/json");
    expect(thrown.body).toMatchObject({ error: { code } });
  });

  it("sends Retry-After with 429 and the path with 400", async () => {
    const limited = await thrownResponse(Effect.fail(new RateLimited({ retryAfterSeconds: 7 })));
    expect(limited.headers.get("Retry-After")).toBe("7");
    const invalid = await thrownResponse(Effect.fail(new InvalidInput({ issues: [{ path: "role", message: "expected one of admin" }] })));
    expect(invalid.body).toMatchObject({ error: { path: "role", message: "role: expected one of admin" } });
  });

  it("rethrows defects and unmapped errors as they are (a 500 page)", async () => {
    await expect(run(context, Effect.die(new Error("boom")))).rejects.toThrow("boom");
    const unmapped = await thrownBy(Effect.fail({ _tag: "WriteFailed", cause: "disk full" }));
    expect(unmapped).toMatchObject({ _tag: "WriteFailed" });
  });
});

describe("attempt", () => {
  it("returns expected failures as values for forms", async () => {
    const result = await attempt(context, Effect.fail(new Conflict({ message: "taken" })));
    expect(result).toMatchObject({ ok: false, status: 409, error: { code: "conflict", message: "taken" } });
    expect(await attempt(context, Effect.succeed("ok"))).toEqual({ ok: true, value: "ok" });
  });
});
