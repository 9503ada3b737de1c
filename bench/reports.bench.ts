/**
 * Benchmark: every report query over a generated workspace of 100k conversations, 1M messages
 * and 5M events (target ≤ 200 ms each, server time: the Reports service call, median of 5 runs
 * after a warm-up; `_cpu_ms` is the process CPU time of the same call). Run directly it prints
 * one JSON line per query; `run()` returns the figures for bench/run-all.ts. The team report is
 * timed on the wall clock and within business hours, and again with response targets set, beside
 * the list of answers that missed them (`breaches_*`), and with every target counting business
 * hours, without and with team hours (`*_team_hours`: two teams keeping hours, decision 048), and
 * with a history of calendars (`*_history`: the hours, closed dates, zone and a team's hours
 * changed inside the 90 days, decision 058). The calendars are recorded as in force from before
 * the data (the seed's scripted clock), so the figures judge the data by them.
 *
 * The data is written through the real schema; the roll-ups are then rebuilt from the log with
 * the same SQL rules an admin's rebuild runs (the engine keeps them the same, group by group,
 * with its fold). Generating takes minutes, so the file
 * is cached as .tmp/bench-reports-v<GENERATOR_VERSION>.sqlite; bump the version when the
 * generator or the schema changes. BENCH_REPORTS_SCALE (default 1) scales every count.
 */
import BetterSqlite3 from "better-sqlite3";
import { Effect, Layer, ManagedRuntime } from "effect";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FlowDocument } from "../flows/flow-document.js";
import { makeRange, type ReportQuery } from "../runtime/core/report-range.js";
import { putTeamHours } from "../runtime/services/calendar-history.js";
import * as Chatflows from "../runtime/services/chatflows.js";
import { playScripted } from "../runtime/services/clock.js";
import * as Db from "../runtime/services/database.js";
import * as Reports from "../runtime/services/reports.js";
import { REBUILD_REPORT_ROLLUPS_SQL } from "../runtime/sql/report-rollups.js";
import type { Figure } from "./run-all.js";

/** Bump when the generated data or the schema it relies on changes. */
const GENERATOR_VERSION = 3;
const SCALE = Number(process.env.BENCH_REPORTS_SCALE ?? "1");
const CONVERSATIONS = Math.round(100_000 * SCALE);
const TARGET_MESSAGES = Math.round(1_000_000 * SCALE);
const TARGET_EVENTS = Math.round(5_000_000 * SCALE);
const DAYS = 90;
/** The data ends here (fixed, so the cached file always answers the same ranges). */
const END = Date.UTC(2026, 3, 1);
const START = END - DAYS * 86_400_000;
const RUNS = 5;

const root = fileURLToPath(new URL("..", import.meta.url));
const cachePath = join(root, ".tmp", `bench-reports-v${GENERATOR_VERSION}${SCALE === 1 ? "" : `-x${SCALE}`}.sqlite`);

// ---------------------------------------------------------------------------------------------
// A deterministic PRNG (mulberry32), so every generation writes the same data.

