/**
 * Accuracy of the reports: a scripted week-day of conversations through the REAL engine,
 * routing and inbox services on a fresh SQLite file, with a fixed clock (visitors completing,
 * abandoning, handing off; agents replying, commenting and closing at known times), and the
 * exact value of every figure asserted. The SQL roll-ups are then compared with the pure
 * definitions (runtime/core/metrics.ts) over the raw log, and with a rebuild from the log.
 */
import { Effect, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import {
  armResults,
  assignedPerUser,
  botSessions,
  countOutcomes,
  DEFAULT_SESSION_TIMEOUT_MS,
  nodeTallies,
  teamTimeline,
  type EventRow,
} from "../core/metrics.js";
import { nextRandom, seedRng } from "../core/rng.js";
import * as Chatflows from "./chatflows.js";
import * as Deliveries from "./deliveries.js";
import * as Db from "./database.js";
import * as Engine from "./engine.js";
import type { Actor } from "./inbox-access.js";
import * as Inbox from "./inbox.js";
import * as LiveEvents from "./live-events.js";
import * as Reports from "./reports.js";
import * as Routing from "./routing.js";

// The engine draws each conversation's PRNG seed from node:crypto's randomInt; the script
// chooses the seeds so it knows which A/B arm every conversation takes.
const seeds = vi.hoisted(() => [] as number[]);
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  const randomInt = (...args: unknown[]) =>
    seeds.length > 0 ? seeds.shift()! : (actual.randomInt as (...a: unknown[]) => number)(...args);
  return { ...actual, randomInt };
});

/** A seed whose first draw sends a 50/50 split to arm `a` or `b`. */
const seedFor = (arm: "a" | "b"): number => {
  for (let seed = 1; ; seed++) {
    const value = nextRandom(seedRng(seed)).value;
    if ((arm === "a") === value < 0.5) return seed;
  }
};

// ---------------------------------------------------------------------------------------------
// The workspace and the flow

type NodeSpec = readonly [id: string, kind: string, data: unknown, next?: Record<string, string>];
const doc = (id: string, nodes: ReadonlyArray<NodeSpec>, settings: unknown): FlowDocument => ({
  id,
  name: "Qualify",
  kind: "bot",
  language: "en",
  startNodeId: nodes[0]![0],
  nodes: nodes.map(([nodeId, kind, data], i) => ({
    id: nodeId,
    kind: kind as FlowDocument["nodes"][number]["kind"],
    label: nodeId.replace("_", " "),
    position: { x: 0, y: i * 100 },
    data,
  })),
  edges: nodes.flatMap(([source, , , next]) =>
    Object.entries(next ?? {}).map(([port, target]) => ({ id: `${source}:${port}`, source, sourcePort: port, target })),
  ),
  variables: [],
  settings,
});
const say = (text: string) => ({ bubbles: [{ type: "text", text }], typingDelayMs: 0 });
const ask = (prompt: string, answer: unknown, extra: Record<string, unknown> = {}) => ({ prompt, answer, typingDelayMs: 0, ...extra });

const qualify = doc(
  "qualify",
  [
    ["hello", "message", say("Hi!"), { next: "split" }],
    ["split", "split", { arms: [{ id: "a", label: "Short", percent: 50 }, { id: "b", label: "Warm", percent: 50 }] }, { "arm:a": "ask_name", "arm:b": "greet_b" }],
    ["greet_b", "message", say("Lovely to see you."), { next: "ask_name" }],
    ["ask_name", "question", ask("Your name?", { type: "text" }, { save: { variable: "name" } }), { answered: "ask_email" }],
    [
      "ask_email",
      "question",
      ask("Your email?", { type: "email" }, { save: { variable: "email" }, maxRetries: 1 }),
      { answered: "choose", invalid: "handoff" },
    ],
    [
      "choose",
      "question",
      ask("What next?", { type: "choice", portPerChoice: true, choices: [{ id: "sales", label: "Talk to sales" }, { id: "browse", label: "Just browsing" }] }),
      { "choice:sales": "handoff", "choice:browse": "done" },
    ],
    ["done", "end", { message: "Bye!" }],
    ["handoff", "handoff", { target: { type: "team", teamId: "team_support" }, message: "Passing you on." }],
  ],
  { sessionTimeoutMinutes: 10 },
);

const alex: Actor = { id: "usr_alex", role: "agent" };
const bo: Actor = { id: "usr_bo", role: "agent" };
const MIN = 60_000;
/** A UTC instant on 2 March 2026 (Berlin is UTC+1 then). */
const at = (hour: number, minute: number, day = 2) => Date.UTC(2026, 2, day, hour, minute);

type Services = Db.Database | LiveEvents.LiveEvents | Chatflows.Chatflows | Engine.Engine | Routing.Routing | Inbox.Inbox | Reports.Reports;
let dir: string;
let runtime: ManagedRuntime.ManagedRuntime<Services, never>;
let db: Db.DatabaseShape;
const run = <A, E>(effect: Effect.Effect<A, E, Services>) => runtime.runPromise(effect);
const reports = () => run(Reports.Reports);
const conversations: Record<string, string> = {};

const noActions: Engine.EngineActionsShape = {
  webhook: () => Effect.die(new Error("no webhooks here")),
  code: () => Effect.die(new Error("no code here")),
};

// ---- script steps: each sets the clock first ----

let visitorSeq = 0;
let clientSeq = 0;
const visitors: Record<string, string> = {};
const clock = (t: number) => vi.setSystemTime(t);

const start = async (name: string, arm: "a" | "b", t: number, preview = false) => {
  clock(t);
  const visitorId = `vis_${++visitorSeq}`;
  db.sqlite
    .prepare("INSERT INTO visitors (id, channel_id, device, language, first_seen_at, last_seen_at) VALUES (?, 'chan_web', 'desktop', 'en', ?, ?)")
    .run(visitorId, t, t);
  seeds.push(seedFor(arm));
  const e = await run(Engine.Engine);
  const view = await run(e.startConversation({ visitorId, channelId: "chan_web", chatflowId: "flow_qualify", pageUrl: "https://shop.example/", preview }));
  expect(seeds, "the engine drew the scripted seed").toHaveLength(0);
  conversations[name] = view.conversation.id;
  visitors[name] = visitorId;
  return view;
};
const visitor = async (name: string, t: number, message: { text?: string; choiceIds?: string[] }) => {
  clock(t);
  const e = await run(Engine.Engine);
  return run(e.handleVisitorMessage({ conversationId: conversations[name]!, visitorId: visitors[name]!, clientMessageId: `c${++clientSeq}`, ...message }));
};
const reply = async (name: string, actor: Actor, t: number, internal = false) => {
  clock(t);
  const inbox = await run(Inbox.Inbox);
  const input = { conversationId: conversations[name]!, text: internal ? "note to self" : "Hello from the team", clientMessageId: `a${++clientSeq}` };
  return internal ? run(inbox.comment(input, actor)) : run(inbox.reply(input, actor));
};
const close = async (name: string, actor: Actor, t: number) => {
  clock(t);
  const version = (db.sqlite.prepare("SELECT version FROM conversations WHERE id = ?").get(conversations[name]!) as { version: number }).version;
  const inbox = await run(Inbox.Inbox);
  return run(inbox.close(conversations[name]!, version, actor));
};
const sweep = async (t: number) => {
  clock(t);
  const e = await run(Engine.Engine);
  return run(e.expireIdleConversations(t));
};

const query = async (params: Record<string, string>) => {
  const r = await reports();
  return run(r.parseQuery(params));
};
const range = { range: "custom", from: "2026-03-02", to: "2026-03-03" };

