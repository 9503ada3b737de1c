import { Effect, Either, Layer } from "effect";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as Db from "./database.js";
import * as LiveEventsModule from "./live-events.js";
import { makeLiveEvents, type LiveEvent } from "./live-events.js";
import type { TeamHours } from "../../flows/team-hours.js";
import { contactOwnerRoute, languageWaitsAt, layer as routingLayer, makeRouting, Routing, type RoutingShape } from "./routing.js";
import { encodeTeamHours } from "./team-hours.js";

// ---------------------------------------------------------------------------------------------
// Fixtures: a fresh SQLite file per test, rows written directly.

let dir: string;
let db: Db.DatabaseShape;
let live: ReturnType<typeof makeLiveEvents>;
let published: LiveEvent[];
let routing: RoutingShape;
let clock = 1_000_000;

const open = () => {
  db = Db.openDatabase({ path: join(dir, "routing.sqlite"), synchronous: "NORMAL" });
  live = makeLiveEvents();
  published = [];
  live.subscribeAll((e) => published.push(e));
  routing = makeRouting({ db, live });
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parley-routing-"));
  open();
  const s = db.sqlite;
  s.prepare("INSERT INTO inboxes (id, name, routing, created_at) VALUES ('inbox_a', 'Support', ?, 1)").run(
    JSON.stringify({ mode: "round_robin" }),
  );
  s.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_b', 'Sales', 1)").run();
  s.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_a', 'inbox_a', 'chat', 'Chat', 1)").run();
  s.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_b', 'inbox_b', 'chat', 'Chat B', 1)").run();
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const runEither = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.either(effect));

const user = (id: string, options: { role?: string; availability?: string; inboxes?: string[]; teams?: string[] } = {}) => {
  const s = db.sqlite;
  s.prepare(
    "INSERT INTO users (id, email, name, role, password_hash, availability, created_at) VALUES (?, ?, ?, ?, 'x', ?, 1)",
  ).run(id, `${id}@example.com`, id, options.role ?? "agent", options.availability ?? "available");
  for (const inbox of options.inboxes ?? ["inbox_a"]) s.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)").run(inbox, id);
  for (const team of options.teams ?? []) s.prepare("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)").run(team, id);
};

const team = (id: string) => db.sqlite.prepare("INSERT INTO teams (id, name, created_at) VALUES (?, ?, 1)").run(id, id);

const setRouting = (inboxId: string, routingConfig: unknown) =>
  db.sqlite.prepare("UPDATE inboxes SET routing = ? WHERE id = ?").run(JSON.stringify(routingConfig), inboxId);

const setAvailability = (userId: string, availability: "available" | "away") =>
  db.sqlite.prepare("UPDATE users SET availability = ? WHERE id = ?").run(availability, userId);

let conversationCount = 0;
/** An open, unassigned conversation whose visitor started waiting at `waitingSince`. */
const conversation = (options: { inbox?: string; waitingSince?: number; teamId?: string | null; status?: string } = {}) => {
  const id = `conv_${++conversationCount}`;
  const inbox = options.inbox ?? "inbox_a";
  const waiting = options.waitingSince ?? ++clock;
  db.sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, team_id, created_at, updated_at, last_activity_at, waiting_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id, inbox === "inbox_a" ? "chan_a" : "chan_b", inbox, options.status ?? "open", options.teamId ?? null, waiting, waiting, waiting, waiting);
  return id;
};

const row = (id: string) =>
  db.sqlite.prepare("SELECT assignee_id, team_id, queued_at, version, status FROM conversations WHERE id = ?").get(id) as {
    assignee_id: string | null;
    team_id: string | null;
    queued_at: number | null;
    version: number;
    status: string;
  };

const events = (type: string) =>
  db.sqlite.prepare("SELECT conversation_id, user_id, team_id, data FROM events WHERE type = ? ORDER BY id").all(type) as Array<{
    conversation_id: string;
    user_id: string | null;
    team_id: string | null;
    data: string;
  }>;

const route = (id: string, target: Parameters<RoutingShape["routeConversation"]>[1] = { type: "routing" }) =>
  run(routing.routeConversation(id, target));

const closeConversation = (id: string) =>
  db.sqlite.prepare("UPDATE conversations SET status = 'closed', closed_at = 1, version = version + 1 WHERE id = ?").run(id);

// ---------------------------------------------------------------------------------------------

describe("round-robin", () => {
  it("assigns available members in turn, writes an assigned event and publishes an assignment", async () => {
    user("ann");
    user("bob");
    user("cid");
    const ids = Array.from({ length: 6 }, () => conversation());
    const assignees: Array<string | null> = [];
    for (const id of ids) assignees.push((await route(id)).assigneeId);
    expect(assignees).toEqual(["ann", "bob", "cid", "ann", "bob", "cid"]);

    expect(row(ids[0]!)).toMatchObject({ assignee_id: "ann", queued_at: null, version: 2 });
    const assigned = events("assigned");
    expect(assigned.map((e) => e.user_id)).toEqual(assignees);
    expect(JSON.parse(assigned[0]!.data)).toMatchObject({ via: "round_robin", by: null });
    const live = published.filter((e) => e.kind === "assignment");
    expect(live.map((e) => (e.data as { assigneeId: string }).assigneeId)).toEqual(assignees);
    expect(live[0]).toMatchObject({ conversationId: ids[0], inboxId: "inbox_a", data: { queued: false, version: 2 } });
  });

  it("skips members who are away, disabled, not agents or at their cap", async () => {
    setRouting("inbox_a", { mode: "round_robin", maxOpenPerAgent: 2 });
    user("ann");
    user("bob", { availability: "away" });
    user("cid");
    user("dee", { role: "marketer" });
    user("eve");
    db.sqlite.prepare("UPDATE users SET disabled_at = 1 WHERE id = 'eve'").run();
    const assignees: Array<string | null> = [];
    for (let i = 0; i < 4; i++) assignees.push((await route(conversation())).assigneeId);
    expect(assignees).toEqual(["ann", "cid", "ann", "cid"]);

    // Both are at their cap of 2 open conversations: the fifth waits.
    const fifth = conversation();
    expect(await route(fifth)).toEqual({ assigneeId: null, queued: true });
    expect(row(fifth).queued_at).not.toBeNull();
  });

  it("counts only open conversations against the cap", async () => {
    setRouting("inbox_a", { mode: "round_robin", maxOpenPerAgent: 1 });
    user("ann");
    const first = conversation();
    expect((await route(first)).assigneeId).toBe("ann");
    expect((await route(conversation())).queued).toBe(true);
    closeConversation(first);
    expect((await route(conversation())).assigneeId).toBe("ann");
  });

  it("keeps its pointer across a restart", async () => {
    user("ann");
    user("bob");
    user("cid");
    expect((await route(conversation())).assigneeId).toBe("ann");
    expect((await route(conversation())).assigneeId).toBe("bob");
    await db.close();
    open();
    expect((await route(conversation())).assigneeId).toBe("cid");
    expect((await route(conversation())).assigneeId).toBe("ann");
  });

  it("never hands two conversations routed at once the same turn", async () => {
    user("ann");
    user("bob");
    user("cid");
    const ids = Array.from({ length: 30 }, () => conversation());
    const results = await run(Effect.all(ids.map((id) => routing.routeConversation(id, { type: "routing" })), { concurrency: "unbounded" }));
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.assigneeId!] = (counts[r.assigneeId!] ?? 0) + 1;
    expect(counts).toEqual({ ann: 10, bob: 10, cid: 10 });
  });

  it("routes among the inbox's team when routing names one, and sets the team", async () => {
    team("team_x");
    setRouting("inbox_a", { mode: "round_robin", teamId: "team_x" });
    user("ann", { teams: ["team_x"] });
    user("bob");
    user("cid", { teams: ["team_x"] });
    const assignees: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const id = conversation();
      assignees.push((await route(id)).assigneeId);
      expect(row(id).team_id).toBe("team_x");
    }
    expect(assignees).toEqual(["ann", "cid", "ann"]);
  });
});

