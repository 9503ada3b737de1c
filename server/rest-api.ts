/**
 * The REST API for integrations (/api/v1/*): a CRM sync, a script or a helpdesk bridge reads
 * and works the inbox and the contacts with a personal access token
 * (`Authorization: Bearer pat_…`, runtime/services/api-tokens.ts). A lean handler on plain
 * node:http in front of the public chat API and Remix, like server/public-api.ts, with its error
 * shape `{"error":{"code","message","path"?}}`, its body limit and its token buckets (per IP and
 * per token, 429 + Retry-After). Bearer only: no cookies, no CSRF, no CORS.
 *
 * A token acts as its user. Every endpoint calls the service the app's own pages call (Inbox,
 * Contacts, Labels, EmailChannel) with that user as the actor, so the rules are the app's: the
 * same role checks, the same inbox membership, the same validation, the same events, outboxes
 * and live updates. Flows (rest-flows.ts: the builder's Chatflows calls) and reports
 * (rest-reports.ts: the report pages' Reports calls; rest-report-schedules.ts: report emails) are
 * modules of their own, mounted here.
 * The contract lives in docs/api.md ("REST API (v1)").
 */
import { Effect, Either, Exit, Schema as S } from "effect";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { User } from "../runtime/services/accounts.js";
import { ApiTokens } from "../runtime/services/api-tokens.js";
import { CalendarImport } from "../runtime/services/calendar-import.js";
import { ChannelDirectory } from "../runtime/services/channel-directory.js";
import { Chatflows } from "../runtime/services/chatflows.js";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import { AppConfig } from "../runtime/services/config.js";
import { Contacts, type Contact } from "../runtime/services/contacts.js";
import { Database } from "../runtime/services/database.js";
import { EmailChannel } from "../runtime/services/email-channel.js";
import { asAuditActor, AuditLog, type AuditEntry } from "../runtime/services/audit-log.js";
import { Forbidden, InvalidInput, Unauthenticated, type ApiError } from "../runtime/services/errors.js";
import { Inbox, type ConversationSummary, type EmailAttachment, type ThreadMessage } from "../runtime/services/inbox.js";
import { canOpenInbox, conversationFor, worksInInboxes, type Actor, type Prepare } from "../runtime/services/inbox-access.js";
import { newId } from "../runtime/services/ids.js";
import { Labels } from "../runtime/services/labels.js";
import { Reports } from "../runtime/services/reports.js";
import { ReportSchedules } from "../runtime/services/report-schedules.js";
import { CalendarSubscriptions } from "../runtime/services/calendar-subscriptions.js";
import { calendarSubscriptionEndpoints } from "./rest-calendar-subscriptions.js";
import { Routing } from "../runtime/services/routing.js";
import { AutomationReports } from "../runtime/services/automation-report.js";
import { Workspace } from "../runtime/services/workspace.js";
import {
  bearerToken,
  bodyDecoder,
  clientIp,
  decodePathSegment,
  isJsonContentType,
  sendError,
  sendFailure,
  sendJson,
  sendMethodNotAllowed,
  sendRouteNotFound,
  sendUnsupportedMediaType,
  serveUnder,
} from "./http-util.js";
import { createRateLimiter, type BucketRule, type RateLimiter } from "./rate-limit.js";
import { flowEndpoints } from "./rest-flows.js";
import { iso, jsonBody, ok, type Endpoints, type Reply } from "./rest-kit.js";
import { reportEndpoints } from "./rest-reports.js";
import { reportScheduleEndpoints } from "./rest-report-schedules.js";
import { teamHoursEndpoints, workspaceEndpoints } from "./rest-workspace.js";

export interface RestApi {
  /** Serves every request under /api/v1 (an unknown path gets a JSON 404); false for every other path. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The limiter in use (tests reset it). */
  readonly rateLimiter: RateLimiter<RestRateScope>;
}

type RestRateScope = "ip" | "token";

/** Buckets: every /api/v1 request of an address, and every authenticated request of a token. */
export const defaultRestRateLimits: Readonly<Record<RestRateScope, BucketRule>> = {
  ip: { capacity: 300, perSecond: 50 },
  // A sync script's pace: bursts of 120, 10 a second sustained.
  token: { capacity: 120, perSecond: 10 },
};

