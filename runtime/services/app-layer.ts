/**
 * The application's Effect layer: every service the server and the Remix app use, built
 * once at start into one ManagedRuntime (server/index.ts) and disposed on shutdown.
 * Add a service here when it joins the app.
 */
import { Layer, ManagedRuntime } from "effect";
import * as Accounts from "./accounts.js";
import * as ApiTokens from "./api-tokens.js";
import * as AuditLog from "./audit-log.js";
import * as Automation from "./automation.js";
import * as BreachFollowUp from "./breach-follow-up.js";
import * as ChannelDirectory from "./channel-directory.js";
import * as Channels from "./channels.js";
import * as Chatflows from "./chatflows.js";
import { CodeSandboxLive } from "./code-sandbox.js";
import * as Config from "./config.js";
import * as ContactCsv from "./contact-csv.js";
import * as ContactLists from "./contact-lists.js";
import * as ContactMerge from "./contact-merge.js";
import * as ContactPrivacy from "./contact-privacy.js";
import * as Contacts from "./contacts.js";
import * as Db from "./database.js";
import * as Deliveries from "./deliveries.js";
import * as EmailChannel from "./email-channel.js";
import * as FollowUps from "./follow-ups.js";
import * as Transcripts from "./transcripts.js";
import * as Engine from "./engine.js";
import * as FormChannel from "./form-channel.js";
import * as Inbox from "./inbox.js";
import * as InboxBulk from "./inbox-bulk.js";
import * as Knowledge from "./knowledge.js";
import * as Labels from "./labels.js";
import * as LiveEvents from "./live-events.js";
import * as MessengerChannel from "./messenger-channel.js";
import * as OutgoingWebhooks from "./outgoing-webhooks.js";
import * as OutsideConversations from "./outside-conversations.js";
import * as Ratings from "./ratings.js";
import * as Reports from "./reports.js";
import * as ReportSchedules from "./report-schedules.js";
import * as ReplyTime from "./reply-time.js";
import * as AutomationReports from "./automation-report.js";
import * as CalendarFeed from "./calendar-feed.js";
import * as CalendarImport from "./calendar-import.js";
import * as CalendarSubscriptions from "./calendar-subscriptions.js";
import * as Routing from "./routing.js";
import * as Macros from "./macros.js";
import * as SavedReplies from "./saved-replies.js";
import * as Presence from "./presence.js";
import * as ResponseOverdue from "./response-overdue.js";
import * as Snoozes from "./snoozes.js";
import * as Tickets from "./tickets.js";
import * as TwoFactor from "./two-factor.js";
import * as Visitors from "./visitors.js";
import { makeWebhookClientLayer, WebhookClientLive } from "./webhook-client.js";
import * as Workspace from "./workspace.js";

/**
 * The app's layer. `reportMail` writes the report emails (decision 056): the server gives the
 * app's report tables (app/components/reports/report-mail.server.ts), which runtime/ cannot
 * import; without it (command-line tools, tests that send none) a report email cannot be written.
 */
