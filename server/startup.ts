/**
 * What happens before the server listens: open (and migrate) the database, seed a new
 * workspace, and start the session-timeout sweep.
 */
import { Effect } from "effect";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import { AuditLog } from "../runtime/services/audit-log.js";
import { Automation } from "../runtime/services/automation.js";
import type { AppConfigShape } from "../runtime/services/config.js";
import { Database } from "../runtime/services/database.js";
import { Deliveries } from "../runtime/services/deliveries.js";
import { EmailChannel } from "../runtime/services/email-channel.js";
import { FollowUps } from "../runtime/services/follow-ups.js";
import { Transcripts } from "../runtime/services/transcripts.js";
import { OutgoingWebhooks } from "../runtime/services/outgoing-webhooks.js";
import { Engine } from "../runtime/services/engine.js";
import { seed, type SeedOptions } from "../runtime/services/seed.js";
import { ResponseOverdue } from "../runtime/services/response-overdue.js";
import { Routing } from "../runtime/services/routing.js";
import { ReportSchedules } from "../runtime/services/report-schedules.js";
import { CalendarSubscriptions } from "../runtime/services/calendar-subscriptions.js";
import { Snoozes } from "../runtime/services/snoozes.js";

/** How often idle bot conversations are checked against their flow's session timeout. */
export const SWEEP_INTERVAL_MS = 60_000;

export interface Started {
  /** Stops the session-timeout sweep and the outbox loop (both also stop once the database is closed). */
  readonly stop: () => void;
}

export interface StartupOptions extends SeedOptions {
  readonly sweepIntervalMs?: number;
}

/** Opens and migrates the database, seeds it on first start, and starts the session-timeout sweep. */
export const startup = async (runtime: AppRuntime, _config: AppConfigShape, options: StartupOptions = {}): Promise<Started> => {
  const db = await runtime.runPromise(Database);
  await runtime.runPromise(seed(options));

  let running = false;
  const timer = setInterval(() => {
    // The runtime was disposed (shutdown): the sweep ends with it rather than call into a closed runtime.
    if (!db.sqlite.open) {
      clearInterval(timer);
      return;
    }
    if (running) return;
    running = true;
    runtime
      .runPromise(Effect.flatMap(Engine, (engine) => engine.expireIdleConversations(Date.now())))
      .catch((error: unknown) => {
        if (db.sqlite.open) console.error("Session-timeout sweep failed:", error);
      })
      .finally(() => {
        running = false;
      });
  }, options.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
  // The sweep never keeps the process alive on its own.
  timer.unref();
  // Replies to email and Messenger conversations leave through the outbox (deliveries.ts).
  const stopDeliveries = (await runtime.runPromise(Deliveries)).start();
  // Chat replies a visitor who left has not seen follow them by email (follow-ups.ts).
  const stopFollowUps = (await runtime.runPromise(FollowUps)).start();
  // Transcripts queued by visitors and agents go out by email, queued ones after a restart too (transcripts.ts).
  const stopTranscripts = (await runtime.runPromise(Transcripts)).start();
  // Email channels that fetch their team mailbox by IMAP are listened to (IDLE) or polled (email-imap.ts,
  // email-imap-idle.ts); the listening connections close with the runtime (or this stop).
  const stopImapPolling = (await runtime.runPromise(EmailChannel)).startPolling();
  // Snoozed conversations wake when their time comes; overdue ones (the server was down) at once.
  const stopSnoozes = (await runtime.runPromise(Snoozes)).start();
  // Waits past their inbox's response target are recorded once each and announced (the server was down: at once).
  const stopOverdue = (await runtime.runPromise(ResponseOverdue)).start();
  // Outgoing webhooks: new events fan out to subscriptions, due deliveries are sent (pending ones survive a restart).
  const stopWebhooks = (await runtime.runPromise(OutgoingWebhooks)).start();
  // Automation rules: new events run the enabled rules (within about a second), as the Automation user.
  const stopAutomation = (await runtime.runPromise(Automation)).start();
  // Conversations queued for a closed team are assigned when the team opens (its hours; decision 048).
  const stopRouting = (await runtime.runPromise(Routing)).start();
  // Audit log lines older than the workspace's retention are deleted, hourly, in short writes (none when kept forever).
  const stopAuditRetention = (await runtime.runPromise(AuditLog)).start();
  // Report emails go out at their hour; a run missed while the server was down goes once, at once (decision 056).
  const stopReportSchedules = (await runtime.runPromise(ReportSchedules)).start();
  // Subscribed calendars are read again every 6 hours; one due while the server was down, at once (decision 057).
  const stopCalendarSubscriptions = (await runtime.runPromise(CalendarSubscriptions)).start();
  return {
    stop: () => {
      clearInterval(timer);
      stopDeliveries();
      stopFollowUps();
      stopTranscripts();
      stopImapPolling();
      stopSnoozes();
      stopOverdue();
      stopWebhooks();
      stopAutomation();
      stopAuditRetention();
      stopRouting();
      stopReportSchedules();
      stopCalendarSubscriptions();
    },
  };
};