export interface RestApiOptions {
  readonly rateLimits?: Readonly<Record<RestRateScope, BucketRule>>;
  /** Overrides config.rateLimit (PARLEY_NO_RATE_LIMIT=1 turns limits off). */
  readonly rateLimitEnabled?: boolean;
  /** Overrides config.trustedProxies. */
  readonly trustedProxies?: number;
}

// ---------------------------------------------------------------------------------------------
// Inputs (built once)

/** The statuses a list may ask for; each is the inbox view of that name (`overdue`, `due_soon`: past or near the response target). */
const listStatuses = {
  open: "all_open",
  pending: "pending",
  closed: "closed",
  bot: "bot",
  snoozed: "snoozed",
  overdue: "overdue",
  due_soon: "due_soon",
} as const;
const ListStatus = S.Literal(...(Object.keys(listStatuses) as Array<keyof typeof listStatuses>)).annotations({
  message: () => ({ message: `expected one of ${Object.keys(listStatuses).join(", ")}`, override: true }),
});
const decodeListStatus = bodyDecoder(ListStatus);

const Text = S.String.pipe(S.maxLength(4000, { message: () => "a message is at most 4,000 characters" }));
const ExpectedVersion = S.Number.pipe(S.int({ message: () => "a version is a whole number" }), S.nonNegative({ message: () => "a version is a whole number" }));
const OptionalId = S.optionalWith(S.NullOr(S.String.pipe(S.maxLength(100, { message: () => "an id is at most 100 characters" }))), { exact: true });

const MessageBody = S.Struct({
  text: Text,
  internal: S.optionalWith(S.Boolean, { exact: true }),
  clientMessageId: S.optionalWith(S.String.pipe(S.minLength(1), S.maxLength(100)), { exact: true }),
});
const AssignBody = S.Struct({ assigneeId: OptionalId, teamId: OptionalId, expectedVersion: S.optionalWith(ExpectedVersion, { exact: true }) }).pipe(
  S.filter((b) => (b.assigneeId === undefined && b.teamId === undefined ? "send `assigneeId` or `teamId` (null unassigns)" : undefined)),
);
const StatusBody = S.Struct({
  status: S.Literal("open", "pending", "closed").annotations({ message: () => ({ message: "expected open, pending or closed", override: true }) }),
  expectedVersion: S.optionalWith(ExpectedVersion, { exact: true }),
});
// The Contacts service decodes a contact's fields with the contacts pages' own Schemas; here only "an object".
const AnyObject = S.Record({ key: S.String, value: S.Unknown });

const decodeMessage = bodyDecoder(MessageBody);
const decodeAssign = bodyDecoder(AssignBody);
const decodeStatus = bodyDecoder(StatusBody);
const decodeObject = bodyDecoder(AnyObject);

// ---------------------------------------------------------------------------------------------
// Answers (times as ISO strings, like the public chat API)

const apiConversation = (c: ConversationSummary) => ({
  id: c.id,
  status: c.status,
  version: c.version,
  inbox: c.inbox,
  channel: c.channel,
  replyVia: c.replyVia,
  title: c.title,
  contactId: c.contactId,
  assignee: c.assignee,
  team: c.team,
  labels: c.labels,
  preview: c.preview,
  lastMessageAt: iso(c.lastMessageAt),
  lastActivityAt: iso(c.lastActivityAt),
  waitingSince: iso(c.waitingSince),
  createdAt: iso(c.createdAt),
  closedAt: iso(c.closedAt),
  snoozedUntil: iso(c.snooze?.until ?? null),
  // What the waiting visitor is owed under the inbox's response targets, and when (null: nothing);
  // `teamHours`: the team whose own hours the target counts in (decision 048), null for the workspace's or the clock.
  responseDue:
    c.responseDue === null
      ? null
      : { kind: c.responseDue.kind, targetMinutes: c.responseDue.targetMs / 60_000, dueAt: iso(c.responseDue.dueAt), teamHours: c.responseDue.teamHours ?? null },
});

const apiAttachment = (a: EmailAttachment) => ({
  id: a.id ?? null,
  name: a.name,
  type: a.type,
  size: a.size,
  url: a.id === undefined ? null : `/api/v1/attachments/${encodeURIComponent(a.id)}`,
});

