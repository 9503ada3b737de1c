import { Effect, Either, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Channels, layer as channelsLayer, mergeChatConfig, parseOrigin, readChatConfig } from "./channels.js";
import * as Config from "./config.js";
import * as Db from "./database.js";
import { Database } from "./database.js";
import * as Live from "./live-events.js";
import { identityHash, layer as visitorsLayer, Visitors } from "./visitors.js";

type Services = Channels | Visitors | Database;
let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Services, never>;
const run = <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(Effect.either(effect));
const channels = <A, E>(f: (c: Channels["Type"]) => Effect.Effect<A, E>) => run(Effect.flatMap(Channels, f));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-channels-"));
  const config = Config.loadConfig({ DATABASE_PATH: join(dir, "db.sqlite"), SESSION_SECRET: "s".repeat(64) });
  const base = Layer.mergeAll(Config.layer(config), Db.layer({ path: config.databasePath }), Live.layer);
  runtime = ManagedRuntime.make(Layer.mergeAll(channelsLayer, visitorsLayer).pipe(Layer.provideMerge(base)));
  const db = await runtime.runPromise(Database);
  db.sqlite.exec(`
    INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_1', 'Support', 1);
    INSERT INTO channels (id, inbox_id, kind, name, config, identity_secret, created_at) VALUES
      ('ch_chat', 'inbox_1', 'chat', 'Website chat', '{"allowedOrigins":["*"],"branding":{},"availability":{"keep":"me"}}', 'old-secret-abcd', 1),
      ('ch_mail', 'inbox_1', 'email', 'Team mail', '{}', NULL, 2),
      ('ch_bare', 'inbox_1', 'chat', 'Bare chat', 'not json', NULL, 3);
  `);
});

