/**
 * The widget config's `contactEmail`: where a visitor who finds the team away may write. The
 * send-as address of the chat channel's inbox's first email channel that has one, else the
 * inbox's fallback email, else null — and an admin's change shows on the next request.
 * Real parts: the app runtime on a fresh SQLite file (seeded), the real public API handler on a
 * node:http server, the admin's services (Workspace, Channels, EmailChannel) as the settings
 * pages call them.
 */
import { Effect, Exit } from "effect";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { EmailChannel } from "../../runtime/services/email-channel.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { createPublicApi, type PublicApi } from "../../server/public-api.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
const handlers: Array<{ api: PublicApi; server: Server }> = [];
let base: string;
let chatChannelId: string;
let inboxId: string;
let otherInboxId: string;

/** The real handler on loopback. A long channel cache: only a change signal can explain a fresh answer. */
const serve = async (channelCacheMs: number): Promise<string> => {
  const api = createPublicApi(runtime, { rateLimitEnabled: false, channelCacheMs });
  const server = createServer((req, res) => {
    if (!api.handle(req, res)) {
      res.statusCode = 418;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  handlers.push({ api, server });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const run = <A, E>(effect: Effect.Effect<A, E, Workspace | Channels | EmailChannel>) => runtime.runPromise(effect);
const exitOf = <A, E>(effect: Effect.Effect<A, E, Workspace | Channels | EmailChannel>) => runtime.runPromiseExit(effect);

/** The chosen chatflow's `contactEmail` for a page of the demo shop. */
const contactEmail = async (at = base): Promise<string | null> => {
  const res = await call(at, `/api/widget/config?channel=${chatChannelId}&url=${encodeURIComponent("https://shop.example/")}`);
  expect(res.status).toBe(200);
  expect(res.body.chatflow).not.toBeNull();
  expect(res.body.chatflow).toHaveProperty("contactEmail");
  return res.body.chatflow.contactEmail as string | null;
};

const setFallback = (id: string, fallbackEmail: string) => run(Effect.flatMap(Workspace, (w) => w.updateInbox(id, { fallbackEmail })));
const createEmailChannel = async (name: string, inbox = inboxId) =>
  (await run(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name, inboxId: inbox })))).id;
/** The team email's settings form as an admin fills it in (receiving only: no relay). */
const emailSettings = (fromAddress: string, addresses: string) => ({
  addresses,
  fromName: "Acme Help",
  fromAddress,
  signature: "",
  smtpHost: "",
  smtpPort: "",
  smtpSecurity: "none",
  smtpUser: "",
  smtpPassword: "",
});
const saveEmail = (id: string, fromAddress: string, addresses: string) =>
  run(Effect.flatMap(EmailChannel, (e) => e.saveSettings(id, emailSettings(fromAddress, addresses))));
const storedFallback = (id: string) => sqlite.prepare("SELECT fallback_email FROM inboxes WHERE id = ?").pluck().get(id);
const storedConfig = (id: string) => sqlite.prepare("SELECT config FROM channels WHERE id = ?").pluck().get(id);

beforeAll(async () => {
  app = await startTestApp("widget-contact-email");
  ({ runtime, sqlite } = app);
  chatChannelId = (sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at, id LIMIT 1").get() as { id: string }).id;
  // The chat channel moves into inboxes of this test's own, so whatever the seed gives its first
  // inbox (a fallback, a team email) cannot decide the answers.
  inboxId = (await run(Effect.flatMap(Workspace, (w) => w.createInbox({ name: "Contact email test" })))).id;
  otherInboxId = (await run(Effect.flatMap(Workspace, (w) => w.createInbox({ name: "Elsewhere" })))).id;
  await run(Effect.flatMap(Channels, (c) => c.update(chatChannelId, { name: "Website chat", inboxId })));
  base = await serve(60_000);
});

afterAll(async () => {
  for (const { api, server } of handlers) {
    api.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await app?.dispose();
});

describe("GET /api/widget/config: contactEmail", () => {
  it("is null, then the fallback, then the team email, then the fallback again — each on the next request", async () => {
    expect(await contactEmail()).toBeNull();

    // Settings → Inboxes: the fallback (the service lower-cases it).
    await setFallback(inboxId, "  Hello@Acme.test ");
    expect(await contactEmail()).toBe("hello@acme.test");

    // An email channel without settings yet has no send-as address: the fallback stays.
    const first = await createEmailChannel("Help mail");
    expect(await contactEmail()).toBe("hello@acme.test");

    // A later email channel with a send-as address wins over the fallback…
    const second = await createEmailChannel("Sales mail");
    await saveEmail(second, "sales@acme.test", "sales@acme.test");
    expect(await contactEmail()).toBe("sales@acme.test");

    // …and the first channel (by creation) wins once it has one too.
    await saveEmail(first, "help@acme.test", "help@acme.test");
    expect(await contactEmail()).toBe("help@acme.test");

    // Moving the email channels to another inbox takes their addresses with them.
    await run(Effect.flatMap(Channels, (c) => c.update(first, { name: "Help mail", inboxId: otherInboxId })));
    expect(await contactEmail()).toBe("sales@acme.test");
    await run(Effect.flatMap(Channels, (c) => c.update(second, { name: "Sales mail", inboxId: otherInboxId })));
    expect(await contactEmail()).toBe("hello@acme.test");

    // Clearing the fallback leaves nothing to show.
    await setFallback(inboxId, "");
    expect(await contactEmail()).toBeNull();
  });

  it("refuses a bad fallback or send-as address from the admin, with the field, and keeps what was stored", async () => {
    await setFallback(inboxId, "kept@acme.test");
    for (const bad of ["nope", "a@b", "two@acme.test, three@acme.test", "x".repeat(250) + "@acme.test"]) {
      const exit = await exitOf(Effect.flatMap(Workspace, (w) => w.updateInbox(inboxId, { fallbackEmail: bad })));
      expect(Exit.isFailure(exit)).toBe(true);
      if (Exit.isFailure(exit)) {
        expect(JSON.stringify(exit.cause)).toContain("InvalidInput");
        expect(JSON.stringify(exit.cause)).toContain("fallbackEmail");
      }
      expect(storedFallback(inboxId)).toBe("kept@acme.test");
    }
    expect(await contactEmail()).toBe("kept@acme.test");

    const mail = await createEmailChannel("Bad mail");
    const before = storedConfig(mail);
    const refused = await exitOf(Effect.flatMap(EmailChannel, (e) => e.saveSettings(mail, emailSettings("support at acme", "bad@acme.test"))));
    expect(Exit.isFailure(refused)).toBe(true);
    if (Exit.isFailure(refused)) expect(JSON.stringify(refused.cause)).toContain("fromAddress");
    expect(storedConfig(mail)).toBe(before);
    expect(await contactEmail()).toBe("kept@acme.test");

    await run(Effect.flatMap(Channels, (c) => c.update(mail, { name: "Bad mail", inboxId: otherInboxId })));
    await setFallback(inboxId, "");
  });

  it("keeps the team email in the channel cache: a raw edit with no change signal is not read per request", async () => {
    const mail = await createEmailChannel("Cached mail");
    await saveEmail(mail, "cached@acme.test", "cached@acme.test");
    expect(await contactEmail()).toBe("cached@acme.test");

    // Behind the services' back (no change signal): the warm cache still answers the old address.
    const config = JSON.parse(String(storedConfig(mail))) as Record<string, unknown>;
    sqlite.prepare("UPDATE channels SET config = ? WHERE id = ?").run(JSON.stringify({ ...config, fromAddress: "raw@acme.test" }), mail);
    expect(await contactEmail()).toBe("cached@acme.test");

    // Any change through Channels drops the cache; the next request reads the row again.
    await run(Effect.flatMap(Channels, (c) => c.update(mail, { name: "Cached mail (renamed)", inboxId })));
    expect(await contactEmail()).toBe("raw@acme.test");

    await run(Effect.flatMap(Channels, (c) => c.update(mail, { name: "Cached mail", inboxId: otherInboxId })));
  });

  it("never offers a stored value that is not an address (a hand-edited row)", async () => {
    const mail = await createEmailChannel("Hand-edited mail");
    await saveEmail(mail, "edited@acme.test", "edited@acme.test");
    const config = JSON.parse(String(storedConfig(mail))) as Record<string, unknown>;
    sqlite
      .prepare("UPDATE channels SET config = ? WHERE id = ?")
      .run(JSON.stringify({ ...config, fromAddress: "help@acme.test?bcc=spy@evil.test\r\nX: y" }), mail);
    sqlite.prepare("UPDATE inboxes SET fallback_email = ? WHERE id = ?").run("<a href=x>write us</a>", inboxId);
    // A fresh handler: nothing cached from before the edit.
    const fresh = await serve(60_000);
    expect(await contactEmail(fresh)).toBeNull();

    // A good fallback beside the broken team email: the fallback is offered.
    sqlite.prepare("UPDATE inboxes SET fallback_email = ? WHERE id = ?").run("ok@acme.test", inboxId);
    expect(await contactEmail(fresh)).toBe("ok@acme.test");

    sqlite.prepare("UPDATE inboxes SET fallback_email = NULL WHERE id = ?").run(inboxId);
    await run(Effect.flatMap(Channels, (c) => c.update(mail, { name: "Hand-edited mail", inboxId: otherInboxId })));
  });

  it("is there for an away chatflow too, which is where the widget shows it", async () => {
    await setFallback(inboxId, "away@acme.test");
    // Nobody in this new inbox is available: every chatflow of the channel is away.
    const res = await call(base, `/api/widget/config?channel=${chatChannelId}&url=${encodeURIComponent("https://shop.example/")}`);
    expect(res.status).toBe(200);
    expect(res.body.chatflow).toMatchObject({ available: false, contactEmail: "away@acme.test" });
    expect(res.body.chatflow.awayBehaviour).not.toBe("hide");
    await setFallback(inboxId, "");
  });
});