const apiMessage = (m: ThreadMessage) => ({
  id: m.id,
  author: m.author,
  authorName: m.authorName,
  userId: m.userId,
  text: m.text,
  internal: m.internal,
  createdAt: iso(m.createdAt),
  attachments: [...(m.email?.attachments ?? []), ...(m.attachments ?? [])].map(apiAttachment),
  ...(m.email ? { email: { subject: m.email.subject, from: m.email.from, to: m.email.to, cc: m.email.cc } } : {}),
  ...(m.delivery ? { delivery: { status: m.delivery.status, attempts: m.delivery.attempts, sentAt: iso(m.delivery.sentAt) } } : {}),
});

const apiContact = (c: Contact) => ({
  id: c.id,
  email: c.email,
  name: c.name,
  phone: c.phone,
  properties: c.properties,
  owner: c.owner,
  createdAt: iso(c.createdAt),
  updatedAt: iso(c.updatedAt),
});

const apiUser = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  displayName: u.displayName,
  role: u.role,
  availability: u.availability,
  languages: u.languages,
  createdAt: iso(u.createdAt),
});

/**
 * The list's id filters: query parameter, the inbox filter it fills, and whether the actor may
 * name that id. An inbox (or a channel of an inbox) the actor is not a member of answers as an
 * unknown one, so a guessed id says nothing about what exists.
 */
const idFilters: ReadonlyArray<{
  readonly param: string;
  readonly filter: string;
  readonly noun: string;
  readonly known: (prepare: Prepare, actor: Actor, id: string) => boolean;
}> = [
  {
    param: "inbox",
    filter: "inboxId",
    noun: "inbox",
    known: (prepare, actor, id) => prepare("SELECT 1 FROM inboxes WHERE id = ?").get(id) !== undefined && canOpenInbox(prepare, actor, id),
  },
  {
    param: "assignee",
    filter: "assigneeId",
    noun: "user",
    known: (prepare, _actor, id) => id === "me" || id === "none" || prepare("SELECT 1 FROM users WHERE id = ?").get(id) !== undefined,
  },
  { param: "team", filter: "teamId", noun: "team", known: (prepare, _actor, id) => prepare("SELECT 1 FROM teams WHERE id = ?").get(id) !== undefined },
  {
    param: "channel",
    filter: "channelId",
    noun: "channel",
    known: (prepare, actor, id) => {
      const row = prepare("SELECT inbox_id FROM channels WHERE id = ?").get(id) as { inbox_id: string } | undefined;
      return row !== undefined && canOpenInbox(prepare, actor, row.inbox_id);
    },
  },
  { param: "label", filter: "label", noun: "label", known: (prepare, _actor, id) => prepare("SELECT 1 FROM labels WHERE id = ?").get(id) !== undefined },
];

/**
 * The inbox filters of a list's query, or InvalidInput naming every parameter whose id is unknown
 * to the actor — an unknown id would otherwise filter down to an empty list, which reads as "none".
 */
const listFilters = (prepare: Prepare, actor: Actor, query: URLSearchParams): Effect.Effect<Record<string, string>, InvalidInput> => {
  const filters: Record<string, string> = {};
  const issues: Array<{ path: string; message: string }> = [];
  for (const { param, filter, noun, known } of idFilters) {
    const id = query.get(param);
    if (id === null || id === "") continue;
    if (known(prepare, actor, id)) filters[filter] = id;
    else issues.push({ path: param, message: `no such ${noun}` });
  }
  return issues.length > 0 ? Effect.fail(new InvalidInput({ issues })) : Effect.succeed(filters);
};

/** An audit log line as the API shows it: ISO times, the rest as the page reads it. */
const apiAuditEntry = (entry: AuditEntry) => ({ ...entry, at: iso(entry.at) });

const refusedContacts = (actor: Actor) =>
  worksInInboxes(actor) ? Effect.void : Effect.fail(new Forbidden({ message: `Your role (${actor.role}) does not work with contacts.` }));

