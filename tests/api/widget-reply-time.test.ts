/**
 * The widget config's `replyTime` (decision 050): how soon the team usually replies, as a
 * bucket — only when the chosen flow turns it on, while it is available, and once the chat
 * channel's inbox has at least 5 first replies in the last 14 days (only a followed or shown
 * team's, decision 053); null otherwise. Real parts:
 * the app runtime on a fresh SQLite file (seeded), the real public API handler on a node:http
 * server, visitors starting live chats through it, replies through the real Inbox service, and
 * the flow's setting written and published through Chatflows as the builder does.
 */
import { Effect, Exit } from "effect";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "../../bench/http-harness.js";
import type { AppRuntime, AppServices } from "../../runtime/services/app-layer.js";
import { Channels } from "../../runtime/services/channels.js";
import { Chatflows, starterDocument } from "../../runtime/services/chatflows.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { Inbox } from "../../runtime/services/inbox.js";
import type { Actor } from "../../runtime/services/inbox-access.js";
import { Workspace } from "../../runtime/services/workspace.js";
import { createPublicApi, type PublicApi } from "../../server/public-api.js";
import { startTestApp, type TestApp } from "../support/test-app.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let api: PublicApi;
let server: Server;
let base: string;
let channelId: string;
let admin: Actor;
/** The inbox with enough first replies, and the one with too few. */
let busyInbox: string;
let quietInbox: string;
const FLOW = "flow_reply_time";

const run = <A, E>(effect: Effect.Effect<A, E, AppServices>) => runtime.runPromise(effect);

/** The chosen chatflow of the config (it must be ours). */
const config = async () => {
  const res = await call(base, `/api/widget/config?channel=${channelId}&url=${encodeURIComponent("https://shop.example/")}`);
  expect(res.status).toBe(200);
  expect(res.body.chatflow?.id).toBe(FLOW);
  expect(res.body.chatflow).toHaveProperty("replyTime");
  return res.body.chatflow as { replyTime: { bucket: string } | null; available: boolean };
};

/** Our live chat's draft with `display` (and, when given, `availability`) as given, published. */
const publishDisplay = async (display: Record<string, unknown>, availability?: Record<string, unknown>) =>
  run(
    Effect.gen(function* () {
      const flows = yield* Chatflows;
      const draft = yield* flows.getDraft(FLOW);
      const document = draft.document as { settings: Record<string, unknown> };
      const settings = { ...document.settings, display, ...(availability ? { availability } : {}) };
      yield* flows.saveDraft(FLOW, { ...document, settings }, draft.revision);
      return yield* flows.publish(FLOW);
    }),
  );

let seq = 0;
/** A visitor starts our live chat (it goes to the channel's inbox), it is given to `teamId` if any, and a person answers. */
const answered = async (teamId?: string) => {
  const token = (await call(base, "/api/visitors", { body: { channel: channelId } })).body.visitorToken as string;
  const started = await call(base, "/api/conversations", { token, body: { channel: channelId, chatflowId: FLOW, pageUrl: "https://shop.example/" } });
  expect(started.status).toBe(201);
  const id = started.body.conversation.id as string;
  if (teamId !== undefined) {
    const version = sqlite.prepare("SELECT version FROM conversations WHERE id = ?").pluck().get(id) as number;
    await run(Effect.flatMap(Inbox, (i) => i.assign(id, { teamId }, version, admin)));
  }
  await run(Effect.flatMap(Inbox, (i) => i.comment({ conversationId: id, text: "looking", clientMessageId: `rt-c-${++seq}` }, admin)));
  await run(Effect.flatMap(Inbox, (i) => i.reply({ conversationId: id, text: "Hello!", clientMessageId: `rt-${++seq}` }, admin)));
};
const moveChannelTo = (inboxId: string) => run(Effect.flatMap(Channels, (c) => c.update(channelId, { name: "Website chat", inboxId })));