const events = (): EventRow[] => db.sqlite.prepare("SELECT * FROM events ORDER BY id").all() as EventRow[];
const timeoutOf = (versionId: string | null): number => {
  const row = db.sqlite.prepare("SELECT json_extract(spec, '$.settings.sessionTimeoutMinutes') AS m FROM chatflow_versions WHERE id = ?").get(versionId) as
    | { m: number | null }
    | undefined;
  return row?.m != null ? row.m * MIN : DEFAULT_SESSION_TIMEOUT_MS;
};

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  clock(at(8, 0));
  dir = mkdtempSync(join(tmpdir(), "parley-reports-"));
  const base = Layer.mergeAll(Db.layer({ path: join(dir, "reports.sqlite"), synchronous: "NORMAL" }), LiveEvents.layer);
  const engine = Engine.layerWithActions(noActions).pipe(Layer.provide(Chatflows.layer), Layer.provide(Routing.layer));
  const core = Layer.mergeAll(engine, Routing.layer, Chatflows.layer, Deliveries.layer).pipe(Layer.provideMerge(base));
  const services = Layer.mergeAll(Inbox.layer, Reports.layer).pipe(Layer.provideMerge(core));
  runtime = ManagedRuntime.make(services);
  db = await run(Db.Database);

  const s = db.sqlite;
  const now = Date.now();
  const user = s.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', ?)");
  user.run("usr_admin", "ada@example.com", "Ada Admin", "admin", now);
  user.run(alex.id, "alex@example.com", "Alex Agent", "agent", now);
  user.run(bo.id, "bo@example.com", "Bo Berg", "agent", now);
  s.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_support', 'Support', ?)").run(now);
  s.prepare("INSERT INTO teams (id, name, created_at) VALUES ('team_support', 'Support team', ?)").run(now);
  for (const id of [alex.id, bo.id]) {
    s.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES ('inbox_support', ?)").run(id);
    s.prepare("INSERT INTO team_members (team_id, user_id) VALUES ('team_support', ?)").run(id);
  }
  s.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES ('chan_web', 'inbox_support', 'chat', 'Website chat', ?)").run(now);
  await run(
    Effect.gen(function* () {
      const flows = yield* Chatflows.Chatflows;
      yield* flows.create({ id: "flow_qualify", name: "Qualify", kind: "bot", document: qualify, channelId: "chan_web" });
      yield* flows.publish("flow_qualify");
      yield* flows.setEnabled("flow_qualify", true);
    }),
  );
  await run(Effect.flatMap(Reports.Reports, (r) => r.setTimezone("Europe/Berlin")));

  // C1 (arm a) completes.
  await start("c1", "a", at(9, 0));
  await visitor("c1", at(9, 1), { text: "Ann" });
  await visitor("c1", at(9, 2), { text: "ann@example.com" });
  await visitor("c1", at(9, 3), { choiceIds: ["browse"] });
  // A preview on the draft: never counted.
  await start("p1", "a", at(9, 5), true);
  await visitor("p1", at(9, 6), { text: "Preview Pete" });
  // C2 (arm b): one invalid email, then asks for sales → handed to the team (routed to Alex).
  await start("c2", "b", at(9, 10));
  await visitor("c2", at(9, 11), { text: "Bob" });
  await visitor("c2", at(9, 12), { text: "not an email" });
  await visitor("c2", at(9, 13), { text: "bob@example.com" });
  await visitor("c2", at(9, 14), { choiceIds: ["sales"] });
  await reply("c2", alex, at(9, 20));
  await reply("c2", alex, at(9, 22), true);
  await visitor("c2", at(9, 25), { text: "Any discounts?" });
  await reply("c2", alex, at(9, 27));
  await close("c2", alex, at(9, 30));
  // C3 (arm a) stops answering at the email; C4 (arm b) never answers at all.
  await start("c3", "a", at(9, 40));
  await visitor("c3", at(9, 41), { text: "Cy" });
  await start("c4", "b", at(9, 50));
  // C3, C4 and the idle preview time out.
  expect(await sweep(at(10, 0))).toBe(3);
  // C5 (arm a) comes back 14 minutes later — after the 10-minute session timeout — and finishes.
  await start("c5", "a", at(10, 5));
  await visitor("c5", at(10, 6), { text: "Di" });
  await visitor("c5", at(10, 20), { text: "di@example.com" });
  await visitor("c5", at(10, 21), { choiceIds: ["browse"] });
  // C6 (arm b): Bo takes over while the bot still asks questions.
  await start("c6", "b", at(10, 30));
  await visitor("c6", at(10, 31), { text: "Eve" });
  await reply("c6", bo, at(10, 32));
  await visitor("c6", at(10, 35), { text: "Thanks!" });
  await reply("c6", bo, at(10, 45));
  await close("c6", bo, at(10, 55));
  // C7 (arm a) at 00:30 Berlin time on 3 March: two invalid emails take the invalid exit to the
  // handoff (routed to Bo, whose turn it is); Alex answers first.
  await start("c7", "a", at(23, 30));
  await visitor("c7", at(23, 31), { text: "Fay" });
  await visitor("c7", at(23, 32), { text: "nope" });
  await visitor("c7", at(23, 33), { text: "still no" });
  await reply("c7", alex, at(23, 45));
  clock(at(12, 0, 3));
});

