/**
 * THE one module through which the Remix app reaches runtime/: it runs Effects on the
 * ManagedRuntime the server built at start (`context.runtime`) and turns expected failures
 * (tagged errors) into HTTP responses with the status of `toHttpError`.
 * Routes import services and types from here, never from runtime/ directly.
 */
import type { AppLoadContext } from "@remix-run/node";
import { Cause, Effect, Exit, Option } from "effect";
import type { AppServices } from "../runtime/services/app-layer.js";
import { asAuditActor } from "../runtime/services/audit-log.js";
import { toHttpError, type ApiError, type ErrorBody } from "../runtime/services/errors.js";

export { Accounts, WRONG_CREDENTIALS, roles } from "../runtime/services/accounts.js";
export { TwoFactor, TOTP_ISSUER } from "../runtime/services/two-factor.js";
export type { SecondFactorProof, TwoFactorSetup, TwoFactorStatus } from "../runtime/services/two-factor.js";
export type { Availability, Role, User } from "../runtime/services/accounts.js";
export { AppConfig } from "../runtime/services/config.js";
export {
  AUDIT_ACTIONS,
  AUDIT_CATEGORIES,
  AUDIT_PAGE_SIZE,
  AUDIT_RETENTION_MAX_DAYS,
  AUDIT_RETENTION_MIN_DAYS,
  AuditLog,
  auditQueryFrom,
} from "../runtime/services/audit-log.js";
export type { AuditCategory, AuditEntry, AuditPage } from "../runtime/services/audit-log.js";
export { ApiTokens, tokenExpiryDays, MAX_TOKEN_NAME } from "../runtime/services/api-tokens.js";
export type { ApiTokenSummary } from "../runtime/services/api-tokens.js";
export { Forbidden, InvalidInput, methodNotAllowedBody, NotFound } from "../runtime/services/errors.js";
export { ChannelDirectory } from "../runtime/services/channel-directory.js";
export type { ChannelSummary } from "../runtime/services/channel-directory.js";
export { Channels, launcherPositions, MAX_ALLOWED_ORIGINS } from "../runtime/services/channels.js";
export type { ChannelDetails, ChannelListItem, ChatBranding, ChatSettings, LauncherPosition } from "../runtime/services/channels.js";
export { Chatflows } from "../runtime/services/chatflows.js";
export type {
  ChangeSummary,
  ChatflowOverview,
  ChatflowRow,
  PreviewState,
  TeamCalendar,
  VersionHistoryEntry,
} from "../runtime/services/chatflows.js";
export { Engine } from "../runtime/services/engine.js";
export type { ApiMessage, ConversationStatus } from "../runtime/services/engine.js";
export type { AwaitedInput } from "../runtime/core/types.js";
export { Visitors } from "../runtime/services/visitors.js";
export { Routing, routingModes, MAX_OPEN_PER_AGENT_LIMIT, LANGUAGE_WAIT_LIMIT_MINUTES } from "../runtime/services/routing.js";
export type { Assignment, QueueStat, RouteTarget, RoutingConfig } from "../runtime/services/routing.js";
export { Workspace, DEFAULT_NOTIFICATIONS } from "../runtime/services/workspace.js";
export type { EmailFilters, Inbox, NotificationSettings, Profile, Team, WorkingHours } from "../runtime/services/workspace.js";
export type { ResponseTargets, Owed, DueState, DueLevel } from "../runtime/core/response-targets.js";
export { languagesOfText } from "../runtime/core/language-tags.js";
// The inbox's services. `InboxService` because `Inbox` above is Workspace's inbox settings.
export { Inbox as InboxService, decodeConversationFilter, filterFromSearchParams, inboxEventFrame, inboxViews } from "../runtime/services/inbox.js";
export { Snoozes, SNOOZE_MAX_AHEAD_MS } from "../runtime/services/snoozes.js";
export { Presence, PRESENCE_HEARTBEAT_MS, type Viewer } from "../runtime/services/presence.js";
export type {
  CommentResult,
  ConversationList,
  ConversationSummary,
  InboxEvent,
  InboxOptions,
  InboxView,
  Person,
  Thread,
  ThreadMessage,
  VisitorFacts,
} from "../runtime/services/inbox.js";
export { InboxBulk, type BulkAction, type BulkOutcome } from "../runtime/services/inbox-bulk.js";
export {
  BreachFollowUp,
  FOLLOW_UP_LIST_MAX,
  FOLLOW_UP_MAX,
  FOLLOW_UP_NOTE_MAX,
  type FollowUpOutcome,
  type FollowUpSkipped,
} from "../runtime/services/breach-follow-up.js";
export { Contacts } from "../runtime/services/contacts.js";
export { ContactLists } from "../runtime/services/contact-lists.js";
export { ContactMerge } from "../runtime/services/contact-merge.js";
export type { DuplicateReason, MergePlan, PossibleDuplicate } from "../runtime/services/contact-merge.js";
export { ContactPrivacy } from "../runtime/services/contact-privacy.js";
export { ContactCsv, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from "../runtime/services/contact-csv.js";
export type { ImportPreview, ImportResult } from "../runtime/services/contact-csv.js";
// The outside channels: each module prefixes what it exports (Email…, Messenger…, Form…).
export * from "../runtime/services/email-channel.js";
export * from "../runtime/services/messenger-channel.js";
export * from "../runtime/services/form-channel.js";
export { holidayCountries, holidayRegions } from "../runtime/services/public-holidays.js";
export { Deliveries } from "../runtime/services/deliveries.js";
export { FollowUps, type ConversationFollowUps, type FollowUpEmail } from "../runtime/services/follow-ups.js";
export { Transcripts, type TranscriptEmail } from "../runtime/services/transcripts.js";
export { Ratings, RATING_COMMENT_MAX, type Rating, type RatingState } from "../runtime/services/ratings.js";
export { readCapped } from "../runtime/services/read-capped.js";
// The limits of an email reply's files and the check naming the first file past them: one rule for the composer, the upload and the service.
export {
  attachmentReplyLimits,
  attachmentReplyLimitsFor,
  attachmentReplyRefusal,
  type AttachmentRefusal,
  type AttachmentReplyVia,
} from "../runtime/services/attachments.js";
export type { DeliveryStatus } from "../runtime/services/deliveries.js";
export type { ContactListSummary, ContactMembership, EmailConsent } from "../runtime/services/contact-lists.js";
export type { Contact, ContactCreated, ContactHistory, ContactListItem, OwnerOption } from "../runtime/services/contacts.js";
export { Tickets, ticketPriorities, ticketStatuses } from "../runtime/services/tickets.js";
export type { Ticket, TicketList, TicketPriority, TicketStatus } from "../runtime/services/tickets.js";
export { Macros, macroActionTypes, macroSnoozePresets, MAX_MACRO_ACTIONS, type Macro, type MacroAction, type MacroOutcome } from "../runtime/services/macros.js";
export { SavedReplies } from "../runtime/services/saved-replies.js";
export {
  Automation,
  AUTOMATION_TRIGGER_LABELS,
  AUTOMATION_TRIGGERS,
  CHANNEL_KINDS,
  MAX_RULE_ACTIONS,
  MAX_RULE_CONDITIONS,
  MISSED_TARGETS,
  isTimeTrigger,
  TIME_TRIGGER_PHRASES,
  WAIT_UNITS,
  waitWords,
  type AutomationRule,
  type AutomationRun,
  type AutomationTrigger,
  type RuleAction,
  type RuleCondition,
  type RulePreview,
} from "../runtime/services/automation.js";
export { OutgoingWebhooks, WEBHOOK_EVENT_LABELS, WEBHOOK_EVENT_TYPES, WEBHOOK_LOG_SIZE } from "../runtime/services/outgoing-webhooks.js";
export type { WebhookDelivery, WebhookEventType, WebhookSubscription, WebhookSubscriptionDetails } from "../runtime/services/outgoing-webhooks.js";
export { Labels, labelColors, MAX_LABEL_DESCRIPTION, MAX_LABEL_NAME } from "../runtime/services/labels.js";
export type { Label, LabelChip, LabelColor } from "../runtime/services/labels.js";
export { articlePath, Knowledge, MAX_BODY_BYTES, MAX_TITLE } from "../runtime/services/knowledge.js";
export { renderArticleHtml } from "../runtime/services/knowledge-markdown.js";
export type { Article, ArticleList, ArticleListItem, ArticleStatus, KnowledgeHit, PublishedArticle } from "../runtime/services/knowledge.js";
export type { SavedReply } from "../runtime/services/saved-replies.js";
export { BREACH_PAGE_MAX, Reports } from "../runtime/services/reports.js";
export { CalendarImport, MAX_CALENDAR_BYTES } from "../runtime/services/calendar-import.js";
export { mergeClosedDates } from "../runtime/services/calendar-import.js";
export { CalendarSubscriptions, type CalendarSubscription, type SyncOutcome } from "../runtime/services/calendar-subscriptions.js";
export { CalendarFeed } from "../runtime/services/calendar-feed.js";
export type { CalendarDates, CalendarSkip } from "../runtime/services/calendar-import.js";
export { AutomationReports, RULE_CONVERSATIONS_MAX } from "../runtime/services/automation-report.js";
export { MAX_REPORT_RECIPIENTS, MAX_SCHEDULE_NAME, ReportSchedules } from "../runtime/services/report-schedules.js";
export type {
  ReportMailInput,
  ReportMailRendered,
  ReportMailRendererShape,
  ReportSchedule,
  ReportScheduleOptions,
  RunOutcome,
} from "../runtime/services/report-schedules.js";
export { WEEKDAY_NAMES as SCHEDULE_WEEKDAYS } from "../runtime/core/report-schedule.js";
export { escapeHtml } from "../runtime/services/form-html.js";
export type { AutomationReport, AutomationReportQuery, RuleActionCounts, RuleActionKind, RuleConversations, RuleReportRow } from "../runtime/services/automation-report.js";
export { BREACH_SORT_KEYS, breachSortParam, DEFAULT_BREACH_SORT } from "../runtime/core/breach-order.js";
export type { BreachSort, BreachSortKey, SortDirection } from "../runtime/core/breach-order.js";
export type {
  AgentRow,
  LabelReportRow,
  InboxTargetRow,
  TargetShare,
  ArmReport,
  BotOverview,
  FlowOverlay,
  FlowReport,
  NodeReport,
  ReportOptions,
  ReportQuery,
  TeamReport,
  Breach,
  BreachPage,
  BreachQuery,
  VersionOutcomes,
  VolumeRow,
} from "../runtime/services/reports.js";
export type { DecodeIssue } from "../flows/decode.js";
export type { ApiError, ErrorBody };

const apiErrorTags: ReadonlySet<string> = new Set<ApiError["_tag"]>([
  "InvalidInput",
  "Unauthenticated",
  "Forbidden",
  "NotFound",
  "Conflict",
  "PayloadTooLarge",
  "RateLimited",
]);

/** True for the tagged errors that have an HTTP status. Pure. */
export const isApiError = (error: unknown): error is ApiError =>
  typeof error === "object" && error !== null && apiErrorTags.has((error as { _tag?: unknown })._tag as string);

/**
 * An expected failure as a response to throw: status, `{"error":…}` JSON body, headers. Pure.
 * A real Response (not `data()`): Remix hands it to the error boundary on pages, and returns it
 * as is from resource routes instead of logging it as a server error.
 */
export const errorResponse = (error: ApiError): Response => {
  const http = toHttpError(error);
  return Response.json(http.body, { status: http.status, headers: http.headers });
};

/** The signed-in user of each request (its load context), as `getSignedIn` found them: who the audit log names. */
const signedInUsers = new WeakMap<AppLoadContext, string>();

/** Remembers who is signed in for this request, so what its Effects change is recorded as theirs. */
export const rememberSignedIn = (context: AppLoadContext, userId: string): void => {
  signedInUsers.set(context, userId);
};

/** `effect` as the request's user (none before sign-in), from its address, by way of the app. */
const asRequest = <A, E>(context: AppLoadContext, effect: Effect.Effect<A, E, AppServices>) =>
  asAuditActor({ userId: signedInUsers.get(context) ?? null, via: "app", ip: context.clientIp ?? null })(effect);

/** The outcome of `attempt`: the value, or an expected failure with its status and body. */
export type Attempt<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly status: number; readonly error: ErrorBody["error"]; readonly cause: ApiError };

