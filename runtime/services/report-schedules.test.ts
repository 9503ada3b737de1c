/**
 * Report emails (decision 056) on the app's real runtime and SQLite file, with a local SMTP relay
 * standing in for the team's: a due schedule sends one mail with the agents' CSV and moves on; a
 * relay that cannot be reached is retried for the same period; no channel that can send skips the
 * run with why; bad input is refused with its field and nothing is stored; a new runtime on the
 * file does not send a recorded period again; a run missed for days runs once.
 */
import { Effect, Either } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reportMailRenderer } from "../../app/components/reports/report-mail.server.js";
import { startup } from "../../server/startup.js";
import { relaySettings, startFakeRelay, type FakeRelay } from "../../tests/support/fake-relay.js";
import { startTestApp, type TestApp } from "../../tests/support/test-app.js";
import { makeAppRuntime, type AppRuntime } from "./app-layer.js";
import { Channels } from "./channels.js";
import { Database, type Sqlite } from "./database.js";
import { EmailChannel } from "./email-channel.js";
import { makeReportSchedules, ReportSchedules, type ReportScheduleInput } from "./report-schedules.js";
import { Reports } from "./reports.js";
import { nextRunAfter } from "../core/report-schedule.js";

let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let relay: FakeRelay;
let sendingChannel: string;
let silentChannel: string;
let unreachableChannel: string;
const admin = { id: "user_admin", role: "admin" };
const analyst = { id: "user_analyst", role: "analyst" };
const agent = { id: "user_agent", role: "agent" };

const run = <A, E>(f: (s: Effect.Effect.Success<typeof ReportSchedules>) => Effect.Effect<A, E>) => runtime.runPromise(Effect.either(Effect.flatMap(ReportSchedules, f)));
const ok = async <A, E>(f: (s: Effect.Effect.Success<typeof ReportSchedules>) => Effect.Effect<A, E>): Promise<A> => {
  const result = await run(f);
  if (Either.isLeft(result)) throw new Error(JSON.stringify(result.left));
  return result.right;
};

const weekly = (over: Partial<Record<keyof ReportScheduleInput, unknown>> = {}): Record<string, unknown> => ({
  name: "Weekly support",
  frequency: "weekly",
  weekday: "1",
  hour: "8",
  recipients: ["user_admin", "user_analyst"],
  sendChannel: sendingChannel,
  ...over,
});

const row = (id: string) =>
  sqlite.prepare("SELECT next_run_at, retry_at, attempts, last_status, last_reason, last_error, last_period FROM report_schedules WHERE id = ?").get(id) as {
    next_run_at: number | null;
    retry_at: number | null;
    attempts: number;
    last_status: string | null;
    last_reason: string | null;
    last_error: string | null;
    last_period: string | null;
  };

/** Makes the schedule's run due now (its time moved to `ago` ms before now). */
const dueAgo = (id: string, ago = 1000) => sqlite.prepare("UPDATE report_schedules SET next_run_at = ? WHERE id = ?").run(Date.now() - ago, id);
const runDue = () => ok((s) => s.runDue());

beforeAll(async () => {
  relay = await startFakeRelay();
  app = await startTestApp("report-schedules", { PUBLIC_URL: "https://parley.acme.test" });
  ({ runtime, sqlite } = app);
  const channel = async (name: string, address: string, port: number | null) => {
    const id = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name, inboxId: "inbox_support" })))).id;
    await runtime.runPromise(Effect.flatMap(EmailChannel, (e) => e.saveSettings(id, relaySettings(address, port))));
    return id;
  };
  sendingChannel = await channel("Reports mail", "reports@acme.test", relay.port);
  silentChannel = await channel("No relay mail", "norelay@acme.test", null);
  // A relay that is not there: nothing listens on a port just closed.
  const gone = await startFakeRelay();
  await gone.close();
  unreachableChannel = await channel("Down mail", "down@acme.test", gone.port);
});

afterAll(async () => {
  // The runtime of the last restart (app.dispose would close the first one again).
  await runtime.dispose();
  rmSync(app.dir, { recursive: true, force: true });
  await relay.close();
});

