import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Chatflows from "./chatflows.js";
import * as Engine from "./engine.js";
import { Inbox, inboxEventFrame, parseMentions, type ConversationList, type InboxEvent } from "./inbox.js";
import { handoffFlow, openKit, people, type Kit } from "./inbox-test-kit.js";
import * as LiveEvents from "./live-events.js";
import * as Routing from "./routing.js";

let kit: Kit;

beforeAll(async () => {
  kit = await openKit();
});
afterAll(async () => {
  await kit.dispose();
});

const list = (actor: { readonly id: string; readonly role: string }, filter: Record<string, unknown> = {}) =>
  kit.run(Effect.flatMap(Inbox, (inbox) => inbox.listConversations(filter, actor)));
const ids = (page: ConversationList) => page.conversations.map((c) => c.id);

describe("parseMentions", () => {
  const team = [
    { id: "a", name: "Alex Agent", email: "alex@x.io" },
    { id: "b", name: "Bo Berg", displayName: "Bobby", email: "bo@x.io" },
    { id: "c", name: "Alex Other", email: "other@x.io" },
  ];
  const mentioned = (text: string) => parseMentions(text, team).map((p) => p.id);

  it("finds people by full name, display name, email local part and unique first name", () => {
    expect(mentioned("@Alex Agent please look")).toEqual(["a"]);
    expect(mentioned("ping @bobby and @other")).toEqual(["b", "c"]);
    expect(mentioned("@bo: this one")).toEqual(["b"]);
    expect(mentioned("thanks @AlexAgent!")).toEqual(["a"]);
  });

  it("ignores shared first names, email addresses, unknown handles and partial words", () => {
    expect(mentioned("@Alex can you?")).toEqual([]);
    expect(mentioned("write to bo@x.io")).toEqual([]);
    expect(mentioned("@nobody @bob")).toEqual([]);
    expect(mentioned("@bo @bo @Bo Berg")).toEqual(["b"]);
  });
});

