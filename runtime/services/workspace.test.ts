import { Effect, Either, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Db from "./database.js";
import type { Conflict, InvalidInput } from "./errors.js";
import * as LiveEvents from "./live-events.js";
import * as Routing from "./routing.js";
import { isBlockedSender, layer as workspaceLayer, Workspace, type WorkspaceShape } from "./workspace.js";

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Workspace | Routing.Routing | Db.Database | LiveEvents.LiveEvents, never>;
let db: Db.DatabaseShape;
let ws: WorkspaceShape;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-workspace-"));
  const base = Layer.mergeAll(Db.layer({ path: join(dir, "ws.sqlite"), synchronous: "NORMAL" }), LiveEvents.layer);
  const routing = Routing.layer.pipe(Layer.provide(base));
  runtime = ManagedRuntime.make(Layer.mergeAll(workspaceLayer.pipe(Layer.provide(routing)), routing).pipe(Layer.provideMerge(base)));
  db = await runtime.runPromise(Db.Database);
  ws = await runtime.runPromise(Workspace);
  const s = db.sqlite;
  const user = (id: string, role: string, availability = "available") =>
    s
      .prepare("INSERT INTO users (id, email, name, role, password_hash, availability, created_at) VALUES (?, ?, ?, ?, 'x', ?, 1)")
      .run(id, `${id}@example.com`, id, role, availability);
  user("admin", "admin");
  user("ann", "agent");
  user("bob", "agent");
  user("mia", "marketer");
  user("aly", "analyst");
  user("gone", "agent");
  s.prepare("UPDATE users SET disabled_at = 1 WHERE id = 'gone'").run();
});