/**
 * Runs `effect` on the app's runtime. Expected failures come back as values (for forms that
 * show them next to the fields); anything else — a defect or an unmapped error — is thrown
 * and becomes a 500 page.
 */
export const attempt = async <A, E>(
  context: AppLoadContext,
  effect: Effect.Effect<A, E, AppServices>,
): Promise<Attempt<A>> => {
  const exit = await context.runtime.runPromiseExit(asRequest(context, effect));
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value };
  const failure = Cause.failureOption(exit.cause);
  if (Option.isSome(failure) && isApiError(failure.value)) {
    const http = toHttpError(failure.value);
    return { ok: false, status: http.status, error: http.body.error, cause: failure.value };
  }
  throw Cause.squash(exit.cause);
};

/**
 * Runs `effect` on the app's runtime and returns its value; an expected failure is thrown as
 * a Remix response with its status (400/401/403/404/409/413/429), which the nearest error
 * boundary shows; anything else is thrown as is (500).
 */
export const run = async <A, E>(context: AppLoadContext, effect: Effect.Effect<A, E, AppServices>): Promise<A> => {
  const exit = await context.runtime.runPromiseExit(asRequest(context, effect));
  if (Exit.isSuccess(exit)) return exit.value;
  const failure = Cause.failureOption(exit.cause);
  if (Option.isSome(failure) && isApiError(failure.value)) throw errorResponse(failure.value);
  throw Cause.squash(exit.cause);
};