export const makeAppLayer = (config: Config.AppConfigShape, reportMail: ReportSchedules.ReportMailRendererShape = ReportSchedules.noRenderer) => {
  const base = Layer.mergeAll(
    Config.layer(config),
    Db.layer({ path: config.databasePath, synchronous: "FULL" }),
    LiveEvents.layer,
  );
  const accounts = Accounts.layer;
  // Webhooks and code snippets run through these; the engine feeds their results back to the flow.
  const actions = Engine.actionsLayer.pipe(Layer.provide(Layer.mergeAll(WebhookClientLive, CodeSandboxLive)));
  // One Routing (layers are memoised by reference): the engine routes handoffs with it, Workspace drains its queue.
  const routing = Routing.layer;
  const engine = Engine.layer.pipe(Layer.provide(actions), Layer.provide(Chatflows.layer), Layer.provide(routing));
  // The outside channels (email, Messenger, forms) share one outbox and one way of opening conversations.
  const deliveries = Deliveries.layer;
  // The inbox replies through the same Engine, assigns through the same Routing, and wakes the same outbox.
  const inbox = Inbox.layer.pipe(Layer.provide(engine), Layer.provide(routing), Layer.provide(deliveries));
  const outside = OutsideConversations.layer.pipe(Layer.provide(routing));
  const channelServices = Layer.mergeAll(
    engine,
    routing,
    inbox,
    deliveries,
    outside,
    Channels.layer,
    Chatflows.layer,
    Contacts.layer,
    Tickets.layer,
    Visitors.layer,
  );
  const reports = Reports.layer.pipe(Layer.provide(Chatflows.layer));
  // Outgoing webhooks and calendar URLs are fetched with the webhook node's client; private
  // addresses follow WEBHOOKS_ALLOW_PRIVATE_NETWORKS when it is set, else the client's default.
  const outsideClient =
    config.webhooksAllowPrivateNetworks === undefined ? WebhookClientLive : makeWebhookClientLayer({ allowPrivateNetworks: config.webhooksAllowPrivateNetworks });
  // Bulk actions run the inbox's and the snoozes' single actions, on the same instances.
  const inboxBulk = InboxBulk.layer.pipe(Layer.provide(inbox), Layer.provide(Snoozes.layer));
  const emailChannel = EmailChannel.emailChannelLayer.pipe(Layer.provide(channelServices));
  const workspace = Workspace.layer.pipe(Layer.provide(routing));
  const calendarImport = CalendarImport.layer.pipe(Layer.provide(outsideClient));
  return Layer.mergeAll(
    accounts,
    // Two-factor sign-in counts wrong codes on the same Accounts instance's throttles.
    TwoFactor.layer.pipe(Layer.provide(accounts)),
    // Tokens act as their user: the same Accounts reads the user on every REST request.
    ApiTokens.layer.pipe(Layer.provide(accounts)),
    AuditLog.layer,
    ChannelDirectory.layer,
    Channels.layer,
    Chatflows.layer,
    engine,
    Visitors.layer,
    routing,
    workspace,
    inbox,
    inboxBulk,
    // Following up missed response targets from the breaches list: the same bulk action, labels, comments and judgement.
    BreachFollowUp.layer.pipe(Layer.provide(inboxBulk), Layer.provide(inbox), Layer.provide(Labels.layer), Layer.provide(reports)),
    Contacts.layer,
    ContactLists.layer,
    ContactCsv.layer,
    ContactMerge.layer,
    ContactPrivacy.layer,
    Tickets.layer,
    SavedReplies.layer,
    Labels.layer,
    // Macros run the thread's single actions (reply, labels, assignment, status, snooze, comment), on the same instances.
    Macros.layer.pipe(Layer.provide(inbox), Layer.provide(Labels.layer), Layer.provide(Snoozes.layer)),
    Snoozes.layer,
    // Waits that fell overdue are recorded once and announced (decision 039).
    ResponseOverdue.layer,
    Presence.layer,
    Knowledge.layer,
    Ratings.layer,
    reports,
    // How soon each inbox's team usually replies, for the widget's heading (decision 050).
    ReplyTime.layer,
    // What each rule did over a range: the reports' own range and filters.
    AutomationReports.layer.pipe(Layer.provide(reports)),
    // Rules act through the same single actions (inbox, labels, snoozes, routing) and read the reports' business hours.
    Automation.layer.pipe(Layer.provide(inbox), Layer.provide(Labels.layer), Layer.provide(Snoozes.layer), Layer.provide(routing), Layer.provide(reports)),
    deliveries,
    outside,
    emailChannel,
    // Chat replies a visitor did not see go out by email through the same email channel service.
    FollowUps.layer.pipe(Layer.provide(emailChannel)),
    // Chat transcripts asked for by visitors or sent by agents go the same way (decision 043).
    Transcripts.layer.pipe(Layer.provide(emailChannel)),
    // Report emails: the reports' own figures, written by the app's tables, sent through a team email (decision 056).
    ReportSchedules.layer.pipe(Layer.provide(emailChannel), Layer.provide(reports), Layer.provide(ReportSchedules.rendererLayer(reportMail))),
    MessengerChannel.messengerChannelLayer.pipe(Layer.provide(channelServices)),
    FormChannel.formChannelLayer.pipe(Layer.provide(channelServices)),
    OutgoingWebhooks.layer.pipe(Layer.provide(outsideClient)),
    // Closed dates from a calendar URL (decision 052).
    calendarImport,
    // Calendar URLs the closed dates follow, read again every 6 hours (decision 057): written through the lists' own write paths.
    CalendarSubscriptions.layer.pipe(Layer.provide(calendarImport), Layer.provide(reports), Layer.provide(workspace), Layer.provide(routing)),
    // The secret calendar feed of closed dates (decision 052).
    CalendarFeed.layer,
  ).pipe(Layer.provideMerge(base));
};

export type AppLayer = ReturnType<typeof makeAppLayer>;
export type AppServices = Layer.Layer.Success<AppLayer>;
export type AppRuntime = ManagedRuntime.ManagedRuntime<AppServices, never>;

/** Builds the app's runtime; dispose it on shutdown to close the database. */
export const makeAppRuntime = (config: Config.AppConfigShape, reportMail?: ReportSchedules.ReportMailRendererShape): AppRuntime =>
  ManagedRuntime.make(makeAppLayer(config, reportMail)) as AppRuntime;