afterEach(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
const fails = async <A, E extends { _tag: string }>(effect: Effect.Effect<A, E>) => {
  const result = await Effect.runPromise(Effect.either(effect));
  if (Either.isRight(result)) throw new Error(`expected a failure, got ${JSON.stringify(result.right)}`);
  return result.left;
};
const paths = (error: { _tag: string }) => (error as InvalidInput).issues.map((i) => i.path);

const channelFor = (inboxId: string) => {
  const id = `chan_${inboxId}`;
  db.sqlite.prepare("INSERT OR IGNORE INTO channels (id, inbox_id, kind, name, created_at) VALUES (?, ?, 'chat', ?, 1)").run(id, inboxId, id);
  return id;
};
let n = 0;
const openConversation = (inboxId: string, assigneeId: string | null = null) => {
  const id = `conv_${++n}`;
  db.sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, assignee_id, created_at, updated_at, last_activity_at, waiting_since)
       VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)`,
    )
    .run(id, channelFor(inboxId), inboxId, assigneeId, n, n, n, n);
  return id;
};
const conversationRow = (id: string) =>
  db.sqlite.prepare("SELECT assignee_id, queued_at FROM conversations WHERE id = ?").get(id) as { assignee_id: string | null; queued_at: number | null };

describe("inboxes", () => {
  it("creates, lists and reads inboxes with manual routing and no filters", async () => {
    const sales = await run(ws.createInbox({ name: "  Sales ", fallbackEmail: "Sales@Example.com" }));
    expect(sales).toMatchObject({
      name: "Sales",
      fallbackEmail: "sales@example.com",
      routing: { mode: "manual" },
      emailFilters: { blockedSenders: [], blockedDomains: [] },
      memberIds: [],
    });
    await run(ws.createInbox({ name: "Billing" }));
    expect((await run(ws.listInboxes())).map((i) => i.name)).toEqual(["Billing", "Sales"]);
    expect((await run(ws.getInbox(sales.id))).id).toBe(sales.id);
    expect((await fails(ws.getInbox("inbox_nope")))._tag).toBe("NotFound");
  });

  it("refuses a taken name, an empty name and a bad fallback email, with paths", async () => {
    await run(ws.createInbox({ name: "Sales" }));
    const taken = await fails(ws.createInbox({ name: "sales" }));
    expect(taken._tag).toBe("Conflict");
    expect(paths(await fails(ws.createInbox({ name: " " })))).toEqual(["name"]);
    const tooLong = (await fails(ws.createInbox({ name: "x".repeat(81) }))) as InvalidInput;
    expect(tooLong.issues).toEqual([{ path: "name", message: "an inbox name is at most 80 characters" }]);
    expect(paths(await fails(ws.createInbox({ name: "X", fallbackEmail: "nope" })))).toEqual(["fallbackEmail"]);
  });

  it("updates name, fallback email, routing and email filters, normalising the filters", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales", fallbackEmail: "a@example.com" }));
    const team = await run(ws.createTeam({ name: "Closers" }));
    const updated = await run(
      ws.updateInbox(inbox.id, {
        name: "Sales EU",
        fallbackEmail: "",
        routing: { mode: "round_robin", teamId: team.id, maxOpenPerAgent: 5 },
        emailFilters: { blockedSenders: ["Spam@Example.com", "spam@example.com"], blockedDomains: ["@Junk.example", "junk.example"] },
      }),
    );
    expect(updated).toMatchObject({
      name: "Sales EU",
      fallbackEmail: null,
      routing: { mode: "round_robin", teamId: team.id, maxOpenPerAgent: 5 },
      emailFilters: { blockedSenders: ["spam@example.com"], blockedDomains: ["junk.example"] },
    });
    // Fields not named stay as they are.
    expect((await run(ws.updateInbox(inbox.id, { fallbackEmail: "b@example.com" }))).routing.mode).toBe("round_robin");
  });

  it("stores response targets and refuses bad ones with their path, keeping what was stored", async () => {
    const inbox = await run(ws.createInbox({ name: "Support" }));
    expect(inbox.responseTargets).toEqual({ firstResponseMinutes: null, nextReplyMinutes: null, businessHours: false });
    const targets = { firstResponseMinutes: 60, nextReplyMinutes: 240, businessHours: true };
    expect((await run(ws.updateInbox(inbox.id, { responseTargets: targets }))).responseTargets).toEqual(targets);
    const bad = await fails(
      ws.updateInbox(inbox.id, { name: "Renamed", responseTargets: { firstResponseMinutes: 0, nextReplyMinutes: 43_201, businessHours: "yes" } }),
    );
    expect(paths(bad)).toEqual(["responseTargets.firstResponseMinutes", "responseTargets.nextReplyMinutes", "responseTargets.businessHours"]);
    expect(paths(await fails(ws.updateInbox(inbox.id, { responseTargets: { firstResponseMinutes: 1.5, nextReplyMinutes: null, businessHours: false } })))).toEqual([
      "responseTargets.firstResponseMinutes",
    ]);
    // Nothing of a refused update was stored: not the name beside the bad targets, not the targets.
    const after = await run(ws.getInbox(inbox.id));
    expect(after.name).toBe("Support");
    expect(after.responseTargets).toEqual(targets);
    // Clearing: both null.
    const cleared = { firstResponseMinutes: null, nextReplyMinutes: null, businessHours: false };
    expect((await run(ws.updateInbox(inbox.id, { responseTargets: cleared }))).responseTargets).toEqual(cleared);
  });

  it("says which routing or filter field is wrong", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    expect(paths(await fails(ws.updateInbox(inbox.id, { routing: { mode: "random" } })))).toEqual(["routing.mode"]);
    expect(paths(await fails(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", maxOpenPerAgent: 0 } })))).toEqual([
      "routing.maxOpenPerAgent",
    ]);
    expect(paths(await fails(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", teamId: "team_nope" } })))).toEqual([
      "routing.teamId",
    ]);
    expect(
      paths(await fails(ws.updateInbox(inbox.id, { emailFilters: { blockedSenders: ["ok@example.com", "bad"], blockedDomains: ["ex ample"] } }))),
    ).toEqual(["emailFilters.blockedSenders[1]", "emailFilters.blockedDomains[0]"]);
    await run(ws.createInbox({ name: "Billing" }));
    expect((await fails(ws.updateInbox(inbox.id, { name: "billing" })))._tag).toBe("Conflict");
  });

  it("takes only enabled agents and admins as members, and reports each bad id", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    expect((await run(ws.setInboxMembers(inbox.id, ["bob", "ann", "ann"]))).memberIds).toEqual(["ann", "bob"]);
    const refused = await fails(ws.setInboxMembers(inbox.id, ["ann", "mia", "nobody", "gone"]));
    expect(paths(refused)).toEqual(["userIds[1]", "userIds[2]", "userIds[3]"]);
    expect((refused as InvalidInput).issues[0]!.message).toContain("only agents and admins");
    expect((await run(ws.getInbox(inbox.id))).memberIds).toEqual(["ann", "bob"]);
    expect(paths(await fails(ws.setInboxMembers(inbox.id, "ann")))).toEqual(["userIds"]);
  });

  it("gives back what a removed agent held to the inbox's routing", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin" } }));
    await run(ws.setInboxMembers(inbox.id, ["ann", "bob", "admin"]));
    const held = openConversation(inbox.id, "ann");
    const adminHeld = openConversation(inbox.id, "admin");
    await run(ws.setInboxMembers(inbox.id, ["bob"]));
    expect(conversationRow(held).assignee_id).toBe("bob");
    expect(conversationRow(adminHeld).assignee_id).toBe("admin");
  });
});

describe("who may open an inbox", () => {
  it("admins all, agents their inboxes, marketers and analysts none", async () => {
    const sales = await run(ws.createInbox({ name: "Sales" }));
    const billing = await run(ws.createInbox({ name: "Billing" }));
    await run(ws.setInboxMembers(sales.id, ["ann"]));
    expect(await run(ws.inboxesOfUser("admin"))).toEqual([billing.id, sales.id]);
    expect(await run(ws.inboxesOfUser("ann"))).toEqual([sales.id]);
    expect(await run(ws.inboxesOfUser("bob"))).toEqual([]);
    expect(await run(ws.inboxesOfUser("mia"))).toEqual([]);
    const can = (id: string, inbox: string) => run(ws.canAccessInbox({ id }, inbox));
    expect([await can("admin", billing.id), await can("ann", sales.id), await can("ann", billing.id)]).toEqual([true, true, false]);
    expect([await can("mia", sales.id), await can("aly", sales.id), await can("admin", "inbox_nope")]).toEqual([false, false, false]);
    // A member who became an analyst loses access at once, whatever a stale session says.
    await run(ws.setRole({ id: "admin" }, "ann", "analyst"));
    expect(await can("ann", sales.id)).toBe(false);
  });
});

describe("teams", () => {
  it("creates teams, refuses duplicates, sets members", async () => {
    const team = await run(ws.createTeam({ name: "Tier 2" }));
    expect((await fails(ws.createTeam({ name: "tier 2" })))._tag).toBe("Conflict");
    expect(paths(await fails(ws.createTeam({ name: "" })))).toEqual(["name"]);
    expect(((await fails(ws.createTeam({ name: "x".repeat(81) }))) as InvalidInput).issues).toEqual([{ path: "name", message: "a team name is at most 80 characters" }]);
    expect((await run(ws.setTeamMembers(team.id, ["ann", "admin"]))).memberIds).toEqual(["admin", "ann"]);
    expect(paths(await fails(ws.setTeamMembers(team.id, ["aly"])))).toEqual(["userIds[0]"]);
    expect((await run(ws.listTeams())).map((t) => [t.name, t.memberIds.length])).toEqual([["Tier 2", 2]]);
    expect((await fails(ws.setTeamMembers("team_nope", [])))._tag).toBe("NotFound");
  });

  describe("hours", () => {
    const allWeek = (["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const).map((day) => ({ day, from: "00:00", to: "24:00" }));
    const own = { source: "own", timezone: "Europe/Berlin", hours: allWeek, closedDates: [{ date: "2026-12-24", name: "Christmas Eve", yearly: true }] };
    const hoursLines = () =>
      (db.sqlite.prepare("SELECT target_id, data FROM audit_log WHERE action = 'team.hours_changed' ORDER BY id").all() as Array<{ target_id: string; data: string }>).map(
        (r) => ({ team: r.target_id, ...JSON.parse(r.data) }),
      );
    const storedHours = (teamId: string) => (db.sqlite.prepare("SELECT hours FROM teams WHERE id = ?").get(teamId) as { hours: string | null }).hours;

    it("starts with none; stores own hours with their defaults and gives them back with a summary", async () => {
      const team = await run(ws.createTeam({ name: "Night shift" }));
      expect(team.hours).toEqual({ source: "none" });
      expect(team.schedule).toBeNull();
      expect(team.hoursSummary).toEqual({ open: true, opensAt: null, closedFor: null, text: "No hours: members' presence decides" });
      const saved = await run(ws.setTeamHours(team.id, { ...own, closedDates: [] }));
      expect(saved.hours).toEqual({ ...own, closedDates: [], workspaceClosedDates: false });
      expect(saved.schedule).toMatchObject({ mode: "business_hours", timezone: "Europe/Berlin", hours: allWeek });
      expect(saved.hoursSummary).toMatchObject({ open: true, text: "Open now" });
      expect((await run(ws.listTeams())).find((t) => t.id === team.id)?.hours.source).toBe("own");
      // Back to none: NULL, as a team that never had hours.
      expect((await run(ws.setTeamHours(team.id, { source: "none" }))).hours).toEqual({ source: "none" });
      expect(storedHours(team.id)).toBeNull();
    });

    it("follows the workspace's hours and closed dates as they are now, not a copy", async () => {
      const team = await run(ws.createTeam({ name: "Day shift" }));
      const followed = await run(ws.setTeamHours(team.id, { source: "workspace" }));
      expect(followed.schedule).toBeNull();
      expect(followed.hoursSummary.text).toBe("No hours: the workspace has no business hours, so members' presence decides");
      expect(storedHours(team.id)).toBe('{"source":"workspace"}');
      db.sqlite.prepare("INSERT INTO settings (key, value) VALUES ('timezone', 'Asia/Tokyo'), ('business_hours', ?)").run(JSON.stringify(allWeek));
      expect((await run(ws.getTeam(team.id))).schedule).toMatchObject({ timezone: "Asia/Tokyo", hours: allWeek });
    });

    it("refuses bad hours with the field's path and keeps what was stored", async () => {
      const team = await run(ws.createTeam({ name: "Support" }));
      await run(ws.setTeamHours(team.id, own));
      const before = storedHours(team.id);
      const issues = async (input: unknown) => ((await fails(ws.setTeamHours(team.id, input))) as InvalidInput).issues;
      expect(await issues({ ...own, hours: [{ day: "mon", from: "25:00", to: "17:00" }] })).toEqual([
        { path: "hours[0].from", message: expect.stringContaining("HH:MM") },
      ]);
      expect(await issues({ ...own, hours: [] })).toEqual([{ path: "hours", message: "at least one range of hours" }]);
      expect(await issues({ ...own, timezone: "Mars/Olympus" })).toEqual([
        { path: "timezone", message: "not a time zone: use a name like Europe/Berlin or America/New_York" },
      ]);
      expect(paths(await fails(ws.setTeamHours(team.id, { ...own, closedDates: [{ date: "2026-02-30" }] })))).toEqual(["closedDates[0].date"]);
      expect(paths(await fails(ws.setTeamHours(team.id, { source: "sometimes" })))).toContain("source");
      expect(paths(await fails(ws.setTeamHours(team.id, "own")))).toEqual([""]);
      expect(storedHours(team.id)).toBe(before);
      expect((await fails(ws.setTeamHours("team_nope", own)))._tag).toBe("NotFound");
      expect(hoursLines()).toHaveLength(1);
    });

    it("audits a change with before and after, and nothing when the same hours are saved again", async () => {
      const team = await run(ws.createTeam({ name: "Billing" }));
      await run(ws.setTeamHours(team.id, own));
      await run(ws.setTeamHours(team.id, own));
      await run(ws.setTeamHours(team.id, { source: "workspace" }));
      await run(ws.setTeamHours(team.id, { source: "none" }));
      await run(ws.setTeamHours(team.id, { source: "none" }));
      expect(hoursLines()).toEqual([
        { team: team.id, from: { source: "none" }, to: { ...own, workspaceClosedDates: false } },
        { team: team.id, from: { ...own, workspaceClosedDates: false }, to: { source: "workspace" } },
        { team: team.id, from: { source: "workspace" }, to: { source: "none" } },
      ]);
    });

    it("imports a calendar's closed dates into own hours in one audited write; a dry run and a team without own hours store nothing", async () => {
      const team = await run(ws.createTeam({ name: "Calendar team" }));
      const dates = [
        { date: "2027-12-24", name: "Christmas Eve (calendar)", yearly: false },
        { date: "2027-01-01", name: "New Year", yearly: false },
      ];
      const refusal = async (input: unknown) => ((await fails(ws.importTeamClosedDates(team.id, input, "file"))) as InvalidInput).issues;
      expect(await refusal({ dates, source: "x.ics" })).toEqual([{ path: "file", message: "Calendar team keeps no hours of its own: choose Own hours and save them first" }]);
      await run(ws.setTeamHours(team.id, own));
      const before = storedHours(team.id);
      const linesBefore = hoursLines().length;
      const preview = await run(ws.importTeamClosedDates(team.id, { dates, source: "x.ics", dryRun: true }));
      expect(preview).toEqual({
        dryRun: true,
        added: [dates[1]],
        skipped: [{ date: "2027-12-24", reason: "already closed (Christmas Eve)" }],
        closedDates: [dates[1], own.closedDates[0]],
      });
      expect([storedHours(team.id), hoursLines().length]).toEqual([before, linesBefore]);
      const done = await run(ws.importTeamClosedDates(team.id, { dates, source: "x.ics" }));
      expect(done).toEqual({ ...preview, dryRun: false });
      expect((await run(ws.getTeam(team.id))).hours).toMatchObject({ source: "own", closedDates: done.closedDates });
      expect(hoursLines().slice(linesBefore)).toEqual([
        { team: team.id, from: { ...own, workspaceClosedDates: false }, to: { ...own, closedDates: done.closedDates, workspaceClosedDates: false }, source: "x.ics" },
      ]);
      // Past 200: refused whole, nothing stored.
      const many = Array.from({ length: 199 }, (_, i) => ({ date: new Date(Date.UTC(2030, 0, 1 + i)).toISOString().slice(0, 10), yearly: false }));
      const after = storedHours(team.id);
      expect(await refusal({ dates: many, source: "big.ics" })).toEqual([{ path: "file", message: "These 199 dates would make 201 closed dates; at most 200: remove past ones first." }]);
      expect(paths(await fails(ws.importTeamClosedDates(team.id, { dates: [{ date: "2027-02-30" }], source: "x" })))).toEqual(["dates[0].date"]);
      expect(storedHours(team.id)).toBe(after);
      expect((await fails(ws.importTeamClosedDates("team_nope", { dates, source: "x" })))._tag).toBe("NotFound");
    });

    it("drains the queue when the hours change, so conversations waiting for the team can be assigned", async () => {
      const team = await run(ws.createTeam({ name: "Closers" }));
      const inbox = await run(ws.createInbox({ name: "Sales" }));
      await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", teamId: team.id } }));
      await run(ws.setInboxMembers(inbox.id, ["ann"]));
      // Ann joins the team behind the service's back: nothing drained the queue for her yet.
      const waiting = openConversation(inbox.id);
      const routing = await runtime.runPromise(Routing.Routing);
      expect(await run(routing.routeConversation(waiting, { type: "routing" }))).toEqual({ assigneeId: null, queued: true });
      db.sqlite.prepare("INSERT INTO team_members (team_id, user_id) VALUES (?, 'ann')").run(team.id);
      // Open all week with no closed date: open whenever this runs.
      await run(ws.setTeamHours(team.id, { ...own, closedDates: [] }));
      expect(conversationRow(waiting)).toEqual({ assignee_id: "ann", queued_at: null });
    });

    it("tells each inbox with conversations still queued for the team that its hours changed, once, when nobody could take them", async () => {
      const team = await run(ws.createTeam({ name: "Night desk" }));
      const other = await run(ws.createTeam({ name: "Day desk" }));
      const sales = await run(ws.createInbox({ name: "Sales" }));
      const billing = await run(ws.createInbox({ name: "Billing" }));
      const routing = await runtime.runPromise(Routing.Routing);
      // Nobody is on either team: each conversation waits in the queue for its team.
      const queued = async (inboxId: string, teamId: string) => {
        const id = openConversation(inboxId);
        expect(await run(routing.routeConversation(id, { type: "team", teamId }))).toEqual({ assigneeId: null, queued: true });
        return id;
      };
      // Each inbox's event is on the smallest id of the team's queue there (the oldest, with real ids: they begin with the time).
      const firstSales = [await queued(sales.id, team.id), await queued(sales.id, team.id)].sort()[0];
      await queued(sales.id, other.id);
      const firstBilling = await queued(billing.id, team.id);
      const heard: LiveEvents.LiveEvent[] = [];
      const live = await runtime.runPromise(LiveEvents.LiveEvents);
      const stop = live.subscribeAll((event) => heard.push(event));
      try {
        await run(ws.setTeamHours(team.id, { ...own, closedDates: [] }));
        expect(heard.sort((a, b) => a.inboxId.localeCompare(b.inboxId))).toEqual(
          [
            { conversationId: firstSales, inboxId: sales.id, kind: "conversation", internal: true, data: { change: "team_hours", teamId: team.id } },
            { conversationId: firstBilling, inboxId: billing.id, kind: "conversation", internal: true, data: { change: "team_hours", teamId: team.id } },
          ].sort((a, b) => a.inboxId.localeCompare(b.inboxId)),
        );
        // The same hours again change nothing: nothing is said.
        heard.length = 0;
        await run(ws.setTeamHours(team.id, { ...own, closedDates: [] }));
        expect(heard).toEqual([]);
      } finally {
        stop();
      }
    });
  });
});

describe("availability and profiles", () => {
  it("drains the queue of the agent's inboxes when they become available", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin" } }));
    await run(ws.setInboxMembers(inbox.id, ["ann"]));
    await run(ws.setAvailability("ann", "away"));
    const waiting = openConversation(inbox.id);
    const routing = await runtime.runPromise(Routing.Routing);
    expect(await run(routing.routeConversation(waiting, { type: "routing" }))).toEqual({ assigneeId: null, queued: true });
    expect((await run(ws.setAvailability("ann", "available"))).availability).toBe("available");
    expect(conversationRow(waiting)).toEqual({ assignee_id: "ann", queued_at: null });
    expect(paths(await fails(ws.setAvailability("ann", "asleep")))).toEqual(["availability"]);
    expect((await fails(ws.setAvailability("nobody", "away")))._tag).toBe("NotFound");
  });

  it("ends the queue of an inbox switched to manual, and lets a raised cap through", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", maxOpenPerAgent: 1 } }));
    await run(ws.setInboxMembers(inbox.id, ["ann"]));
    openConversation(inbox.id, "ann");
    const routing = await runtime.runPromise(Routing.Routing);
    const waiting = openConversation(inbox.id);
    expect((await run(routing.routeConversation(waiting, { type: "routing" }))).queued).toBe(true);
    await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", maxOpenPerAgent: 2 } }));
    expect(conversationRow(waiting).assignee_id).toBe("ann");
  });

  it("reads defaults, stores working hours and notification settings, clears text with empty strings", async () => {
    const fresh = await run(ws.getProfile("ann"));
    expect(fresh.workingHours).toEqual({ timezone: "UTC", hours: [] });
    expect(fresh.notificationSettings.mention).toEqual({ browser: true, sound: true });
    const saved = await run(
      ws.updateProfile("ann", {
        displayName: "Ann from Support",
        avatarUrl: "https://example.com/ann.png",
        meetingLink: "https://cal.example.com/ann",
        workingHours: { timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }] },
        notificationSettings: { assigned: { browser: true, sound: false }, handoff: { browser: false, sound: false }, mention: { browser: true, sound: true } },
      }),
    );
    expect(saved).toMatchObject({
      displayName: "Ann from Support",
      meetingLink: "https://cal.example.com/ann",
      workingHours: { timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }] },
      notificationSettings: { assigned: { browser: true, sound: false }, handoff: { browser: false, sound: false } },
    });
    const cleared = await run(ws.updateProfile("ann", { displayName: "", avatarUrl: null }));
    expect(cleared).toMatchObject({ displayName: null, avatarUrl: null, meetingLink: "https://cal.example.com/ann" });
    expect(cleared.workingHours.timezone).toBe("Europe/Berlin");
  });

  it("says which profile field is wrong", async () => {
    const error = await fails(
      ws.updateProfile("ann", {
        avatarUrl: "javascript:alert(1)",
        workingHours: { timezone: "Mars/Olympus", hours: [{ day: "someday", from: "9", to: "17:00" }] },
        notificationSettings: { assigned: { browser: "yes", sound: true } },
      }),
    );
    expect(paths(error)).toEqual(
      expect.arrayContaining(["avatarUrl", "workingHours.timezone", "workingHours.hours[0].day", "workingHours.hours[0].from", "notificationSettings.assigned.browser"]),
    );
    expect((await fails(ws.updateProfile("nobody", {})))._tag).toBe("NotFound");
  });

  it("keeps the languages someone answers in, canonical and each once, and clears them with an empty list (decision 055)", async () => {
    expect((await run(ws.getProfile("ann"))).languages).toEqual([]);
    const saved = await run(ws.updateProfile("ann", { languages: [" DE", "en", "iw", "de"] }));
    expect(saved.languages).toEqual(["de", "en", "he"]);
    expect(db.sqlite.prepare("SELECT languages FROM users WHERE id = 'ann'").get()).toEqual({ languages: '["de","en","he"]' });
    // Another edit leaves them alone.
    expect((await run(ws.updateProfile("ann", { displayName: "Ann" }))).languages).toEqual(["de", "en", "he"]);
    expect((await run(ws.updateProfile("ann", { languages: [] }))).languages).toEqual([]);
    expect(db.sqlite.prepare("SELECT languages FROM users WHERE id = 'ann'").get()).toEqual({ languages: null });
  });

  it("refuses an unknown or ill-formed language with its path, and stores nothing of the edit", async () => {
    await run(ws.updateProfile("ann", { languages: ["fr"] }));
    const error = await fails(ws.updateProfile("ann", { displayName: "Annie", languages: ["de", "xx", "de-AT", "d3", 7] }));
    expect((error as InvalidInput).issues).toEqual([
      { path: "languages[1]", message: '"xx" is not a language we know' },
      { path: "languages[2]", message: '"de-AT": give the language alone, without a region or script: de' },
      { path: "languages[3]", message: '"d3" is not a language code: two or three letters, such as en, de or fr' },
      { path: "languages[4]", message: expect.stringContaining("string") },
    ]);
    expect(paths(await fails(ws.updateProfile("ann", { languages: "de" })))).toEqual(["languages"]);
    expect(paths(await fails(ws.updateProfile("ann", { languages: Array.from({ length: 21 }, () => "en") })))).toEqual(["languages"]);
    expect(await run(ws.getProfile("ann"))).toMatchObject({ languages: ["fr"], displayName: null });
  });

  it("refuses a routing preference for the visitor's language that is not true or false", async () => {
    const inbox = await run(ws.createInbox({ name: "Languages" }));
    expect(paths(await fails(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", preferVisitorLanguage: "yes" } })))).toEqual([
      "routing.preferVisitorLanguage",
    ]);
    expect((await run(ws.getInbox(inbox.id))).routing).toEqual({ mode: "manual" });
    const saved = await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", preferVisitorLanguage: true } }));
    expect(saved.routing).toEqual({ mode: "round_robin", preferVisitorLanguage: true });
  });

  it("keeps a wait for a speaker of 0–60 whole minutes, and refuses anything else with its path, keeping the stored routing", async () => {
    const inbox = await run(ws.createInbox({ name: "Waits" }));
    const saved = { mode: "round_robin", preferVisitorLanguage: true, languageWaitMinutes: 15 };
    expect((await run(ws.updateInbox(inbox.id, { routing: saved }))).routing).toEqual(saved);
    for (const bad of [-1, 61, 1.5, "5", null, Number.NaN]) {
      const error = (await fails(ws.updateInbox(inbox.id, { name: "Renamed", routing: { ...saved, languageWaitMinutes: bad } }))) as InvalidInput;
      expect(error.issues.map((i) => i.path)).toEqual(["routing.languageWaitMinutes"]);
      expect(error.issues[0]!.message).toMatch(/whole number|between 0 and 60|number/);
    }
    expect(await run(ws.getInbox(inbox.id))).toMatchObject({ name: "Waits", routing: saved });
    for (const edge of [0, 60]) {
      expect((await run(ws.updateInbox(inbox.id, { routing: { ...saved, languageWaitMinutes: edge } }))).routing.languageWaitMinutes).toBe(edge);
    }
  });

  it("changes roles but never removes the last admin, and re-routes what a demoted agent held", async () => {
    expect((await fails(ws.setRole({ id: "admin" }, "admin", "agent")))._tag).toBe("Conflict");
    expect(paths(await fails(ws.setRole({ id: "admin" }, "ann", "boss")))).toEqual(["role"]);
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.setInboxMembers(inbox.id, ["ann"]));
    const held = openConversation(inbox.id, "ann");
    const waiting = openConversation(inbox.id, "ann");
    db.sqlite.prepare("UPDATE conversations SET status = 'pending' WHERE id = ?").run(waiting);
    const done = openConversation(inbox.id, "ann");
    db.sqlite.prepare("UPDATE conversations SET status = 'closed' WHERE id = ?").run(done);
    expect((await run(ws.setRole({ id: "admin" }, "ann", "marketer"))).role).toBe("marketer");
    expect(conversationRow(held).assignee_id).toBeNull();
    // A pending one would come back to her when the visitor answers: unassigned by the admin, with its event.
    expect(conversationRow(waiting).assignee_id).toBeNull();
    expect(db.sqlite.prepare("SELECT type, user_id FROM events WHERE conversation_id = ? ORDER BY id").all(waiting)).toEqual([
      { type: "unassigned", user_id: null },
    ]);
    // History stays hers.
    expect(conversationRow(done).assignee_id).toBe("ann");
    await run(ws.setRole({ id: "admin" }, "bob", "admin"));
    expect((await run(ws.setRole({ id: "admin" }, "admin", "agent"))).role).toBe("agent");
  });
});

describe("isBlockedSender", () => {
  const filters = { blockedSenders: ["spam@example.com"], blockedDomains: ["junk.example"] };
  it.each([
    ["spam@example.com", true],
    [" SPAM@example.com ", true],
    ["ok@example.com", false],
    ["x@junk.example", true],
    ["x@mail.junk.example", true],
    ["x@notjunk.example", false],
  ])("%s → %s", (email, blocked) => {
    expect(isBlockedSender(filters, email)).toBe(blocked);
  });
});

describe("disabling and enabling people", () => {
  const session = (id: string, userId: string) =>
    db.sqlite.prepare("INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, 'c', 1, 9e15)").run(id, userId);
  const sessionsOf = (userId: string) =>
    (db.sqlite.prepare("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?").get(userId) as { n: number }).n;
  const disabledAt = (userId: string) =>
    (db.sqlite.prepare("SELECT disabled_at FROM users WHERE id = ?").get(userId) as { disabled_at: number | null }).disabled_at;
  const eventsOf = (conversationId: string) =>
    db.sqlite.prepare("SELECT type, user_id FROM events WHERE conversation_id = ? ORDER BY id").all(conversationId) as Array<{
      type: string;
      user_id: string | null;
    }>;
  const withStatus = (id: string, status: string) => db.sqlite.prepare("UPDATE conversations SET status = ? WHERE id = ?").run(status, id);

  it("ends their sessions, gives open conversations back to a manual inbox's Unassigned, unassigns pending ones, keeps closed ones", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.setInboxMembers(inbox.id, ["ann", "bob"]));
    session("s1", "ann");
    session("s2", "ann");
    session("s3", "bob");
    const open = openConversation(inbox.id, "ann");
    const pending = openConversation(inbox.id, "ann");
    withStatus(pending, "pending");
    const closed = openConversation(inbox.id, "ann");
    withStatus(closed, "closed");
    const bobs = openConversation(inbox.id, "bob");

    const result = await run(ws.setDisabled({ id: "admin" }, "ann", true));
    expect(result).toMatchObject({ endedSessions: 2, rerouted: 2 });
    expect(result.profile.disabledAt).toEqual(expect.any(Number));
    expect(sessionsOf("ann")).toBe(0);
    expect(sessionsOf("bob")).toBe(1);
    expect(conversationRow(open)).toEqual({ assignee_id: null, queued_at: null });
    expect(eventsOf(open)).toEqual([{ type: "unassigned", user_id: null }]);
    expect(conversationRow(pending).assignee_id).toBeNull();
    expect(eventsOf(pending).map((e) => e.type)).toEqual(["unassigned"]);
    // History stays theirs: a closed conversation keeps its assignee, and others' are untouched.
    expect(conversationRow(closed).assignee_id).toBe("ann");
    expect(conversationRow(bobs).assignee_id).toBe("bob");
    // Still a member (enabling restores their work), but nobody can hand them a conversation.
    expect((await run(ws.getInbox(inbox.id))).memberIds).toEqual(["ann", "bob"]);
    expect(await run(ws.inboxesOfUser("ann"))).toEqual([]);
    expect(await run(ws.canAccessInbox({ id: "ann" }, inbox.id))).toBe(false);
  });

  it("hands their open conversations to the next available member in a round-robin inbox, never back to them", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin" } }));
    await run(ws.setInboxMembers(inbox.id, ["ann", "bob"]));
    const held = openConversation(inbox.id, "ann");
    await run(ws.setDisabled({ id: "admin" }, "ann", true));
    expect(conversationRow(held).assignee_id).toBe("bob");
    expect(eventsOf(held)).toEqual([{ type: "assigned", user_id: "bob" }]);
    // A new conversation routed now skips ann too, even with bob away.
    await run(ws.setAvailability("bob", "away"));
    const fresh = openConversation(inbox.id);
    const routing = await runtime.runPromise(Routing.Routing);
    expect(await run(routing.routeConversation(fresh, { type: "routing" }))).toEqual({ assigneeId: null, queued: true });
  });

  it("refuses disabling oneself and the last enabled admin, changing nothing", async () => {
    session("sa", "admin");
    const self = await fails(ws.setDisabled({ id: "admin" }, "admin", true));
    expect(self._tag).toBe("Conflict");
    expect((self as Conflict).message).toBe("You cannot disable yourself; ask another admin.");
    // Another admin who was disabled already cannot leave the workspace without one either.
    const last = await fails(ws.setDisabled({ id: "ann" }, "admin", true));
    expect((last as Conflict).message).toBe("The workspace needs at least one enabled admin.");
    expect(disabledAt("admin")).toBeNull();
    expect(sessionsOf("admin")).toBe(1);
    // With a second enabled admin it is allowed, and then that one is the last.
    await run(ws.setRole({ id: "admin" }, "bob", "admin"));
    await run(ws.setDisabled({ id: "bob" }, "admin", true));
    expect(disabledAt("admin")).not.toBeNull();
    expect(((await fails(ws.setDisabled({ id: "admin" }, "bob", true))) as Conflict).message).toBe(
      "The workspace needs at least one enabled admin.",
    );
    expect(((await fails(ws.setRole({ id: "admin" }, "bob", "agent"))) as Conflict).message).toBe("The workspace needs at least one admin.");
    expect(disabledAt("bob")).toBeNull();
    expect((await fails(ws.setDisabled({ id: "admin" }, "nobody", true)))._tag).toBe("NotFound");
  });

  it("enables them again: they take queued conversations of their inboxes and can be routed to", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin" } }));
    await run(ws.setInboxMembers(inbox.id, ["ann"]));
    await run(ws.setDisabled({ id: "admin" }, "ann", true));
    const waiting = openConversation(inbox.id);
    const routing = await runtime.runPromise(Routing.Routing);
    expect((await run(routing.routeConversation(waiting, { type: "routing" }))).queued).toBe(true);
    const enabled = await run(ws.setDisabled({ id: "admin" }, "ann", false));
    expect(enabled.profile.disabledAt).toBeNull();
    expect(conversationRow(waiting)).toEqual({ assignee_id: "ann", queued_at: null });
  });

  it("keeps a disabled member when a checklist is saved, but refuses adding one", async () => {
    const inbox = await run(ws.createInbox({ name: "Sales" }));
    await run(ws.setInboxMembers(inbox.id, ["ann", "bob"]));
    await run(ws.setDisabled({ id: "admin" }, "ann", true));
    expect((await run(ws.setInboxMembers(inbox.id, ["ann", "bob"]))).memberIds).toEqual(["ann", "bob"]);
    const refused = await fails(ws.setInboxMembers(inbox.id, ["ann", "bob", "gone"]));
    expect((refused as InvalidInput).issues).toEqual([{ path: "userIds[2]", message: "gone is disabled" }]);
    expect((await run(ws.getInbox(inbox.id))).memberIds).toEqual(["ann", "bob"]);
    const team = await run(ws.createTeam({ name: "Closers" }));
    expect(paths(await fails(ws.setTeamMembers(team.id, ["ann"])))).toEqual(["userIds[0]"]);
    expect((await run(ws.getTeam(team.id))).memberIds).toEqual([]);
  });
});