describe("the conversation list", () => {
  let support: { waitingOld: string; waitingNew: string; mine: string; bots: string; closed: string; quiet: string };
  let sales: string;

  beforeAll(() => {
    const t = Date.now() - 3_600_000;
    support = {
      waitingOld: kit.conversation({ waitingSince: t, lastActivityAt: t + 50, messages: [{ author: "visitor", text: "My parcel never arrived" }] }),
      waitingNew: kit.conversation({ waitingSince: t + 1000, lastActivityAt: t + 1000, teamId: "team_support" }),
      mine: kit.conversation({ assigneeId: people.alex.id, waitingSince: t + 500, messages: [{ author: "visitor", text: "Refund please" }] }),
      bots: kit.conversation({ status: "bot", waitingSince: null }),
      closed: kit.conversation({ status: "closed", waitingSince: null }),
      quiet: kit.conversation({ waitingSince: null, lastActivityAt: t + 2000 }),
    };
    sales = kit.conversation({ inboxId: "inbox_sales", messages: [{ author: "visitor", text: "Quote for 40 seats" }] });
  });

  it("shows agents only their inboxes, admins all, and refuses other roles", async () => {
    const alex = ids(await list(people.alex));
    expect(alex).toContain(support.waitingOld);
    expect(alex).not.toContain(sales);
    expect(ids(await list(people.sam))).toEqual([sales]);
    const admin = ids(await list(people.admin));
    expect(admin).toContain(sales);
    expect(admin).toContain(support.mine);
    const refused = await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.listConversations({}, people.ana)));
    expect(refused._tag).toBe("Forbidden");
    // Filtering on an inbox one is not a member of is refused, not silently empty.
    const other = await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.listConversations({ inboxId: "inbox_sales" }, people.alex)));
    expect(other._tag).toBe("Forbidden");
    // Also for an agent who is in no inbox at all.
    kit.db.sqlite.prepare("INSERT OR IGNORE INTO users (id, email, name, role, password_hash, created_at) VALUES ('usr_new', 'new@example.com', 'New', 'agent', 'x', 0)").run();
    const newcomer = { id: "usr_new", role: "agent" };
    expect((await list(newcomer)).conversations).toEqual([]);
    expect((await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.listConversations({ inboxId: "inbox_support" }, newcomer))))._tag).toBe("Forbidden");
  });

  it("puts each conversation in its views and counts them", async () => {
    const unassigned = await list(people.alex, { view: "unassigned" });
    expect(ids(unassigned)).toEqual(expect.arrayContaining([support.waitingOld, support.waitingNew, support.quiet]));
    expect(ids(unassigned)).not.toContain(support.mine);
    expect(ids(await list(people.alex, { view: "mine" }))).toEqual([support.mine]);
    expect(ids(await list(people.bo, { view: "mine" }))).toEqual([]);
    expect(ids(await list(people.alex, { view: "bot" }))).toEqual([support.bots]);
    expect(ids(await list(people.alex, { view: "closed" }))).toEqual([support.closed]);
    expect(unassigned.counts.mine).toBe(1);
    expect(unassigned.counts.bot).toBe(1);
    expect(unassigned.counts.all_open).toBe(unassigned.counts.unassigned + 1);
  });

  it("sorts open views by how long the visitor has waited, then by latest activity", async () => {
    const order = ids(await list(people.alex, { view: "all_open" }));
    const expected = [support.waitingOld, support.mine, support.waitingNew];
    expect(order.filter((id) => expected.includes(id))).toEqual(expected);
    // Nobody waits in `quiet`: it comes after every waiting conversation.
    expect(order.indexOf(support.quiet)).toBeGreaterThan(order.indexOf(support.waitingNew));
  });

  it("pages with a cursor without repeating or skipping", async () => {
    const all = ids(await list(people.admin, { view: "all_open", limit: 100 }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(people.admin, { view: "all_open", limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page.conversations.length).toBeLessThanOrEqual(2);
      seen.push(...ids(page));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all);
    const bad = await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.listConversations({ cursor: "nonsense" }, people.admin)));
    expect(bad._tag).toBe("InvalidInput");
  });

  it("filters by team, assignee and channel", async () => {
    expect(ids(await list(people.alex, { teamId: "team_support" }))).toEqual([support.waitingNew]);
    expect(ids(await list(people.admin, { assigneeId: people.alex.id }))).toEqual([support.mine]);
    expect(ids(await list(people.admin, { channelId: "chan_sales" }))).toEqual([sales]);
  });

  it("searches message text and contact names with FTS, treating operators as text", async () => {
    expect(ids(await list(people.alex, { search: "parcel" }))).toEqual([support.waitingOld]);
    expect(ids(await list(people.alex, { search: "refu" }))).toEqual([support.mine]);
    expect(ids(await list(people.alex, { search: "quote" }))).toEqual([]);
    for (const typed of ['"parcel', "(parcel)", "parcel*", "parcel -", "parcel)"]) {
      expect(ids(await list(people.alex, { search: typed })), typed).toEqual([support.waitingOld]);
    }
    // Every word must occur: "OR" is a word here, not an operator.
    expect(ids(await list(people.alex, { search: "parcel OR refund" }))).toEqual([]);
    kit.db.sqlite.prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('ct_lena', 'lena@shop.example', 'Lena Lund', 0, 0)").run();
    kit.db.sqlite.prepare("UPDATE conversations SET contact_id = 'ct_lena' WHERE id = ?").run(support.quiet);
    expect(ids(await list(people.alex, { search: "lena" }))).toEqual([support.quiet]);
    const page = await list(people.alex, { search: "lena@shop.example" });
    expect(page.conversations[0]?.title).toBe("Lena Lund");
  });

  it("marks conversations unread until the agent reads them, per agent", async () => {
    const id = kit.conversation({ messages: [{ author: "visitor", text: "hello?" }] });
    const unreadFor = async (actor: { readonly id: string; readonly role: string }) =>
      (await list(actor, { view: "all_open", limit: 200 })).conversations.find((c) => c.id === id)?.unread;
    expect(await unreadFor(people.alex)).toBe(true);
    const before = (await list(people.alex)).unread.all_open;
    await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.markRead(id, people.alex)));
    expect(await unreadFor(people.alex)).toBe(false);
    expect((await list(people.alex)).unread.all_open).toBe(before - 1);
    expect(await unreadFor(people.bo)).toBe(true);
    kit.db.sqlite.prepare("INSERT INTO messages (conversation_id, author, text, created_at) VALUES (?, 'visitor', 'still there?', 0)").run(id);
    expect(await unreadFor(people.alex)).toBe(true);
  });

  it("says on each row the language the visitor's browser said, or null without a visitor or a language (decision 055)", async () => {
    const german = kit.conversation();
    const none = kit.conversation({ visitorId: null });
    const unsaid = kit.conversation();
    kit.db.sqlite.prepare("UPDATE visitors SET language = NULL WHERE id = (SELECT visitor_id FROM conversations WHERE id = ?)").run(unsaid);
    const rows = (await list(people.alex, { view: "all_open", limit: 200 })).conversations;
    const languageOf = (id: string) => rows.find((c) => c.id === id)?.visitorLanguage;
    expect([languageOf(german), languageOf(none), languageOf(unsaid)]).toEqual(["de", null, null]);
  });
});