describe("targets", () => {
  it("leaves a conversation unassigned and not queued in a manual inbox", async () => {
    setRouting("inbox_a", { mode: "manual" });
    user("ann");
    const id = conversation();
    expect(await route(id)).toEqual({ assigneeId: null, queued: false });
    expect(row(id)).toMatchObject({ assignee_id: null, queued_at: null, version: 1 });
  });

  it("routes a team target among that team's members who may work in the inbox, even in a manual inbox", async () => {
    setRouting("inbox_a", { mode: "manual" });
    team("team_x");
    user("ann", { teams: ["team_x"], inboxes: ["inbox_b"] });
    user("bob", { teams: ["team_x"] });
    user("root", { role: "admin", inboxes: [], teams: ["team_x"] });
    const a = conversation();
    const b = conversation();
    const c = conversation();
    expect((await route(a, { type: "team", teamId: "team_x" })).assigneeId).toBe("bob");
    expect((await route(b, { type: "team", teamId: "team_x" })).assigneeId).toBe("root");
    expect((await route(c, { type: "team", teamId: "team_x" })).assigneeId).toBe("bob");
    expect(row(a).team_id).toBe("team_x");
  });

  it("gives a user target to that user, and falls back to routing when they cannot work in the inbox", async () => {
    user("ann");
    user("bob", { availability: "away" });
    user("out", { inboxes: ["inbox_b"] });
    const a = conversation();
    expect(await route(a, { type: "user", userId: "bob" })).toEqual({ assigneeId: "bob", queued: false });
    expect(JSON.parse(events("assigned")[0]!.data).via).toBe("target");
    expect((await route(conversation(), { type: "user", userId: "out" })).assigneeId).toBe("ann");
    expect((await route(conversation(), { type: "user", userId: "nobody" })).assigneeId).toBe("ann");
  });

  it("gives a contact_owner target to the contact's owner when available and below the cap, else to routing", async () => {
    user("ann");
    user("owen");
    setRouting("inbox_a", { mode: "round_robin", maxOpenPerAgent: 1 });
    const s = db.sqlite;
    s.prepare("INSERT INTO contacts (id, owner_id, created_at, updated_at) VALUES ('ct_o', 'owen', 1, 1), ('ct_n', NULL, 1, 1)").run();
    const withContact = (contactId: string | null) => {
      const id = conversation();
      s.prepare("UPDATE conversations SET contact_id = ? WHERE id = ?").run(contactId, id);
      return id;
    };
    expect(await route(withContact("ct_o"), { type: "contact_owner" })).toEqual({ assigneeId: "owen", queued: false });
    // Owen is at the cap now: the next one goes round-robin, to Ann.
    expect(await route(withContact("ct_o"), { type: "contact_owner" })).toEqual({ assigneeId: "ann", queued: false });
    expect(await route(withContact("ct_n"), { type: "contact_owner" })).toEqual({ assigneeId: null, queued: true });
    expect(contactOwnerRoute(db.prepare, "ct_o", "inbox_a")).toEqual({ to: "routing", ownerId: "owen", reason: "owner_at_capacity" });
    expect(contactOwnerRoute(db.prepare, "ct_o", "inbox_b")).toEqual({ to: "routing", ownerId: "owen", reason: "owner_not_member" });
    expect(contactOwnerRoute(db.prepare, "ct_missing", "inbox_a")).toEqual({ to: "routing", ownerId: null, reason: "unknown_visitor" });
  });

  it("with contactOwnerFirst, gives routed conversations of known contacts to their available owner, in any mode", async () => {
    user("ann");
    user("owen");
    const s = db.sqlite;
    s.prepare("INSERT INTO contacts (id, owner_id, created_at, updated_at) VALUES ('ct_o', 'owen', 1, 1)").run();
    const known = (inbox = "inbox_a") => {
      const id = conversation({ inbox });
      s.prepare("UPDATE conversations SET contact_id = 'ct_o' WHERE id = ?").run(id);
      return id;
    };
    // Without the option, round-robin decides alone (Ann's turn first, by name).
    expect((await route(known())).assigneeId).toBe("ann");
    setRouting("inbox_a", { mode: "round_robin", contactOwnerFirst: true });
    expect(await route(known())).toEqual({ assigneeId: "owen", queued: false });
    expect(JSON.parse(events("assigned").at(-1)!.data).via).toBe("contact_owner");
    // An unknown visitor still goes round-robin; an away owner too.
    expect((await route(conversation())).assigneeId).not.toBeNull();
    setAvailability("owen", "away");
    expect((await route(known())).assigneeId).toBe("ann");
    setAvailability("owen", "available");
    // A manual inbox leaves others unassigned but still gives the owner their contact's conversation.
    user("sal", { inboxes: ["inbox_b"] });
    s.prepare("UPDATE contacts SET owner_id = 'sal' WHERE id = 'ct_o'").run();
    setRouting("inbox_b", { mode: "manual", contactOwnerFirst: true });
    expect(await route(known("inbox_b"))).toEqual({ assigneeId: "sal", queued: false });
    expect(await route(conversation({ inbox: "inbox_b" }))).toEqual({ assigneeId: null, queued: false });
  });

  it("refuses to route a conversation that is not open, and an unknown one", async () => {
    user("ann");
    const closed = conversation({ status: "closed" });
    const refused = await runEither(routing.routeConversation(closed, { type: "routing" }));
    expect(Either.isLeft(refused) && refused.left._tag).toBe("Conflict");
    const missing = await runEither(routing.routeConversation("conv_nope", { type: "routing" }));
    expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound");
  });
});