beforeEach(() => {
  relay.relayed.length = 0;
  sqlite.prepare("DELETE FROM report_schedules").run();
});

describe("keeping report emails", () => {
  it("refuses bad input with each field's path and stores nothing, not even an audit line", async () => {
    const auditBefore = (sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'report_schedule.%'").get() as { n: number }).n;
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [weekly({ name: "  " }), "name", /name/],
      [weekly({ frequency: "monthly" }), "frequency", /daily or weekly/],
      [weekly({ hour: "24" }), "hour", /hour from 0 to 23/],
      [weekly({ hour: "eight" }), "hour", /hour from 0 to 23/],
      [weekly({ weekday: "8" }), "weekday", /weekday/],
      [weekly({ weekday: undefined }), "weekday", /needs its weekday/],
      [weekly({ recipients: [] }), "recipients", /at least one/],
      // An agent cannot read reports; an address is not a user.
      [weekly({ recipients: ["user_admin", "user_agent"] }), "recipients[1]", /admins and analysts/],
      [weekly({ recipients: ["boss@elsewhere.test"] }), "recipients[0]", /admins and analysts/],
      [weekly({ sendChannel: "chan_website" }), "sendChannel", /team email/],
      [weekly({ inbox: "inbox_nope" }), "inbox", /no inbox/],
      [weekly({ hours: "night" }), "hours", /business/],
    ];
    for (const [input, path, message] of cases) {
      const result = await run((s) => s.create(admin, input));
      expect(Either.isLeft(result), path).toBe(true);
      if (Either.isLeft(result)) {
        const issues = result.left._tag === "InvalidInput" ? result.left.issues : [];
        expect(issues.find((i) => i.path === path)?.message, `${path}: ${JSON.stringify(issues)}`).toMatch(message);
      }
    }
    expect((sqlite.prepare("SELECT count(*) AS n FROM report_schedules").get() as { n: number }).n).toBe(0);
    expect((sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE action LIKE 'report_schedule.%'").get() as { n: number }).n).toBe(auditBefore);
  });

  it("is for admins and analysts only", async () => {
    const result = await run((s) => s.create(agent, weekly()));
    expect(Either.isLeft(result) && result.left._tag).toBe("Forbidden");
    const made = await ok((s) => s.create(analyst, weekly({ name: "Analyst's" })));
    expect(made.name).toBe("Analyst's");
  });

  it("adds, changes, pauses, resumes and deletes, one audit line each, and works out the next run", async () => {
    const before = Date.now();
    const made = await ok((s) => s.create(admin, weekly({ inbox: "inbox_support", includeBots: "on" })));
    expect(made).toMatchObject({ cadence: "Every Monday at 08:00", filters: { inbox: "inbox_support" }, includeBots: true, paused: false, last: null });
    expect(made.recipients.map((r) => r.id)).toEqual(["user_admin", "user_analyst"]);
    // The workspace's zone (UTC in a new one) and the next Monday 08:00 after now.
    expect(made.nextRunAt).toBe(nextRunAfter({ frequency: "weekly", weekday: 1, hour: 8 }, "UTC", made.createdAt));
    expect(made.nextRunAt!).toBeGreaterThan(before);
    const changed = await ok((s) => s.update(admin, made.id, weekly({ frequency: "daily", hour: "6", name: "Daily support" })));
    expect(changed).toMatchObject({ cadence: "Every day at 06:00", name: "Daily support", includeBots: false });
    const paused = await ok((s) => s.setPaused(admin, made.id, true));
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    const resumed = await ok((s) => s.setPaused(admin, made.id, false));
    expect(resumed.nextRunAt).not.toBeNull();
    await ok((s) => s.remove(admin, made.id));
    expect(await ok((s) => s.list(admin))).toEqual([]);
    const missing = await run((s) => s.remove(admin, made.id));
    expect(Either.isLeft(missing) && missing.left._tag).toBe("NotFound");
    const actions = (
      sqlite.prepare("SELECT action FROM audit_log WHERE target_id = ? ORDER BY id").all(made.id) as Array<{ action: string }>
    ).map((a) => a.action);
    expect(actions).toEqual([
      "report_schedule.created",
      "report_schedule.updated",
      "report_schedule.paused",
      "report_schedule.resumed",
      "report_schedule.deleted",
    ]);
  });
});

describe("running report emails", () => {
  it("sends a due schedule once with the agents' CSV, records it sent and moves to the next run", async () => {
    const made = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0" })));
    dueAgo(made.id);
    const outcomes = await runDue();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.status).toBe("sent");
    expect(relay.relayed).toHaveLength(1);
    const { to, mail } = relay.relayed[0]!;
    expect(to.sort()).toEqual(["admin@parley.local", "analyst@parley.local"]);
    const period = outcomes[0]!.period;
    expect(mail.subject).toBe(`Weekly support: team report, ${period.from}`);
    expect(mail.text).toContain("Conversations");
    expect(mail.text).toContain(`https://parley.acme.test/reports/team?range=custom&from=${period.from}&to=${period.to}`);
    expect(mail.html).toContain(`<a href="https://parley.acme.test/reports/team?range=custom&amp;from=${period.from}`);
    expect(mail.attachments).toHaveLength(1);
    expect(mail.attachments[0]!.filename).toBe(`parley-team-agents-${period.from}.csv`);
    expect(mail.attachments[0]!.content.toString("utf8")).toContain("Agent,Conversations assigned,Replies sent");
    const after = row(made.id);
    expect(after).toMatchObject({ last_status: "sent", last_reason: null, attempts: 0, retry_at: null, last_period: period.from });
    expect(after.next_run_at!).toBeGreaterThan(Date.now());
    // Nothing more is due.
    expect(await runDue()).toEqual([]);
    expect(relay.relayed).toHaveLength(1);
  });

  it("a period sent again (a crash before its record) carries the same Message-ID", async () => {
    const made = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0" })));
    const due = Date.now() - 1000;
    sqlite.prepare("UPDATE report_schedules SET next_run_at = ? WHERE id = ?").run(due, made.id);
    await runDue();
    // As if the record had not been written: the same run is due again.
    sqlite.prepare("UPDATE report_schedules SET next_run_at = ?, last_status = NULL WHERE id = ?").run(due, made.id);
    await runDue();
    expect(relay.relayed).toHaveLength(2);
    expect(relay.relayed[0]!.mail.messageId).toBeTruthy();
    expect(relay.relayed[1]!.mail.messageId).toBe(relay.relayed[0]!.mail.messageId);
  });

  it("runs a schedule missed for days once, for the latest period, not once per missed day", async () => {
    const made = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0" })));
    dueAgo(made.id, 10 * 86_400_000);
    const outcomes = await runDue();
    expect(outcomes.map((o) => o.status)).toEqual(["sent"]);
    // Today's 00:00 UTC run covers yesterday.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    expect(outcomes[0]!.period).toEqual({ from: yesterday, to: yesterday });
    expect(await runDue()).toEqual([]);
    expect(relay.relayed).toHaveLength(1);
  });

  it("retries a relay it cannot reach for the same period, then sends it", async () => {
    const made = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0", sendChannel: unreachableChannel })));
    dueAgo(made.id);
    const scheduled = row(made.id).next_run_at;
    const [first] = await runDue();
    expect(first!.status).toBe("retrying");
    const retrying = row(made.id);
    expect(retrying).toMatchObject({ attempts: 1, last_status: null, next_run_at: scheduled });
    expect(retrying.last_error).toMatch(/could not reach the mail relay/);
    expect(retrying.retry_at!).toBeGreaterThan(Date.now());
    // Not due again before its retry time.
    expect(await runDue()).toEqual([]);
    const listed = (await ok((s) => s.list(admin))).find((s) => s.id === made.id)!;
    expect(listed.retry).toMatchObject({ attempts: 1 });
    // The relay is back (the channel points at one that answers) and the retry falls due.
    sqlite.prepare("UPDATE report_schedules SET channel_id = ?, retry_at = ? WHERE id = ?").run(sendingChannel, Date.now() - 1, made.id);
    const [second] = await runDue();
    expect(second).toMatchObject({ status: "sent", period: first!.period });
    expect(row(made.id)).toMatchObject({ attempts: 0, retry_at: null, last_status: "sent", last_error: null });
    expect(row(made.id).next_run_at!).toBeGreaterThan(Date.now());
  });

  it("skips the run with the reason when its team email cannot send, and moves on", async () => {
    const made = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0", sendChannel: silentChannel })));
    dueAgo(made.id);
    const [outcome] = await runDue();
    expect(outcome!.status).toBe("skipped");
    expect(outcome!.reason).toMatch(/No relay mail.*no outgoing relay/);
    expect(row(made.id)).toMatchObject({ last_status: "skipped", attempts: 0 });
    expect(row(made.id).next_run_at!).toBeGreaterThan(Date.now());
    expect(relay.relayed).toHaveLength(0);
  });

  it("skips the run when none of its recipients may read reports any more", async () => {
    const made = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0", recipients: ["user_analyst"] })));
    sqlite.prepare("UPDATE users SET role = 'agent' WHERE id = 'user_analyst'").run();
    try {
      dueAgo(made.id);
      const [outcome] = await runDue();
      expect(outcome).toMatchObject({ status: "skipped" });
      expect(outcome!.reason).toMatch(/recipients/);
      expect(relay.relayed).toHaveLength(0);
    } finally {
      sqlite.prepare("UPDATE users SET role = 'analyst' WHERE id = 'user_analyst'").run();
    }
  });

  it("does not run a paused schedule; Send now sends it as a test and leaves its next run", async () => {
    const made = await ok((s) => s.create(admin, weekly({ paused: "on" })));
    expect(made.nextRunAt).toBeNull();
    expect(await runDue()).toEqual([]);
    const outcome = await ok((s) => s.sendNow(admin, made.id));
    expect(outcome.status).toBe("sent");
    expect(relay.relayed).toHaveLength(1);
    expect(row(made.id)).toMatchObject({ last_status: "sent", next_run_at: null });
    const forbidden = await run((s) => s.sendNow(agent, made.id));
    expect(Either.isLeft(forbidden) && forbidden.left._tag).toBe("Forbidden");
  });

  it("a schedule whose mail cannot be written fails alone: the others due send", async () => {
    const broken = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0", name: "A broken one" })));
    const fine = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0", name: "B fine one" })));
    dueAgo(broken.id, 2000);
    dueAgo(fine.id, 1000);
    // The same services, with words that break on one schedule (a bug standing in).
    const schedules = await runtime.runPromise(
      Effect.gen(function* () {
        return makeReportSchedules({
          db: yield* Database,
          reports: yield* Reports,
          email: yield* EmailChannel,
          publicUrl: "https://parley.acme.test",
          renderer: {
            render: (input) => {
              if (input.scheduleName === "A broken one") throw new Error("no words for this one");
              return reportMailRenderer.render(input);
            },
          },
        });
      }),
    );
    const outcomes = await runtime.runPromise(schedules.runDue());
    expect(outcomes.map((o) => o.status)).toEqual(["failed", "sent"]);
    expect(row(broken.id)).toMatchObject({ last_status: "failed" });
    expect(row(broken.id).last_reason).toMatch(/could not be written: Error: no words for this one/);
    expect(row(broken.id).next_run_at!).toBeGreaterThan(Date.now());
    expect(relay.relayed.map((r) => r.mail.subject)).toEqual([expect.stringMatching(/^B fine one: team report/)]);
  });

  it("a new runtime on the same file does not send a period already recorded", async () => {
    const made = await ok((s) => s.create(admin, weekly({ frequency: "daily", hour: "0" })));
    dueAgo(made.id);
    await runDue();
    expect(relay.relayed).toHaveLength(1);
    // The server restarts: its start runs what is due (nothing), as startup does.
    await runtime.dispose();
    runtime = makeAppRuntime(app.config, reportMailRenderer);
    const started = await startup(runtime, app.config, { print: () => undefined });
    sqlite = (await runtime.runPromise(Database)).sqlite;
    expect(await runDue()).toEqual([]);
    started.stop();
    expect(relay.relayed).toHaveLength(1);
    expect(row(made.id).last_status).toBe("sent");
  });
});
