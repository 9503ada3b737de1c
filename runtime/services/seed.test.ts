import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { selectChatflow } from "../../flows/targeting.js";
import { makeAppRuntime, type AppRuntime } from "./app-layer.js";
import * as Chatflows from "./chatflows.js";
import * as WallClock from "./clock.js";
import * as Config from "./config.js";
import * as Db from "./database.js";
import { FollowUps } from "./follow-ups.js";
import { verifyPassword } from "./password.js";
import * as Reports from "./reports.js";
import { readTeamHours } from "./team-hours.js";
import { DEMO_CONVERSATIONS, DEMO_FORM_SUBMISSIONS, DEMO_HOURS, DEMO_LABELS, DEMO_SALES_HOURS, DEMO_USERS, SEED_IDS, demoDurationMs, demoStartAt, seed, type DemoStep } from "./seed.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const workspace = (env: Record<string, string> = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "parley-seed-"));
  dirs.push(dir);
  const config = Config.loadConfig({ DATABASE_PATH: join(dir, "parley.sqlite"), SESSION_SECRET: "s".repeat(64), ...env });
  // The whole app: the sample conversations go through the engine, inbox, contacts and tickets.
  return { config, runtime: makeAppRuntime(config) };
};

const runSeed = async (runtime: AppRuntime) => {
  const lines: string[] = [];
  const result = await runtime.runPromise(seed({ print: (line) => lines.push(line) }));
  return { result, lines };
};

