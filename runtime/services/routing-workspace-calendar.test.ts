/**
 * The workspace's own calendar changed (the Reports page, /api/v1/settings: decision 048's
 * follow-up) on a real SQLite file: Routing.workspaceCalendarChanged drains the queues, so a team
 * that follows the workspace's hours is assigned its waiting conversation when the hours widen,
 * and tells the inbox pages of the teams that read the changed part (`team_hours`), not others.
 */
import { Effect, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as Chatflows from "./chatflows.js";
import * as Db from "./database.js";
import * as LiveEvents from "./live-events.js";
import * as Reports from "./reports.js";
import * as Routing from "./routing.js";
import { layer as workspaceLayer, Workspace, type WorkspaceShape } from "./workspace.js";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const allWeek = DAYS.map((day) => ({ day, from: "00:00", to: "24:00" }));

let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Workspace | Routing.Routing | Reports.Reports | Db.Database | LiveEvents.LiveEvents, never>;
let db: Db.DatabaseShape;
let ws: WorkspaceShape;
let routing: Routing.RoutingShape;
let reports: Reports.ReportsShape;
const heard: LiveEvents.LiveEvent[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-workspace-calendar-"));
  const base = Layer.mergeAll(Db.layer({ path: join(dir, "calendar.sqlite"), synchronous: "NORMAL" }), LiveEvents.layer);
  const routingLayer = Routing.layer.pipe(Layer.provide(base));
  const reportsLayer = Reports.layer.pipe(Layer.provide(Chatflows.layer), Layer.provide(base));
  runtime = ManagedRuntime.make(Layer.mergeAll(workspaceLayer.pipe(Layer.provide(routingLayer)), routingLayer, reportsLayer).pipe(Layer.provideMerge(base)));
  db = await runtime.runPromise(Db.Database);
  ws = await runtime.runPromise(Workspace);
  routing = await runtime.runPromise(Routing.Routing);
  reports = await runtime.runPromise(Reports.Reports);
  db.sqlite.prepare("INSERT INTO users (id, email, name, role, password_hash, availability, created_at) VALUES ('ann', 'ann@example.com', 'Ann', 'agent', 'x', 'available', 1)").run();
  heard.length = 0;
  const live = await runtime.runPromise(LiveEvents.LiveEvents);
  live.subscribeAll((event) => heard.push(event));
});

afterEach(async () => {
  await runtime.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
let n = 0;
/** An open conversation in `inboxId`, routed to `teamId` (queued when nobody there can take it now). */
const queuedFor = async (inboxId: string, teamId: string) => {
  const id = `conv_${++n}`;
  db.sqlite.prepare("INSERT OR IGNORE INTO channels (id, inbox_id, kind, name, created_at) VALUES (?, ?, 'chat', ?, 1)").run(`chan_${inboxId}`, inboxId, inboxId);
  db.sqlite
    .prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, status, created_at, updated_at, last_activity_at, waiting_since)
       VALUES (?, ?, ?, 'open', ?, ?, ?, ?)`,
    )
    .run(id, `chan_${inboxId}`, inboxId, n, n, n, n);
  expect(await run(routing.routeConversation(id, { type: "team", teamId }))).toEqual({ assigneeId: null, queued: true });
  return id;
};
const assignee = (id: string) => (db.sqlite.prepare("SELECT assignee_id, queued_at FROM conversations WHERE id = ?").get(id) as { assignee_id: string | null; queued_at: number | null });
const teamHoursEvents = () => heard.filter((e) => e.kind === "conversation" && (e.data as { change?: string }).change === "team_hours");

describe("the workspace's calendar changed", () => {
  it("widened hours open a team that follows them: its queued conversation is assigned", async () => {
    // Open one hour on a day three days from today (UTC, the workspace's zone): closed now.
    const other = DAYS[(new Date().getUTCDay() + 3) % 7]!;
    await run(reports.setBusinessHours([{ day: other, from: "09:00", to: "10:00" }]));
    const team = await run(ws.createTeam({ name: "Follows the workspace" }));
    await run(ws.setTeamMembers(team.id, ["ann"]));
    await run(ws.setTeamHours(team.id, { source: "workspace" }));
    const inbox = await run(ws.createInbox({ name: "Support" }));
    await run(ws.updateInbox(inbox.id, { routing: { mode: "round_robin", teamId: team.id } }));
    await run(ws.setInboxMembers(inbox.id, ["ann"]));
    const waiting = await queuedFor(inbox.id, team.id);

    await run(reports.setBusinessHours(allWeek));
    const assigned = await run(routing.workspaceCalendarChanged("hours"));
    expect(assigned.map((a) => [a.conversationId, a.assigneeId])).toEqual([[waiting, "ann"]]);
    expect(assignee(waiting)).toEqual({ assignee_id: "ann", queued_at: null });
  });

  it("a closed date added for today tells the pages of each team that reads the workspace's closed dates, and only those", async () => {
    await run(reports.setBusinessHours(allWeek));
    const follows = await run(ws.createTeam({ name: "Follows" }));
    const addsDates = await run(ws.createTeam({ name: "Own with the workspace's dates" }));
    const ownOnly = await run(ws.createTeam({ name: "Own only" }));
    const none = await run(ws.createTeam({ name: "No hours" }));
    await run(ws.setTeamHours(follows.id, { source: "workspace" }));
    const own = { source: "own", timezone: "UTC", hours: allWeek, closedDates: [] };
    await run(ws.setTeamHours(addsDates.id, { ...own, workspaceClosedDates: true }));
    await run(ws.setTeamHours(ownOnly.id, own));
    const sales = await run(ws.createInbox({ name: "Sales" }));
    const billing = await run(ws.createInbox({ name: "Billing" }));
    // Nobody is on any team: each conversation waits for its team.
    const forFollows = await queuedFor(sales.id, follows.id);
    await queuedFor(sales.id, follows.id);
    const forAddsDates = await queuedFor(billing.id, addsDates.id);
    await queuedFor(billing.id, ownOnly.id);
    await queuedFor(billing.id, none.id);
    heard.length = 0;

    await run(reports.addClosedDate({ date: new Date().toISOString().slice(0, 10), name: "Staff day" }));
    await run(routing.workspaceCalendarChanged("closedDates"));
    const said = teamHoursEvents().map((e) => ({ conversationId: e.conversationId, inboxId: e.inboxId, data: e.data }));
    expect(said.sort((a, b) => a.inboxId.localeCompare(b.inboxId))).toEqual(
      [
        { conversationId: forFollows, inboxId: sales.id, data: { change: "team_hours", teamId: follows.id } },
        { conversationId: forAddsDates, inboxId: billing.id, data: { change: "team_hours", teamId: addsDates.id } },
      ].sort((a, b) => a.inboxId.localeCompare(b.inboxId)),
    );
    // The hours or the zone are not read by a team with its own: only the follower is told then.
    heard.length = 0;
    await run(routing.workspaceCalendarChanged("hours"));
    expect(teamHoursEvents().map((e) => (e.data as { teamId: string }).teamId)).toEqual([follows.id]);
    // The team is closed for today now: still queued, and its summary says so.
    expect(assignee(forFollows).queued_at).not.toBeNull();
    expect((await run(ws.getTeam(follows.id))).hoursSummary.open).toBe(false);
  });
});
