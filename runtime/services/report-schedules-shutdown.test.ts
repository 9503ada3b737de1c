/**
 * Report emails at shutdown (decision 056, as the outbox's in 042), on the app's real runtime and
 * SQLite file with a local SMTP relay standing in for the team's: disposing the runtime while the
 * relay is still answering waits for that run and records it sent, so a new runtime on the same
 * file does not send the period again; a run still going after the wait is let go, its schedule
 * left due with no try counted, and sent after the restart.
 */
import { Effect } from "effect";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportMailRenderer } from "../../app/components/reports/report-mail.server.js";
import { startup } from "../../server/startup.js";
import { relaySettings, startHoldingRelay, type HoldingRelay } from "../../tests/support/fake-relay.js";
import { startTestApp, type TestApp } from "../../tests/support/test-app.js";
import { makeAppRuntime, type AppRuntime } from "./app-layer.js";
import { Channels } from "./channels.js";
import type { AppConfigShape } from "./config.js";
import { Database, type Sqlite } from "./database.js";
import { EmailChannel } from "./email-channel.js";
import { ReportSchedules } from "./report-schedules.js";

const admin = { id: "user_admin", role: "admin" };

let relay: HoldingRelay;
let app: TestApp;
let runtime: AppRuntime;
let sqlite: Sqlite;
let channelId: string;

/** A new runtime on the same file, its loops stopped (as after a restart). */
const restart = async (config: AppConfigShape = app.config) => {
  runtime = makeAppRuntime(config, reportMailRenderer);
  (await startup(runtime, config, { print: () => undefined })).stop();
  sqlite = (await runtime.runPromise(Database)).sqlite;
};
const schedules = () => runtime.runPromise(ReportSchedules);
const row = (id: string) =>
  sqlite.prepare("SELECT next_run_at, attempts, last_status, last_period FROM report_schedules WHERE id = ?").get(id) as {
    next_run_at: number | null;
    attempts: number;
    last_status: string | null;
    last_period: string | null;
  };

/** A daily report email to the analyst named `name`, due a second ago; its id. */
const dueSchedule = async (name: string) => {
  const made = await runtime.runPromise(
    Effect.flatMap(ReportSchedules, (s) =>
      s.create(admin, { name, frequency: "daily", hour: "0", recipients: ["user_analyst"], sendChannel: channelId }),
    ),
  );
  sqlite.prepare("UPDATE report_schedules SET next_run_at = ? WHERE id = ?").run(Date.now() - 1000, made.id);
  return made.id;
};
/** Starts the schedules' loop, as the server does, and waits until the relay has `count` mails' data. */
const sendingUntil = async (count: number) => {
  (await schedules()).start(50);
  await expect.poll(() => relay.received.length, { timeout: 10_000 }).toBe(count);
};

beforeAll(async () => {
  relay = await startHoldingRelay();
  app = await startTestApp("report-schedules-shutdown");
  ({ runtime, sqlite } = app);
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Reports mail", inboxId: "inbox_support" })))).id;
  await runtime.runPromise(Effect.flatMap(EmailChannel, (e) => e.saveSettings(channelId, relaySettings("reports@acme.test", relay.port))));
});

afterAll(async () => {
  relay.answerHeld();
  await runtime.dispose();
  await relay.close();
  rmSync(app.dir, { recursive: true, force: true });
});

describe("report emails at shutdown", () => {
  it("waits for a run the relay is taking and records it sent: a new runtime on the file does not send the period again", async () => {
    relay.hold(400);
    const id = await dueSchedule("Daily while stopping");
    await sendingUntil(1);
    // The server's shutdown disposes the runtime while the relay has not answered yet.
    await runtime.dispose();
    expect(sqlite.open).toBe(false);

    await restart();
    expect(row(id)).toMatchObject({ last_status: "sent", attempts: 0 });
    expect(row(id).next_run_at!).toBeGreaterThan(Date.now());
    expect(await runtime.runPromise(Effect.flatMap(ReportSchedules, (s) => s.runDue()))).toEqual([]);
    expect(relay.received).toHaveLength(1);
  });

  it("lets a run go after the wait (SHUTDOWN_WAIT_SECONDS): still due, no try counted, sent after the restart", async () => {
    await runtime.dispose();
    await restart({ ...app.config, shutdownWaitMs: 100 });
    sqlite.prepare("DELETE FROM report_schedules").run();
    relay.hold(null);
    const id = await dueSchedule("Daily let go");
    const due = row(id).next_run_at;
    await sendingUntil(2);
    await runtime.dispose();

    await restart();
    expect(row(id)).toMatchObject({ last_status: null, attempts: 0, next_run_at: due });
    // Sent again: the one duplicate left (the relay had the data but had not answered).
    relay.hold(0);
    relay.answerHeld();
    const outcomes = await runtime.runPromise(Effect.flatMap(ReportSchedules, (s) => s.runDue()));
    expect(outcomes.map((o) => o.status)).toEqual(["sent"]);
    expect(row(id)).toMatchObject({ last_status: "sent", attempts: 0 });
    expect(relay.received).toHaveLength(3);
  });
});