beforeAll(async () => {
  app = await startTestApp("widget-reply-time");
  ({ runtime, sqlite } = app);
  channelId = sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at, id LIMIT 1").pluck().get() as string;
  admin = { id: sqlite.prepare("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").pluck().get() as string, role: "admin" };
  // Our own live chat is the only flow on the channel, and the channel moves into inboxes of our
  // own (the admin their only member), so the seed's flows and inboxes decide nothing here.
  await run(
    Effect.gen(function* () {
      const flows = yield* Chatflows;
      for (const row of yield* flows.list()) if (row.channelId === channelId) yield* flows.setEnabled(row.id, false);
      yield* flows.create({ id: FLOW, name: "Reply time chat", kind: "live_chat", document: starterDocument(FLOW, "Reply time chat", "live_chat"), channelId });
      yield* flows.publish(FLOW);
      yield* flows.setEnabled(FLOW, true);
      const workspace = yield* Workspace;
      busyInbox = (yield* workspace.createInbox({ name: "Busy inbox" })).id;
      quietInbox = (yield* workspace.createInbox({ name: "Quiet inbox" })).id;
      yield* workspace.setInboxMembers(busyInbox, [admin.id]);
      yield* workspace.setInboxMembers(quietInbox, [admin.id]);
      yield* workspace.setAvailability(admin.id, "available");
    }),
  );
  api = createPublicApi(runtime, { rateLimitEnabled: false });
  server = createServer((req, res) => {
    if (!api.handle(req, res)) {
      res.statusCode = 418;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  await moveChannelTo(quietInbox);
  for (let i = 0; i < 4; i++) await answered();
  await moveChannelTo(busyInbox);
  for (let i = 0; i < 5; i++) await answered();
});

afterAll(async () => {
  api?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await app?.dispose();
});

describe("GET /api/widget/config: replyTime", () => {
  it("is null while the flow does not turn it on, though the inbox has enough replies", async () => {
    expect(sqlite.prepare("SELECT count(*) FROM report_replies WHERE inbox_id = ? AND is_first = 1").pluck().get(busyInbox)).toBe(5);
    expect(await config()).toMatchObject({ available: true, replyTime: null });
    await publishDisplay({ replyTime: "off" });
    expect(await config()).toMatchObject({ available: true, replyTime: null });
  });

  it("says the bucket once the flow turns it on (replies within seconds: a few minutes)", async () => {
    await publishDisplay({ replyTime: "auto" });
    expect(await config()).toMatchObject({ available: true, replyTime: { bucket: "few_minutes" } });
  });

  it("is null while the team is away (the away line shows instead), and back when someone is available", async () => {
    await run(Effect.flatMap(Workspace, (w) => w.setAvailability(admin.id, "away")));
    expect(await config()).toMatchObject({ available: false, replyTime: null });
    await run(Effect.flatMap(Workspace, (w) => w.setAvailability(admin.id, "available")));
    expect(await config()).toMatchObject({ available: true, replyTime: { bucket: "few_minutes" } });
  });

  it("is null for an inbox with fewer than 5 first replies", async () => {
    await moveChannelTo(quietInbox);
    expect(sqlite.prepare("SELECT count(*) FROM report_replies WHERE inbox_id = ? AND is_first = 1").pluck().get(quietInbox)).toBe(4);
    expect(await config()).toMatchObject({ available: true, replyTime: null });
    await moveChannelTo(busyInbox);
  });

  it("speaks for the team the flow follows, or the teams its heading shows: their replies in the inbox, nothing while they have fewer than 5 (decision 053)", async () => {
    const [quietTeam, salesTeam] = await run(
      Effect.gen(function* () {
        const workspace = yield* Workspace;
        return [(yield* workspace.createTeam({ name: "Quiet team" })).id, (yield* workspace.createTeam({ name: "Chat sales" })).id] as const;
      }),
    );
    // The inbox says "a few minutes", but none of its replies are the heading's team's.
    await publishDisplay({ replyTime: "auto", heading: { type: "agents", teamIds: [quietTeam] } });
    expect(await config()).toMatchObject({ available: true, replyTime: null });
    for (let i = 0; i < 5; i++) await answered(salesTeam);
    expect(sqlite.prepare("SELECT count(*) FROM report_replies WHERE inbox_id = ? AND team_id = ? AND is_first = 1").pluck().get(busyInbox, salesTeam)).toBe(5);
    // Following Sales' hours (it keeps none: always open), whatever the heading shows.
    await publishDisplay({ replyTime: "auto", heading: { type: "agents", teamIds: [quietTeam] } }, { mode: "team", teamId: salesTeam });
    expect(await config()).toMatchObject({ available: true, replyTime: { bucket: "few_minutes" } });
    // A heading showing both teams counts their replies together.
    await publishDisplay({ replyTime: "auto", heading: { type: "agents", teamIds: [quietTeam, salesTeam] } }, { mode: "always" });
    expect(await config()).toMatchObject({ available: true, replyTime: { bucket: "few_minutes" } });
    await publishDisplay({ replyTime: "auto" });
  });

  it("refuses a setting that is neither auto nor off at its path, and the live version keeps serving", async () => {
    const live = sqlite.prepare("SELECT published_version_id FROM chatflows WHERE id = ?").pluck().get(FLOW);
    const exit = await runtime.runPromiseExit(
      Effect.gen(function* () {
        const flows = yield* Chatflows;
        const draft = yield* flows.getDraft(FLOW);
        const document = draft.document as { settings: Record<string, unknown> };
        yield* flows.saveDraft(FLOW, { ...document, settings: { ...document.settings, display: { replyTime: "sometimes" } } }, draft.revision);
        return yield* flows.publish(FLOW);
      }),
    );
    expect(Exit.isFailure(exit)).toBe(true);
    if (Exit.isFailure(exit)) {
      const text = JSON.stringify(exit.cause);
      expect(text).toContain("InvalidInput");
      expect(text).toContain("replyTime");
    }
    expect(sqlite.prepare("SELECT published_version_id FROM chatflows WHERE id = ?").pluck().get(FLOW)).toBe(live);
    expect(await config()).toMatchObject({ available: true, replyTime: { bucket: "few_minutes" } });
  });
});