afterAll(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("parseOrigin", () => {
  it.each([
    ["https://example.com", "https://example.com"],
    ["  HTTPS://Example.COM/ ", "https://example.com"],
    ["https://example.com:443", "https://example.com"],
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["https://bücher.example", "https://xn--bcher-kva.example"],
    ["*", "*"],
  ])("accepts %j as %j", (input, origin) => {
    expect(parseOrigin(input)).toEqual(Either.right(origin));
  });

  it.each([
    ["example.com", "expected an origin like https://example.com"],
    ["ftp://example.com", "expected an origin like https://example.com"],
    ["https://example.com/shop", "an origin has no path: use https://example.com, not https://example.com/shop"],
    ["https://example.com/?a=1", "an origin has no path"],
    ["https://example.com#top", "an origin has no path"],
    ["https://ann:pw@example.com", "an origin has no user name or password"],
    ["https://", "expected an origin"],
    ["", "expected an origin"],
  ])("refuses %j", (input, message) => {
    const parsed = parseOrigin(input);
    expect(Either.isLeft(parsed) && parsed.left).toContain(message);
  });
});

describe("stored config", () => {
  it("reads a missing or broken config as empty and keeps unknown keys on write", () => {
    expect(readChatConfig("not json")).toEqual({ allowedOrigins: [], branding: { showPoweredBy: true }, followUpMinutes: 5 });
    expect(readChatConfig('{"allowedOrigins":"*"}')).toEqual({ allowedOrigins: [], branding: { showPoweredBy: true }, followUpMinutes: 5 });
    const merged = JSON.parse(
      mergeChatConfig('{"allowedOrigins":["*"],"extra":1,"followUpMinutes":15}', { allowedOrigins: ["https://a.example"], branding: { showPoweredBy: false } }),
    );
    expect(merged).toEqual({ allowedOrigins: ["https://a.example"], branding: { showPoweredBy: false }, extra: 1, followUpMinutes: 15 });
  });

  it("reads the follow-up wait: 0 is off, a bad stored value is the default, a given one replaces it", () => {
    expect(readChatConfig('{"followUpMinutes":0}').followUpMinutes).toBe(0);
    expect(readChatConfig('{"followUpMinutes":60}').followUpMinutes).toBe(60);
    for (const bad of ['"5"', "-1", "2.5", "99999", "null"]) expect(readChatConfig(`{"followUpMinutes":${bad}}`).followUpMinutes).toBe(5);
    const merged = JSON.parse(mergeChatConfig('{"followUpMinutes":15}', { allowedOrigins: [], branding: { showPoweredBy: true }, followUpMinutes: 0 }));
    expect(merged.followUpMinutes).toBe(0);
  });
});

describe("Channels", () => {
  it("lists every channel with its inbox, oldest first, and shows a chat channel's settings with only a hint of the secret", async () => {
    const list = await channels((c) => c.list());
    expect(Either.getOrThrow(list).map((c) => [c.id, c.kind, c.inboxName])).toEqual([
      ["ch_chat", "chat", "Support"],
      ["ch_mail", "email", "Support"],
      ["ch_bare", "chat", "Support"],
    ]);
    const chat = Either.getOrThrow(await channels((c) => c.get("ch_chat")));
    expect(chat.chat).toEqual({
      allowedOrigins: ["*"],
      branding: { showPoweredBy: true },
      followUpMinutes: 5,
      identitySecret: { configured: true, hint: "abcd" },
    });
    expect(JSON.stringify(chat)).not.toContain("old-secret");
    expect(Either.getOrThrow(await channels((c) => c.get("ch_mail"))).chat).toBeNull();
    expect(Either.getOrThrow(await channels((c) => c.get("ch_bare"))).chat?.identitySecret).toEqual({ configured: false, hint: null });
  });

  it("answers NotFound for an unknown channel, and for chat settings of a channel that is not chat", async () => {
    const missing = await channels((c) => c.get("nope"));
    expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound");
    const mail = await channels((c) => c.updateChatConfig("ch_mail", { allowedOrigins: [], branding: {} }));
    expect(Either.isLeft(mail) && mail.left).toMatchObject({ _tag: "NotFound", entity: "chat channel" });
    const rotate = await channels((c) => c.rotateIdentitySecret("ch_mail"));
    expect(Either.isLeft(rotate) && rotate.left._tag).toBe("NotFound");
  });

  it("saves normalised, de-duplicated origins and branding, keeps other config keys, and tells listeners after the write", async () => {
    const heard: string[] = [];
    const db = await runtime.runPromise(Database);
    const stop = await runtime.runPromise(
      Effect.map(Channels, (c) =>
        c.onChange((id) => {
          // The listener runs after the commit: the new config is already readable.
          heard.push(`${id}:${(db.sqlite.prepare("SELECT config FROM channels WHERE id = ?").pluck().get(id) as string).includes("shop.example")}`);
        }),
      ),
    );
    const saved = await channels((c) =>
      c.updateChatConfig("ch_chat", {
        allowedOrigins: ["https://Shop.example/", "https://shop.example", "http://localhost:3000"],
        branding: { name: "  Acme  ", logoUrl: "", accentColor: "#0B7285", launcherPosition: "bottom_left", showPoweredBy: false },
      }),
    );
    expect(Either.getOrThrow(saved)).toMatchObject({
      allowedOrigins: ["https://shop.example", "http://localhost:3000"],
      branding: { name: "Acme", accentColor: "#0b7285", launcherPosition: "bottom_left", showPoweredBy: false },
    });
    const stored = JSON.parse(db.sqlite.prepare("SELECT config FROM channels WHERE id = 'ch_chat'").pluck().get() as string);
    expect(stored).toEqual({
      allowedOrigins: ["https://shop.example", "http://localhost:3000"],
      branding: { name: "Acme", accentColor: "#0b7285", launcherPosition: "bottom_left", showPoweredBy: false },
      availability: { keep: "me" },
    });
    expect(heard).toEqual(["ch_chat:true"]);
    stop();
    await channels((c) => c.updateChatConfig("ch_chat", { allowedOrigins: ["*"], branding: {} }));
    expect(heard).toHaveLength(1);
  });

  it("refuses bad input with every issue and its path, and changes nothing", async () => {
    const db = await runtime.runPromise(Database);
    const before = db.sqlite.prepare("SELECT config FROM channels WHERE id = 'ch_chat'").pluck().get();
    const result = await channels((c) =>
      c.updateChatConfig("ch_chat", {
        allowedOrigins: ["https://ok.example", "https://bad.example/path"],
        branding: { accentColor: "blue", logoUrl: "javascript:alert(1)", launcherPosition: "top", name: "x".repeat(101) },
      }),
    );
    expect(Either.isLeft(result) && result.left._tag).toBe("InvalidInput");
    const issues = Either.isLeft(result) && result.left._tag === "InvalidInput" ? result.left.issues : [];
    expect(issues.map((i) => i.path).sort()).toEqual([
      "allowedOrigins[1]",
      "branding.accentColor",
      "branding.launcherPosition",
      "branding.logoUrl",
      "branding.name",
    ]);
    expect(issues.find((i) => i.path === "allowedOrigins[1]")?.message).toBe(
      "an origin has no path: use https://bad.example, not https://bad.example/path",
    );
    const tooMany = await channels((c) =>
      c.updateChatConfig("ch_chat", { allowedOrigins: Array.from({ length: 101 }, (_, i) => `https://s${i}.example`), branding: {} }),
    );
    expect(Either.isLeft(tooMany) && tooMany.left._tag).toBe("InvalidInput");
    for (const followUpMinutes of [-1, 1.5, 1441, "5"]) {
      const bad = await channels((c) => c.updateChatConfig("ch_chat", { allowedOrigins: [], branding: {}, followUpMinutes }));
      const badIssues = Either.isLeft(bad) && bad.left._tag === "InvalidInput" ? bad.left.issues : [];
      expect(badIssues.map((i) => i.path)).toEqual(["followUpMinutes"]);
    }
    expect(db.sqlite.prepare("SELECT config FROM channels WHERE id = 'ch_chat'").pluck().get()).toBe(before);
  });

  it("saves the follow-up wait, and keeps it when a change does not give one", async () => {
    const off = await channels((c) => c.updateChatConfig("ch_chat", { allowedOrigins: [], branding: {}, followUpMinutes: 0 }));
    expect(Either.getOrThrow(off).followUpMinutes).toBe(0);
    const kept = await channels((c) => c.updateChatConfig("ch_chat", { allowedOrigins: ["https://shop.example"], branding: {} }));
    expect(Either.getOrThrow(kept).followUpMinutes).toBe(0);
    const later = await channels((c) => c.updateChatConfig("ch_chat", { allowedOrigins: [], branding: {}, followUpMinutes: 30 }));
    expect(Either.getOrThrow(later).followUpMinutes).toBe(30);
  });

  it("rotates the identity secret: the new one verifies an identify at once, the old one no longer does", async () => {
    const visitor = Either.getOrThrow(await run(Effect.flatMap(Visitors, (v) => v.create({ channelId: "ch_chat" }))));
    const identify = (secret: string) =>
      run(
        Effect.flatMap(Visitors, (v) =>
          v.identify({ visitorId: visitor.visitorId, email: "ann@example.com", hash: identityHash(secret, "ann@example.com") }),
        ),
      );
    const secret = Either.getOrThrow(await channels((c) => c.rotateIdentitySecret("ch_chat")));
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(Either.getOrThrow(await identify("old-secret-abcd")).verified).toBe(false);
    expect(Either.getOrThrow(await identify(secret)).verified).toBe(true);
    const shown = Either.getOrThrow(await channels((c) => c.get("ch_chat")));
    expect(shown.chat?.identitySecret).toEqual({ configured: true, hint: secret.slice(-4) });
    const again = Either.getOrThrow(await channels((c) => c.rotateIdentitySecret("ch_chat")));
    expect(again).not.toBe(secret);
  });
});