afterAll(async () => {
  vi.useRealTimers();
  await runtime?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const outcomes = (started: number, o: Partial<Record<string, number>>) => ({
  started,
  completed: 0,
  handed_off: 0,
  abandoned: 0,
  no_reply: 0,
  errored: 0,
  in_progress: 0,
  ...o,
});

describe("bot performance", () => {
  it("counts every session's outcome, per flow, version and local day", async () => {
    const r = await reports();
    const overview = await run(r.botOverview(await query(range)));
    const expected = outcomes(7, { completed: 1, handed_off: 3, abandoned: 2, no_reply: 1 });
    expect(overview.totals).toEqual(expected);
    expect(overview.flows).toEqual([{ chatflowId: "flow_qualify", name: "Qualify", counts: expected }]);
    expect(overview.versions).toHaveLength(1);
    expect(overview.versions[0]).toMatchObject({ chatflowId: "flow_qualify", version: 1, counts: expected });
    // C7 started at 23:30 UTC, which is already 3 March in Berlin.
    expect(overview.daily.map((d) => [d.day, d.counts.started, d.counts.completed, d.counts.handed_off])).toEqual([
      ["2026-03-02", 6, 1, 2],
      ["2026-03-03", 1, 0, 1],
    ]);
  });

  it("buckets days in the workspace time zone", async () => {
    const r = await reports();
    await run(r.setTimezone("UTC"));
    const overview = await run(r.botOverview(await query(range)));
    expect(overview.daily.map((d) => [d.day, d.counts.started])).toEqual([
      ["2026-03-02", 7],
      ["2026-03-03", 0],
    ]);
    await run(r.setTimezone("Europe/Berlin"));
    const today = await run(r.botOverview(await query({ range: "today" })));
    expect(today.query.range.from).toBe("2026-03-03");
    expect(today.totals).toEqual(outcomes(1, { handed_off: 1 }));
  });

  it("reports each node's reach, answers, invalid answers and drop-off, consistent with its edges", async () => {
    const r = await reports();
    const report = await run(r.flowReport("flow_qualify", await query(range)));
    const row = (id: string) => {
      const n = report.nodes.find((x) => x.nodeId === id)!;
      return [n.reached, n.answered, n.invalid, n.movedOn, n.dropped];
    };
    expect(row("hello")).toEqual([7, 0, 0, 7, 0]);
    expect(row("split")).toEqual([7, 0, 0, 7, 0]);
    expect(row("greet_b")).toEqual([3, 0, 0, 3, 0]);
    // C4 never answered its name.
    expect(row("ask_name")).toEqual([7, 6, 0, 6, 1]);
    // C3 left at the email; C6's agent took over there (moved on); C7 took the invalid exit.
    expect(row("ask_email")).toEqual([6, 3, 3, 5, 1]);
    expect(row("choose")).toEqual([3, 3, 0, 3, 0]);
    expect(row("done")).toEqual([2, 0, 0, 2, 0]);
    expect(row("handoff")).toEqual([2, 0, 0, 2, 0]);
    expect(report.nodes.find((n) => n.nodeId === "ask_name")!.dropOff).toBeCloseTo(1 / 7, 12);
    expect(report.nodes.find((n) => n.nodeId === "ask_email")!.dropOff).toBeCloseTo(1 / 6, 12);
    expect(report.nodes.map((n) => n.nodeId)).toEqual(["hello", "split", "greet_b", "ask_name", "ask_email", "choose", "done", "handoff"]);
    expect(report.nodes.every((n) => n.inFlow && n.label === n.nodeId.replace("_", " "))).toBe(true);

    expect(report.starts).toEqual({ hello: 7 });
    expect(report.edges.map((e) => `${e.from} -${e.port}-> ${e.to}: ${e.count}`).sort()).toEqual(
      [
        "hello -next-> split: 7",
        "split -arm:a-> ask_name: 4",
        "split -arm:b-> greet_b: 3",
        "greet_b -next-> ask_name: 3",
        "ask_name -answered-> ask_email: 6",
        "ask_email -answered-> choose: 3",
        "ask_email -invalid-> handoff: 1",
        "choose -choice:sales-> handoff: 1",
        "choose -choice:browse-> done: 2",
      ].sort(),
    );
    // Reached = starts + incoming traffic; moved on ≤ outgoing traffic + endings there.
    for (const node of report.nodes) {
      const incoming = report.edges.filter((e) => e.to === node.nodeId).reduce((a, e) => a + e.count, 0);
      expect(node.reached, node.nodeId).toBe(incoming + (report.starts[node.nodeId] ?? 0));
      expect(node.dropped, node.nodeId).toBeGreaterThanOrEqual(0);
    }
  });

  it("compares the A/B arms side by side", async () => {
    const r = await reports();
    const report = await run(r.flowReport("flow_qualify", await query(range)));
    expect(report.arms.map((a) => [a.armId, a.armLabel, a.percent, a.conversations, a.completed, a.handedOff, a.abandoned])).toEqual([
      ["a", "Short", 50, 4, 1, 1, 2],
      ["b", "Warm", 50, 3, 0, 2, 1],
    ]);
    expect(report.arms[0]!.completionRate).toBe(0.25);
    expect(report.arms[1]!.completionRate).toBe(0);
  });

  it("gives the canvas overlay the same reach and drop-off", async () => {
    const r = await reports();
    const overlay = await run(r.flowOverlay("flow_qualify", await query(range)));
    expect(overlay.started).toBe(7);
    expect(overlay.nodes.ask_name).toEqual({ reached: 7, dropOff: 1 / 7 });
    expect(overlay.nodes.done).toEqual({ reached: 2, dropOff: 0 });
  });

  it("filters by version and rejects unknown ids with the parameter as path", async () => {
    const r = await reports();
    const version = (db.sqlite.prepare("SELECT id FROM chatflow_versions").get() as { id: string }).id;
    const overview = await run(r.botOverview(await query({ ...range, version })));
    expect(overview.totals.started).toBe(7);
    const failure = await runtime.runPromise(Effect.flip(r.parseQuery({ ...range, inbox: "inbox_nope", to: "2026-13-01" })));
    expect(failure.issues).toEqual([{ path: "to", message: "expected a date written YYYY-MM-DD" }]);
    const unknown = await runtime.runPromise(Effect.flip(r.parseQuery({ ...range, inbox: "inbox_nope" })));
    expect(unknown.issues).toEqual([{ path: "inbox", message: "no inbox has this id" }]);
  });
});

describe("team", () => {
  it("measures first response, reply time and time to close as median and p90", async () => {
    const r = await reports();
    const team = await run(r.team(await query(range)));
    // First responses: C2 6 min after the handoff, C7 12 min after it; C6 was a takeover (no wait).
    expect(team.firstResponse).toEqual({ count: 2, median: 9 * MIN, p90: 11.4 * MIN, mean: 9 * MIN });
    // Replies: 6, 2 (C2), 10 (C6 after the visitor's thanks), 12 (C7) minutes.
    expect(team.replyTime).toEqual({ count: 4, median: 8 * MIN, p90: 11.4 * MIN, mean: 7.5 * MIN });
    // Closes: C2 after 20 min, C6 after 25 min; the bot's own closes (C3, C4) never reached the team.
    expect(team.timeToClose).toEqual({ count: 2, median: 22.5 * MIN, p90: 24.5 * MIN, mean: 22.5 * MIN });
  });

  it("counts conversations per local day, inbox and channel", async () => {
    const r = await reports();
    const team = await run(r.team(await query(range)));
    expect(team.volume.map((v) => [v.day, v.inboxName, v.channelName, v.conversations, v.reachedTeam])).toEqual([
      ["2026-03-02", "Support", "Website chat", 6, 2],
      ["2026-03-03", "Support", "Website chat", 1, 1],
    ]);
  });

  it("shows who answers most, with assignments and their medians", async () => {
    const r = await reports();
    const team = await run(r.team(await query(range)));
    expect(
      team.agents.map((a) => [a.name, a.assigned, a.replies, a.firstResponse.count, a.firstResponse.median, a.replyTime.count, a.replyTime.median]),
    ).toEqual([
      ["Alex Agent", 1, 3, 2, 9 * MIN, 3, 6 * MIN],
      ["Bo Berg", 2, 2, 0, null, 1, 10 * MIN],
    ]);
  });

  it("counts the conversations created in the range that carry each label, the closed ones and their first responses", async () => {
    const s = db.sqlite;
    s.exec("INSERT INTO labels (id, name, color, created_at) VALUES ('label_billing', 'Billing', 'blue', 0), ('label_vip', 'VIP', 'purple', 0)");
    const put = s.prepare("INSERT INTO conversation_labels (conversation_id, label_id, added_by, added_at) VALUES (?, ?, NULL, 0)");
    for (const c of ["c2", "c6", "c7"]) put.run(conversations[c]!, "label_billing");
    try {
      const r = await reports();
      const team = await run(r.team(await query(range)));
      // C2 (closed, answered 6 min after the handoff), C6 (a takeover: no first response; closed), C7 (open, 12 min).
      expect(team.labels).toEqual([
        { labelId: "label_billing", name: "Billing", color: "blue", conversations: 3, closed: 2, firstResponse: { count: 2, median: 9 * MIN, p90: 11.4 * MIN, mean: 9 * MIN } },
        { labelId: "label_vip", name: "VIP", color: "purple", conversations: 0, closed: 0, firstResponse: { count: 0, median: null, p90: null, mean: null } },
      ]);
      // C7 was created on 3 March: a range of 2 March leaves it out; a filter applies too.
      const monday = await run(r.team(await query({ ...range, to: "2026-03-02" })));
      expect(monday.labels[0]).toMatchObject({ conversations: 2, closed: 2, firstResponse: { count: 1, median: 6 * MIN } });
      const teamOnly = await run(r.team(await query({ ...range, team: "team_support" })));
      expect(teamOnly.labels[0]).toMatchObject({ conversations: 2, firstResponse: { count: 2 } });
    } finally {
      s.exec("DELETE FROM conversation_labels; DELETE FROM labels");
    }
  });

  it("filters team figures by team and flow", async () => {
    const r = await reports();
    // C6 was taken over by Bo directly, so it has no team; C2 and C7 were handed to the team.
    const team = await run(r.team(await query({ ...range, team: "team_support" })));
    expect(team.replyTime.count).toBe(3);
    expect(team.volume.reduce((a, v) => a + v.conversations, 0)).toBe(2);
    const flow = await run(r.team(await query({ ...range, flow: "flow_qualify" })));
    expect(flow.replyTime.count).toBe(4);
  });
});

describe("team within business hours", () => {
  // Monday to Friday 10:17–17:00 in Berlin (09:17–16:00 UTC on 2 March): C2's handoff at 09:14
  // waited 3 minutes outside them; C7 (00:33–00:45 Berlin, Tuesday) lies wholly outside.
  const hours = ["mon", "tue", "wed", "thu", "fri"].map((day) => ({ day, from: "10:17", to: "17:00" }));
  // Interpolated percentiles of whole milliseconds can carry a float's last bit (474000.00000000006).
  const toMs = (s: { count: number; median: number | null; p90: number | null; mean: number | null }) => ({
    count: s.count,
    median: s.median === null ? null : Math.round(s.median),
    p90: s.p90 === null ? null : Math.round(s.p90),
    mean: s.mean === null ? null : Math.round(s.mean),
  });
  /**
   * Runs a change of the calendar as if made at 07:00 UTC on 2 March, before the scripted day, so
   * the day is judged by it: a change holds from when it is made (decision 058). The clock is
   * back after the script afterwards.
   */
  const beforeTheDay = async <A>(change: () => Promise<A>): Promise<A> => {
    clock(at(7, 0));
    try {
      return await change();
    } finally {
      clock(at(12, 0, 3));
    }
  };

  it("refuses the switch while no business hours are set, and bad hours with their path", async () => {
    const r = await reports();
    const refused = await runtime.runPromise(Effect.flip(r.parseQuery({ ...range, hours: "business" })));
    expect(refused.issues).toEqual([{ path: "hours", message: "the workspace has no business hours yet: an admin sets them on the Reports page" }]);
    const bad = await runtime.runPromise(Effect.flip(r.setBusinessHours([{ day: "mon", from: "9am", to: "17:00" }])));
    expect(bad.issues).toEqual([{ path: "hours[0].from", message: "a time is HH:MM (24 h)" }]);
    expect((await run(r.businessHours())).hours).toEqual([]);
  });

  it("counts first response, reply time and time to close inside the hours only", async () => {
    const r = await reports();
    expect(await beforeTheDay(() => run(r.setBusinessHours(hours)))).toEqual({ timezone: "Europe/Berlin", hours, closed: [] });
    const team = await run(r.team(await query({ ...range, hours: "business" })));
    expect(team.measure).toBe("business");
    // First responses: C2 09:17–09:20 → 3 min; C7 none of its 12 minutes.
    expect(toMs(team.firstResponse)).toEqual({ count: 2, median: 1.5 * MIN, p90: 2.7 * MIN, mean: 1.5 * MIN });
    // Replies: 3 (C2's first, of 6), 2 (C2), 10 (C6), 0 (C7, of 12) minutes.
    expect(toMs(team.replyTime)).toEqual({ count: 4, median: 2.5 * MIN, p90: 7.9 * MIN, mean: 3.75 * MIN });
    // Closes: C2 created 09:10, closed 09:30 → 13 min inside; C6 10:30–10:55 → all 25.
    expect(toMs(team.timeToClose)).toEqual({ count: 2, median: 19 * MIN, p90: 23.8 * MIN, mean: 19 * MIN });
    expect(team.agents.map((a) => [a.name, a.replies, a.firstResponse.median, a.replyTime.median, a.replyTime.count])).toEqual([
      ["Alex Agent", 3, 1.5 * MIN, 2 * MIN, 3],
      ["Bo Berg", 2, null, 10 * MIN, 1],
    ]);
    // The wall-clock figures are unchanged without the switch, and volume is the same either way.
    const wall = await run(r.team(await query(range)));
    expect(wall.measure).toBe("wall");
    expect(wall.firstResponse.median).toBe(9 * MIN);
    expect(team.volume).toEqual(wall.volume);
  });

  it("equals the wall-clock figures when the hours cover the whole week", async () => {
    const r = await reports();
    await beforeTheDay(() => run(r.setBusinessHours(["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((day) => ({ day, from: "00:00", to: "24:00" })))));
    const business = await run(r.team(await query({ ...range, hours: "business" })));
    const wall = await run(r.team(await query(range)));
    expect([business.firstResponse, business.replyTime, business.timeToClose, business.agents]).toEqual([
      wall.firstResponse,
      wall.replyTime,
      wall.timeToClose,
      wall.agents,
    ]);
    await beforeTheDay(() => run(r.setBusinessHours(hours)));
  });

  it("counts nothing on a closed date, and the wall-clock figures again once it is removed", async () => {
    const r = await reports();
    await beforeTheDay(() => run(r.setBusinessHours(hours)));
    const before = await run(r.team(await query({ ...range, hours: "business" })));
    const audits = () => db.sqlite.prepare("SELECT action, data FROM audit_log WHERE action LIKE 'settings.closed_date_%' ORDER BY id").all();
    const auditsBefore = audits().length;
    expect(await beforeTheDay(() => run(r.addClosedDate({ date: "2026-03-02", name: "  Team day  " })))).toEqual([{ date: "2026-03-02", name: "Team day", yearly: false }]);
    expect((await run(r.businessHours())).closed).toEqual([{ date: "2026-03-02", name: "Team day", yearly: false }]);
    const closed = await run(r.team(await query({ ...range, hours: "business" })));
    // Every answer and close of the range fell on Monday 2 March or outside the hours (C7).
    expect([closed.firstResponse.count, closed.firstResponse.mean, closed.replyTime.count, closed.replyTime.mean, closed.timeToClose.mean]).toEqual([
      before.firstResponse.count,
      0,
      before.replyTime.count,
      0,
      0,
    ]);
    expect(await beforeTheDay(() => run(r.removeClosedDate("2026-03-02")))).toEqual([]);
    const again = await run(r.team(await query({ ...range, hours: "business" })));
    expect(again.firstResponse).toEqual(before.firstResponse);
    expect(audits().slice(auditsBefore)).toEqual([
      { action: "settings.closed_date_added", data: JSON.stringify({ date: "2026-03-02", name: "Team day", yearly: false }) },
      { action: "settings.closed_date_removed", data: JSON.stringify({ date: "2026-03-02", name: "Team day", yearly: false }) },
    ]);
  });

  it("keeps a closed date's special hours in the calendar and its audit line, and refuses bad ones on their path, storing nothing", async () => {
    const r = await reports();
    await run(r.setBusinessHours(hours));
    const audits = () => db.sqlite.prepare("SELECT data FROM audit_log WHERE action = 'settings.closed_date_added' ORDER BY id").pluck().all() as string[];
    const special = { date: "2031-03-03", name: "Staff meeting", yearly: false, hours: [{ from: "12:00", to: "17:00" }] };
    expect(await run(r.addClosedDate({ date: "2031-03-03", name: "Staff meeting", hours: [{ from: "12:00", to: "17:00" }] }))).toContainEqual(special);
    expect(JSON.parse(audits().at(-1)!)).toEqual(special);
    const calendar = await run(r.businessHours());
    expect(calendar.closed).toContainEqual(special);
    const settingsBefore = db.sqlite.prepare("SELECT value FROM settings WHERE key = 'closed_dates'").pluck().get();
    const issues = async (input: unknown) => (await runtime.runPromise(Effect.flip(r.addClosedDate(input)))).issues;
    expect(await issues({ date: "2031-03-04", hours: [{ from: "13:00", to: "09:00" }] })).toEqual([
      { path: "hours[0].to", message: "the closing time must be after 13:00 (a special day ends at 24:00)" },
    ]);
    expect(await issues({ date: "2031-03-04", hours: [{ from: "09:00", to: "25:00" }] })).toEqual([{ path: "hours[0].to", message: "a time is HH:MM (24 h)" }]);
    expect(await issues({ date: "2031-03-04", hours: [] })).toEqual([{ path: "hours", message: "leave the hours out to close the whole day" }]);
    expect(await issues({ date: "2031-03-03", hours: [{ from: "09:00", to: "10:00" }] })).toEqual([{ path: "date", message: "2031-03-03 is already closed (Staff meeting)." }]);
    expect(db.sqlite.prepare("SELECT value FROM settings WHERE key = 'closed_dates'").pluck().get()).toBe(settingsBefore);
    await run(r.removeClosedDate("2031-03-03"));
  });

  it("refuses a bad closed date with its path, a day already closed, and removing one not listed; the list is kept", async () => {
    const r = await reports();
    const issues = async (input: unknown) => (await runtime.runPromise(Effect.flip(r.addClosedDate(input)))).issues;
    expect(await issues({ date: "2026-02-30" })).toEqual([{ path: "date", message: "this date is not on the calendar" }]);
    expect(await issues({ date: "25.12.2026" })).toEqual([{ path: "date", message: "a date is YYYY-MM-DD" }]);
    expect(await issues({ date: "2026-12-25", name: "x".repeat(101) })).toEqual([{ path: "name", message: "a name is at most 100 characters" }]);
    expect(await issues({ date: "2026-12-25", yearly: "yes" })).toEqual([{ path: "yearly", message: expect.any(String) }]);
    expect(await issues(null)).toEqual([{ path: "", message: expect.any(String) }]);
    await run(r.addClosedDate({ date: "2020-12-25", name: "Christmas Day", yearly: true }));
    await run(r.addClosedDate({ date: "2026-12-24" }));
    expect(await issues({ date: "2031-12-25" })).toEqual([{ path: "date", message: "2031-12-25 is already closed (Christmas Day)." }]);
    expect(await issues({ date: "2026-12-24", yearly: true })).toEqual([{ path: "date", message: "24 December is already closed." }]);
    const missing = await runtime.runPromise(Effect.flip(r.removeClosedDate("2026-12-25")));
    expect(missing._tag).toBe("NotFound");
    // Once dates first, in order, then the yearly ones.
    expect((await run(r.businessHours())).closed).toEqual([
      { date: "2026-12-24", yearly: false },
      { date: "2020-12-25", name: "Christmas Day", yearly: true },
    ]);
    await run(r.removeClosedDate("2026-12-24"));
    await run(r.removeClosedDate("2020-12-25"));
  });

  it("adds a region's public holidays of a year in one write, skipping days already closed, and refuses bad input naming it", async () => {
    const r = await reports();
    const audits = () => db.sqlite.prepare("SELECT action, data FROM audit_log WHERE action = 'settings.public_holidays_added' ORDER BY id").all() as Array<{ data: string }>;
    await run(r.addClosedDate({ date: "2027-01-01", name: "Our New Year" }));
    const first = await run(r.addPublicHolidays({ country: "DE", region: "BY", year: 2027 }));
    expect(first.skipped).toBe(1);
    expect(first.added).toContainEqual({ date: "2027-05-27", name: "Corpus Christi", yearly: false });
    expect(first.added.map((c) => c.date)).not.toContain("2027-01-01");
    expect(first.closedDates).toContainEqual({ date: "2027-01-01", name: "Our New Year", yearly: false });
    expect(first.closedDates).toHaveLength(first.added.length + 1);
    expect(JSON.parse(audits().at(-1)!.data)).toEqual({ country: "DE", region: "BY", year: 2027, dates: first.added.map((c) => c.date) });
    // Again: nothing new, nothing written.
    const again = await run(r.addPublicHolidays({ country: "DE", region: "BY", year: 2027 }));
    expect([again.added, again.skipped]).toEqual([[], first.added.length + 1]);
    expect(audits()).toHaveLength(1);

    const settingsBefore = db.sqlite.prepare("SELECT value FROM settings WHERE key = 'closed_dates'").pluck().get();
    const issues = async (input: unknown) => (await runtime.runPromise(Effect.flip(r.addPublicHolidays(input)))).issues;
    expect(await issues({ country: "XX", year: 2027 })).toEqual([{ path: "country", message: "no public holidays are known for XX" }]);
    expect(await issues({ country: "de", year: 2027 })).toEqual([{ path: "country", message: "a country is its two-letter code, such as DE or US" }]);
    expect((await issues({ country: "DE", region: "ZZ", year: 2027 }))[0]).toMatchObject({ path: "region", message: expect.stringMatching(/^DE has no region ZZ; its regions are .*\bBY\b/) });
    expect(await issues({ country: "DE", year: 1990 })).toEqual([{ path: "year", message: "a year from 2025 to 2031" }]);
    expect(await issues({ country: "DE", year: "next" })).toEqual([{ path: "year", message: "a year is a whole number, such as 2027" }]);
    // Past 200 in all: refused whole, nothing stored.
    const many = Array.from({ length: 195 }, (_, i) => ({ date: new Date(Date.UTC(2030, 0, 1 + i)).toISOString().slice(0, 10), yearly: false }));
    db.sqlite.prepare("UPDATE settings SET value = ? WHERE key = 'closed_dates'").run(JSON.stringify(many));
    expect((await issues({ country: "US", year: 2027 }))[0]).toMatchObject({ path: "year", message: expect.stringMatching(/^These \d+ holidays would make \d+ closed dates; at most 200/) });
    expect(db.sqlite.prepare("SELECT value FROM settings WHERE key = 'closed_dates'").pluck().get()).toBe(JSON.stringify(many));
    db.sqlite.prepare("UPDATE settings SET value = ? WHERE key = 'closed_dates'").run(settingsBefore);
    expect(audits()).toHaveLength(1);
    db.sqlite.prepare("DELETE FROM settings WHERE key = 'closed_dates'").run();
  });

  it("imports a calendar's dates in one write and one audit line, skipping days already closed; a dry run stores nothing", async () => {
    const r = await reports();
    const audits = () => db.sqlite.prepare("SELECT data FROM audit_log WHERE action = 'settings.closed_dates_imported' ORDER BY id").all() as Array<{ data: string }>;
    const stored = () => db.sqlite.prepare("SELECT value FROM settings WHERE key = 'closed_dates'").pluck().get();
    await run(r.addClosedDate({ date: "2027-12-25", name: "Our Christmas", yearly: true }));
    const dates = [
      { date: "2026-12-24", name: "Christmas Eve", yearly: false },
      { date: "2026-12-25", name: "Christmas Day", yearly: false },
      { date: "2027-01-01", name: "New Year's Day", yearly: false },
    ];
    const before = stored();
    const preview = await run(r.importClosedDates({ dates, source: "holidays.ics", dryRun: true }));
    expect(preview).toEqual({
      dryRun: true,
      added: [dates[0], dates[2]],
      skipped: [{ date: "2026-12-25", reason: "already closed (Our Christmas)" }],
      closedDates: [dates[0], dates[2], { date: "2027-12-25", name: "Our Christmas", yearly: true }],
    });
    expect([stored(), audits()]).toEqual([before, []]);

    const done = await run(r.importClosedDates({ dates, source: "holidays.ics" }));
    expect({ ...done, dryRun: true }).toEqual(preview);
    expect(JSON.parse(stored() as string)).toEqual(done.closedDates);
    expect(audits().map((a) => JSON.parse(a.data))).toEqual([{ source: "holidays.ics", dates: ["2026-12-24", "2027-01-01"] }]);
    // Again: nothing new, no audit line.
    expect((await run(r.importClosedDates({ dates, source: "holidays.ics" }))).added).toEqual([]);
    expect(audits()).toHaveLength(1);

    const issues = async (input: unknown, path?: string) => (await runtime.runPromise(Effect.flip(r.importClosedDates(input, path)))).issues;
    expect(await issues({ dates: [{ date: "2027-02-30" }], source: "x" })).toEqual([{ path: "dates[0].date", message: "this date is not on the calendar" }]);
    expect((await issues({ source: "x" }))[0]).toMatchObject({ path: "dates" });
    // Past 200 in all: refused whole on the caller's field, nothing stored.
    const many = Array.from({ length: 199 }, (_, i) => ({ date: new Date(Date.UTC(2030, 0, 1 + i)).toISOString().slice(0, 10), yearly: false }));
    db.sqlite.prepare("UPDATE settings SET value = ? WHERE key = 'closed_dates'").run(JSON.stringify(many));
    expect(await issues({ dates: [{ date: "2031-01-01" }, { date: "2031-01-02" }], source: "x" }, "url")).toEqual([
      { path: "url", message: "These 2 dates would make 201 closed dates; at most 200: remove past ones first." },
    ]);
    expect(stored()).toBe(JSON.stringify(many));
    expect(audits()).toHaveLength(1);
    db.sqlite.prepare("DELETE FROM settings WHERE key = 'closed_dates'").run();
  });
});

describe("response targets met", () => {
  // Wall clock: first responses C2 6 min, C7 12 min (both Alex); next replies C2 2 min (Alex), C6
  // 10 min (Bo; his first reply took over from the bot, so it owed no first response).
  const setTargets = (inboxId: string, targets: unknown) =>
    db.sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(targets === null ? null : JSON.stringify(targets), inboxId);
  const shares = (team: Reports.TeamReport) => ({
    inboxes: team.targets.map((t) => [t.name, t.firstResponse, t.nextReply]),
    agents: team.agents.map((a) => [a.name, a.firstResponseTarget, a.nextReplyTarget]),
  });

  it("counts nothing while no inbox has targets", async () => {
    const r = await reports();
    const team = await run(r.team(await query(range)));
    expect(shares(team)).toEqual({
      inboxes: [],
      agents: [
        ["Alex Agent", { met: 0, measured: 0 }, { met: 0, measured: 0 }],
        ["Bo Berg", { met: 0, measured: 0 }, { met: 0, measured: 0 }],
      ],
    });
  });

  it("counts first responses and next replies that met the inbox's current targets, per inbox and agent", async () => {
    db.sqlite.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_sales', 'Sales', 0)").run();
    setTargets("inbox_support", { firstResponseMinutes: 10, nextReplyMinutes: 5, businessHours: false });
    try {
      const r = await reports();
      const team = await run(r.team(await query(range)));
      expect(shares(team)).toEqual({
        // Sales has no targets: not listed.
        inboxes: [["Support", { met: 1, measured: 2 }, { met: 1, measured: 2 }]],
        agents: [
          ["Alex Agent", { met: 1, measured: 2 }, { met: 1, measured: 1 }],
          ["Bo Berg", { met: 0, measured: 0 }, { met: 0, measured: 1 }],
        ],
      });
      // Exactly at the target meets it: C2's 6 minutes against 6.
      setTargets("inbox_support", { firstResponseMinutes: 6, nextReplyMinutes: null, businessHours: false });
      const exact = await run(r.team(await query(range)));
      expect(shares(exact).inboxes).toEqual([["Support", { met: 1, measured: 2 }, { met: 0, measured: 0 }]]);
      // Counting business hours (Mon–Fri 10:17–17:00 Berlin, set above): C2 waited 3 of its 6 minutes
      // inside them, C7 none; C6's 10 minutes all lay inside.
      setTargets("inbox_support", { firstResponseMinutes: 2, nextReplyMinutes: 5, businessHours: true });
      const business = await run(r.team(await query(range)));
      expect(shares(business).inboxes).toEqual([["Support", { met: 1, measured: 2 }, { met: 1, measured: 2 }]]);
      // A filter on an inbox without targets leaves nothing to judge.
      const sales = await run(r.team(await query({ ...range, inbox: "inbox_sales" })));
      expect(shares(sales).inboxes).toEqual([]);
    } finally {
      setTargets("inbox_support", null);
      db.sqlite.prepare("DELETE FROM inboxes WHERE id = 'inbox_sales'").run();
    }
  });
});

describe("answers that missed their response target", () => {
  // The same answers as above. Wall clock: first responses C2 6 min, C7 12 min (both Alex); next
  // replies C2 2 min (Alex), C6 10 min (Bo).
  const setTargets = (inboxId: string, targets: unknown) =>
    db.sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = ?").run(targets === null ? null : JSON.stringify(targets), inboxId);
  const breaches = async (params: Record<string, string>) => {
    const r = await reports();
    return run(r.breaches(await run(r.parseBreachQuery({ ...range, ...params }))));
  };
  const issuesOf = async (params: Record<string, string>) => {
    const r = await reports();
    const exit = await runtime.runPromiseExit(r.parseBreachQuery(params));
    if (exit._tag === "Success") throw new Error("the query was accepted");
    const failure = exit.cause._tag === "Fail" ? exit.cause.error : null;
    return failure?.issues.map((i) => i.path) ?? [];
  };

  it("lists each missed answer with its target, time taken and how much over, the most over first", async () => {
    setTargets("inbox_support", { firstResponseMinutes: 10, nextReplyMinutes: 5, businessHours: false });
    try {
      const page = await breaches({});
      expect(page.total).toBe(2);
      expect(page.nextCursor).toBeNull();
      expect(
        page.breaches.map((b) => [b.conversationId, b.inboxName, b.agentName, b.kind, b.targetMs / MIN, b.actualMs / MIN, b.overMs / MIN, b.at]),
      ).toEqual([
        [conversations.c6, "Support", "Bo Berg", "next_reply", 5, 10, 5, at(10, 45)],
        [conversations.c7, "Support", "Alex Agent", "first_response", 10, 12, 2, at(23, 45)],
      ]);
      expect(page.breaches[0]!.waitedFrom).toBe(at(10, 35));
      // Who each is with, named as the inbox's list names them (conversationTitle): C6's contact
      // by name, else by email; C7, without a contact, by the name its bot collected, else "Visitor …".
      const s = db.sqlite;
      const inbox = await run(Inbox.Inbox);
      const inboxTitle = async (name: string) => (await run(inbox.getThread(conversations[name]!, { id: "usr_admin", role: "admin" }))).conversation.title;
      s.prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('contact_eve', 'eve@example.com', 'Eve Example', ?, ?)").run(at(8, 0), at(8, 0));
      s.prepare("UPDATE conversations SET contact_id = 'contact_eve' WHERE id = ?").run(conversations.c6);
      const c7Attributes = s.prepare("SELECT attributes FROM visitors WHERE id = ?").pluck().get(visitors.c7) as string;
      try {
        const withContact = (await breaches({})).breaches;
        expect(withContact.map((b) => [b.title, b.contactId])).toEqual([
          ["Eve Example", "contact_eve"],
          [await inboxTitle("c7"), null],
        ]);
        expect(withContact[0]!.title).toBe(await inboxTitle("c6"));
        s.prepare("UPDATE contacts SET name = NULL WHERE id = 'contact_eve'").run();
        s.prepare("UPDATE visitors SET attributes = '{}' WHERE id = ?").run(visitors.c7);
        const fallbacks = (await breaches({})).breaches;
        expect(fallbacks.map((b) => [b.title, b.contactId])).toEqual([
          ["eve@example.com", "contact_eve"],
          [`Visitor ${visitors.c7!.replace(/^vis_/, "").slice(0, 6)}`, null],
        ]);
        expect(fallbacks[1]!.title).toBe(await inboxTitle("c7"));
      } finally {
        s.prepare("UPDATE conversations SET contact_id = NULL WHERE id = ?").run(conversations.c6);
        s.prepare("DELETE FROM contacts WHERE id = 'contact_eve'").run();
        s.prepare("UPDATE visitors SET attributes = ? WHERE id = ?").run(c7Attributes, visitors.c7);
      }
      // Narrowed to an agent, a kind, or both.
      expect((await breaches({ agent: bo.id })).breaches.map((b) => b.conversationId)).toEqual([conversations.c6]);
      expect((await breaches({ kind: "first_response" })).breaches.map((b) => b.conversationId)).toEqual([conversations.c7]);
      expect((await breaches({ agent: bo.id, kind: "first_response" })).total).toBe(0);
    } finally {
      setTargets("inbox_support", null);
    }
  });

  it("judges chosen answers by their event ids as the list judges them (the follow-up's figures), leaving out those that met their target", async () => {
    setTargets("inbox_support", { firstResponseMinutes: 1, nextReplyMinutes: 1, businessHours: false });
    try {
      const r = await reports();
      const all = (await breaches({})).breaches;
      const byEvent = [...all].sort((a, b) => a.eventId - b.eventId);
      expect(await run(r.breachesOf(all.map((b) => b.eventId)))).toEqual(byEvent);
      // Under a looser target only C6 and C7 missed; an id that is no reply is left out too.
      setTargets("inbox_support", { firstResponseMinutes: 10, nextReplyMinutes: 5, businessHours: false });
      const still = await run(r.breachesOf([...all.map((b) => b.eventId), 987654321]));
      expect(still.map((b) => [b.conversationId, b.kind, b.overMs / MIN])).toEqual(
        [...(await breaches({})).breaches].sort((a, b) => a.eventId - b.eventId).map((b) => [b.conversationId, b.kind, b.overMs / MIN]),
      );
      expect(still).toHaveLength(2);
      expect(await run(r.breachesOf([]))).toEqual([]);
    } finally {
      setTargets("inbox_support", null);
    }
  });

  it("offers as agents only the people who answer: agents and admins, a disabled one only with answers on record", async () => {
    const s = db.sqlite;
    const user = s.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at, disabled_at) VALUES (?, ?, ?, ?, 'x', ?, ?)");
    user.run("usr_mia", "mia@example.com", "Mia Marketer", "marketer", at(8, 0), null);
    user.run("usr_ann", "ann@example.com", "Ann Analyst", "analyst", at(8, 0), null);
    user.run("usr_gone", "gone@example.com", "Gil Gone", "agent", at(8, 0), at(9, 0));
    s.prepare("UPDATE users SET disabled_at = ? WHERE id = ?").run(at(11, 0), bo.id);
    try {
      const agents = (await run(Effect.flatMap(Reports.Reports, (r) => r.options()))).agents;
      // Bo, disabled, answered in March: still offered, marked. Gil, disabled, never answered: not.
      expect(agents).toEqual([
        { id: "usr_admin", name: "Ada Admin", disabled: false },
        { id: alex.id, name: "Alex Agent", disabled: false },
        { id: bo.id, name: "Bo Berg", disabled: true },
      ]);
    } finally {
      s.prepare("UPDATE users SET disabled_at = NULL WHERE id = ?").run(bo.id);
      s.prepare("DELETE FROM users WHERE id IN ('usr_mia', 'usr_ann', 'usr_gone')").run();
    }
  });

  it("pages by cursor, and a page stays put", async () => {
    setTargets("inbox_support", { firstResponseMinutes: 1, nextReplyMinutes: 1, businessHours: false });
    try {
      const all = await breaches({});
      // Over by: C7 11 min, C6 9 min, C2 first 5 min, C2 next 1 min.
      expect(all.breaches.map((b) => [b.conversationId, b.overMs / MIN])).toEqual([
        [conversations.c7, 11],
        [conversations.c6, 9],
        [conversations.c2, 5],
        [conversations.c2, 1],
      ]);
      const first = await breaches({ limit: "3" });
      expect(first.total).toBe(4);
      expect(first.breaches).toEqual(all.breaches.slice(0, 3));
      const second = await breaches({ limit: "3", cursor: first.nextCursor! });
      expect(second.total).toBe(4);
      expect(second.breaches).toEqual(all.breaches.slice(3));
      expect(second.nextCursor).toBeNull();
    } finally {
      setTargets("inbox_support", null);
    }
  });

  it("sorts by a column either way, pages through that order, and the cursor keeps to its order", async () => {
    setTargets("inbox_support", { firstResponseMinutes: 1, nextReplyMinutes: 1, businessHours: false });
    try {
      const rows = async (sort: string) => (await breaches({ sort })).breaches.map((b) => [b.conversationId, b.agentName, b.overMs / MIN]);
      // Over by: C7 11 (Alex), C6 9 (Bo), C2 5 (Alex, first response), C2 1 (Alex, next reply).
      const c7 = [conversations.c7, "Alex Agent", 11];
      const c6 = [conversations.c6, "Bo Berg", 9];
      const c2First = [conversations.c2, "Alex Agent", 5];
      const c2Next = [conversations.c2, "Alex Agent", 1];
      expect(await rows("-over")).toEqual([c7, c6, c2First, c2Next]);
      expect(await rows("over")).toEqual([c2Next, c2First, c6, c7]);
      // By agent: Alex's three (the most over first among them), then Bo; Z–A the other way round.
      expect(await rows("agent")).toEqual([c7, c2First, c2Next, c6]);
      expect(await rows("-agent")).toEqual([c6, c7, c2First, c2Next]);
      // Answered: by the reply's instant, the oldest first (C7's, at 23:45, last); the other way round with "-".
      const answered = (await breaches({ sort: "answered" })).breaches;
      expect(answered.map((b) => b.at)).toEqual([...answered.map((b) => b.at)].sort((a, b) => a - b));
      expect(answered.at(-1)!.conversationId).toBe(conversations.c7);
      expect((await breaches({ sort: "-answered" })).breaches.map((b) => b.eventId)).toEqual(answered.map((b) => b.eventId).reverse());
      const took = (await breaches({ sort: "-took" })).breaches.map((b) => b.actualMs);
      expect(took).toEqual([...took].sort((a, b) => b - a));
      const waiting = (await breaches({ sort: "waiting" })).breaches.map((b) => b.waitedFrom);
      expect(waiting).toEqual([...waiting].sort((a, b) => a - b));
      // One inbox: ties on the inbox fall back to the default order.
      expect(await rows("inbox")).toEqual([c7, c6, c2First, c2Next]);

      // A page at a time, in any order, is the whole list in that order; each page's total is the whole list's.
      for (const sort of ["agent", "-agent", "answered", "-took", "waiting", "over", "-inbox"]) {
        const all = (await breaches({ sort })).breaches;
        const paged: Array<(typeof all)[number]> = [];
        let cursor: string | null = null;
        do {
          const page: Awaited<ReturnType<typeof breaches>> = await breaches({ sort, limit: "1", ...(cursor ? { cursor } : {}) });
          expect(page.total).toBe(4);
          paged.push(...page.breaches);
          cursor = page.nextCursor;
        } while (cursor !== null && paged.length < 10);
        expect(paged, sort).toEqual(all);
      }

      // A cursor is refused under another order, and so is a sort that is not one.
      const byAgent = await breaches({ sort: "agent", limit: "2" });
      expect(await issuesOf({ ...range, sort: "-agent", cursor: byAgent.nextCursor! })).toEqual(["cursor"]);
      expect(await issuesOf({ ...range, cursor: byAgent.nextCursor! })).toEqual(["cursor"]);
      expect((await breaches({ sort: "agent", limit: "2", cursor: byAgent.nextCursor! })).breaches).toEqual((await breaches({ sort: "agent" })).breaches.slice(2));
      for (const sort of ["title", "-", "Agent", "over,agent", "--over"]) expect(await issuesOf({ ...range, sort }), sort).toEqual(["sort"]);
      const r = await reports();
      const exit = await runtime.runPromiseExit(r.parseBreachQuery({ ...range, sort: "slowest" }));
      expect(exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error.issues : null).toEqual([
        { path: "sort", message: "expected one of over, took, waiting, answered, agent, inbox, with a leading - for descending (such as -answered)" },
      ]);
    } finally {
      setTargets("inbox_support", null);
    }
  });

  it("counts, for every figure of the team report, exactly its measured minus met", async () => {
    const r = await reports();
    const settings = [
      { firstResponseMinutes: 10, nextReplyMinutes: 5, businessHours: false },
      { firstResponseMinutes: 6, nextReplyMinutes: null, businessHours: false },
      { firstResponseMinutes: 1, nextReplyMinutes: 1, businessHours: false },
      // Business hours (Mon–Fri 10:17–17:00 Berlin): C2 waited 3 of its 6 minutes inside them.
      { firstResponseMinutes: 2, nextReplyMinutes: 5, businessHours: true },
    ];
    let missedSeen = 0;
    try {
      for (const targets of settings) {
        setTargets("inbox_support", targets);
        const filterSets: Array<Record<string, string>> = [{}, { team: "team_support" }, { range: "custom", from: "2026-03-03", to: "2026-03-03" }];
        for (const filters of filterSets) {
          const team = await run(r.team(await query({ ...range, ...filters })));
          for (const [kind, key] of [
            ["first_response", "firstResponse"],
            ["next_reply", "nextReply"],
          ] as const) {
            for (const row of team.targets) {
              const list = await breaches({ ...filters, inbox: row.inboxId, kind });
              expect(list.total, `${JSON.stringify(targets)} ${row.name} ${kind}`).toBe(row[key].measured - row[key].met);
              expect(list.breaches).toHaveLength(list.total);
              missedSeen += list.total;
            }
            for (const agent of team.agents) {
              const share = key === "firstResponse" ? agent.firstResponseTarget : agent.nextReplyTarget;
              const list = await breaches({ ...filters, agent: agent.userId, kind });
              expect(list.total, `${JSON.stringify(targets)} ${agent.name} ${kind}`).toBe(share.measured - share.met);
            }
          }
        }
      }
    } finally {
      setTargets("inbox_support", null);
    }
    expect(missedSeen, "some figure had misses to count").toBeGreaterThan(5);
  });

  it("refuses a bad range, an unknown inbox or agent, a bad kind, cursor or limit, naming each", async () => {
    expect(await issuesOf({ range: "fortnight" })).toEqual(["range"]);
    expect(await issuesOf({ range: "custom", from: "2026-03-05", to: "2026-03-01" })).toEqual(["to"]);
    expect(await issuesOf({ inbox: "inbox_nope" })).toEqual(["inbox"]);
    expect(await issuesOf({ agent: "usr_nobody" })).toEqual(["agent"]);
    expect(await issuesOf({ kind: "first" })).toEqual(["kind"]);
    expect(await issuesOf({ cursor: "not-a-cursor" })).toEqual(["cursor"]);
    expect(await issuesOf({ cursor: Buffer.from(JSON.stringify(["x", "1"])).toString("base64url") })).toEqual(["cursor"]);
    for (const limit of ["0", "51", "2.5", "ten"]) expect(await issuesOf({ limit })).toEqual(["limit"]);
    // Every problem at once, the report's own and the list's.
    expect(await issuesOf({ range: "fortnight", agent: "usr_nobody", limit: "0" })).toEqual(["range", "agent", "limit"]);
  });

  it("reads each inbox's replies of the range through the inbox index, inbox by inbox", () => {
    const plan = (where: string) =>
      (db.sqlite
        .prepare(`EXPLAIN QUERY PLAN ${Reports.breachCandidatesSql(where)}`)
        .all({ targeted: "[]", start: 0, end: 1, inbox: "inbox_support", channel: null, flow: null, team: null, agent: null }) as Array<{ detail: string }>)
        .map((p) => p.detail)
        .join(" | ");
    // The inboxes are the outer loop, each a range of the index, read without the table.
    for (const where of ["1", "r.inbox_id = @inbox", "r.user_id = @agent"]) {
      expect(plan(where)).toMatch(/^SCAN json_each .*\| SEARCH r USING COVERING INDEX report_replies_inbox \(inbox_id=\? AND at>\? AND at<\?\)$/);
    }
  });
});

describe("the roll-ups agree with the pure definitions over the raw log", () => {
  it("bot sessions, nodes, arms, team timeline and assignments", async () => {
    const log = events();
    expect(log.some((e) => e.is_preview === 1), "the preview wrote events").toBe(true);
    const sessions = botSessions(log, timeoutOf);
    const rows = db.sqlite.prepare("SELECT conversation_id, outcome, max_gap_ms, interacted FROM report_bot_sessions ORDER BY conversation_id").all();
    expect(rows).toEqual(
      [...sessions.values()]
        .map((s) => ({ conversation_id: s.conversationId, outcome: s.outcome, max_gap_ms: s.maxGapMs, interacted: s.interacted ? 1 : 0 }))
        .sort((a, b) => (a.conversation_id < b.conversation_id ? -1 : 1)),
    );
    expect(countOutcomes(sessions.values())).toEqual(outcomes(7, { completed: 1, handed_off: 3, abandoned: 2, no_reply: 1 }));

    const r = await reports();
    const tallies = await run(r.flowTallies("flow_qualify", await query(range)));
    expect(tallies).toEqual(nodeTallies(log));
    const report = await run(r.flowReport("flow_qualify", await query(range)));
    expect(report.arms.map(({ nodeId, armId, conversations, completed, handedOff, abandoned }) => ({ nodeId, armId, conversations, completed, handedOff, abandoned }))).toEqual(
      armResults(log, sessions),
    );

    const timeline = teamTimeline(log);
    const replies = db.sqlite.prepare("SELECT event_id, wait_ms, is_first, first_response_ms, user_id, team_id FROM report_replies ORDER BY event_id").all();
    expect(replies).toEqual(
      timeline.replies.map((x) => ({
        event_id: x.eventId,
        wait_ms: x.waitMs,
        is_first: x.isFirst ? 1 : 0,
        first_response_ms: x.firstResponseMs,
        user_id: x.userId,
        team_id: x.teamId,
      })),
    );
    const team = await run(r.team(await query(range)));
    const assigned = assignedPerUser(log, team.query.range.start, team.query.range.end);
    expect(Object.fromEntries(team.agents.map((a) => [a.userId, a.assigned]))).toEqual(Object.fromEntries(assigned));
  });

  it("a rebuild from the log reproduces the roll-ups", async () => {
    const snapshot = () => ({
      sessions: db.sqlite.prepare("SELECT * FROM report_bot_sessions ORDER BY conversation_id").all(),
      conversations: db.sqlite.prepare("SELECT * FROM report_conversations ORDER BY conversation_id").all(),
      replies: db.sqlite.prepare("SELECT * FROM report_replies ORDER BY event_id").all(),
    });
    const before = snapshot();
    const r = await reports();
    const replayed = await run(r.rebuild());
    expect(replayed).toBeGreaterThan(50);
    expect(snapshot()).toEqual(before);
  });
});