describe("the queue", () => {
  it("queues when nobody is available and drains FIFO as soon as someone is", async () => {
    user("ann", { availability: "away" });
    user("bob", { availability: "away" });
    setRouting("inbox_a", { mode: "round_robin", maxOpenPerAgent: 1 });
    // Routed out of waiting order: the queue follows when visitors started waiting, not routing order.
    const late = conversation({ waitingSince: 5000 });
    const early = conversation({ waitingSince: 1000 });
    const middle = conversation({ waitingSince: 3000 });
    for (const id of [late, early, middle]) expect(await route(id)).toEqual({ assigneeId: null, queued: true });
    expect(events("queued").map((e) => e.conversation_id)).toEqual([late, early, middle]);
    expect(await run(routing.queueStats())).toEqual({ inbox_a: { queued: 3, oldestQueuedAt: 1000, closedTeams: [] } });
    expect(published.filter((e) => e.kind === "assignment").every((e) => (e.data as { queued: boolean }).queued)).toBe(true);

    setAvailability("ann", "available");
    const first = await run(routing.drainQueue("inbox_a"));
    // Ann's cap is 1: she takes the one that waited longest; the others keep waiting.
    expect(first.map((a) => [a.conversationId, a.assigneeId, a.via])).toEqual([[early, "ann", "queue"]]);
    expect(row(early).queued_at).toBeNull();

    setAvailability("bob", "available");
    expect((await run(routing.drainQueue())).map((a) => [a.conversationId, a.assigneeId])).toEqual([[middle, "bob"]]);

    closeConversation(early);
    expect((await run(routing.drainQueue("inbox_a"))).map((a) => [a.conversationId, a.assigneeId])).toEqual([[late, "ann"]]);
    expect(await run(routing.queueStats())).toEqual({});
  });

  it("drains one inbox without touching another's queue", async () => {
    setRouting("inbox_b", { mode: "round_robin" });
    user("ann", { availability: "away", inboxes: ["inbox_a", "inbox_b"] });
    const a = conversation();
    const b = conversation({ inbox: "inbox_b" });
    await route(a);
    await route(b);
    setAvailability("ann", "available");
    expect((await run(routing.drainQueue("inbox_b"))).map((x) => x.conversationId)).toEqual([b]);
    expect(row(a).queued_at).not.toBeNull();
  });

  it("keeps a team's queue behind that team, while another pool still drains", async () => {
    team("team_x");
    user("ann");
    user("tex", { availability: "away", teams: ["team_x"] });
    setAvailability("ann", "away");
    const forTeam = conversation({ waitingSince: 1 });
    const forInbox = conversation({ waitingSince: 2 });
    await route(forTeam, { type: "team", teamId: "team_x" });
    await route(forInbox);
    setAvailability("ann", "available");
    expect((await run(routing.drainQueue())).map((x) => [x.conversationId, x.assigneeId])).toEqual([[forInbox, "ann"]]);
    expect(row(forTeam)).toMatchObject({ assignee_id: null, team_id: "team_x" });
    setAvailability("tex", "available");
    expect((await run(routing.drainQueue())).map((x) => [x.conversationId, x.assigneeId])).toEqual([[forTeam, "tex"]]);
  });

  it("forgets a queued conversation that gets closed or assigned by anyone (database trigger)", async () => {
    user("ann", { availability: "away" });
    const a = conversation();
    const b = conversation();
    await route(a);
    await route(b);
    closeConversation(a);
    db.sqlite.prepare("UPDATE conversations SET assignee_id = 'ann' WHERE id = ?").run(b);
    expect(row(a).queued_at).toBeNull();
    expect(row(b).queued_at).toBeNull();
  });

  it("leaves the queue when the inbox is switched to manual (people pick from Unassigned)", async () => {
    user("ann", { availability: "away" });
    const a = conversation();
    await route(a);
    setRouting("inbox_a", { mode: "manual" });
    expect(await run(routing.drainQueue())).toEqual([expect.objectContaining({ conversationId: a, assigneeId: null, queued: false })]);
    expect(row(a).queued_at).toBeNull();
  });

  it("drains on start what waited while the server was down", async () => {
    user("ann", { availability: "away" });
    const a = conversation();
    await route(a);
    setAvailability("ann", "available");
    await db.close();
    const layer = routingLayer.pipe(
      Layer.provide(Layer.mergeAll(Db.layer({ path: join(dir, "routing.sqlite"), synchronous: "NORMAL" }), LiveEventsModule.layer)),
    );
    await Effect.runPromise(Effect.scoped(Layer.build(layer).pipe(Effect.map((context) => context.unsafeMap.has(Routing.key)))));
    open();
    expect(row(a)).toMatchObject({ assignee_id: "ann", queued_at: null });
  });

  it("property: after a drain, nothing waits while someone eligible is free, and nobody exceeds the cap", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ available: fc.boolean(), open: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 8 }),
        async (agents, cap, conversations) => {
          db.sqlite.exec("DELETE FROM routing_turns; DELETE FROM conversations; DELETE FROM inbox_members; DELETE FROM users;");
          setRouting("inbox_a", { mode: "round_robin", maxOpenPerAgent: cap });
          agents.forEach((a, i) => {
            user(`u${i}`, { availability: "away" });
            for (let k = 0; k < a.open; k++) {
              const id = conversation();
              db.sqlite.prepare("UPDATE conversations SET assignee_id = ? WHERE id = ?").run(`u${i}`, id);
            }
          });
          const waiting = Array.from({ length: conversations }, () => conversation());
          for (const id of waiting) expect((await route(id)).queued).toBe(true);
          agents.forEach((a, i) => a.available && setAvailability(`u${i}`, "available"));
          await run(routing.drainQueue());
          const load = (i: number) =>
            (db.sqlite.prepare("SELECT COUNT(*) AS n FROM conversations WHERE assignee_id = ? AND status = 'open'").get(`u${i}`) as { n: number }).n;
          const stillQueued = waiting.filter((id) => row(id).queued_at !== null);
          agents.forEach((a, i) => {
            const before = a.open;
            if (!a.available) expect(load(i)).toBe(before);
            else expect(load(i)).toBeLessThanOrEqual(Math.max(before, cap));
            if (a.available && stillQueued.length > 0) expect(load(i)).toBeGreaterThanOrEqual(cap);
          });
          // FIFO: whatever still waits came after everything that was assigned.
          const assignedIndexes = waiting.map((id, i) => (row(id).assignee_id !== null ? i : -1)).filter((i) => i >= 0);
          const queuedIndexes = waiting.map((id, i) => (row(id).queued_at !== null ? i : -1)).filter((i) => i >= 0);
          if (assignedIndexes.length > 0 && queuedIndexes.length > 0) expect(Math.max(...assignedIndexes)).toBeLessThan(Math.min(...queuedIndexes));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("assign", () => {
  it("reassigns with the current version, bumps it, writes the event and publishes", async () => {
    user("ann");
    user("bob");
    const id = conversation();
    await route(id);
    const assignment = await run(routing.assign(id, { userId: "bob" }, "ann", 2));
    expect(assignment).toMatchObject({ assigneeId: "bob", version: 3, previousAssigneeId: "ann", via: "manual", byUserId: "ann" });
    expect(row(id)).toMatchObject({ assignee_id: "bob", version: 3 });
    expect(JSON.parse(events("assigned").at(-1)!.data)).toMatchObject({ via: "manual", by: "ann", from: { assigneeId: "ann" } });
    expect(published.at(-1)).toMatchObject({ kind: "assignment", conversationId: id, data: { assigneeId: "bob", version: 3 } });
  });

  it("refuses a stale version with a Conflict that carries the current one", async () => {
    user("ann");
    user("bob");
    user("cid");
    const id = conversation();
    await run(routing.assign(id, { userId: "bob" }, "ann", 1));
    const stale = await runEither(routing.assign(id, { userId: "cid" }, "ann", 1));
    expect(Either.isLeft(stale) && stale.left._tag).toBe("Conflict");
    expect(Either.isLeft(stale) && stale.left._tag === "Conflict" && stale.left.current).toEqual({ version: 2 });
    expect(row(id).assignee_id).toBe("bob");
  });

  it("treats asking for what already is as no conflict and no write (a double click)", async () => {
    user("ann");
    user("bob");
    const id = conversation();
    const clicks = await run(Effect.all([routing.assign(id, { userId: "bob" }, "ann", 1), routing.assign(id, { userId: "bob" }, "ann", 1)], { concurrency: "unbounded" }));
    expect(clicks.map((c) => c.version)).toEqual([2, 2]);
    expect(events("assigned")).toHaveLength(1);
  });

  it("unassigns and assigns to a team", async () => {
    team("team_x");
    user("ann");
    const id = conversation();
    await route(id);
    const cleared = await run(routing.assign(id, { userId: null, teamId: "team_x" }, "ann", 2));
    expect(cleared).toMatchObject({ assigneeId: null, teamId: "team_x", version: 3 });
    expect(events("assigned").at(-1)).toMatchObject({ user_id: null, team_id: "team_x" });
    await run(routing.assign(id, { teamId: null }, "ann", 3));
    expect(events("unassigned")).toHaveLength(1);
  });

  it("checks who assigns and to whom", async () => {
    user("ann");
    user("out", { inboxes: ["inbox_b"] });
    user("mia", { role: "marketer" });
    const id = conversation();
    const outsider = await runEither(routing.assign(id, { userId: "ann" }, "out", 1));
    expect(Either.isLeft(outsider) && outsider.left._tag).toBe("Forbidden");
    const toOutsider = await runEither(routing.assign(id, { userId: "out" }, "ann", 1));
    expect(Either.isLeft(toOutsider) && toOutsider.left._tag === "InvalidInput" && toOutsider.left.issues[0]!.path).toBe("userId");
    const toMarketer = await runEither(routing.assign(id, { userId: "mia" }, "ann", 1));
    expect(Either.isLeft(toMarketer) && toMarketer.left._tag).toBe("InvalidInput");
    const badTeam = await runEither(routing.assign(id, { teamId: "team_nope" }, "ann", 1));
    expect(Either.isLeft(badTeam) && badTeam.left._tag === "InvalidInput" && badTeam.left.issues[0]!.path).toBe("teamId");
    const badVersion = await runEither(routing.assign(id, { userId: "ann" }, "ann", 0));
    expect(Either.isLeft(badVersion) && badVersion.left._tag === "InvalidInput" && badVersion.left.issues[0]!.path).toBe("expectedVersion");
    const missing = await runEither(routing.assign("conv_nope", { userId: "ann" }, "ann", 1));
    expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound");
  });

  it("drains the queue when a reassignment frees a capped agent", async () => {
    setRouting("inbox_a", { mode: "round_robin", maxOpenPerAgent: 1 });
    user("ann");
    user("boss", { role: "admin", availability: "away" });
    const first = conversation();
    await route(first);
    const waiting = conversation();
    expect((await route(waiting)).queued).toBe(true);
    await run(routing.assign(first, { userId: "boss" }, "boss", 2));
    expect(row(waiting)).toMatchObject({ assignee_id: "ann", queued_at: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Team hours (decision 048): a closed team's pool takes nobody; its queue drains at its opening.

describe("team hours", () => {
  // Monday 30 November 2026 in UTC: the team works 09:00–17:00 on weekdays.
  const beforeOpening = Date.UTC(2026, 10, 30, 7, 0);
  const opening = Date.UTC(2026, 10, 30, 9, 0);
  const weekdays = (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" }));
  const dayShift: TeamHours = { source: "own", timezone: "UTC", hours: weekdays, closedDates: [], workspaceClosedDates: false };
  const setHours = (teamId: string, hours: TeamHours) => db.sqlite.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(encodeTeamHours(hours), teamId);
  /** A Routing whose clock the test moves. */
  const at = (start: number) => {
    const clock = { now: start };
    return { clock, routing: makeRouting({ db, live, now: () => clock.now }) };
  };

  it("queues a handoff to a closed team, saying so, though a member is available; the same team open assigns", async () => {
    team("team_day");
    setHours("team_day", dayShift);
    user("tex", { teams: ["team_day"] });
    const { clock, routing: timed } = at(beforeOpening);
    const closed = conversation();
    expect(await run(timed.routeConversation(closed, { type: "team", teamId: "team_day" }))).toEqual({ assigneeId: null, queued: true });
    expect(row(closed)).toMatchObject({ assignee_id: null, team_id: "team_day" });
    expect(row(closed).queued_at).not.toBeNull();
    const queued = events("queued");
    expect(queued.map((e) => [e.conversation_id, e.team_id])).toEqual([[closed, "team_day"]]);
    expect(JSON.parse(queued[0]!.data)).toMatchObject({ reason: "team_closed", opensAt: opening });

    clock.now = opening + 60_000;
    const open = conversation();
    expect(await run(timed.routeConversation(open, { type: "team", teamId: "team_day" }))).toEqual({ assigneeId: "tex", queued: false });
  });

  it("counts per inbox the conversations waiting for a closed team, with when each team opens, the soonest first", async () => {
    team("team_day");
    team("team_late");
    team("team_open");
    setHours("team_day", dayShift);
    setHours("team_late", { ...dayShift, timezone: "Europe/Berlin" });
    setHours("team_open", { ...dayShift, hours: weekdays.map((h) => ({ ...h, from: "00:00", to: "23:59" })) });
    user("ann", { availability: "away", teams: ["team_day", "team_late", "team_open"] });
    const { clock, routing: timed } = at(beforeOpening);
    // Two for the day team, one each for the others; one for nobody in particular (Ann is away).
    const queue = [
      conversation({ waitingSince: 500, teamId: "team_day" }),
      conversation({ waitingSince: 600, teamId: "team_day" }),
      conversation({ waitingSince: 700, teamId: "team_late" }),
      conversation({ waitingSince: 900, teamId: "team_open" }),
      conversation({ waitingSince: 400 }),
    ];
    for (const id of queue) {
      const teamId = row(id).team_id;
      expect((await run(timed.routeConversation(id, teamId === null ? { type: "routing" } : { type: "team", teamId }))).queued).toBe(true);
    }
    // Berlin is an hour ahead of UTC in winter: team_late opens at 08:00 UTC, before team_day's 09:00.
    expect(await run(timed.queueStats())).toEqual({
      inbox_a: {
        queued: 5,
        oldestQueuedAt: 400,
        closedTeams: [
          { teamId: "team_late", name: "team_late", queued: 1, opensAt: Date.UTC(2026, 10, 30, 8, 0), timezone: "Europe/Berlin" },
          { teamId: "team_day", name: "team_day", queued: 2, opensAt: opening, timezone: "UTC" },
        ],
      },
    });
    // Open by its hours, no team is counted as closed; the count of waiting stays.
    clock.now = Date.UTC(2026, 10, 30, 10, 0);
    expect(await run(timed.queueStats())).toEqual({ inbox_a: { queued: 5, oldestQueuedAt: 400, closedTeams: [] } });
  });

  it("routes the engine's handoff (routeInWrite) with the turn's time", () => {
    team("team_day");
    setHours("team_day", dayShift);
    user("tex", { teams: ["team_day"] });
    const id = conversation();
    const early = db.sqlite.transaction(() => routing.routeInWrite(db.prepare, id, { type: "team", teamId: "team_day" }, beforeOpening))();
    expect(early).toMatchObject({ assigneeId: null, teamId: "team_day", queued: true });
    const later = db.sqlite.transaction(() => routing.routeInWrite(db.prepare, id, { type: "team", teamId: "team_day" }, opening))();
    expect(later).toMatchObject({ assigneeId: "tex", queued: false });
  });

  it("drains a closed team's queue at its opening, not a moment before, in FIFO order", async () => {
    team("team_day");
    setHours("team_day", dayShift);
    user("tex", { teams: ["team_day"] });
    user("tia", { teams: ["team_day"] });
    const { clock, routing: timed } = at(beforeOpening);
    const second = conversation({ waitingSince: 2000 });
    const first = conversation({ waitingSince: 1000 });
    for (const id of [second, first]) await run(timed.routeConversation(id, { type: "team", teamId: "team_day" }));

    clock.now = opening - 1;
    expect(await run(timed.drainQueue())).toEqual([]);
    expect(row(first).queued_at).not.toBeNull();

    clock.now = opening;
    const drained = await run(timed.drainQueue());
    expect(drained.map((a) => [a.conversationId, a.assigneeId, a.via])).toEqual([
      [first, "tex"],
      [second, "tia"],
    ].map(([c, u]) => [c, u, "queue"]));
    expect(await run(timed.queueStats())).toEqual({});
  });

  it("arms one timer at the earliest opening among queued teams, re-arms it as conversations queue and drain, and clears it on stop", async () => {
    team("team_day");
    team("team_late");
    setHours("team_day", dayShift);
    setHours("team_late", { ...dayShift, hours: weekdays.map((h) => ({ ...h, from: "12:00" })) });
    user("tex", { teams: ["team_day", "team_late"] });
    const { clock, routing: timed } = at(beforeOpening);
    const stop = timed.start(3_600_000);
    try {
      // Nothing queued: no timer.
      expect(timed.nextOpeningAt()).toBeNull();
      await run(timed.routeConversation(conversation(), { type: "team", teamId: "team_late" }));
      expect(timed.nextOpeningAt()).toBe(Date.UTC(2026, 10, 30, 12, 0));
      await run(timed.routeConversation(conversation(), { type: "team", teamId: "team_day" }));
      expect(timed.nextOpeningAt()).toBe(opening);
      // After the day team's drain, the late team's opening is next.
      clock.now = opening;
      expect((await run(timed.drainQueue())).map((a) => a.teamId)).toEqual(["team_day"]);
      expect(timed.nextOpeningAt()).toBe(Date.UTC(2026, 10, 30, 12, 0));
    } finally {
      stop();
    }
    expect(timed.nextOpeningAt()).toBeNull();
  });

  it("assigns a queued conversation when the timer fires at the team's opening, with nobody acting", async () => {
    team("team_day");
    setHours("team_day", dayShift);
    user("tex", { teams: ["team_day"] });
    // The routing's clock runs with the real one, shifted so the team opens 1.5 s after the start
    // (room for a slow machine to queue the conversation first).
    const offset = opening - 1_500 - Date.now();
    const timed = makeRouting({ db, live, now: () => Date.now() + offset });
    const stop = timed.start(3_600_000);
    try {
      const id = conversation();
      expect(await run(timed.routeConversation(id, { type: "team", teamId: "team_day" }))).toEqual({ assigneeId: null, queued: true });
      expect(timed.nextOpeningAt()).toBe(opening);
      await vi.waitFor(() => expect(row(id)).toMatchObject({ assignee_id: "tex", queued_at: null }), { timeout: 10_000, interval: 50 });
      expect(JSON.parse(events("assigned").at(-1)!.data)).toMatchObject({ via: "queue" });
    } finally {
      stop();
    }
  });

  it("does not let a closed team's long queue hold back another team's or the inbox's", async () => {
    team("team_day");
    team("team_open");
    setHours("team_day", dayShift);
    user("ola", { availability: "away", teams: ["team_open"] });
    // Tex (of the closed team) is away too, so only Ann's return can take the inbox's conversation.
    user("tex", { availability: "away", teams: ["team_day"] });
    user("ann", { availability: "away" });
    const { routing: timed } = at(beforeOpening);
    // More than one drain batch (200) of the closed team's conversations wait ahead of the inbox's one.
    const closedOnes = Array.from({ length: 205 }, (_, i) => conversation({ waitingSince: 10 + i }));
    for (const id of closedOnes) await run(timed.routeConversation(id, { type: "team", teamId: "team_day" }));
    const inboxOne = conversation({ waitingSince: 100_000 });
    await run(timed.routeConversation(inboxOne, { type: "routing" }));
    const openTeamOne = conversation({ waitingSince: 100_001 });
    await run(timed.routeConversation(openTeamOne, { type: "team", teamId: "team_open" }));
    setAvailability("ann", "available");
    setAvailability("ola", "available");
    expect((await run(timed.drainQueue())).map((a) => [a.conversationId, a.assigneeId])).toEqual([
      [inboxOne, "ann"],
      [openTeamOne, "ola"],
    ]);
    expect(closedOnes.every((id) => row(id).queued_at !== null)).toBe(true);
  });

  it("holds an inbox whose round-robin pool is a closed team, and drains it at the opening", async () => {
    team("team_day");
    setHours("team_day", dayShift);
    user("tex", { teams: ["team_day"] });
    setRouting("inbox_a", { mode: "round_robin", teamId: "team_day" });
    const { clock, routing: timed } = at(beforeOpening);
    const id = conversation();
    expect(await run(timed.routeConversation(id, { type: "routing" }))).toEqual({ assigneeId: null, queued: true });
    expect(row(id).team_id).toBe("team_day");
    clock.now = opening;
    expect((await run(timed.drainQueue())).map((a) => [a.conversationId, a.assigneeId])).toEqual([[id, "tex"]]);
  });

  it("lets a person chosen by name take it at any hour: a target user and an agent's manual assignment", async () => {
    team("team_day");
    setHours("team_day", dayShift);
    user("tex", { teams: ["team_day"] });
    user("ann");
    const { routing: timed } = at(beforeOpening);
    expect(await run(timed.routeConversation(conversation({ teamId: "team_day" }), { type: "user", userId: "tex" }))).toEqual({ assigneeId: "tex", queued: false });
    const queued = conversation();
    await run(timed.routeConversation(queued, { type: "team", teamId: "team_day" }));
    const manual = await run(timed.assign(queued, { userId: "tex" }, "ann", row(queued).version));
    expect(manual).toMatchObject({ assigneeId: "tex", teamId: "team_day", queued: false, via: "manual" });
    expect(row(queued).queued_at).toBeNull();
  });

  it("a team with no hours (source none), or following a workspace without weekly hours, routes as before at any hour", async () => {
    team("team_none");
    team("team_ws");
    setHours("team_none", { source: "none" });
    setHours("team_ws", { source: "workspace" });
    expect(db.sqlite.prepare("SELECT hours FROM teams WHERE id = 'team_none'").get()).toEqual({ hours: null });
    user("tex", { teams: ["team_none", "team_ws"] });
    const { routing: timed } = at(beforeOpening);
    expect(await run(timed.routeConversation(conversation(), { type: "team", teamId: "team_none" }))).toEqual({ assigneeId: "tex", queued: false });
    expect(await run(timed.routeConversation(conversation(), { type: "team", teamId: "team_ws" }))).toEqual({ assigneeId: "tex", queued: false });
    // Nobody there: queued for want of people, never with a team_closed reason nor a timer.
    setAvailability("tex", "away");
    const stop = timed.start(3_600_000);
    try {
      await run(timed.routeConversation(conversation(), { type: "team", teamId: "team_none" }));
      expect(JSON.parse(events("queued").at(-1)!.data)).not.toHaveProperty("reason");
      expect(timed.nextOpeningAt()).toBeNull();
    } finally {
      stop();
    }
  });

  it("follows the workspace's weekly hours when the team's source is workspace", async () => {
    team("team_ws");
    setHours("team_ws", { source: "workspace" });
    db.sqlite.prepare("INSERT INTO settings (key, value) VALUES ('business_hours', ?)").run(JSON.stringify(weekdays));
    user("tex", { teams: ["team_ws"] });
    const { routing: timed } = at(beforeOpening);
    const id = conversation();
    expect(await run(timed.routeConversation(id, { type: "team", teamId: "team_ws" }))).toEqual({ assigneeId: null, queued: true });
    expect(JSON.parse(events("queued").at(-1)!.data)).toMatchObject({ reason: "team_closed", opensAt: opening });
  });
});

const speaks = (userId: string, languages: ReadonlyArray<string> | null) =>
  db.sqlite.prepare("UPDATE users SET languages = ? WHERE id = ?").run(languages === null ? null : JSON.stringify(languages), userId);
let visitorCount = 0;
/** An open conversation of a visitor whose browser said `language` (null: none). */
const from = (language: string | null, options: Parameters<typeof conversation>[0] = {}) => {
  const id = conversation(options);
  const visitorId = `vis_${++visitorCount}`;
  const channel = (options.inbox ?? "inbox_a") === "inbox_a" ? "chan_a" : "chan_b";
  db.sqlite.prepare("INSERT INTO visitors (id, channel_id, language, first_seen_at, last_seen_at) VALUES (?, ?, ?, 1, 1)").run(visitorId, channel, language);
  db.sqlite.prepare("UPDATE conversations SET visitor_id = ? WHERE id = ?").run(visitorId, id);
  return id;
};
const lastAssigned = () => JSON.parse(events("assigned").at(-1)!.data) as Record<string, unknown>;

describe("the visitor's language (decision 055)", () => {
  const preferring = (extra: Record<string, unknown> = {}) => setRouting("inbox_a", { mode: "round_robin", preferVisitorLanguage: true, ...extra });

  beforeEach(() => {
    user("ann");
    user("bob");
    user("cid");
    speaks("bob", ["de"]);
    speaks("cid", ["fr", "de"]);
  });

  it("is off by default: round-robin takes turns as before, and the event says nothing of languages", async () => {
    const assignees: Array<string | null> = [];
    for (let i = 0; i < 3; i++) assignees.push((await route(from("de-AT"))).assigneeId);
    expect(assignees).toEqual(["ann", "bob", "cid"]);
    expect(lastAssigned()).not.toHaveProperty("language");
    expect(lastAssigned()).not.toHaveProperty("languageMatched");
  });

  it("gives a visitor to those who answer in their language (by primary subtag), taking turns among them", async () => {
    preferring();
    const assignees: Array<string | null> = [];
    for (const language of ["de-AT", "DE", "de-CH"]) assignees.push((await route(from(language))).assigneeId);
    expect(assignees).toEqual(["bob", "cid", "bob"]);
    expect(lastAssigned()).toMatchObject({ via: "round_robin", language: "de", languageMatched: true });
    // French: only Cid.
    expect((await route(from("fr-FR"))).assigneeId).toBe("cid");
  });

  it("falls back to anyone eligible when no speaker can take it now: at the cap, away, or nobody lists it", async () => {
    preferring({ maxOpenPerAgent: 1 });
    expect((await route(from("de"))).assigneeId).toBe("bob");
    setAvailability("cid", "away");
    // Bob is at his cap and Cid away: Ann, who lists no language, takes the German visitor.
    expect((await route(from("de"))).assigneeId).toBe("ann");
    expect(lastAssigned()).toMatchObject({ language: "de", languageMatched: false });
    // Nobody left: it waits in the queue as before.
    expect(await route(from("de"))).toEqual({ assigneeId: null, queued: true });
    setAvailability("cid", "available");
    setRouting("inbox_a", { mode: "round_robin", preferVisitorLanguage: true });
    // Nobody answers in Japanese: the usual turn — Cid, who has had none yet.
    expect((await route(from("ja"))).assigneeId).toBe("cid");
    expect(lastAssigned()).toMatchObject({ language: "ja", languageMatched: false });
  });

  it("routes a visitor without a language, or without a visitor, by the usual turn, recording language null", async () => {
    preferring();
    expect((await route(from(null))).assigneeId).toBe("ann");
    expect(lastAssigned()).toMatchObject({ language: null, languageMatched: false });
    expect((await route(from(""))).assigneeId).toBe("bob");
    expect((await route(conversation())).assigneeId).toBe("cid");
    expect(lastAssigned()).toMatchObject({ language: null, languageMatched: false });
  });

  it("prefers speakers in a team's pool too (a handoff to a team, the inbox's team)", async () => {
    team("team_x");
    user("dan", { teams: ["team_x"] });
    user("eva", { teams: ["team_x"] });
    speaks("eva", ["de"]);
    preferring();
    expect((await route(from("de-DE"), { type: "team", teamId: "team_x" })).assigneeId).toBe("eva");
    preferring({ teamId: "team_x" });
    expect((await route(from("de-DE"))).assigneeId).toBe("eva");
    expect((await route(from("en"))).assigneeId).toBe("dan");
  });

  it("leaves the contact's owner first: the owner takes their contact's conversation whatever the language", async () => {
    preferring({ contactOwnerFirst: true });
    db.sqlite.prepare("INSERT INTO contacts (id, owner_id, created_at, updated_at) VALUES ('ct_ann', 'ann', 1, 1)").run();
    const id = from("de");
    db.sqlite.prepare("UPDATE conversations SET contact_id = 'ct_ann' WHERE id = ?").run(id);
    expect((await route(id)).assigneeId).toBe("ann");
    expect(lastAssigned()).toMatchObject({ via: "contact_owner" });
    expect(lastAssigned()).not.toHaveProperty("languageMatched");
  });

  it("leaves a team closed by its hours closed, though a member speaks the visitor's language", async () => {
    team("team_night");
    const weekdays = (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" }));
    db.sqlite
      .prepare("UPDATE teams SET hours = ? WHERE id = 'team_night'")
      .run(encodeTeamHours({ source: "own", timezone: "UTC", hours: weekdays, closedDates: [], workspaceClosedDates: false }));
    db.sqlite.prepare("INSERT INTO team_members (team_id, user_id) VALUES ('team_night', 'bob')").run();
    preferring({ teamId: "team_night" });
    const closed = makeRouting({ db, live, now: () => Date.UTC(2026, 10, 30, 7, 0) });
    expect(await run(closed.routeConversation(from("de"), { type: "routing" }))).toEqual({ assigneeId: null, queued: true });
    expect(JSON.parse(events("queued").at(-1)!.data)).toMatchObject({ reason: "team_closed" });
  });

  it("drains the queue preferring speakers, each queued conversation in FIFO order", async () => {
    preferring();
    for (const id of ["ann", "bob", "cid"]) setAvailability(id, "away");
    const german = from("de-AT");
    const english = from("en-GB");
    expect((await route(german)).queued).toBe(true);
    expect((await route(english)).queued).toBe(true);
    setAvailability("ann", "available");
    setAvailability("bob", "available");
    await run(routing.drainQueue("inbox_a"));
    // The German visitor waited longest and goes first, to Bob; the English one to Ann.
    expect(row(german)).toMatchObject({ assignee_id: "bob", queued_at: null });
    expect(row(english)).toMatchObject({ assignee_id: "ann", queued_at: null });
    const drained = events("assigned").map((e) => [e.conversation_id, JSON.parse(e.data)]);
    expect(drained).toEqual([
      [german, expect.objectContaining({ via: "queue", language: "de", languageMatched: true })],
      [english, expect.objectContaining({ via: "queue", language: "en", languageMatched: false })],
    ]);
  });

  it("routes past a stored languages value that is not JSON (a script wrote it) as speaking none", async () => {
    preferring();
    db.sqlite.prepare("UPDATE users SET languages = 'de' WHERE id = 'bob'").run();
    db.sqlite.prepare("UPDATE users SET languages = '[\"de' WHERE id = 'cid'").run();
    expect((await route(from("de"))).assigneeId).toBe("ann");
    expect(lastAssigned()).toMatchObject({ language: "de", languageMatched: false });
  });
});

describe("waiting for a speaker of the visitor's language (decision 055, sixteenth session)", () => {
  const start = Date.UTC(2026, 10, 30, 10, 0);
  const minute = 60_000;
  const waiting = (extra: Record<string, unknown> = {}) =>
    setRouting("inbox_a", { mode: "round_robin", preferVisitorLanguage: true, languageWaitMinutes: 10, ...extra });
  /** A Routing whose clock the test moves. */
  const at = (now: number) => {
    const clock = { now };
    return { clock, routing: makeRouting({ db, live, now: () => clock.now }) };
  };
  const lastQueued = () => JSON.parse(events("queued").at(-1)!.data) as Record<string, unknown>;
  const drained = async (timed: RoutingShape) => (await run(timed.drainQueue())).map((a) => [a.conversationId, a.assigneeId]);

  beforeEach(() => {
    user("ann"); // lists no language
    user("bob");
    speaks("bob", ["de"]);
    waiting();
  });

  it("gives the visitor to an available speaker at once, recording that the wait had not run out", async () => {
    const { routing: timed } = at(start);
    expect(await run(timed.routeConversation(from("de-AT", { waitingSince: start }), { type: "routing" }))).toEqual({ assigneeId: "bob", queued: false });
    expect(lastAssigned()).toMatchObject({ via: "round_robin", language: "de", languageMatched: true, languageWaitExpired: false });
  });

  it("keeps it queued and unassigned while only non-speakers are free, saying why and until when; a speaker who becomes available takes it", async () => {
    setAvailability("bob", "away");
    const { clock, routing: timed } = at(start + minute);
    const id = from("de", { waitingSince: start });
    expect(await run(timed.routeConversation(id, { type: "routing" }))).toEqual({ assigneeId: null, queued: true });
    // Measured from when the visitor started waiting, which is also the queue's FIFO key.
    expect(row(id)).toMatchObject({ assignee_id: null, queued_at: start });
    expect(lastQueued()).toMatchObject({ reason: "language_wait", language: "de", waitUntil: start + 10 * minute });
    // Ann, free all along, does not take it on a drain inside the wait.
    clock.now = start + 5 * minute;
    expect(await drained(timed)).toEqual([]);
    setAvailability("bob", "available");
    clock.now = start + 6 * minute;
    expect(await drained(timed)).toEqual([[id, "bob"]]);
    expect(lastAssigned()).toMatchObject({ via: "queue", language: "de", languageMatched: true, languageWaitExpired: false });
  });

  it("gives it to whoever is free once the wait runs out, not a moment before, recording that it ran out", async () => {
    setAvailability("bob", "away");
    const { clock, routing: timed } = at(start);
    const id = from("de", { waitingSince: start });
    expect((await run(timed.routeConversation(id, { type: "routing" }))).queued).toBe(true);
    clock.now = start + 10 * minute - 1;
    expect(await drained(timed)).toEqual([]);
    clock.now = start + 10 * minute;
    expect(await drained(timed)).toEqual([[id, "ann"]]);
    expect(lastAssigned()).toMatchObject({ via: "queue", language: "de", languageMatched: false, languageWaitExpired: true });
    // A handoff whose visitor waited longer than the wait already goes to anyone free at once.
    expect(await run(timed.routeConversation(from("de", { waitingSince: start - 10 * minute }), { type: "routing" }))).toEqual({ assigneeId: "ann", queued: false });
    expect(lastAssigned()).toMatchObject({ languageMatched: false, languageWaitExpired: true });
  });

  it("points the routing timer at the wait's end; the drain it fires gives the conversation to a non-speaker with nobody acting", async () => {
    setAvailability("bob", "away");
    waiting({ languageWaitMinutes: 1 });
    const timed = makeRouting({ db, live, now: () => Date.now() });
    const stop = timed.start(3_600_000);
    try {
      // The visitor started waiting so that the minute runs out 1.5 s from now (room for a slow machine to queue it first).
      const since = Date.now() - minute + 1_500;
      const id = from("de", { waitingSince: since });
      expect(await run(timed.routeConversation(id, { type: "routing" }))).toEqual({ assigneeId: null, queued: true });
      expect(timed.nextOpeningAt()).toBe(since + minute);
      await vi.waitFor(() => expect(row(id)).toMatchObject({ assignee_id: "ann", queued_at: null }), { timeout: 10_000, interval: 50 });
      expect(lastAssigned()).toMatchObject({ via: "queue", languageWaitExpired: true });
      // Nothing else waits: the timer is not armed again.
      expect(timed.nextOpeningAt()).toBeNull();
    } finally {
      stop();
    }
  });

  /** With a cap of 1 and `away` away, `holder` takes a first conversation and is busy; then `languages`' visitors all queue, oldest first. */
  const busyThenQueued = async (holder: string, away: string, languages: ReadonlyArray<string>) => {
    waiting({ maxOpenPerAgent: 1 });
    setAvailability(away, "away");
    const { routing: timed } = at(start + minute);
    const busy = from("en", { waitingSince: start - minute });
    expect((await run(timed.routeConversation(busy, { type: "routing" }))).assigneeId).toBe(holder);
    const queued = languages.map((language, i) => from(language, { waitingSince: start + i }));
    for (const id of queued) expect((await run(timed.routeConversation(id, { type: "routing" }))).queued).toBe(true);
    return { timed, busy, queued };
  };

  it("lets a freed non-speaker pass a conversation held for a speaker and take the next one it may take", async () => {
    // Ann at her cap, Bob away: all three queue, the German visitor first.
    const { timed, busy, queued } = await busyThenQueued("ann", "bob", ["de", "en-GB", "fr"]);
    const [german, english, french] = queued as [string, string, string];
    closeConversation(busy);
    expect(await drained(timed)).toEqual([[english, "ann"]]);
    closeConversation(english);
    expect(await drained(timed)).toEqual([[french, "ann"]]);
    expect(row(german)).toMatchObject({ assignee_id: null, queued_at: start });
  });

  it("does not let more than a drain batch (200) of conversations held for a speaker hold back one a non-speaker may take", async () => {
    setAvailability("bob", "away");
    setAvailability("ann", "away");
    const { routing: timed } = at(start + minute);
    const held = Array.from({ length: 205 }, (_, i) => from("de", { waitingSince: start + i }));
    const english = from("en", { waitingSince: start + 1000 });
    for (const id of [...held, english]) await run(timed.routeConversation(id, { type: "routing" }));
    setAvailability("ann", "available");
    expect(await drained(timed)).toEqual([[english, "ann"]]);
    expect(held.every((id) => row(id).queued_at !== null)).toBe(true);
  });

  it("keeps the queue's order for a freed speaker: they take the oldest conversation, whatever its language", async () => {
    // Bob at his cap, Ann away: the French visitor (nobody speaks French) and the German one queue.
    const { timed, busy, queued } = await busyThenQueued("bob", "ann", ["fr", "de"]);
    const [french, german] = queued as [string, string];
    closeConversation(busy);
    expect(await drained(timed)).toEqual([[french, "bob"]]);
    expect(row(german).queued_at).toBe(start + 1);
  });

  it("does not wait when nobody of the pool speaks the language, or the visitor's is unknown", async () => {
    const { routing: timed } = at(start);
    setAvailability("bob", "away");
    const routeFrom = async (language: string | null) => (await run(timed.routeConversation(from(language, { waitingSince: start }), { type: "routing" }))).assigneeId;
    // Nobody lists Japanese; nobody knows the language of a visitor who sent none.
    expect(await routeFrom("ja")).toBe("ann");
    expect(lastAssigned()).toMatchObject({ language: "ja", languageMatched: false });
    expect(lastAssigned()).not.toHaveProperty("languageWaitExpired");
    expect(await routeFrom(null)).toBe("ann");
    // The only German speaker disabled: nobody to wait for.
    db.sqlite.prepare("UPDATE users SET disabled_at = 1 WHERE id = 'bob'").run();
    expect(await routeFrom("de")).toBe("ann");
    expect(lastAssigned()).not.toHaveProperty("languageWaitExpired");
    // Back, but the inbox's round-robin is a team without him: its pool has no speaker.
    db.sqlite.prepare("UPDATE users SET disabled_at = NULL WHERE id = 'bob'").run();
    team("team_x");
    user("dan", { teams: ["team_x"] });
    waiting({ teamId: "team_x" });
    expect(await routeFrom("de")).toBe("dan");
    expect(events("queued")).toEqual([]);
  });

  it("with a wait of 0 (or the preference off) runs exactly decision 055's statements and falls back at once; a wait keeps one pick statement", async () => {
    setAvailability("bob", "away");
    /** The statements one engine-style routing of a German visitor prepares, under `config`. */
    const statements = (config: Record<string, unknown>) => {
      setRouting("inbox_a", config);
      const seen: string[] = [];
      const recording = (sql: string) => {
        seen.push(sql);
        return db.prepare(sql);
      };
      const id = from("de", { waitingSince: start });
      const assignment = db.sqlite.transaction(() => routing.routeInWrite(recording, id, { type: "routing" }, start))();
      return { seen, assignment };
    };
    const preferring = statements({ mode: "round_robin", preferVisitorLanguage: true });
    const zero = statements({ mode: "round_robin", preferVisitorLanguage: true, languageWaitMinutes: 0 });
    expect(zero.seen).toEqual(preferring.seen);
    expect(zero.assignment).toMatchObject({ assigneeId: "ann", queued: false });
    expect(lastAssigned()).not.toHaveProperty("languageWaitExpired");
    const off = statements({ mode: "round_robin" });
    expect(statements({ mode: "round_robin", languageWaitMinutes: 30 }).seen).toEqual(off.seen);
    // With a wait, and Bob back, the pick is still one statement: only its text differs.
    setAvailability("bob", "available");
    const base = statements({ mode: "round_robin", preferVisitorLanguage: true });
    const withWait = statements({ mode: "round_robin", preferVisitorLanguage: true, languageWaitMinutes: 10 });
    expect(withWait.assignment).toMatchObject({ assigneeId: "bob" });
    expect(withWait.seen.length).toBe(base.seen.length);
    expect(withWait.seen.filter((sql, i) => sql !== base.seen[i])).toEqual([expect.stringContaining("s(speaker)")]);
  });

  it("tells the inbox which queued conversations wait for a speaker and until when (languageWaitsAt)", () => {
    team("team_x");
    user("dan", { teams: ["team_x"] });
    const page = (id: string, visitorLanguage: string | null, queuedAt: number | null, teamId: string | null = null) => ({
      id,
      inboxId: "inbox_a",
      teamId,
      queuedAt,
      visitorLanguage,
    });
    const shown = languageWaitsAt(
      db.prepare,
      [
        page("c_de", "de-AT", start),
        page("c_de_later", "DE", start + minute),
        page("c_ja", "ja", start),
        page("c_none", null, start),
        page("c_assigned", "de", null),
        page("c_ran_out", "de", start - 10 * minute),
        page("c_team", "de", start, "team_x"),
      ],
      start + minute,
    );
    expect(shown).toEqual({
      waits: { c_de: { language: "de", until: start + 10 * minute }, c_de_later: { language: "de", until: start + 11 * minute } },
      changesAt: start + 10 * minute,
    });
    // An inbox that waits no longer shows none.
    waiting({ languageWaitMinutes: 0 });
    expect(languageWaitsAt(db.prepare, [page("c_de", "de", start)], start).waits).toEqual({});
  });
});