describe("the thread", () => {
  const startBotConversation = async () => {
    const chatflowId = await kit.run(
      Effect.gen(function* () {
        const flows = yield* Chatflows.Chatflows;
        const existing = yield* Effect.either(flows.get("flow_handoff"));
        if (existing._tag === "Left") {
          yield* flows.create({ id: "flow_handoff", name: "Handoff bot", kind: "bot", document: handoffFlow, channelId: "chan_web" });
          yield* flows.publish("flow_handoff");
          yield* flows.setEnabled("flow_handoff", true);
        }
        return "flow_handoff";
      }),
    );
    const visitorId = kit.visitor();
    const engine = await kit.run(Engine.Engine);
    const view = await kit.run(engine.startConversation({ visitorId, channelId: "chan_web", chatflowId, pageUrl: "https://shop.example/help" }));
    await kit.run(engine.handleVisitorMessage({ conversationId: view.conversation.id, visitorId, clientMessageId: "n1", text: "Grace" }));
    return { conversationId: view.conversation.id, visitorId };
  };

  it("holds the bot part, the handoff marker with what the bot collected, and the visitor's facts", async () => {
    const { conversationId } = await startBotConversation();
    const thread = await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.getThread(conversationId, people.alex)));
    expect(thread.conversation.status).toBe("open");
    expect(thread.conversation.pageUrl).toBe("https://shop.example/help");
    expect(thread.messages.map((m) => m.author)).toEqual(["bot", "bot", "visitor", "bot", "system"]);
    const marker = thread.messages.find((m) => m.handoff !== undefined);
    expect(marker?.internal).toBe(true);
    expect(marker?.handoff).toMatchObject({ name: "Grace" });
    expect(thread.visitor).toMatchObject({ device: "mobile", language: "de", currentPage: "https://shop.example/help" });
    expect(thread.visitor?.firstSeenAt).toBeLessThan(Date.now());
  });

  it("refuses agents of other inboxes (403) and unknown ids (404)", async () => {
    const id = kit.conversation();
    expect((await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.getThread(id, people.sam))))._tag).toBe("Forbidden");
    expect((await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.getThread("conv_nope", people.alex))))._tag).toBe("NotFound");
    // Access is decided before the input: a stranger with a bad version still hears 403.
    expect((await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.close(id, Number.NaN, people.sam))))._tag).toBe("Forbidden");
    expect((await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.assign(id, { userId: null }, 0, people.sam))))._tag).toBe("Forbidden");
    expect((await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.checkAccess(id, people.sam))))._tag).toBe("Forbidden");
    expect((await kit.fail(Effect.flatMap(Inbox, (inbox) => inbox.close(id, Number.NaN, people.alex))))._tag).toBe("InvalidInput");
  });

  it("stores one reply however often it is sent, and the visitor sees replies but never comments", async () => {
    const { conversationId, visitorId } = await startBotConversation();
    const send = () =>
      kit.run(Effect.flatMap(Inbox, (inbox) => inbox.reply({ conversationId, text: "Hi Grace, Alex here.", clientMessageId: "double" }, people.alex)));
    const [a, b] = await Promise.all([send(), send()]);
    expect(a.id).toBe(b.id);
    await send();
    await kit.run(
      Effect.flatMap(Inbox, (inbox) => inbox.comment({ conversationId, text: "VIP customer, be nice", clientMessageId: "note1" }, people.alex)),
    );
    const count = (kit.db.sqlite.prepare("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND author = 'agent'").get(conversationId) as { n: number }).n;
    expect(count).toBe(2);
    const engine = await kit.run(Engine.Engine);
    const visible = await kit.run(engine.listMessages({ conversationId, visitorId }));
    expect(visible.map((m) => m.text)).toContain("Hi Grace, Alex here.");
    expect(visible.map((m) => m.text)).not.toContain("VIP customer, be nice");
    const thread = await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.getThread(conversationId, people.bo)));
    expect(thread.messages.find((m) => m.text === "VIP customer, be nice")).toMatchObject({ internal: true, authorName: "Alex Agent" });
  });

  it("notifies each @mentioned member once, and nobody outside the inbox", async () => {
    const id = kit.conversation();
    const events: InboxEvent[] = [];
    const stop = await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.watch(people.bo, (e) => events.push(e))));
    const comment = () =>
      kit.run(
        Effect.flatMap(Inbox, (inbox) => inbox.comment({ conversationId: id, text: "@Bo Berg can you take this? cc @sam", clientMessageId: "m1" }, people.alex)),
      );
    const result = await comment();
    await comment();
    stop();
    expect(result.mentioned.map((p) => p.id)).toEqual([people.bo.id]);
    const mentions = events.filter((e) => (e.data as { change?: string }).change === "mention");
    expect(mentions).toHaveLength(1);
    expect(mentions[0]!.data).toMatchObject({ userIds: [people.bo.id], by: { id: people.alex.id } });
    const logged = kit.db.sqlite.prepare("SELECT user_id FROM events WHERE type = 'mentioned' AND conversation_id = ?").all(id);
    expect(logged).toEqual([{ user_id: people.bo.id }]);
  });

  it("closes and reopens with the version, and a stale version gets a conflict", async () => {
    const id = kit.conversation({ assigneeId: people.alex.id });
    const inbox = await kit.run(Inbox);
    const fresh = await kit.run(inbox.getThread(id, people.alex));
    // Bo replies meanwhile: the version Alex holds is now stale.
    await kit.run(inbox.reply({ conversationId: id, text: "On it", clientMessageId: "bo1" }, people.bo));
    const stale = await kit.fail(inbox.close(id, fresh.conversation.version, people.alex));
    expect(stale._tag).toBe("Conflict");
    const current = await kit.run(inbox.getThread(id, people.alex));
    const closed = await kit.run(inbox.close(id, current.conversation.version, people.alex));
    expect(closed.status).toBe("closed");
    // A double click closes once and does not complain.
    expect((await kit.run(inbox.close(id, current.conversation.version, people.alex))).status).toBe("closed");
    const reply = await kit.fail(inbox.reply({ conversationId: id, text: "late", clientMessageId: "late" }, people.alex));
    expect(reply._tag).toBe("Conflict");
    const reopened = await kit.run(inbox.reopen(id, closed.version, people.alex));
    expect(reopened.status).toBe("open");
    expect(reopened.version).toBe(closed.version + 1);
    const log = kit.db.sqlite.prepare("SELECT data FROM events WHERE type = 'status_changed' AND conversation_id = ? ORDER BY id").all(id) as Array<{ data: string }>;
    expect(log.map((e) => JSON.parse(e.data).to)).toEqual(["closed", "open"]);
  });

  it("reassigns through Routing: the new assignee has it in Assigned to me, a stale version conflicts", async () => {
    const id = kit.conversation({ assigneeId: people.alex.id });
    const inbox = await kit.run(Inbox);
    const assigned = await kit.run(inbox.assign(id, { userId: people.bo.id }, 1, people.alex));
    expect(assigned.assignee?.id).toBe(people.bo.id);
    expect(ids(await list(people.bo, { view: "mine" }))).toContain(id);
    expect(ids(await list(people.alex, { view: "mine" }))).not.toContain(id);
    const stale = await kit.fail(inbox.assign(id, { userId: people.alex.id }, 1, people.bo));
    expect(stale._tag).toBe("Conflict");
    const outsider = await kit.fail(inbox.assign(id, { userId: people.sam.id }, assigned.version, people.alex));
    expect(outsider._tag).toBe("InvalidInput");
    expect(Routing.Routing).toBeDefined();
  });

  it("feeds an agent only the events of their inboxes", async () => {
    const events: InboxEvent[] = [];
    const stop = await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.watch(people.sam, (e) => events.push(e))));
    const supportId = kit.conversation();
    const salesId = kit.conversation({ inboxId: "inbox_sales" });
    const inbox = await kit.run(Inbox);
    await kit.run(inbox.reply({ conversationId: supportId, text: "support reply", clientMessageId: "s1" }, people.alex));
    await kit.run(inbox.reply({ conversationId: salesId, text: "sales reply", clientMessageId: "s2" }, people.sam));
    await kit.run(inbox.setTyping(salesId, true, false, people.sam));
    stop();
    expect(events.map((e) => e.conversationId).every((c) => c === salesId)).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(["message", "typing"]));
    const refused = await kit.fail(Effect.flatMap(Inbox, (i) => i.watch(people.ana, () => {})));
    expect(refused._tag).toBe("Forbidden");
  });

  it("with hearBot, hears a bot-held conversation's messages only when it says so; everything else as before", async () => {
    const inbox = await kit.run(Inbox);
    const live = await kit.run(LiveEvents.LiveEvents);
    const heard: InboxEvent[] = [];
    const wanted = new Set<string>();
    const stop = await kit.run(inbox.watch(people.alex, (e) => heard.push(e), { hearBot: (id) => wanted.has(id) }));
    const botId = kit.conversation({ status: "bot" });
    const said = (n: number) => ({ conversationId: botId, inboxId: "inbox_support", kind: "message" as const, id: String(n), bot: true, data: { author: "bot" } });
    live.publishNow(said(1));
    live.publishNow({ conversationId: botId, inboxId: "inbox_support", kind: "status", data: { status: "open", from: "bot" } });
    wanted.add(botId);
    live.publishNow(said(2));
    stop();
    expect(heard.map((e) => [e.kind, e.id ?? null, e.bot ?? false])).toEqual([
      ["status", null, false],
      ["message", "2", true],
    ]);
  });

  it("with many agents watching, still feeds each only their inboxes' events, one event object for all", async () => {
    const inbox = await kit.run(Inbox);
    // Enough feeds that the inbox's members are read once per event (MEMBERS_READ_FROM).
    const heard = { alex: [] as InboxEvent[], bo: [] as InboxEvent[], sam: [] as InboxEvent[] };
    const stops = [
      ...[people.alex, people.alex, people.alex, people.bo, people.bo, people.bo].map((p) =>
        kit.run(inbox.watch(p, (e) => heard[p === people.alex ? "alex" : "bo"].push(e))),
      ),
      ...[1, 2, 3, 4].map(() => kit.run(inbox.watch(people.sam, (e) => heard.sam.push(e)))),
    ];
    const stop = await Promise.all(stops);
    const supportId = kit.conversation();
    const salesId = kit.conversation({ inboxId: "inbox_sales" });
    await kit.run(inbox.reply({ conversationId: supportId, text: "support reply", clientMessageId: "many1" }, people.alex));
    await kit.run(inbox.reply({ conversationId: salesId, text: "sales reply", clientMessageId: "many2" }, people.sam));
    // Sam leaves the Sales inbox: the next event of it reaches none of Sam's feeds.
    kit.db.sqlite.prepare("DELETE FROM inbox_members WHERE inbox_id = 'inbox_sales' AND user_id = ?").run(people.sam.id);
    await kit.run(inbox.setTyping(salesId, true, false, people.admin));
    kit.db.sqlite.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES ('inbox_sales', ?)").run(people.sam.id);
    for (const s of stop) s();

    expect(heard.alex.length).toBeGreaterThan(0);
    expect(heard.alex.every((e) => e.conversationId === supportId)).toBe(true);
    expect(heard.bo.every((e) => e.conversationId === supportId)).toBe(true);
    expect(heard.sam.every((e) => e.conversationId === salesId && e.kind !== "typing")).toBe(true);
    // Three feeds each: every event heard three times, the same object each time.
    expect(heard.alex.length % 3).toBe(0);
    const firstMessage = heard.alex.find((e) => e.kind === "message")!;
    expect(heard.alex.filter((e) => e === firstMessage)).toHaveLength(3);
    expect(heard.bo.filter((e) => e === firstMessage)).toHaveLength(3);
    expect(heard.sam.some((e) => e.kind === "message")).toBe(true);
    expect(heard.sam.length % 4).toBe(0);
    expect(inboxEventFrame(firstMessage)).toBe(`event: message\ndata: ${JSON.stringify(firstMessage)}\n\n`);
    // Below the threshold again: one feed reads its membership per event.
    const alone: InboxEvent[] = [];
    const stopAlone = await kit.run(inbox.watch(people.sam, (e) => alone.push(e)));
    await kit.run(inbox.setTyping(salesId, true, false, people.admin));
    await kit.run(inbox.setTyping(supportId, true, false, people.admin));
    stopAlone();
    expect(alone.map((e) => [e.kind, e.conversationId])).toEqual([["typing", salesId]]);
  });

  it("tells the visitor a reply is being written, but never that a comment is", async () => {
    const id = kit.conversation();
    const visitorSide: string[] = [];
    const stop = kit.live.subscribeConversation(id, (e) => visitorSide.push(`${e.kind}:${JSON.stringify(e.data)}`));
    const inbox = await kit.run(Inbox);
    await kit.run(inbox.setTyping(id, true, true, people.alex));
    expect(visitorSide).toEqual([]);
    await kit.run(inbox.setTyping(id, true, false, people.alex));
    stop();
    expect(visitorSide).toHaveLength(1);
    expect(visitorSide[0]).toContain('"typing":true');
  });

  it("offers filter options limited to the actor's inboxes", async () => {
    const sam = await kit.run(Effect.flatMap(Inbox, (inbox) => inbox.options(people.sam)));
    expect(sam.inboxes.map((i) => i.name)).toEqual(["Sales"]);
    expect(sam.channels.map((c) => c.id)).toEqual(["chan_sales"]);
    expect(sam.people.map((p) => p.id).sort()).toEqual([people.admin.id, people.sam.id].sort());
  });
});

