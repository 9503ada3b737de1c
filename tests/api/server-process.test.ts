/**
 * The public API inside the REAL server process (`node --import tsx server/index.ts`): served in
 * front of Remix with CORS on /api only, and a graceful shutdown that ends open SSE streams.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, seededIds, startServer, type ServerProcess } from "../../bench/http-harness.js";

let dir: string;
let server: ServerProcess;
let channelId: string;
let flowId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-server-"));
  const databasePath = join(dir, "parley.sqlite");
  server = await startServer({ databasePath });
  ({ channelId, leadQualificationId: flowId } = seededIds(databasePath));
}, 90_000);

afterAll(async () => {
  await server?.stop("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("the public API in the server process", () => {
  it("serves /api routes with CORS and leaves the app's pages to Remix without CORS", async () => {
    const visitor = await call(server.base, "/api/visitors", { body: { channel: channelId }, headers: { Origin: "https://shop.example" } });
    expect(visitor.status).toBe(201);
    expect(visitor.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    const login = await fetch(`${server.base}/login`, { headers: { Origin: "https://shop.example" } });
    expect(login.status).toBe(200);
    expect(login.headers.get("content-type")).toMatch(/text\/html/);
    expect(login.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("owns all of /api: an unknown path or a non-JSON body gets the API's JSON error, not a Remix page", async () => {
    const unknown = await fetch(`${server.base}/api/conversation`, { headers: { Origin: "https://shop.example" } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await unknown.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
    const preflight = await fetch(`${server.base}/api/conversation`, {
      method: "OPTIONS",
      headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    const form = await fetch(`${server.base}/api/visitors`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `channel=${channelId}`,
    });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ error: { code: "unsupported_media_type" } });
  });

  it("answers a preflight to a page outside /api quietly, without CORS and without Remix's error page", async () => {
    const res = await fetch(`${server.base}/login`, {
      method: "OPTIONS",
      headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(server.output()).not.toMatch(/Invalid request method/);
  });

  it("ends open SSE streams on SIGTERM and exits cleanly", async () => {
    const token = (await call(server.base, "/api/visitors", { body: { channel: channelId } })).body.visitorToken as string;
    const started = await call(server.base, "/api/conversations", { token, body: { channel: channelId, chatflowId: flowId, pageUrl: "https://x.example/" } });
    expect(started.status).toBe(201);
    const res = await fetch(`${server.base}/api/conversations/${started.body.conversation.id}/stream?token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain("retry:");
    const t0 = Date.now();
    const code = await server.stop("SIGTERM");
    expect(code).toBe(0);
    // Not held open until the 10 s drain deadline: the stream was ended at once.
    expect(Date.now() - t0).toBeLessThan(8_000);
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) break;
    }
    expect(server.output()).toContain("Parley stopped.");
  }, 30_000);
});

describe("starting", () => {
  it("says it is listening only once its inbound SMTP server listens too: on a taken SMTP port it exits without the line, naming the port", async () => {
    // Whoever waits for the line (a supervisor, the tests) may mail the email channels at once.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const started = startServer({ databasePath: join(dir, "taken-smtp.sqlite"), env: { SMTP_PORT: String(port), SMTP_HOST: "127.0.0.1" } });
      const error = await started.then(
        async (running) => {
          await running.stop("SIGKILL");
          return new Error(`it said it was listening:\n${running.output()}`);
        },
        (refused: unknown) => refused as Error,
      );
      expect(error.message).toMatch(/exited .* before listening/);
      expect(error.message).toContain(`could not listen for SMTP on 127.0.0.1:${port}`);
      expect(error.message).not.toContain("Parley is listening");
    } finally {
      taken.close();
    }
  }, 90_000);
});

