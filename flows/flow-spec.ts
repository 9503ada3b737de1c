/**
 * FlowSpec v1: the versioned JSON document a chatflow compiles to, and the only thing the
 * runtime executes. Every field is described by an Effect Schema, so the same definition
 * decodes hand-written specs, generates the JSON Schema for editors, and types the code.
 */
import { Schema as S } from "effect";

export const FORMAT_VERSION = 1 as const;

// ---------------------------------------------------------------------------------------------
// Primitives

/** A node id: short, URL- and port-safe. */
export const NodeId = S.String.pipe(
  S.pattern(/^[A-Za-z0-9_-]{1,64}$/, {
    message: () => "a node id is 1–64 letters, digits, '_' or '-'",
  }),
);
export const ItemId = S.String.pipe(
  S.pattern(/^[A-Za-z0-9_-]{1,64}$/, {
    message: () => "an id is 1–64 letters, digits, '_' or '-'",
  }),
);
/** A variable name usable in `{{name}}` tokens. */
export const VariableName = S.String.pipe(
  S.pattern(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
    message: () => "a variable name starts with a letter or '_' and holds letters, digits or '_'",
  }),
);
/** A contact property key, e.g. `email`, `firstname`, `company_size`. */
export const ContactProperty = S.String.pipe(
  S.pattern(/^[a-z][a-z0-9_]{0,63}$/, {
    message: () => "a contact property is lower-case letters, digits or '_'",
  }),
);
/** Text with `{{variable}}` / `{{contact.email}}` tokens, rendered as plain text. */
export const Template = S.String.pipe(S.maxLength(4000));
const Label = S.String.pipe(S.minLength(1), S.maxLength(200));
const Percent = S.Number.pipe(S.greaterThanOrEqualTo(0), S.lessThanOrEqualTo(100));
const Millis = (max: number) => S.Int.pipe(S.greaterThanOrEqualTo(0), S.lessThanOrEqualTo(max));
const HexColor = S.String.pipe(
  S.pattern(/^#[0-9a-fA-F]{6}$/, { message: () => "a colour is #rrggbb" }),
);
const ClockTime = S.String.pipe(
  S.pattern(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, { message: () => "a time is HH:MM (24 h)" }),
);
const IsoDate = S.String.pipe(
  S.pattern(/^\d{4}-\d{2}-\d{2}$/, { message: () => "a date is YYYY-MM-DD" }),
);

// ---------------------------------------------------------------------------------------------
// Message bubbles

export const TextBubble = S.Struct({ type: S.Literal("text"), text: Template });
export const ImageBubble = S.Struct({
  type: S.Literal("image"),
  url: Template,
  alt: S.optional(S.String.pipe(S.maxLength(500))),
});
export const LinkBubble = S.Struct({ type: S.Literal("link"), url: Template, label: Template });
export const Bubble = S.Union(TextBubble, ImageBubble, LinkBubble);
export type Bubble = typeof Bubble.Type;

// ---------------------------------------------------------------------------------------------
// Node data, one schema per kind. The editor document and the spec share these.

export const MessageData = S.Struct({
  bubbles: S.NonEmptyArray(Bubble),
  typingDelayMs: S.optionalWith(Millis(10_000), { default: () => 600 }),
});

export const Choice = S.Struct({ id: ItemId, label: Label, value: S.optional(S.String) });
export type Choice = typeof Choice.Type;

export const AnswerType = S.Union(
  S.Struct({
    type: S.Literal("text"),
    minLength: S.optional(S.Int.pipe(S.nonNegative())),
    maxLength: S.optional(S.Int.pipe(S.positive())),
  }),
  S.Struct({ type: S.Literal("email") }),
  S.Struct({
    type: S.Literal("phone"),
    /** ISO 3166-1 alpha-2 country assumed for numbers without a `+` prefix. */
    defaultCountry: S.optional(S.String.pipe(S.pattern(/^[A-Z]{2}$/))),
  }),
  S.Struct({
    type: S.Literal("number"),
    min: S.optional(S.Number),
    max: S.optional(S.Number),
    integer: S.optionalWith(S.Boolean, { default: () => false }),
  }),
  S.Struct({ type: S.Literal("date"), min: S.optional(IsoDate), max: S.optional(IsoDate) }),
  S.Struct({
    type: S.Literal("choice"),
    choices: S.NonEmptyArray(Choice),
    multiple: S.optionalWith(S.Boolean, { default: () => false }),
    /** When true, each choice gets its own output port `choice:<id>`. */
    portPerChoice: S.optionalWith(S.Boolean, { default: () => false }),
  }),
  S.Struct({
    type: S.Literal("yes_no"),
    yesLabel: S.optionalWith(Label, { default: () => "Yes" }),
    noLabel: S.optionalWith(Label, { default: () => "No" }),
  }),
  S.Struct({
    type: S.Literal("rating"),
    min: S.optionalWith(S.Int, { default: () => 1 }),
    max: S.optionalWith(S.Int, { default: () => 5 }),
  }),
  S.Struct({ type: S.Literal("url") }),
);
export type AnswerType = typeof AnswerType.Type;

export const SaveTarget = S.Struct({
  variable: S.optional(VariableName),
  contactProperty: S.optional(ContactProperty),
});

export const QuestionData = S.Struct({
  prompt: Template,
  answer: AnswerType,
  save: S.optionalWith(SaveTarget, { default: () => ({}) }),
  /** Skip the question when `save.contactProperty` is already known for the contact. */
  skipIfKnown: S.optionalWith(S.Boolean, { default: () => false }),
  retryMessage: S.optionalWith(Template, {
    default: () => "Sorry, I didn't get that. Could you try again?",
  }),
  maxRetries: S.optionalWith(S.Int.pipe(S.between(0, 10)), { default: () => 2 }),
  typingDelayMs: S.optionalWith(Millis(10_000), { default: () => 600 }),
});

export const ConditionSubject = S.Union(
  S.Struct({ type: S.Literal("variable"), name: VariableName }),
  S.Struct({ type: S.Literal("contact"), property: ContactProperty }),
  S.Struct({ type: S.Literal("last_answer") }),
  S.Struct({ type: S.Literal("team_available"), teamId: S.String }),
  S.Struct({ type: S.Literal("user_available"), userId: S.String }),
  S.Struct({
    type: S.Literal("visitor"),
    field: S.Literal("page_url", "device", "language", "known_contact"),
  }),
);
export type ConditionSubject = typeof ConditionSubject.Type;

export const Operator = S.Literal(
  "equals",
  "not_equals",
  "contains",
  "begins_with",
  "ends_with",
  "matches_regex",
  "greater_than",
  "less_than",
  "is_set",
  "is_not_set",
  "is_one_of",
);
export type Operator = typeof Operator.Type;

export const ConditionValue = S.Union(S.String, S.Number, S.Boolean, S.Array(S.String));
export const Condition = S.Struct({
  subject: ConditionSubject,
  operator: Operator,
  value: S.optional(ConditionValue),
});
export type Condition = typeof Condition.Type;

export const BranchRule = S.Struct({
  id: ItemId,
  label: S.optional(Label),
  match: S.optionalWith(S.Literal("all", "any"), { default: () => "all" as const }),
  conditions: S.NonEmptyArray(Condition),
});
export type BranchRule = typeof BranchRule.Type;
export const BranchData = S.Struct({ rules: S.Array(BranchRule) });

export const AssignTarget = S.Union(
  S.Struct({ type: S.Literal("variable"), name: VariableName }),
  S.Struct({ type: S.Literal("contact"), property: ContactProperty }),
);
export const SetData = S.Struct({
  assignments: S.NonEmptyArray(S.Struct({ target: AssignTarget, value: Template })),
});

export const HttpMethod = S.Literal("GET", "POST", "PUT", "PATCH", "DELETE");
export const WebhookData = S.Struct({
  method: HttpMethod,
  url: Template,
  headers: S.optionalWith(
    S.Array(S.Struct({ name: S.String.pipe(S.pattern(/^[A-Za-z0-9-]{1,100}$/)), value: Template })),
    { default: () => [] },
  ),
  body: S.optional(Template),
  timeoutMs: S.optionalWith(S.Int.pipe(S.between(100, 30_000)), { default: () => 5_000 }),
  /** JSON paths (`$.a.b[0]`) of the response, each saved into a variable. */
  responseMappings: S.optionalWith(
    S.Array(S.Struct({ path: S.String.pipe(S.pattern(/^\$(\.[A-Za-z0-9_-]+|\[\d+\])*$/)), variable: VariableName })),
    { default: () => [] },
  ),
});

export const CodeData = S.Struct({
  /** Body of `function (inputs) { … }`; returns an object with the declared outputs. */
  source: S.String.pipe(S.maxLength(20_000)),
  inputs: S.optionalWith(S.Array(VariableName), { default: () => [] }),
  outputs: S.optionalWith(S.Array(VariableName), { default: () => [] }),
  timeoutMs: S.optionalWith(S.Int.pipe(S.between(10, 5_000)), { default: () => 1_000 }),
});

export const HandoffTarget = S.Union(
  S.Struct({ type: S.Literal("routing") }),
  S.Struct({ type: S.Literal("team"), teamId: S.String }),
  S.Struct({ type: S.Literal("user"), userId: S.String }),
  /** The known contact's owner when they can take it now; else the inbox's routing. */
  S.Struct({ type: S.Literal("contact_owner") }),
);
export type HandoffTarget = typeof HandoffTarget.Type;
export const HandoffData = S.Struct({
  target: HandoffTarget,
  message: S.optional(Template),
  /** Conversation labels' ids: the conversation gets them as it is handed off (added by the bot). */
  labels: S.optional(S.Array(S.String.pipe(S.minLength(1), S.maxLength(100))).pipe(S.maxItems(20))),
  away: S.optionalWith(
    S.Struct({
      message: S.optional(Template),
      askForEmail: S.optionalWith(S.Boolean, { default: () => false }),
      createTicket: S.optionalWith(S.Boolean, { default: () => false }),
    }),
    { default: () => ({ askForEmail: false, createTicket: false }) },
  ),
});

export const TicketPriority = S.Literal("low", "normal", "high", "urgent");
export const TicketData = S.Struct({
  subject: Template,
  description: S.optionalWith(Template, { default: () => "" }),
  priority: S.optionalWith(TicketPriority, { default: () => "normal" as const }),
  message: S.optional(Template),
});

export const MeetingData = S.Struct({ userId: S.String, message: S.optional(Template) });

/**
 * Adds the conversation's contact to a contact list (port `next`). A visitor who is not a
 * contact yet waits on the list and joins it when they become one.
 */
export const AddToListData = S.Struct({
  /** A contact list's id; empty on a fresh canvas node (the compiler asks for one). */
  listId: S.String.pipe(S.maxLength(100)),
});

/**
 * Offer email subscription: asks `question` and shows `consentText` with yes/no quick replies.
 * Without a known email it first asks for one (`emailPrompt`, validated like an email question).
 * On yes the engine records the consent — when, in which conversation, the exact rendered
 * consent text and the address — and, with `listId`, adds the contact to that list; port
 * `subscribed`. On no (or no usable answer after the retries): port `declined`.
 */
export const SubscribeData = S.Struct({
  question: S.optionalWith(Template, { default: () => "Would you like our newsletter?" }),
  /** What the visitor agrees to, shown to them and stored verbatim with their consent. */
  consentText: Template,
  yesLabel: S.optionalWith(Label, { default: () => "Yes, please" }),
  noLabel: S.optionalWith(Label, { default: () => "No, thanks" }),
  emailPrompt: S.optionalWith(Template, { default: () => "What's your email address?" }),
  /** A contact list the subscriber joins too. */
  listId: S.optional(S.String.pipe(S.maxLength(100))),
});

/** Most articles one knowledge step may offer (each is one link bubble). */
export const MAX_KNOWLEDGE_ARTICLES = 5;

/**
 * Knowledge-base lookup: searches the published help articles and answers with links to the
 * best matches (port `found`), or says `notFoundMessage` (port `not_found`).
 */
export const KnowledgeData = S.Struct({
  /** What to search for; empty (the default) searches the visitor's last answer. */
  query: S.optionalWith(Template, { default: () => "" }),
  limit: S.optionalWith(
    S.Int.pipe(
      S.between(1, MAX_KNOWLEDGE_ARTICLES, { message: () => `the number of articles is 1 to ${MAX_KNOWLEDGE_ARTICLES}` }),
    ),
    { default: () => 3 },
  ),
  /** Said before the article links. */
  message: S.optionalWith(Template, { default: () => "These articles may help:" }),
  /** Said when no article matches; nothing is said when absent. */
  notFoundMessage: S.optional(Template),
  /** Variable that receives the best article's title ("" when nothing matched). */
  saveTitleTo: S.optional(VariableName),
});

export const SplitData = S.Struct({
  arms: S.NonEmptyArray(S.Struct({ id: ItemId, label: Label, percent: Percent })),
});

export const EndData = S.Struct({
  message: S.optional(Template),
  closeConversation: S.optionalWith(S.Boolean, { default: () => false }),
});

/** Data schema of every node kind. */
export const NodeDataByKind = {
  message: MessageData,
  question: QuestionData,
  branch: BranchData,
  set: SetData,
  webhook: WebhookData,
  code: CodeData,
  handoff: HandoffData,
  ticket: TicketData,
  meeting: MeetingData,
  add_to_list: AddToListData,
  subscribe: SubscribeData,
  knowledge: KnowledgeData,
  split: SplitData,
  end: EndData,
} as const;
export type NodeKind = keyof typeof NodeDataByKind;
export const NODE_KINDS = Object.keys(NodeDataByKind) as ReadonlyArray<NodeKind>;

// ---------------------------------------------------------------------------------------------
// Spec nodes: `{ id, kind, label?, data, next }`, where `next` maps an output port to a node.

const Next = S.Record({ key: S.String, value: NodeId });
const specNode = <K extends NodeKind>(kind: K) =>
  S.Struct({
    id: NodeId,
    kind: S.Literal(kind),
    label: S.optional(S.String.pipe(S.maxLength(200))),
    data: NodeDataByKind[kind] as (typeof NodeDataByKind)[K],
    next: S.optionalWith(Next, { default: () => ({}) }),
  });

export const MessageNode = specNode("message");
export const QuestionNode = specNode("question");
export const BranchNode = specNode("branch");
export const SetNode = specNode("set");
export const WebhookNode = specNode("webhook");
export const CodeNode = specNode("code");
export const HandoffNode = specNode("handoff");
export const TicketNode = specNode("ticket");
export const MeetingNode = specNode("meeting");
export const AddToListNode = specNode("add_to_list");
export const SubscribeNode = specNode("subscribe");
export const KnowledgeNode = specNode("knowledge");
export const SplitNode = specNode("split");
export const EndNode = specNode("end");

export const SpecNode = S.Union(
  MessageNode,
  QuestionNode,
  BranchNode,
  SetNode,
  WebhookNode,
  CodeNode,
  HandoffNode,
  TicketNode,
  MeetingNode,
  AddToListNode,
  SubscribeNode,
  KnowledgeNode,
  SplitNode,
  EndNode,
);
export type SpecNode = typeof SpecNode.Type;
export type SpecNodeOf<K extends NodeKind> = Extract<SpecNode, { kind: K }>;

// ---------------------------------------------------------------------------------------------
// Settings

export const UrlRule = S.Struct({
  type: S.Literal("url"),
  operator: S.Literal("all", "is", "contains", "begins_with", "ends_with", "wildcard", "regex"),
  value: S.optionalWith(S.String.pipe(S.maxLength(2000)), { default: () => "" }),
});
export const QueryRule = S.Struct({
  type: S.Literal("query"),
  name: S.String.pipe(S.minLength(1), S.maxLength(200)),
  operator: S.Literal("is", "contains", "exists"),
  value: S.optionalWith(S.String.pipe(S.maxLength(2000)), { default: () => "" }),
});
export const TargetingRule = S.Union(UrlRule, QueryRule);
export type TargetingRule = typeof TargetingRule.Type;

export const Device = S.Literal("desktop", "tablet", "mobile");
export type Device = typeof Device.Type;

export const Targeting = S.Struct({
  /** OR-ed. An empty list shows on no page. */
  show: S.Array(TargetingRule),
  /** OR-ed; a matching hide rule always wins over show rules. */
  hide: S.optionalWith(S.Array(TargetingRule), { default: () => [] }),
  visitor: S.optionalWith(
    S.Struct({
      contact: S.optionalWith(S.Literal("any", "known", "unknown"), { default: () => "any" as const }),
      /** Empty = every device. */
      devices: S.optionalWith(S.Array(Device), { default: () => [] }),
      /** Language prefixes (`de`, `en-GB`); empty = every language. */
      languages: S.optionalWith(S.Array(S.String), { default: () => [] }),
    }),
    { default: () => ({ contact: "any" as const, devices: [], languages: [] }) },
  ),
});
export type Targeting = typeof Targeting.Type;

export const PopOpen = S.Union(
  S.Struct({ mode: S.Literal("never") }),
  S.Struct({ mode: S.Literal("after_seconds"), seconds: S.Int.pipe(S.between(0, 3600)) }),
  S.Struct({ mode: S.Literal("after_scroll"), percent: Percent }),
  S.Struct({ mode: S.Literal("exit_intent") }),
);

export const Display = S.Struct({
  welcomeMessage: S.optionalWith(S.String.pipe(S.maxLength(500)), { default: () => "" }),
  popOpen: S.optionalWith(PopOpen, { default: () => ({ mode: "never" as const }) }),
  heading: S.optionalWith(
    S.Union(
      S.Struct({
        type: S.Literal("agents"),
        userIds: S.optionalWith(S.Array(S.String), { default: () => [] }),
        teamIds: S.optionalWith(S.Array(S.String), { default: () => [] }),
      }),
      S.Struct({
        type: S.Literal("custom"),
        name: S.String.pipe(S.minLength(1), S.maxLength(100)),
        avatarUrl: S.optional(S.String.pipe(S.maxLength(2000))),
      }),
    ),
    { default: () => ({ type: "agents" as const, userIds: [], teamIds: [] }) },
  ),
  accentColor: S.optionalWith(HexColor, { default: () => "#3b5bdb" }),
  launcherPosition: S.optionalWith(S.Literal("bottom_right", "bottom_left"), {
    default: () => "bottom_right" as const,
  }),
  /**
   * `auto`: under the heading, while the team is available, the widget says how soon the team
   * usually replies — the median first response of the chat channel's inbox over the last 14
   * days, in coarse buckets, once there are at least 5 first replies (decision 050). Absent or
   * `off`: nothing. Optional and exact, so specs written before keep their content hash.
   */
  replyTime: S.optionalWith(S.Literal("auto", "off"), { exact: true }),
});
export type Display = typeof Display.Type;

export const Weekday = S.Literal("mon", "tue", "wed", "thu", "fri", "sat", "sun");
export type Weekday = typeof Weekday.Type;
export const OpeningHours = S.Struct({ day: Weekday, from: ClockTime, to: ClockTime });

/** A date on the calendar (YYYY-MM-DD) that exists: 2026-02-30 does not. */
export const CalendarDate = IsoDate.pipe(
  S.filter(
    (date) => {
      const [y, m, d] = date.split("-").map(Number) as [number, number, number];
      const probe = new Date(Date.UTC(y, m - 1, d));
      return probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d;
    },
    { message: () => "this date is not on the calendar" },
  ),
);
/**
 * One range of a special day's hours (decision 051): open from `from` until `to` on that local
 * date. It cannot run past midnight (`to` after `from`; "24:00" ends at midnight), since the day
 * after has hours of its own.
 */
export const SpecialHoursRange = S.Struct({ from: ClockTime, to: ClockTime }).pipe(
  S.filter((range) => range.to > range.from || { path: ["to"], message: `the closing time must be after ${range.from} (a special day ends at 24:00)` }),
);
export type SpecialHoursRange = typeof SpecialHoursRange.Type;
/** At most this many ranges on one special day. */
export const MAX_SPECIAL_HOURS = 4;
/**
 * A day the team keeps other hours than the weekly ones, on the wall clock of the time zone the
 * hours are read in, from its local midnight to the next: closed all day (a holiday) without
 * `hours`, else open only inside `hours` (Christmas Eve 09:00–13:00; decision 051). `yearly`
 * repeats it on the same month and day every year (29 February only in leap years).
 */
export const ClosedDate = S.Struct({
  date: CalendarDate,
  name: S.optionalWith(S.String.pipe(S.maxLength(100, { message: () => "a name is at most 100 characters" })), { exact: true }),
  yearly: S.optionalWith(S.Boolean, { default: () => false, exact: true }),
  hours: S.optionalWith(
    S.Array(SpecialHoursRange).pipe(
      S.minItems(1, { message: () => "leave the hours out to close the whole day" }),
      S.maxItems(MAX_SPECIAL_HOURS, { message: () => `at most ${MAX_SPECIAL_HOURS} ranges on a special day` }),
    ),
    { exact: true },
  ),
});
export type ClosedDate = typeof ClosedDate.Type;
/** At most this many closed dates in one list. */
export const MAX_CLOSED_DATES = 200;
export const ClosedDates = S.Array(ClosedDate).pipe(
  S.maxItems(MAX_CLOSED_DATES, { message: () => `at most ${MAX_CLOSED_DATES} closed dates` }),
);

export const Availability = S.Struct({
  /**
   * `always`; `business_hours` — the hours below; `team` — the hours of the team `teamId`
   * (decision 048), read when the chat is served, so the team's hours are edited in one place.
   */
  mode: S.optionalWith(S.Literal("always", "business_hours", "team"), { default: () => "always" as const }),
  /** The team whose hours the flow follows when `mode` is `team` (the compiler requires it then). */
  teamId: S.optionalWith(S.String.pipe(S.maxLength(100, { message: () => "a team id is at most 100 characters" })), { exact: true }),
  /** IANA time zone, e.g. `Europe/Berlin`. */
  timezone: S.optionalWith(S.String, { default: () => "UTC" }),
  hours: S.optionalWith(S.Array(OpeningHours), { default: () => [] }),
  /** Days closed all day whatever the weekly hours say (holidays), in `timezone`. */
  closedDates: S.optionalWith(ClosedDates, { default: () => [] }),
  /**
   * Also closed on the workspace's closed dates (set on the Reports page), read in `timezone`,
   * as they are when the chat is served. Where no workspace is at hand (flow tests, the
   * terminal chat) only `closedDates` count.
   */
  workspaceClosedDates: S.optionalWith(S.Boolean, { default: () => false }),
  awayMessage: S.optionalWith(S.String.pipe(S.maxLength(1000)), {
    default: () => "We're away right now. Leave us a message and we'll get back to you.",
  }),
  awayBehaviour: S.optionalWith(S.Literal("hide", "away_message", "collect_email"), {
    default: () => "away_message" as const,
  }),
});
export type Availability = typeof Availability.Type;

export const Branding = S.Struct({
  name: S.optional(S.String.pipe(S.maxLength(100))),
  logoUrl: S.optional(S.String.pipe(S.maxLength(2000))),
  showPoweredBy: S.optionalWith(S.Boolean, { default: () => true }),
});

export const Settings = S.Struct({
  targeting: S.optionalWith(Targeting, {
    default: () => ({
      show: [{ type: "url" as const, operator: "all" as const, value: "" }],
      hide: [],
      visitor: { contact: "any" as const, devices: [], languages: [] },
    }),
  }),
  display: S.optionalWith(Display, { default: () => S.decodeSync(Display)({}) }),
  availability: S.optionalWith(Availability, { default: () => S.decodeSync(Availability)({}) }),
  branding: S.optionalWith(Branding, { default: () => ({ showPoweredBy: true }) }),
  /** Idle minutes after which a bot conversation counts as abandoned. */
  sessionTimeoutMinutes: S.optionalWith(S.Int.pipe(S.between(1, 10_080)), { default: () => 30 }),
  /** Lower wins when several chatflows target the same page. */
  priority: S.optionalWith(S.Int.pipe(S.between(0, 10_000)), { default: () => 100 }),
});
export type Settings = typeof Settings.Type;

export const VariableDeclaration = S.Struct({
  name: VariableName,
  type: S.optionalWith(S.Literal("string", "number", "boolean", "list"), {
    default: () => "string" as const,
  }),
  defaultValue: S.optional(S.Union(S.String, S.Number, S.Boolean)),
  description: S.optional(S.String.pipe(S.maxLength(500))),
});
export type VariableDeclaration = typeof VariableDeclaration.Type;

export const ChatflowKind = S.Literal("bot", "live_chat");
export type ChatflowKind = typeof ChatflowKind.Type;

export const FlowSpec = S.Struct({
  formatVersion: S.Literal(FORMAT_VERSION),
  id: ItemId,
  name: S.String.pipe(S.minLength(1), S.maxLength(200)),
  kind: ChatflowKind,
  /** BCP 47 language tag of the bot's texts, e.g. `en`, `de-DE`. */
  language: S.optionalWith(S.String.pipe(S.pattern(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/)), {
    default: () => "en",
  }),
  startNodeId: NodeId,
  nodes: S.Array(SpecNode).pipe(S.maxItems(5_000)),
  variables: S.optionalWith(S.Array(VariableDeclaration), { default: () => [] }),
  settings: S.optionalWith(Settings, { default: () => S.decodeSync(Settings)({}) }),
}).annotations({
  identifier: "FlowSpec",
  title: "Parley FlowSpec v1",
  description: "A chatflow as executed by the Parley runtime.",
});
export type FlowSpec = typeof FlowSpec.Type;
/** The encoded (JSON) side of a spec: defaults may be omitted. */
export type FlowSpecJson = typeof FlowSpec.Encoded;