/** Builds the REST API handler on the app's runtime (services resolved once, lazily). */
export const createRestApi = (runtime: AppRuntime, options: RestApiOptions = {}): RestApi => {
  const services = runtime.runPromise(
    Effect.all({
      tokens: ApiTokens,
      inbox: Inbox,
      contacts: Contacts,
      labels: Labels,
      email: EmailChannel,
      chatflows: Chatflows,
      channels: ChannelDirectory,
      reports: Reports,
      automationReports: AutomationReports,
      reportSchedules: ReportSchedules,
      auditLog: AuditLog,
      workspace: Workspace,
      calendarImport: CalendarImport,
      calendarSubscriptions: CalendarSubscriptions,
      routing: Routing,
      db: Database,
      config: AppConfig,
    }),
  );
  services.catch(() => {});
  type Services = Awaited<typeof services>;

  let limitsOn = options.rateLimitEnabled ?? true;
  if (options.rateLimitEnabled === undefined) void services.then((s) => (limitsOn = s.config.rateLimit), () => {});
  const limiter = createRateLimiter<RestRateScope>(options.rateLimits ?? defaultRestRateLimits, () => limitsOn);

  const answer = (res: ServerResponse, exit: Exit.Exit<Reply, ApiError>) => {
    if (Exit.isSuccess(exit)) {
      const { status, body, headers, bytes } = exit.value;
      if (bytes === undefined) return sendJson(res, status, body, headers);
      res.writeHead(status, headers);
      res.end(bytes);
      return;
    }
    sendFailure(res, exit.cause, "REST API");
  };

  /** The version a change applies to: the caller's `expectedVersion`, else the conversation's current one. */
  const versionOf = (s: Services, actor: Actor, conversationId: string, expected: number | undefined) =>
    expected !== undefined ? Effect.succeed(expected) : Effect.map(conversationFor(s.db.prepare, actor, conversationId), (row) => row.version);

  // ---------------------------------------------------------------------------------------
  // Endpoints (each an Effect of its Reply, run for the token's user)

  const listConversations = (s: Services, actor: Actor, query: URLSearchParams) =>
    Effect.gen(function* () {
      const status = query.get("status");
      let view: string = "all_open";
      if (status !== null && status !== "") {
        const decoded = decodeListStatus(status);
        if (Either.isLeft(decoded)) return yield* new InvalidInput({ issues: decoded.left.issues.map((i) => ({ ...i, path: "status" })) });
        view = listStatuses[decoded.right];
      }
      const given = (name: string) => {
        const value = query.get(name);
        return value === null || value === "" ? {} : { [name]: value };
      };
      // The inbox list's own filters (`assignee` takes a user id, "me" or "none" there too), once every id is known.
      const filters = yield* listFilters(s.db.prepare, actor, query);
      const list = yield* s.inbox.listConversations({ view, ...filters, ...given("limit"), ...given("cursor") }, actor);
      return ok({ conversations: list.conversations.map(apiConversation), nextCursor: list.nextCursor });
    });

  /** The audit log (admins): `cursor` is the page's `nextCursor`, the other filters the settings page's. */
  const listAuditLog = (s: Services, actor: User, query: URLSearchParams) => {
    const filters: Record<string, string> = {};
    for (const name of ["actor", "category", "from", "to", "limit"]) {
      const value = query.get(name);
      if (value !== null && value !== "") filters[name] = value;
    }
    const cursor = query.get("cursor");
    if (cursor !== null && cursor !== "") filters["before"] = cursor;
    return s.auditLog.list(actor, filters).pipe(
      // The page calls its cursor `before`; the API, like its other lists, `cursor`.
      Effect.mapError((error) =>
        error._tag === "InvalidInput" ? new InvalidInput({ issues: error.issues.map((i) => (i.path === "before" ? { ...i, path: "cursor" } : i)) }) : error,
      ),
      Effect.map((page) => ok({ entries: page.entries.map(apiAuditEntry), nextCursor: page.next })),
    );
  };

  const getConversation = (s: Services, actor: Actor, id: string) =>
    Effect.map(s.inbox.getThread(id, actor), (thread) =>
      ok({
        conversation: { ...apiConversation(thread.conversation), handedOffAt: iso(thread.conversation.handedOffAt), pageUrl: thread.conversation.pageUrl },
        messages: thread.messages.map(apiMessage),
        truncated: thread.truncated,
        contact: thread.contact ? apiContact(thread.contact) : null,
      }),
    );

  const postMessage = (s: Services, req: IncomingMessage, actor: Actor, id: string) =>
    Effect.gen(function* () {
      // Access before the body: an unknown conversation is 404 and someone else's 403, whatever was sent.
      yield* s.inbox.checkAccess(id, actor);
      const input = yield* jsonBody(req, decodeMessage);
      const message = { conversationId: id, text: input.text, clientMessageId: input.clientMessageId ?? newId("api") };
      const stored = input.internal === true ? (yield* s.inbox.comment(message, actor)).message : yield* s.inbox.reply(message, actor);
      return ok({ message: apiMessage(stored) }, 201);
    });

  const assign = (s: Services, req: IncomingMessage, actor: Actor, id: string) =>
    Effect.gen(function* () {
      yield* s.inbox.checkAccess(id, actor);
      const input = yield* jsonBody(req, decodeAssign);
      const version = yield* versionOf(s, actor, id, input.expectedVersion);
      const change = {
        ...(input.assigneeId !== undefined ? { userId: input.assigneeId } : {}),
        ...(input.teamId !== undefined ? { teamId: input.teamId } : {}),
      };
      // The inbox calls the person `userId`; the error names the field the caller sent, `assigneeId`.
      const assigned = yield* Effect.catchTag(s.inbox.assign(id, change, version, actor), "InvalidInput", (e) =>
        Effect.fail(new InvalidInput({ issues: e.issues.map((i) => (i.path === "userId" ? { ...i, path: "assigneeId" } : i)) })),
      );
      return ok({ conversation: apiConversation(assigned) });
    });

  const setStatus = (s: Services, req: IncomingMessage, actor: Actor, id: string) =>
    Effect.gen(function* () {
      const row = yield* conversationFor(s.db.prepare, actor, id);
      const input = yield* jsonBody(req, decodeStatus);
      const version = input.expectedVersion ?? row.version;
      // The inbox's own transitions: each checks the status it starts from and the version.
      const change =
        input.status === "closed" ? s.inbox.close : input.status === "pending" ? s.inbox.markPending : row.status === "closed" ? s.inbox.reopen : s.inbox.markOpen;
      return ok({ conversation: apiConversation(yield* change(id, version, actor)) });
    });

  const label = (s: Services, actor: Actor, id: string, labelId: string, add: boolean) =>
    Effect.map(
      add ? s.labels.addToConversation(actor, id, { labelId }) : s.labels.removeFromConversation(actor, id, { labelId }),
      (outcome) => ok({ changed: outcome.changed, labels: outcome.labels }),
    );

  const download = (s: Services, actor: Actor, attachmentId: string) =>
    Effect.map(
      s.email.attachmentDownload(attachmentId, actor),
      (file): Reply => ({ status: 200, body: null, bytes: file.body, headers: { ...file.headers, "Cache-Control": "no-store" } }),
    );

  const listContacts = (s: Services, actor: Actor, query: URLSearchParams) =>
    Effect.map(
      s.contacts.list(actor, {
        ...(query.get("q") ? { search: query.get("q") } : {}),
        ...(query.get("limit") ? { limit: query.get("limit") } : {}),
        ...(query.get("cursor") ? { cursor: query.get("cursor") } : {}),
      }),
      (list) => ok({ contacts: list.contacts.map((c) => ({ ...apiContact(c), lastActivityAt: iso(c.lastActivityAt) })), nextCursor: list.nextCursor }),
    );

  const getContact = (s: Services, actor: Actor, id: string) =>
    Effect.zipRight(refusedContacts(actor), Effect.map(s.contacts.get(id), (c) => ok({ contact: apiContact(c) })));

  const createContact = (s: Services, req: IncomingMessage, actor: Actor) =>
    Effect.gen(function* () {
      yield* refusedContacts(actor);
      const input = yield* jsonBody(req, decodeObject);
      return ok({ contact: apiContact(yield* s.contacts.create(actor, input)) }, 201);
    });

  const updateContact = (s: Services, req: IncomingMessage, actor: Actor, id: string) =>
    Effect.gen(function* () {
      yield* refusedContacts(actor);
      yield* s.contacts.get(id);
      const input = yield* jsonBody(req, decodeObject);
      return ok({ contact: apiContact(yield* s.contacts.update(actor, id, input)) });
    });

  // ---------------------------------------------------------------------------------------
  // Routing

  const route = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => {
    const s = await services;
    const method = req.method ?? "GET";
    const limited = limiter.take("ip", clientIp(req, options.trustedProxies ?? s.config.trustedProxies));
    if (limited) return sendError(res, limited);

    const segments = path.replace(/\/$/, "").split("/").slice(3).map(decodePathSegment); // ["conversations", id, "messages"]
    if (segments.some((segment) => segment === undefined || segment === "")) return sendRouteNotFound(res);
    const [first, second, third, fourth, ...rest] = segments as string[];
    if (rest.length > 0) return sendRouteNotFound(res);

    // Which endpoint, and its methods, before the token and before a byte of the body is read.
    let endpoints: Endpoints = {};
    if (first === "me" && second === undefined) {
      endpoints.GET = (user) => Effect.succeed(ok({ user: apiUser(user) }));
    } else if (first === "conversations") {
      if (second === undefined) endpoints.GET = (actor) => listConversations(s, actor, query);
      else if (third === undefined) endpoints.GET = (actor) => getConversation(s, actor, second);
      else if (fourth === undefined && third === "messages") endpoints.POST = (actor) => postMessage(s, req, actor, second);
      else if (fourth === undefined && third === "assign") endpoints.POST = (actor) => assign(s, req, actor, second);
      else if (fourth === undefined && third === "status") endpoints.POST = (actor) => setStatus(s, req, actor, second);
      else if (fourth !== undefined && third === "labels") {
        endpoints.POST = (actor) => label(s, actor, second, fourth, true);
        endpoints.DELETE = (actor) => label(s, actor, second, fourth, false);
      }
    } else if (first === "contacts" && third === undefined) {
      if (second === undefined) {
        endpoints.GET = (actor) => listContacts(s, actor, query);
        endpoints.POST = (actor) => createContact(s, req, actor);
      } else {
        endpoints.GET = (actor) => getContact(s, actor, second);
        endpoints.PATCH = (actor) => updateContact(s, req, actor, second);
      }
    } else if (first === "audit-log" && second === undefined) {
      endpoints.GET = (actor) => listAuditLog(s, actor, query);
    } else if (first === "attachments" && second !== undefined && third === undefined) {
      endpoints.GET = (actor) => download(s, actor, second);
    } else if (first === "flows") {
      endpoints = flowEndpoints(s, req, query, [second, third, fourth]);
    } else if (first === "reports" && second === "schedules" && fourth === undefined) {
      endpoints = reportScheduleEndpoints(s, req, third);
    } else if (first === "reports" && second !== undefined) {
      endpoints = reportEndpoints(s, query, [second, third, fourth]);
    } else if (first === "settings" && second === "calendar-subscriptions") {
      endpoints = calendarSubscriptionEndpoints(s, req, query, third, fourth);
    } else if (first === "settings" && fourth === undefined) {
      endpoints = workspaceEndpoints(s, req, [second, third]);
    } else if (first === "teams" && second !== undefined && third === "hours" && fourth === undefined) {
      endpoints = teamHoursEndpoints(s, req, second);
    }
    const allowed = Object.keys(endpoints);
    if (allowed.length === 0) return sendRouteNotFound(res);
    const serve = endpoints[method === "HEAD" ? "GET" : method];
    if (!serve) return sendMethodNotAllowed(res, allowed.join(", "));
    // Bodies are JSON; the label endpoints and a calendar subscription's Sync now take none.
    const readsBody =
      (method === "POST" || method === "PATCH" || method === "PUT") && !(first === "conversations" && third === "labels") && !(first === "settings" && second === "calendar-subscriptions" && fourth === "sync");
    if (readsBody && !isJsonContentType(req.headers["content-type"])) return sendUnsupportedMediaType(res);

    const token = bearerToken(req);
    if (token === undefined) return sendError(res, new Unauthenticated({ message: "send a personal access token as `Authorization: Bearer pat_…` (Settings → Profile)" }));
    const exit = await runtime.runPromiseExit(
      Effect.gen(function* () {
        const { user, tokenId } = yield* s.tokens.authenticate(token);
        const tooMany = limiter.take("token", tokenId);
        if (tooMany) return yield* Effect.fail(tooMany);
        // What the request changes is the token's user's doing, by way of the API (the audit log).
        return yield* asAuditActor({ userId: user.id, via: "api", ip: clientIp(req, options.trustedProxies ?? s.config.trustedProxies) ?? null, tokenId })(serve(user));
      }),
    );
    answer(res, exit);
  };

  return {
    handle: serveUnder("/api/v1", "REST API", route),
    rateLimiter: limiter,
  };
};
