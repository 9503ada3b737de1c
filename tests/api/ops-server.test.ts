/**
 * The operator's endpoints in the REAL server process (`node --import tsx server/index.ts`):
 * served before the APIs and Remix, and the HTTP figures counted by the handler that answered.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, seededIds, startServer, type ServerProcess } from "../../bench/http-harness.js";

let dir: string;
let server: ServerProcess;
let channelId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-ops-server-"));
  const databasePath = join(dir, "parley.sqlite");
  server = await startServer({ databasePath });
  ({ channelId } = seededIds(databasePath));
}, 90_000);

afterAll(async () => {
  await server?.stop("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("health and metrics in the server process", () => {
  it("answers /healthz and /readyz as JSON, not as a Remix page", async () => {
    const health = await fetch(`${server.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", schema: "ok" } });
  });

  it("counts each request under the handler that answered it", async () => {
    expect((await call(server.base, "/api/visitors", { body: { channel: channelId } })).status).toBe(201);
    expect((await call(server.base, "/api/visitors", { body: {} })).status).toBe(400);
    // Read to the end: a request is counted when its answer has been sent.
    const page = await fetch(`${server.base}/login`);
    await page.text();
    expect(page.status).toBe(200);
    const me = await fetch(`${server.base}/api/v1/me`);
    await me.text();
    expect(me.status).toBe(401);
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(sample(text, 'parley_http_requests_total{handler="public_api",code="2xx"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_http_requests_total{handler="public_api",code="4xx"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_http_requests_total{handler="app",code="2xx"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_http_requests_total{handler="rest_api",code="4xx"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'parley_http_requests_total{handler="ops",code="2xx"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, "parley_db_commits_total")).toBeGreaterThan(0);
  });
});