describe("pending: the team waits on the visitor", () => {
  const row = (id: string) =>
    kit.db.sqlite.prepare("SELECT status, version, waiting_since, closed_at FROM conversations WHERE id = ?").get(id) as {
      status: string;
      version: number;
      waiting_since: number | null;
      closed_at: number | null;
    };
  const statusLog = (id: string) =>
    (kit.db.sqlite.prepare("SELECT user_id, data FROM events WHERE type = 'status_changed' AND conversation_id = ? ORDER BY id").all(id) as Array<{
      user_id: string | null;
      data: string;
    }>).map((e) => ({ userId: e.user_id, ...JSON.parse(e.data) }));

  it("marks an open conversation pending and open again with the version, logging and publishing each change", async () => {
    const id = kit.conversation({ assigneeId: people.alex.id, messages: [{ author: "visitor", text: "Where is my order?" }] });
    expect(row(id).waiting_since).toEqual(expect.any(Number));
    const inbox = await kit.run(Inbox);
    const seenByBo: InboxEvent[] = [];
    const stop = await kit.run(inbox.watch(people.bo, (e) => seenByBo.push(e)));
    const pending = await kit.run(inbox.markPending(id, 1, people.alex));
    expect(pending).toMatchObject({ status: "pending", version: 2, waitingSince: null });
    expect(row(id)).toMatchObject({ status: "pending", version: 2, waiting_since: null });
    // A double click changes nothing and does not complain.
    expect((await kit.run(inbox.markPending(id, 1, people.alex))).version).toBe(2);
    const open = await kit.run(inbox.markOpen(id, 2, people.bo));
    expect(open).toMatchObject({ status: "open", version: 3 });
    stop();
    expect(statusLog(id)).toEqual([
      { userId: people.alex.id, from: "open", to: "pending", by: people.alex.id },
      { userId: people.bo.id, from: "pending", to: "open", by: people.bo.id },
    ]);
    const changes = seenByBo.filter((e) => e.conversationId === id && e.kind === "conversation").map((e) => e.data);
    expect(changes).toEqual([
      { status: "pending", from: "open", by: people.alex.id, created: false },
      { status: "open", from: "pending", by: people.bo.id, created: false },
    ]);
  });

  it("closes a pending conversation, and reopening a closed one still gives it back open", async () => {
    const id = kit.conversation({ assigneeId: people.alex.id });
    const inbox = await kit.run(Inbox);
    await kit.run(inbox.markPending(id, 1, people.alex));
    const closed = await kit.run(inbox.close(id, 2, people.alex));
    expect(closed).toMatchObject({ status: "closed", version: 3, closedAt: expect.any(Number) });
    const reopened = await kit.run(inbox.reopen(id, 3, people.alex));
    expect(reopened).toMatchObject({ status: "open", version: 4, closedAt: null });
    expect(statusLog(id).map((e) => `${e.from}→${e.to}`)).toEqual(["open→pending", "pending→closed", "closed→open"]);
  });

  it("refuses changes that do not start where they must, a stale version and strangers, changing nothing", async () => {
    const inbox = await kit.run(Inbox);
    const closed = kit.conversation({ status: "closed" });
    const bot = kit.conversation({ status: "bot" });
    const pending = kit.conversation({ status: "pending", waitingSince: null });
    const open = kit.conversation();
    const refusals = [
      [inbox.markPending(closed, 1, people.alex), "This conversation is closed; only an open conversation can be marked pending."],
      [inbox.markPending(bot, 1, people.alex), "This conversation is bot; only an open conversation can be marked pending."],
      [inbox.markOpen(closed, 1, people.alex), "This conversation is closed; only a pending conversation can be marked open (reopen a closed one)."],
      [inbox.markOpen(bot, 1, people.alex), "This conversation is bot; only a pending conversation can be marked open."],
      [inbox.reopen(pending, 1, people.alex), "This conversation is pending; only a closed conversation can be reopened."],
      [inbox.markPending(open, 7, people.alex), "Someone else changed this conversation first. It has been reloaded: check it and try again."],
    ] as const;
    const before = [closed, bot, pending, open].map(row);
    for (const [effect, message] of refusals) {
      const failure = await kit.fail(effect);
      expect(failure).toMatchObject({ _tag: "Conflict", message });
    }
    expect((await kit.fail(inbox.markPending(open, 1, people.sam)))._tag).toBe("Forbidden");
    expect((await kit.fail(inbox.markOpen(pending, 1, people.ana)))._tag).toBe("Forbidden");
    expect((await kit.fail(inbox.markPending("conv_nope", 1, people.alex)))._tag).toBe("NotFound");
    expect((await kit.fail(inbox.markPending(open, 0, people.alex)))._tag).toBe("InvalidInput");
    expect([closed, bot, pending, open].map(row)).toEqual(before);
    for (const id of [closed, bot, pending, open]) expect(statusLog(id)).toEqual([]);
  });

  it("has a view of its own, stays in Assigned to me below everything that owes an answer, and is counted", async () => {
    const t = Date.now() - 60_000;
    const waiting = kit.conversation({ assigneeId: people.bo.id, waitingSince: t, lastActivityAt: t });
    const answered = kit.conversation({ assigneeId: people.bo.id, waitingSince: null, lastActivityAt: t + 10 });
    const parked = kit.conversation({ assigneeId: people.bo.id, lastActivityAt: t + 20 });
    const inbox = await kit.run(Inbox);
    await kit.run(inbox.markPending(parked, 1, people.bo));
    const mine = await list(people.bo, { view: "mine", limit: 200 });
    const ours = [waiting, answered, parked];
    // The pending one is the latest activity, yet it comes last: nobody owes its visitor an answer.
    expect(ids(mine).filter((id) => ours.includes(id))).toEqual(ours);
    expect(mine.conversations.at(-1)).toMatchObject({ id: parked, status: "pending" });
    const pendingView = await list(people.bo, { view: "pending", assigneeId: "me" });
    expect(ids(pendingView)).toEqual([parked]);
    expect(pendingView.counts.pending).toBe(1);
    expect(mine.counts.mine).toBe(ids(mine).length);
    expect(ids(await list(people.bo, { view: "pending", limit: 200 }))).toContain(parked);
    expect(ids(await list(people.bo, { view: "pending", limit: 200 }))).not.toContain(answered);
  });

  it("opens again, waiting from the visitor's message, when the visitor writes", async () => {
    const visitorId = kit.visitor();
    const id = kit.conversation({ visitorId, assigneeId: people.alex.id, messages: [{ author: "visitor", text: "Is it shipped?" }] });
    const inbox = await kit.run(Inbox);
    await kit.run(inbox.reply({ conversationId: id, text: "Can you send me the order number?", clientMessageId: "ask" }, people.alex));
    const { version } = await kit.run(inbox.getThread(id, people.alex)).then((t) => t.conversation);
    await kit.run(inbox.markPending(id, version, people.alex));
    const engine = await kit.run(Engine.Engine);
    const sentAt = Date.now();
    const answer = await kit.run(engine.handleVisitorMessage({ conversationId: id, visitorId, clientMessageId: "v2", text: "It is 4711" }));
    expect(answer.status).toBe("open");
    const after = row(id);
    expect(after.status).toBe("open");
    expect(after.waiting_since).toBeGreaterThanOrEqual(sentAt);
    expect(after.version).toBeGreaterThan(version + 1);
    expect(statusLog(id).at(-1)).toMatchObject({ from: "pending", to: "open" });
    // Back among those that owe an answer, on top of the pending ones.
    const mine = await list(people.alex, { view: "mine", limit: 200 });
    expect(mine.conversations.find((c) => c.id === id)).toMatchObject({ status: "open", waitingSince: after.waiting_since });
  });
});