const rng = (seed: number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

// ---------------------------------------------------------------------------------------------
// The workspace: flows of 30 nodes — greeting, an A/B split, eight questions each followed by
// two messages, a last choice that ends or hands off.

const QUESTIONS = 8;
const flowDocument = (id: string, name: string): FlowDocument => {
  const nodes: Array<FlowDocument["nodes"][number]> = [];
  const edges: Array<FlowDocument["edges"][number]> = [];
  const add = (nodeId: string, kind: FlowDocument["nodes"][number]["kind"], data: unknown) =>
    nodes.push({ id: nodeId, kind, label: nodeId, position: { x: 0, y: nodes.length * 120 }, data });
  const link = (source: string, sourcePort: string, target: string) => edges.push({ id: `${source}/${sourcePort}`, source, sourcePort, target });
  const say = (text: string) => ({ bubbles: [{ type: "text", text }] });
  add("greet", "message", say("Hi!"));
  add("split", "split", { arms: [{ id: "a", label: "A", percent: 50 }, { id: "b", label: "B", percent: 50 }] });
  add("warm", "message", say("Welcome back!"));
  link("greet", "next", "split");
  link("split", "arm:a", "q0");
  link("split", "arm:b", "warm");
  link("warm", "next", "q0");
  for (let i = 0; i < QUESTIONS; i++) {
    add(`q${i}`, "question", { prompt: `Question ${i}?`, answer: { type: "text" } });
    add(`ack${i}`, "message", say(`Thanks for answer ${i}.`));
    add(`info${i}`, "message", say(`Did you know ${i}?`));
    link(`q${i}`, "answered", `ack${i}`);
    link(`ack${i}`, "next", `info${i}`);
    link(`info${i}`, "next", i === QUESTIONS - 1 ? "choose" : `q${i + 1}`);
  }
  add("choose", "question", {
    prompt: "What now?",
    answer: { type: "choice", portPerChoice: true, choices: [{ id: "talk", label: "Talk to someone" }, { id: "done", label: "All set" }] },
  });
  link("choose", "choice:talk", "handoff");
  link("choose", "choice:done", "end");
  add("handoff", "handoff", { target: { type: "team", teamId: "team_0" } });
  add("end", "end", { message: "Bye!" });
  return { id, name, kind: "bot", language: "en", startNodeId: "greet", nodes, edges, variables: [], settings: {} };
};

/** The walk every conversation follows (one arm each): node, and the port it leaves by. */
const walkOf = (arm: "a" | "b"): Array<{ node: string; port: string; question: boolean }> => {
  const steps: Array<{ node: string; port: string; question: boolean }> = [
    { node: "greet", port: "next", question: false },
    { node: "split", port: `arm:${arm}`, question: false },
  ];
  if (arm === "b") steps.push({ node: "warm", port: "next", question: false });
  for (let i = 0; i < QUESTIONS; i++) {
    steps.push({ node: `q${i}`, port: "answered", question: true });
    steps.push({ node: `ack${i}`, port: "next", question: false });
    steps.push({ node: `info${i}`, port: "next", question: false });
  }
  return steps;
};

// ---------------------------------------------------------------------------------------------
// Generation

const FLOWS = 10;
const AGENTS = 20;
const INBOXES = 3;
const CHANNELS_PER_INBOX = 2;
const TEAMS = 4;

const generate = (path: string): { conversations: number; messages: number; events: number; seconds: number } => {
  const started = performance.now();
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  rmSync(tmp, { force: true });
  // Migrate with the app's own code, then write with durability off: a crash just regenerates.
  const setup = new BetterSqlite3(tmp);
  Db.migrate(setup);
  setup.close();
  const s = new BetterSqlite3(tmp);
  s.pragma("journal_mode = OFF");
  s.pragma("synchronous = OFF");
  // Each conversation row is written after its messages (its final columns are known only then).
  s.pragma("foreign_keys = OFF");
  s.pragma("cache_size = -262144");
  s.pragma("temp_store = MEMORY");
  const random = rng(20260401);
  const pick = <T>(list: ReadonlyArray<T>): T => list[Math.floor(random() * list.length)]!;

  const inboxes = Array.from({ length: INBOXES }, (_, i) => `inbox_${i}`);
  const channels = inboxes.flatMap((inbox, i) =>
    Array.from({ length: CHANNELS_PER_INBOX }, (_, j) => ({ id: `chan_${i}_${j}`, inbox, kind: j === 0 ? "chat" : "email" })),
  );
  const chatChannels = channels.filter((c) => c.kind === "chat");
  const emailChannels = channels.filter((c) => c.kind === "email");
  const teams = Array.from({ length: TEAMS }, (_, i) => `team_${i}`);
  const agents = Array.from({ length: AGENTS }, (_, i) => `usr_${i}`);
  const flows = Array.from({ length: FLOWS }, (_, i) => ({ id: `flow_${i}`, versions: [`fv_${i}_1`, `fv_${i}_2`] }));

  s.transaction(() => {
    const now = START;
    for (const [i, id] of agents.entries()) {
      s.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, 'agent', 'x', ?)").run(id, `agent${i}@example.com`, `Agent ${i}`, now);
    }
    for (const [i, id] of inboxes.entries()) s.prepare("INSERT INTO inboxes (id, name, created_at) VALUES (?, ?, ?)").run(id, `Inbox ${i}`, now);
    for (const [i, id] of teams.entries()) s.prepare("INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)").run(id, `Team ${i}`, now);
    for (const c of channels) s.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES (?, ?, ?, ?, ?)").run(c.id, c.inbox, c.kind, c.id, now);
    for (const [i, flow] of flows.entries()) {
      const document = flowDocument(`doc_${i}`, `Flow ${i}`);
      s.prepare("INSERT INTO chatflows (id, name, kind, channel_id, enabled, draft, created_at, updated_at) VALUES (?, ?, 'bot', ?, 1, ?, ?, ?)").run(
        flow.id,
        `Flow ${i}`,
        channels[(i % INBOXES) * CHANNELS_PER_INBOX]!.id,
        JSON.stringify(document),
        now,
        now,
      );
      flow.versions.forEach((versionId, v) =>
        s
          .prepare("INSERT INTO chatflow_versions (id, chatflow_id, version, spec, content_hash, published_at) VALUES (?, ?, ?, ?, ?, ?)")
          .run(versionId, flow.id, v + 1, JSON.stringify({ settings: { sessionTimeoutMinutes: 30 } }), `hash_${versionId}`, now + v * 45 * 86_400_000),
      );
    }
  })();

  const insertConversation = s.prepare(
    `INSERT INTO conversations (id, channel_id, inbox_id, chatflow_id, chatflow_version_id, status, assignee_id, team_id, version, created_at,
       updated_at, last_activity_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
  );
  const insertMessage = s.prepare(
    "INSERT INTO messages (conversation_id, author, user_id, text, is_internal, created_at) VALUES (?, ?, ?, ?, 0, ?)",
  );
  const insertEvent = s.prepare(
    `INSERT INTO events (type, at, conversation_id, chatflow_id, chatflow_version_id, node_id, port, from_node_id, user_id, inbox_id,
       channel_id, team_id, is_preview, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
  );

  let messages = 0;
  let events = 0;
  const perConversation = (id: string, created: number) => {
    // Nine in ten conversations come through a chat channel and meet a bot; the rest are emails.
    const channel = random() < 0.9 ? pick(chatChannels) : pick(emailChannels);
    const botFlow = channel.kind === "chat" ? flows[Math.floor(random() * FLOWS)]! : null;
    const version = botFlow ? (created - START > 45 * 86_400_000 ? botFlow.versions[1]! : botFlow.versions[0]!) : null;
    let t = created;
    let team: string | null = null;
    let assignee: string | null = null;
    let status = botFlow ? "bot" : "open";
    let closedAt: number | null = null;
    const event = (type: string, f: { node?: string | null; port?: string | null; from?: string | null; user?: string | null; data?: unknown } = {}) => {
      insertEvent.run(
        type,
        t,
        id,
        botFlow?.id ?? null,
        version,
        f.node ?? null,
        f.port ?? null,
        f.from ?? null,
        f.user ?? null,
        channel.inbox,
        channel.id,
        type === "assigned" || type === "handoff" ? team : null,
        f.data === undefined ? null : JSON.stringify(f.data),
      );
      events++;
    };
    const message = (author: "visitor" | "agent" | "bot", user: string | null = null) => {
      const row = insertMessage.run(id, author, user, author === "visitor" ? "a visitor's answer" : "a reply from the team", t);
      messages++;
      if (author !== "bot") event("message_created", { user, data: { author, internal: false, messageId: Number(row.lastInsertRowid) } });
    };
    const later = (minSeconds: number, maxSeconds: number) => (t += Math.round((minSeconds + random() * (maxSeconds - minSeconds)) * 1000));

    event("conversation_created", { data: { pageUrl: "https://shop.example/" } });
    let handToTeam = !botFlow;
    if (botFlow) {
      event("flow_started");
      const arm = random() < 0.5 ? "a" : "b";
      const walk = walkOf(arm);
      const roll = random();
      // 45% complete, 30% hand off, 15% abandon mid-way, 7% never reply, 3% break.
      const outcome = roll < 0.45 ? "completed" : roll < 0.75 ? "handoff" : roll < 0.9 ? "abandoned" : roll < 0.97 ? "no_reply" : "error";
      const firstQuestion = arm === "a" ? 2 : 3;
      const stopAt = outcome === "abandoned" ? firstQuestion + 1 + Math.floor(random() * (walk.length - firstQuestion - 1)) : outcome === "no_reply" ? firstQuestion : walk.length;
      let from: { node: string; port: string } | null = null;
      message("bot");
      for (let i = 0; i < walk.length && i <= stopAt; i++) {
        const step = walk[i]!;
        event("node_entered", { node: step.node, from: from?.node ?? null, port: from?.port ?? null });
        if (step.node === "split") event("split_arm", { node: "split", data: { armId: arm } });
        if (i === stopAt) break;
        if (step.question) {
          later(5, 40);
          message("visitor");
          if (random() < 0.06) {
            event("invalid_answer", { node: step.node, data: { retries: 1 } });
            later(5, 30);
            message("visitor");
          }
          event("answered", { node: step.node, port: step.port });
        }
        from = step;
      }
      if (outcome === "abandoned" || outcome === "no_reply") {
        t += 31 * 60_000;
        event("abandoned", { node: walk[stopAt]!.node });
        event("status_changed", { data: { from: "bot", to: "closed" } });
        status = "closed";
        closedAt = t;
      } else if (outcome === "error") {
        event("flow_error", { node: "choose", data: { message: "generated failure" } });
      } else {
        event("node_entered", { node: "choose", from: from!.node, port: from!.port });
        later(5, 30);
        message("visitor");
        const talk = outcome === "handoff";
        event("answered", { node: "choose", port: talk ? "choice:talk" : "choice:done" });
        event("node_entered", { node: talk ? "handoff" : "end", from: "choose", port: talk ? "choice:talk" : "choice:done" });
        if (talk) {
          team = pick(teams);
          event("handed_off", { node: "handoff" });
          event("handoff", { node: "handoff", data: { target: "team", away: false } });
          event("status_changed", { data: { from: "bot", to: "open" } });
          status = "open";
          handToTeam = true;
        } else event("completed", { node: "end" });
      }
    } else {
      message("visitor");
    }
    if (handToTeam) {
      team ??= pick(teams);
      assignee = pick(agents);
      event("assigned", { user: assignee });
      later(30, 3600);
      message("agent", assignee);
      const rounds = Math.floor(random() * 3);
      for (let r = 0; r < rounds; r++) {
        later(20, 600);
        message("visitor");
        later(30, 1800);
        message("agent", random() < 0.8 ? assignee : pick(agents));
      }
      if (random() < 0.8) {
        later(60, 7200);
        event("status_changed", { user: assignee, data: { from: "open", to: "closed" } });
        status = "closed";
        closedAt = t;
      }
    }
    insertConversation.run(id, channel.id, channel.inbox, botFlow?.id ?? null, version, status, assignee, team, created, t, t, closedAt);
  };

  const BATCH = 2_000;
  for (let first = 0; first < CONVERSATIONS; first += BATCH) {
    s.transaction(() => {
      for (let i = first; i < Math.min(CONVERSATIONS, first + BATCH); i++) {
        perConversation(`conv_${i}`, START + Math.floor((i / CONVERSATIONS) * (DAYS * 86_400_000)) + Math.floor(random() * 60_000));
      }
    })();
  }
  // Top up to the brief's totals whatever the walks averaged: bot messages, and events no report
  // reads (contact updates), as a busy workspace writes plenty of.
  const fill = (target: number, current: () => number, add: () => void) => {
    s.transaction(() => {
      while (current() < target) add();
    })();
  };
  let filler = 0;
  fill(
    TARGET_MESSAGES,
    () => messages,
    () => {
      const id = `conv_${Math.floor(random() * CONVERSATIONS)}`;
      insertMessage.run(id, "bot", null, "Typing…", START + Math.floor(random() * DAYS * 86_400_000));
      messages++;
    },
  );
  fill(
    TARGET_EVENTS,
    () => events,
    () => {
      insertEvent.run("contact_linked", START + Math.floor(random() * DAYS * 86_400_000), `conv_${filler++ % CONVERSATIONS}`, null, null, null, null, null, null, null, null, null, '{"via":"bot"}');
      events++;
    },
  );
  // Since migration 13 the Database folds the roll-ups at each group commit, and this generator
  // writes around it: replay the whole log through the roll-up rules once, as an admin's
  // rebuild does, or every report would read empty roll-ups and time nothing.
  s.transaction(() => s.exec(REBUILD_REPORT_ROLLUPS_SQL))();
  const folded = s.prepare("SELECT (SELECT last_id FROM report_fold_cursor) = (SELECT max(id) FROM events)").pluck().get();
  const rolled = s.prepare("SELECT (SELECT count(*) FROM report_conversations) * (SELECT count(*) FROM report_bot_sessions) * (SELECT count(*) FROM report_replies)").pluck().get();
  if (folded !== 1 || rolled === 0) throw new Error("the generated log did not fold into the report roll-ups");
  s.pragma("optimize");
  s.exec("ANALYZE");
  s.close();
  renameSync(tmp, path);
  return { conversations: CONVERSATIONS, messages, events, seconds: (performance.now() - started) / 1000 };
};

// ---------------------------------------------------------------------------------------------
// Timing

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Times every report query on the generated data; generates it first when no cached file exists. */
export const run = async (): Promise<ReadonlyArray<Figure>> => {
  const figures: Figure[] = [];
  if (!existsSync(cachePath)) {
    const made = generate(cachePath);
    figures.push({ name: "reports.generate_s", unit: "s", value: Math.round(made.seconds * 10) / 10 });
    console.error(`generated ${made.conversations} conversations, ${made.messages} messages, ${made.events} events in ${made.seconds.toFixed(1)} s → ${cachePath}`);
  }
  const layer = Reports.layer.pipe(Layer.provideMerge(Chatflows.layer), Layer.provideMerge(Db.layer({ path: cachePath, synchronous: "NORMAL" })));
  const runtime = ManagedRuntime.make(layer);
  try {
    const reports = await runtime.runPromise(Reports.Reports);
    const lastDay = new Date(END - 1).toISOString().slice(0, 10);
    const day = (offset: number) => new Date(END - offset * 86_400_000).toISOString().slice(0, 10);
    const q = (from: string, filters: ReportQuery["filters"] = {}): ReportQuery => ({ range: makeRange("UTC", "custom", from, lastDay), filters });
    const d30 = q(day(30));
    const d90 = q(day(DAYS));
    // The business-hours variant: weekdays 09:00–17:00 in Berlin, whose clocks change inside the
    // 90 days (29 March), so the calendar's daylight-saving path is part of the figure. In force
    // since the day before the data (a change holds from when it is made, decision 058); setting
    // them there again replaces any later change a previous run left.
    const nineToFive = ["mon", "tue", "wed", "thu", "fri"].map((d) => ({ day: d, from: "09:00", to: "17:00" }));
    const beforeTheData = START - 86_400_000;
    const calendarFromStart = Effect.gen(function* () {
      yield* reports.setTimezone("Europe/Berlin");
      yield* reports.setBusinessHours(nineToFive);
      for (const c of (yield* reports.businessHours()).closed ?? []) yield* reports.removeClosedDate(c.date);
    });
    await runtime.runPromise(playScripted(beforeTheData, () => calendarFromStart));
    const business = (query: ReportQuery): ReportQuery => ({ ...query, hours: "business" });
    const queries: Array<[string, () => Effect.Effect<unknown, unknown>]> = [
      ["bot_overview_30d", () => reports.botOverview(d30)],
      ["bot_overview_90d", () => reports.botOverview(d90)],
      ["bot_overview_30d_inbox", () => reports.botOverview(q(day(30), { inbox: "inbox_1" }))],
      ["flow_report_30d", () => reports.flowReport("flow_3", d30)],
      ["flow_report_90d", () => reports.flowReport("flow_3", d90)],
      ["flow_overlay_30d", () => reports.flowOverlay("flow_3", d30)],
      ["team_30d", () => reports.team(d30)],
      ["team_90d", () => reports.team(d90)],
      ["team_30d_business_hours", () => reports.team(business(d30))],
      ["team_90d_business_hours", () => reports.team(business(d90))],
      ["team_30d_team_filter", () => reports.team(q(day(30), { team: "team_2" }))],
      ["team_today", () => reports.team(q(day(1)))],
    ];
    const time = async (name: string, make: () => Effect.Effect<unknown, unknown>) => {
      await runtime.runPromise(make());
      const times: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await runtime.runPromise(make());
        times.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      figures.push({ name: `reports.${name}_ms`, unit: "ms", value: Math.round(median(times) * 10) / 10 });
      // On a shared, busy machine the wall time mostly measures the wait for a core; the CPU
      // time is what the query itself costs.
      figures.push({ name: `reports.${name}_cpu_ms`, unit: "ms", value: Math.round(median(cpu) * 10) / 10 });
    };
    for (const [name, make] of queries) await time(name, make);

    // Response targets on every inbox (the first counting business hours): about half of the
    // generated first replies (30 s–1 h) and next replies (30 s–30 min) miss them. The team report
    // with them is the figure the breaches list drills into. Taken off again afterwards, so the
    // cached file's other figures stay comparable between runs.
    const db = await runtime.runPromise(Db.Database);
    const setTargets = (targets: string | null) => db.sqlite.prepare("UPDATE inboxes SET response_targets = ?").run(targets);
    setTargets(JSON.stringify({ firstResponseMinutes: 30, nextReplyMinutes: 15, businessHours: false }));
    db.sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_0'").run(JSON.stringify({ firstResponseMinutes: 30, nextReplyMinutes: 15, businessHours: true }));
    try {
      const page = (query: ReportQuery, extra: Partial<Reports.BreachQuery> = {}) => reports.breaches({ ...query, limit: Reports.BREACH_PAGE_MAX, ...extra });
      const total = await runtime.runPromise(page(d90));
      figures.push({ name: "reports.breaches_90d_count", unit: "breaches", value: total.total });
      const lastPage = await runtime.runPromise(page(d90, { cursor: total.nextCursor ?? undefined }));
      const targetQueries: Array<[string, () => Effect.Effect<unknown, unknown>]> = [
        ["team_30d_with_targets", () => reports.team(d30)],
        ["breaches_30d", () => page(d30)],
        ["breaches_90d", () => page(d90)],
        ["breaches_90d_second_page", () => page(d90, { cursor: total.nextCursor ?? undefined })],
        // Another order: names compared with a collator instead of numbers.
        ["breaches_90d_by_agent", () => page(d90, { sort: { by: "agent", direction: "asc" } })],
        ["breaches_30d_inbox", () => page(q(day(30), { inbox: "inbox_1" }))],
        ["breaches_30d_business_hours_inbox", () => page(q(day(30), { inbox: "inbox_0" }))],
        ["breaches_30d_agent", () => page(d30, { agent: "usr_3" })],
        ["breaches_90d_csv", () => page(d90, { limit: null })],
      ];
      if (lastPage.breaches.length === 0) throw new Error("the generated data has no second page of breaches");
      for (const [name, make] of targetQueries) await time(name, make);
      // Team hours (decision 048): a reply counts in the hours of the team it was with — one team
      // with its own (New York), one following the workspace's; every inbox counting business hours.
      db.sqlite.prepare("UPDATE inboxes SET response_targets = ?").run(JSON.stringify({ firstResponseMinutes: 30, nextReplyMinutes: 15, businessHours: true }));
      const weekdays = ["mon", "tue", "wed", "thu", "fri"].map((d) => ({ day: d, from: "09:00", to: "17:00" }));
      const newYork = JSON.stringify({ source: "own", timezone: "America/New_York", hours: weekdays, closedDates: [], workspaceClosedDates: true });
      // Kept since before the data, through the one writer of teams' hours (its history).
      const teamHours = (on: boolean) =>
        db.sqlite.transaction(() => {
          putTeamHours(db.sqlite, beforeTheData, "team_0", on ? newYork : null);
          putTeamHours(db.sqlite, beforeTheData, "team_1", on ? JSON.stringify({ source: "workspace" }) : null);
        })();
      teamHours(true);
      figures.push({ name: "reports.breaches_90d_team_hours_count", unit: "breaches", value: (await runtime.runPromise(page(d90))).total });
      for (const [name, make] of [
        ["team_30d_with_targets_business_hours", () => reports.team(d30)],
        ["breaches_90d_business_hours", () => page(d90)],
      ] as Array<[string, () => Effect.Effect<unknown, unknown>]>) {
        teamHours(false);
        await time(name, make);
        teamHours(true);
        await time(`${name}_team_hours`, make);
      }
      // A history inside the 90 days (decision 058): longer hours from day 30, a closed date added
      // on day 60, London's clock from day 75; the New York team's hours changed on day 45. Each
      // report then splits its span at those instants.
      const at = (days: number) => START + days * 86_400_000;
      const changes = (clock: { readonly set: (at: number) => void }) =>
        Effect.gen(function* () {
          yield* reports.setBusinessHours(["mon", "tue", "wed", "thu", "fri"].map((d) => ({ day: d, from: "08:00", to: "18:00" })));
          clock.set(at(45));
          db.sqlite.transaction(() => putTeamHours(db.sqlite, at(45), "team_0", newYork.replace("09:00", "10:00")))();
          clock.set(at(60));
          yield* reports.addClosedDate({ date: new Date(at(62)).toISOString().slice(0, 10), name: "Company day" });
          clock.set(at(75));
          yield* reports.setTimezone("Europe/London");
        });
      // Each figure also without the history, in the same state otherwise (targets, team hours).
      const historyQueries: Array<[string, () => Effect.Effect<unknown, unknown>]> = [
        ["team_90d_business_hours_with_targets_team_hours", () => reports.team(business(d90))],
        ["team_30d_with_targets_business_hours_team_hours", () => reports.team(d30)],
        ["breaches_90d_business_hours_team_hours", () => page(d90)],
      ];
      await time(historyQueries[0]![0], historyQueries[0]![1]);
      await runtime.runPromise(playScripted(at(30), changes));
      try {
        for (const [name, make] of historyQueries) await time(`${name}_history`, make);
      } finally {
        await runtime.runPromise(playScripted(beforeTheData, () => calendarFromStart));
      }
    } finally {
      setTargets(null);
      db.sqlite.transaction(() => {
        for (const id of ["team_0", "team_1"]) putTeamHours(db.sqlite, beforeTheData, id, null);
      })();
    }
  } finally {
    await runtime.dispose();
  }
  return figures;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const figure of await run()) console.log(JSON.stringify(figure));
}