describe("seed", () => {
  it("creates the demo workspace once, prints the generated admin password once", async () => {
    const { runtime } = workspace();
    try {
      const { result, lines } = await runSeed(runtime);
      expect(result.seeded).toBe(true);
      expect(result.skipped).toEqual([]);
      const password = result.generatedPassword!;
      expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(lines[0]).toBe(`Admin login: admin@parley.local / ${password}`);
      expect(lines[1]).toMatch(/agent@parley\.local.*same password/);

      const db = await runtime.runPromise(Db.Database);
      const users = db.sqlite.prepare("SELECT id, email, name, role, password_hash FROM users ORDER BY email").all() as Array<{
        id: string;
        email: string;
        name: string;
        role: string;
        password_hash: string;
      }>;
      expect(users.map((u) => [u.email, u.name, u.role])).toEqual([
        ["admin@parley.local", "Admin", "admin"],
        ["agent@parley.local", "Alex Agent", "agent"],
        ["analyst@parley.local", "Ana Analyst", "analyst"],
        ["marketer@parley.local", "Mia Marketer", "marketer"],
      ]);
      for (const u of users) expect(await verifyPassword(password, u.password_hash)).toBe(true);
      // The demo's people answer in languages (decision 055), so the routing preference has someone to prefer.
      expect(db.sqlite.prepare("SELECT email, languages FROM users WHERE languages IS NOT NULL ORDER BY email").all()).toEqual([
        { email: "admin@parley.local", languages: '["en"]' },
        { email: "agent@parley.local", languages: '["en","de"]' },
      ]);

      const members = db.sqlite.prepare("SELECT user_id FROM inbox_members WHERE inbox_id = ? ORDER BY user_id").all(SEED_IDS.inbox);
      expect(members).toEqual([{ user_id: SEED_IDS.admin }, { user_id: SEED_IDS.agent }]);
      expect(db.sqlite.prepare("SELECT name FROM teams ORDER BY name").all()).toEqual([{ name: "Sales" }, { name: "Support" }]);
      // The demo's Sales team keeps its own hours, as the Teams page reads them; Support keeps none, so the demo's handoffs never wait.
      expect(readTeamHours(db.prepare, SEED_IDS.salesTeam)).toEqual(DEMO_SALES_HOURS);
      expect(readTeamHours(db.prepare, SEED_IDS.team)).toEqual({ source: "none" });
      expect(db.sqlite.prepare("SELECT user_id FROM team_members WHERE team_id = ?").all(SEED_IDS.salesTeam)).toEqual([{ user_id: SEED_IDS.agent }]);
      const channel = db.sqlite.prepare("SELECT name, kind, inbox_id, config, identity_secret FROM channels").get() as Record<string, string>;
      expect(channel).toMatchObject({ name: "Website chat", kind: "chat", inbox_id: SEED_IDS.inbox });
      expect(JSON.parse(channel.config!).allowedOrigins).toEqual(["*"]);
      expect(channel.identity_secret).toMatch(/^[0-9a-f]{64}$/);

      // Every example is published; which are live, and in what order, makes the demo's pages sensible.
      const live = await runtime.runPromise(Effect.flatMap(Chatflows.Chatflows, (f) => f.liveForChannel(SEED_IDS.channel)));
      expect(live.map((l) => [l.version.spec.id, l.chatflow.priority])).toEqual([
        ["support_triage", 5],
        ["lead_qualification", 10],
        ["live_chat_hours", 200],
      ]);
      const all = await runtime.runPromise(Effect.flatMap(Chatflows.Chatflows, (f) => f.list()));
      expect(all.every((c) => c.publishedVersionId !== null)).toBe(true);
      expect(all.find((c) => c.id === "flow_delivery_quote")?.enabled).toBe(false);

      const candidates = live.map((l) => ({
        id: l.version.spec.id,
        priority: l.chatflow.priority,
        targeting: l.version.spec.settings.targeting,
        availability: l.version.spec.settings.availability,
        availabilityOverride: true,
      }));
      const pick = (url: string) =>
        selectChatflow(candidates, { url, device: "desktop", languages: ["en"], knownContact: false, now: Date.now() })?.chatflow.id;
      expect(pick("https://www.example.com/")).toBe("lead_qualification");
      expect(pick("https://www.example.com/pricing")).toBe("live_chat_hours");
      expect(pick("https://www.example.com/help/billing")).toBe("support_triage");

      // A second start changes nothing and prints nothing.
      const counts = () =>
        ["users", "inboxes", "teams", "channels", "chatflows", "chatflow_versions", "inbox_members"].map(
          (t) => (db.sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n,
        );
      const before = counts();
      const again = await runSeed(runtime);
      expect(again.result.seeded).toBe(false);
      expect(again.lines).toEqual([]);
      expect(counts()).toEqual(before);
    } finally {
      await runtime.dispose();
    }
  });

  it("without the demo seeds only the admin, the inbox, the team and the channel", async () => {
    const { runtime } = workspace({ PARLEY_DEMO: "0", ADMIN_PASSWORD: "correct horse battery", ADMIN_EMAIL: "boss@example.com" });
    try {
      const { result, lines } = await runSeed(runtime);
      expect(result.generatedPassword).toBeUndefined();
      expect(lines).toEqual(["Admin login: boss@example.com / (the password in ADMIN_PASSWORD)"]);
      const db = await runtime.runPromise(Db.Database);
      const admin = db.sqlite.prepare("SELECT role, password_hash FROM users").all() as Array<{ role: string; password_hash: string }>;
      expect(admin).toHaveLength(1);
      expect(db.sqlite.prepare("SELECT languages FROM users").pluck().get()).toBeNull();
      expect(await verifyPassword("correct horse battery", admin[0]!.password_hash)).toBe(true);
      const n = (t: string) => (db.sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      expect([n("inboxes"), n("teams"), n("channels"), n("chatflows")]).toEqual([1, 1, 1, 0]);
      expect(DEMO_USERS.some((u) => db.sqlite.prepare("SELECT 1 FROM users WHERE email = ?").get(u.email))).toBe(false);
    } finally {
      await runtime.dispose();
    }
  });

  it("finishes the demo flows on the next start when a start stopped half-way", async () => {
    const { runtime } = workspace();
    try {
      await runSeed(runtime);
      const db = await runtime.runPromise(Db.Database);
      // Pretend the first start died after the workspace and before the flows.
      await db.write((s) => {
        s.exec("DELETE FROM chatflow_versions WHERE chatflow_id = 'flow_delivery_quote'; DELETE FROM chatflows WHERE id = 'flow_delivery_quote'");
        s.prepare("UPDATE settings SET value = 'pending' WHERE key = 'seed_demo'").run();
      });
      const versionsBefore = (db.sqlite.prepare("SELECT count(*) AS n FROM chatflow_versions").get() as { n: number }).n + 1;
      const { result } = await runSeed(runtime);
      expect(result.seeded).toBe(false);
      expect(Object.keys(result.flows).sort()).toEqual(["delivery_quote", "lead_qualification", "live_chat_hours", "support_triage"]);
      // The missing flow is back; publishing the others' unchanged drafts added no versions.
      expect((db.sqlite.prepare("SELECT count(*) AS n FROM chatflow_versions").get() as { n: number }).n).toBe(versionsBefore);
    } finally {
      await runtime.dispose();
    }
  });

  it("plays the sample conversations once through the real services, so the inbox, tickets and reports agree", async () => {
    const { runtime } = workspace({ ADMIN_PASSWORD: "correct horse battery" });
    try {
      const { result } = await runSeed(runtime);
      expect(result.skippedConversations).toEqual([]);
      expect(Object.keys(result.conversations)).toEqual([...DEMO_CONVERSATIONS, ...DEMO_FORM_SUBMISSIONS].map((c) => c.key));
      const db = await runtime.runPromise(Db.Database);
      const row = (key: string) =>
        db.sqlite
          .prepare("SELECT status, inbox_id, assignee_id, contact_id FROM conversations WHERE id = ?")
          .get(result.conversations[key]) as { status: string; inbox_id: string; assignee_id: string | null; contact_id: string | null };
      for (const plan of DEMO_CONVERSATIONS) expect(row(plan.key).status, plan.key).toBe(plan.status);
      // The visitor who left half-way was closed by the session timeout, as abandoned.
      const left = db.sqlite.prepare("SELECT type FROM events WHERE conversation_id = ? AND type = 'abandoned'").all(result.conversations.left_midway);
      expect(left).toHaveLength(1);
      // Waiting for a person in Support, unassigned (the inbox routes manually).
      expect(row("waiting_handoff")).toMatchObject({ status: "open", inbox_id: SEED_IDS.inbox, assignee_id: null });
      const ticketed = row("ticket_contact");
      expect(ticketed.assignee_id).toBe(SEED_IDS.agent);
      const contact = db.sqlite.prepare("SELECT email, name FROM contacts WHERE id = ?").get(ticketed.contact_id);
      expect(contact).toEqual({ email: "maria.lopez@brightlane.example", name: "María López" });
      const ticket = db.sqlite.prepare("SELECT contact_id, priority, status FROM tickets WHERE conversation_id = ?").get(result.conversations.ticket_contact);
      expect(ticket).toEqual({ contact_id: ticketed.contact_id, priority: "high", status: "new" });
      const internal = db.sqlite
        .prepare("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND author = 'agent' AND is_internal = 1")
        .get(result.conversations.ticket_contact) as { n: number };
      expect(internal.n).toBe(1);
      // Labels: the demo's four; the agent's on two conversations, and the lead bot's handoff labels its leads.
      expect(db.sqlite.prepare("SELECT id FROM labels ORDER BY name").all()).toEqual(DEMO_LABELS.map((l) => ({ id: l.id })));
      const labelled = (key: string) =>
        db.sqlite.prepare("SELECT label_id, added_by FROM conversation_labels WHERE conversation_id = ? ORDER BY label_id").all(result.conversations[key]);
      expect(labelled("ticket_contact")).toEqual([
        { label_id: "label_bug", added_by: SEED_IDS.agent },
        { label_id: "label_vip", added_by: SEED_IDS.agent },
      ]);
      expect(labelled("waiting_handoff")).toEqual([{ label_id: "label_billing", added_by: SEED_IDS.agent }]);
      const handedOffLeads = DEMO_CONVERSATIONS.filter(
        (c) => c.chatflow === "lead_qualification" && db.sqlite.prepare("SELECT 1 FROM events WHERE type = 'handoff' AND conversation_id = ?").get(result.conversations[c.key]),
      ).map((c) => c.key);
      expect(handedOffLeads.length).toBeGreaterThan(0);
      for (const key of handedOffLeads) expect(labelled(key), key).toEqual([{ label_id: "label_sales_lead", added_by: null }]);
      // The contact form's submission: open and unassigned in Support, with its contact and ticket, answered by email.
      const submitted = db.sqlite
        .prepare(
          `SELECT c.status, c.channel_id, c.reply_by_email, c.assignee_id, ct.email, t.subject FROM conversations c
             JOIN contacts ct ON ct.id = c.contact_id JOIN tickets t ON t.conversation_id = c.id WHERE c.id = ?`,
        )
        .get(result.conversations.form_quote);
      expect(submitted).toEqual({
        status: "open",
        channel_id: SEED_IDS.form,
        reply_by_email: 1,
        assignee_id: null,
        email: "tom.becker@lunarfreight.example",
        subject: "Contact form: Tom Becker",
      });

      // The roll-ups the reports read match a replay of the events log: nothing was written around the engine.
      const reports = (run: (r: Reports.ReportsShape, query: Reports.ReportQuery) => Effect.Effect<unknown>) =>
        runtime.runPromise(
          Effect.flatMap(Reports.Reports, (r) => Effect.flatMap(r.parseQuery({ range: "7d" }), (query) => run(r, query))).pipe(Effect.orDie),
        );
      const figures = () =>
        reports((r, query) =>
          Effect.all({
            bots: Effect.map(r.botOverview(query), (o) => o.totals),
            agents: Effect.map(r.team(query), (t) => t.agents.map((a) => [a.userId, a.replies]).sort()),
          }),
        ) as Promise<{ bots: Reports.OutcomeCounts; agents: Array<[string, number]> }>;
      const live = await figures();
      expect(live.bots).toMatchObject({ started: 6, completed: 2, handed_off: 3, abandoned: 1 });
      expect(live.agents).toEqual([
        [SEED_IDS.admin, 2],
        [SEED_IDS.agent, 2],
      ]);
      await runtime.runPromise(Effect.flatMap(Reports.Reports, (r) => r.rebuild()));
      expect(await figures()).toEqual(live);

      // A second start plays nothing again.
      const count = () => (db.sqlite.prepare("SELECT count(*) AS n FROM conversations").get() as { n: number }).n;
      const again = await runSeed(runtime);
      expect(again.result.conversations).toEqual({});
      expect(count()).toBe(DEMO_CONVERSATIONS.length + DEMO_FORM_SUBMISSIONS.length);
    } finally {
      await runtime.dispose();
    }
  });

  it("after a start that stopped half-way, plays only the sample conversations it had not started", async () => {
    const { runtime } = workspace();
    try {
      const first = await runSeed(runtime);
      const db = await runtime.runPromise(Db.Database);
      await db.write((s) => {
        s.prepare("UPDATE settings SET value = 'pending' WHERE key = 'seed_demo_conversations'").run();
        s.prepare("DELETE FROM settings WHERE key = 'seed_demo_conversation:answered_closed'").run();
      });
      const { result } = await runSeed(runtime);
      expect(Object.keys(result.conversations)).toEqual(["answered_closed"]);
      expect(result.conversations.answered_closed).not.toBe(first.result.conversations.answered_closed);
      expect((db.sqlite.prepare("SELECT count(*) AS n FROM conversations").get() as { n: number }).n).toBe(
        DEMO_CONVERSATIONS.length + DEMO_FORM_SUBMISSIONS.length + 1,
      );
    } finally {
      await runtime.dispose();
    }
  });

  it("reports a sample conversation it could not play, and plays the rest", async () => {
    const { runtime } = workspace();
    try {
      await runSeed(runtime);
      const db = await runtime.runPromise(Db.Database);
      await db.write((s) => {
        s.prepare("UPDATE settings SET value = 'pending' WHERE key = 'seed_demo_conversations'").run();
        s.prepare("DELETE FROM settings WHERE key IN ('seed_demo_conversation:password_reset', 'seed_demo_conversation:lead_meeting')").run();
        s.prepare("UPDATE chatflows SET published_version_id = NULL WHERE id = 'flow_support_triage'").run();
      });
      const { result } = await runSeed(runtime);
      expect(result.skippedConversations).toEqual([{ key: "password_reset", reason: "the chatflow flow_support_triage is not published" }]);
      expect(Object.keys(result.conversations)).toEqual(["lead_meeting"]);
    } finally {
      await runtime.dispose();
    }
  });

  it("with PARLEY_NO_DEMO_CONVERSATIONS=1 seeds the demo without conversations, also on later starts", async () => {
    const env = { PARLEY_NO_DEMO_CONVERSATIONS: "1" };
    const { runtime, config } = workspace(env);
    try {
      expect(config.demo).toBe(true);
      expect(config.demoConversations).toBe(false);
      const { result } = await runSeed(runtime);
      expect(Object.keys(result.flows).length).toBeGreaterThan(0);
      expect(result.conversations).toEqual({});
      const db = await runtime.runPromise(Db.Database);
      const n = (t: string) => (db.sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      expect([n("conversations"), n("events"), n("tickets"), n("contacts"), n("visitors")]).toEqual([0, 0, 0, 0, 0]);
      // With no history to come before, the workspace and its flows carry the real time, and no hours are set for it.
      const stamp = (sql: string) => (db.sqlite.prepare(sql).get() as { at: number }).at;
      expect(stamp("SELECT min(published_at) AS at FROM chatflow_versions")).toBeGreaterThan(Date.now() - 60_000);
      expect(stamp("SELECT min(created_at) AS at FROM users")).toBeGreaterThan(Date.now() - 60_000);
      expect(db.sqlite.prepare("SELECT 1 FROM settings WHERE key = 'business_hours'").get()).toBeUndefined();
    } finally {
      await runtime.dispose();
    }
    // The choice is made on the first start: the same database started without the variable stays empty.
    const later = makeAppRuntime(Config.loadConfig({ DATABASE_PATH: config.databasePath, SESSION_SECRET: "s".repeat(64) }));
    try {
      const { result } = await runSeed(later);
      expect(result.conversations).toEqual({});
      const db = await later.runPromise(Db.Database);
      expect((db.sqlite.prepare("SELECT count(*) AS n FROM conversations").get() as { n: number }).n).toBe(0);
    } finally {
      await later.dispose();
    }
  });

  it("refuses a PARLEY_NO_DEMO_CONVERSATIONS that is not 0 or 1, naming the variable", () => {
    expect(() => Config.loadConfig({ DATABASE_PATH: ":memory:", SESSION_SECRET: "s".repeat(64), PARLEY_NO_DEMO_CONVERSATIONS: "yes" })).toThrow(
      /PARLEY_NO_DEMO_CONVERSATIONS/,
    );
  });
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Minutes after midnight UTC (the workspace's default zone). */
const utcMinutes = (t: number) => new Date(t).getUTCHours() * 60 + new Date(t).getUTCMinutes();
/** What each step leaves in the transcript as the visitor's or an agent's own message. */
const writesMessage = (step: DemoStep) => step.do === "say" || step.do === "choose" || step.do === "reply" || step.do === "comment";

describe("the sample conversations' times", () => {
  it("happen over the past business days at a person's pace, inside the demo's hours, and nothing in the future", async () => {
    const { runtime, config } = workspace();
    try {
      const before = Date.now();
      const { result } = await runSeed(runtime);
      expect(result.skippedConversations).toEqual([]);
      // The seed gives the real clock back.
      expect(WallClock.isScripted()).toBe(false);
      const db = await runtime.runPromise(Db.Database);

      // The workspace and the people who answer have the demo's hours; the others none.
      const business = await runtime.runPromise(Effect.flatMap(Reports.Reports, (r) => r.businessHours()));
      expect(business).toEqual({ timezone: "UTC", hours: DEMO_HOURS, closed: [] });
      const hoursOf = (id: string) => (db.sqlite.prepare("SELECT working_hours FROM users WHERE id = ?").get(id) as { working_hours: string }).working_hours;
      expect(JSON.parse(hoursOf(SEED_IDS.agent))).toEqual({ timezone: "UTC", hours: DEMO_HOURS });
      expect(JSON.parse(hoursOf(SEED_IDS.admin))).toEqual({ timezone: "UTC", hours: DEMO_HOURS });
      expect(hoursOf(SEED_IDS.analyst)).toBe("[]");
      // They hold since the workspace was set up, before the first sample conversation, so the
      // reports judge the conversations by them (decision 058); so do the Sales team's hours.
      const firstOpened = db.sqlite.prepare("SELECT min(created_at) FROM conversations").pluck().get() as number;
      const setUpAt = db.sqlite.prepare("SELECT created_at FROM users WHERE id = ?").pluck().get(SEED_IDS.admin) as number;
      expect(setUpAt).toBeLessThan(firstOpened);
      expect(db.sqlite.prepare("SELECT effective_at, timezone, business_hours, closed_dates FROM workspace_calendar_history ORDER BY effective_at").all()).toEqual([
        { effective_at: 0, timezone: null, business_hours: null, closed_dates: null },
        { effective_at: setUpAt, timezone: null, business_hours: JSON.stringify(DEMO_HOURS), closed_dates: null },
      ]);
      expect(db.sqlite.prepare("SELECT team_id, effective_at FROM team_hours_history").all()).toEqual([{ team_id: SEED_IDS.salesTeam, effective_at: setUpAt }]);

      // Every stamp the conversations left lies in the past week, at least an hour before the seed ran.
      const stamps: Array<[string, string]> = [
        ["conversations", "created_at"],
        ["conversations", "last_activity_at"],
        ["conversations", "closed_at"],
        ["conversations", "handed_off_at"],
        ["conversations", "waiting_since"],
        ["messages", "created_at"],
        ["events", "at"],
        ["visitors", "first_seen_at"],
        ["visitors", "last_seen_at"],
        ["contacts", "created_at"],
        ["tickets", "created_at"],
      ];
      for (const [table, column] of stamps) {
        const range = db.sqlite.prepare(`SELECT min(${column}) AS lo, max(${column}) AS hi FROM ${table}`).get() as { lo: number; hi: number };
        expect(range.hi, `${table}.${column}`).toBeLessThan(before - HOUR);
        expect(range.lo, `${table}.${column}`).toBeGreaterThan(before - 8 * DAY);
      }

      const days = new Set<string>();
      for (const plan of DEMO_CONVERSATIONS) {
        const id = result.conversations[plan.key]!;
        const opened = (db.sqlite.prepare("SELECT created_at FROM conversations WHERE id = ?").get(id) as { created_at: number }).created_at;
        days.add(new Date(opened).toISOString().slice(0, 10));
        // Opened at its planned time, on a weekday, and over before closing time (the demo's hours in UTC).
        expect(new Date(opened).toISOString().slice(11, 16), plan.key).toBe(plan.start.at);
        for (const t of [opened, opened + demoDurationMs(plan)]) {
          expect([1, 2, 3, 4, 5], plan.key).toContain(new Date(t).getUTCDay());
          expect(utcMinutes(t), plan.key).toBeGreaterThanOrEqual(9 * 60);
          expect(utcMinutes(t), plan.key).toBeLessThan(17 * 60 + 30);
        }
        // The visitor's and the agent's words come exactly when the script says, so they are spread and increasing.
        const expected: number[] = [];
        let at = opened;
        for (const step of plan.steps) {
          at += step.after * 1000;
          if (writesMessage(step)) expected.push(at);
        }
        const written = db.sqlite
          .prepare("SELECT created_at FROM messages WHERE conversation_id = ? AND author IN ('visitor', 'agent') ORDER BY id")
          .all(id) as Array<{ created_at: number }>;
        expect(written.map((m) => m.created_at), plan.key).toEqual(expected);
        for (const [i, t] of expected.entries()) if (i > 0) expect(t, plan.key).toBeGreaterThan(expected[i - 1]!);
      }
      // Spread over several days, so the daily charts have more than one bar.
      expect(days.size).toBeGreaterThanOrEqual(4);
      // The people, the inbox and the flows' versions existed before the first visitor came.
      const first = (db.sqlite.prepare("SELECT min(created_at) AS at FROM conversations").get() as { at: number }).at;
      for (const [table, column] of [
        ["users", "created_at"],
        ["inboxes", "created_at"],
        ["channels", "created_at"],
        ["chatflows", "updated_at"],
        ["chatflow_versions", "published_at"],
      ] as const) {
        const latest = (db.sqlite.prepare(`SELECT max(${column}) AS at FROM ${table}`).get() as { at: number }).at;
        expect(latest, `${table}.${column}`).toBeLessThan(first);
        expect(latest, `${table}.${column}`).toBeGreaterThan(first - DAY);
      }

      // The team report: the answered conversation's first response is the time from its handoff
      // to the admin's first reply — minutes, not zero — and all of it inside business hours.
      const answered = result.conversations.answered_closed!;
      const handedOff = (db.sqlite.prepare("SELECT handed_off_at FROM conversations WHERE id = ?").get(answered) as { handed_off_at: number }).handed_off_at;
      const firstReply = (
        db.sqlite.prepare("SELECT min(created_at) AS at FROM messages WHERE conversation_id = ? AND author = 'agent' AND is_internal = 0").get(answered) as {
          at: number;
        }
      ).at;
      expect(firstReply - handedOff).toBeGreaterThan(60_000);
      const team = (hours?: string) =>
        runtime.runPromise(
          Effect.flatMap(Reports.Reports, (r) => Effect.flatMap(r.parseQuery({ range: "7d", ...(hours ? { hours } : {}) }), (q) => r.team(q))).pipe(
            Effect.orDie,
          ),
        );
      for (const report of [await team(), await team("business")]) {
        const admin = report.agents.find((a) => a.userId === SEED_IDS.admin)!;
        expect(admin.firstResponse).toMatchObject({ count: 1, median: firstReply - handedOff });
        expect(report.firstResponse.count).toBe(2);
        expect(report.firstResponse.median).toBeGreaterThan(0);
        expect(report.timeToClose.median).toBeGreaterThan(0);
        // The answered visitor rated it: the admin who answered is credited.
        expect(report.satisfaction).toEqual({ ratings: 1, average: 5, satisfied: 1 });
        expect(admin.satisfaction).toEqual({ ratings: 1, average: 5, satisfied: 1 });
      }
      const overview = await runtime.runPromise(
        Effect.flatMap(Reports.Reports, (r) => Effect.flatMap(r.parseQuery({ range: "7d" }), (q) => r.botOverview(q))).pipe(Effect.orDie),
      );
      expect(overview.daily.filter((d) => d.counts.started > 0).length).toBeGreaterThanOrEqual(4);
      // The demo's visitors saw their answers: no follow-up email is due, none is recorded as failed.
      const pass = await runtime.runPromise(Effect.flatMap(FollowUps, (f) => f.runDue()));
      expect(pass).toMatchObject({ sent: 0, notSent: 0, retrying: 0 });
      expect(db.sqlite.prepare("SELECT count(*) FROM follow_up_emails").pluck().get()).toBe(0);
      expect(db.sqlite.prepare("SELECT count(*) FROM follow_up_queue").pluck().get()).toBe(0);

      // A restart on the same file plays nothing again and moves nothing.
      const snapshot = () => db.sqlite.prepare("SELECT id, created_at, last_activity_at FROM conversations ORDER BY id").all();
      const was = snapshot();
      await runtime.dispose();
      const later = makeAppRuntime(config);
      try {
        const again = await runSeed(later);
        expect(again.result.conversations).toEqual({});
        const reopened = await later.runPromise(Db.Database);
        expect(reopened.sqlite.prepare("SELECT id, created_at, last_activity_at FROM conversations ORDER BY id").all()).toEqual(was);
      } finally {
        await later.dispose();
      }
    } finally {
      await runtime.dispose();
    }
  });
});

describe("demoStartAt", () => {
  const weekdays = { timezone: "UTC", hours: DEMO_HOURS };
  const at = (iso: string) => Date.parse(iso);
  const MINUTES_15 = 15 * 60_000;

  it("counts back business days only, never today, at the planned wall time", () => {
    // Monday 2026-11-23, before opening: one business day ago is Friday, four are Tuesday.
    const monday = at("2026-11-23T08:00:00Z");
    expect(demoStartAt({ businessDaysAgo: 1, at: "16:12" }, MINUTES_15, monday, "UTC", [weekdays])).toBe(at("2026-11-20T16:12:00Z"));
    expect(demoStartAt({ businessDaysAgo: 4, at: "09:42" }, MINUTES_15, monday, "UTC", [weekdays])).toBe(at("2026-11-17T09:42:00Z"));
    // Wednesday evening: today's 10:00 is past, but the seed still starts from yesterday.
    expect(demoStartAt({ businessDaysAgo: 1, at: "10:00" }, MINUTES_15, at("2026-11-25T18:00:00Z"), "UTC", [weekdays])).toBe(at("2026-11-24T10:00:00Z"));
  });

  it("reads the wall time in the workspace's zone", () => {
    // 09:42 in Berlin is 08:42 UTC in winter and 07:42 in summer.
    const berlin = { timezone: "Europe/Berlin", hours: DEMO_HOURS };
    expect(demoStartAt({ businessDaysAgo: 1, at: "09:42" }, MINUTES_15, at("2026-11-25T12:00:00Z"), "Europe/Berlin", [berlin])).toBe(at("2026-11-24T08:42:00Z"));
    expect(demoStartAt({ businessDaysAgo: 1, at: "09:42" }, MINUTES_15, at("2026-07-15T12:00:00Z"), "Europe/Berlin", [berlin])).toBe(at("2026-07-14T07:42:00Z"));
  });

  it("keeps the whole conversation inside every schedule: the workspace's and each person's, in their own zones", () => {
    const wednesday = at("2026-11-25T12:00:00Z");
    // 17:20 plus 15 minutes runs past 17:30, so no weekday fits: the calendar day, still in the past.
    const late = demoStartAt({ businessDaysAgo: 1, at: "17:20" }, MINUTES_15, wednesday, "UTC", [weekdays]);
    expect(late).toBe(at("2026-11-24T17:20:00Z"));
    // Someone who works only on Fridays in New York (09:00–17:30 there is 14:00–22:30 UTC).
    const fridaysInNewYork = { timezone: "America/New_York", hours: [{ day: "fri" as const, from: "09:00", to: "17:30" }] };
    expect(demoStartAt({ businessDaysAgo: 2, at: "15:00" }, MINUTES_15, wednesday, "UTC", [weekdays, fridaysInNewYork])).toBe(at("2026-11-13T15:00:00Z"));
    // A schedule without hours does not constrain: calendar days, weekends included.
    expect(demoStartAt({ businessDaysAgo: 3, at: "11:00" }, MINUTES_15, wednesday, "UTC", [{ timezone: "UTC", hours: [] }])).toBe(at("2026-11-22T11:00:00Z"));
  });

  it("is always over before the real now", () => {
    // Whatever the plan, a start is never today: a conversation as long as a day still ends before now.
    const now = at("2026-11-25T12:00:00Z");
    const start = demoStartAt({ businessDaysAgo: 1, at: "23:00" }, DAY, now, "UTC", []);
    expect(start + DAY).toBeLessThanOrEqual(now);
  });
});
