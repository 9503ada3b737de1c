/**
 * The public API and Settings → Channels together: an admin's change to a chat channel (origins,
 * branding defaults, identity secret) takes effect on the very next API request, although the
 * API caches channel configs for CORS (5 s by default, kept here).
 */
import { Effect } from "effect";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../bench/http-harness.js";
import { makeAppRuntime, type AppRuntime } from "../runtime/services/app-layer.js";
import { Channels } from "../runtime/services/channels.js";
import { loadConfig } from "../runtime/services/config.js";
import { Database } from "../runtime/services/database.js";
import { createPublicApi, type PublicApi } from "./public-api.js";
import { startup } from "./startup.js";

let dir: string;
let runtime: AppRuntime;
let api: PublicApi;
let server: Server;
let base: string;
let channelId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-api-channels-"));
  const config = loadConfig({ DATABASE_PATH: join(dir, "parley.sqlite"), SESSION_SECRET: "x".repeat(64), ADMIN_PASSWORD: "admin-password-1", PORT: "0" });
  runtime = makeAppRuntime(config);
  await startup(runtime, config);
  api = createPublicApi(runtime, { rateLimitEnabled: false });
  server = createServer((req, res) => {
    if (!api.handle(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sqlite = (await runtime.runPromise(Database)).sqlite;
  channelId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").pluck().get() as string);
});

afterAll(async () => {
  api?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const update = (input: unknown) => runtime.runPromise(Effect.flatMap(Channels, (c) => c.updateChatConfig(channelId, input)));
const configFrom = (origin: string) =>
  call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent(`${origin}/`)}`, { headers: { Origin: origin } });

describe("a saved chat channel takes effect on the next request", () => {
  it("CORS follows the new origins at once, for the channel and for preflights", async () => {
    // Warm the caches while the channel still lists `*`.
    expect((await configFrom("https://evil.example")).headers.get("access-control-allow-origin")).toBe("https://evil.example");
    const preflight = (origin: string) =>
      fetch(`${base}/api/visitors`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "POST" } });
    expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBe("https://evil.example");

    await update({ allowedOrigins: ["https://shop.example"], branding: {} });
    try {
      expect((await configFrom("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
      expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
      expect((await configFrom("https://shop.example")).headers.get("access-control-allow-origin")).toBe("https://shop.example");
    } finally {
      await update({ allowedOrigins: ["*"], branding: {} });
    }
    expect((await configFrom("https://evil.example")).headers.get("access-control-allow-origin")).toBe("https://evil.example");
  });

  it("branding defaults fill what a chatflow leaves at the spec's default, and never override what it sets", async () => {
    const before = (await configFrom("https://shop.example")).body.chatflow;
    // The seeded lead bot sets its own accent (#0b7285) and keeps the default position (bottom_right).
    expect(before.display).toMatchObject({ accentColor: "#0b7285", launcherPosition: "bottom_right" });
    await update({ allowedOrigins: ["*"], branding: { name: "Acme", accentColor: "#123456", launcherPosition: "bottom_left", showPoweredBy: false } });
    try {
      const after = (await configFrom("https://shop.example")).body.chatflow;
      expect(after.display).toMatchObject({ accentColor: "#0b7285", launcherPosition: "bottom_left" });
      expect(after.branding).toEqual({ name: "Acme", showPoweredBy: false });
    } finally {
      await update({ allowedOrigins: ["*"], branding: {} });
    }
    expect((await configFrom("https://shop.example")).body.chatflow.display.launcherPosition).toBe("bottom_right");
  });

  it("a rotated identity secret verifies at once; the old one no longer does", async () => {
    const created = await call(base, "/api/visitors", { body: { channel: channelId } });
    const token = created.body.visitorToken as string;
    const sqlite = (await runtime.runPromise(Database)).sqlite;
    const old = sqlite.prepare("SELECT identity_secret FROM channels WHERE id = ?").pluck().get(channelId) as string;
    const secret = await runtime.runPromise(Effect.flatMap(Channels, (c) => c.rotateIdentitySecret(channelId)));
    const identify = (key: string) =>
      call(base, "/api/visitors/identify", {
        token,
        body: { email: "ann@example.com", hash: createHmac("sha256", key).update("ann@example.com").digest("hex") },
      });
    expect((await identify(old)).body).toMatchObject({ verified: false });
    expect((await identify(secret)).body).toMatchObject({ verified: true });
  });
});
