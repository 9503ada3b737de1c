/**
 * Every report table as data: a title, columns and rows of already-written cells (format.ts).
 * The pages render these and the CSV downloads serialise the very same rows, so a download
 * always matches the table on screen. Pure; safe on the client.
 */
import type {
  AgentRow,
  AutomationReport,
  RuleActionCounts,
  RuleActionKind,
  RuleConversations,
  BotOverview,
  BreachPage,
  FlowReport,
  InboxTargetRow,
  LabelReportRow,
  ReportQuery,
  TargetShare,
  TeamReport,
  VersionOutcomes,
} from "../../runtime.server.js";
import { targetText } from "../settings/response-targets-form.js";
import { formatCount, formatDuration, formatPercent, formatScore, formatStamp, NONE } from "./format.js";

export const TABLE_IDS = [
  "bot-flows",
  "bot-versions",
  "bot-daily",
  "flow-nodes",
  "flow-edges",
  "flow-arms",
  "team-volume",
  "team-response",
  "team-agents",
  "team-labels",
  "team-targets",
  "team-breaches",
  "automation-rules",
  "automation-conversations",
] as const;
export type TableId = (typeof TABLE_IDS)[number];

/** The file name of a table's CSV: the table, its flow, its clock and its days. Pure. */
export const tableFilename = (id: TableId, query: ReportQuery): string => {
  const span = query.range.from === query.range.to ? query.range.from : `${query.range.from}-to-${query.range.to}`;
  const flow = id.startsWith("flow-") && query.filters.flow ? `-${query.filters.flow.replace(/[^A-Za-z0-9_-]/g, "")}` : "";
  // Business-hours figures must not be mistaken for wall-clock ones once saved.
  const measure = id.startsWith("team-") && query.hours === "business" ? "-business-hours" : "";
  return `parley-${id}${flow}${measure}-${span}.csv`;
};

export interface ReportColumn {
  readonly label: string;
  /** Numbers align right; CSV guards only text cells against spreadsheet formulas. */
  readonly numeric: boolean;
  /** The `sort` key that orders the table by this column, where the page offers it (the breaches list). */
  readonly sort?: string;
}

/**
 * Where a cell leads on the page: `to` as it is, or, with `params`, that report under the page's
 * own range and filters with `params` changed. `label` names the link for screen readers.
 */
export interface ReportLink {
  readonly to: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly label: string;
}

export interface ReportTable {
  readonly id: TableId;
  readonly title: string;
  readonly columns: ReadonlyArray<ReportColumn>;
  readonly rows: ReadonlyArray<ReadonlyArray<string>>;
  /** Links of cells, by row and column (the page only: a CSV keeps the text). */
  readonly links?: ReadonlyArray<ReadonlyArray<ReportLink | null>>;
  /** Shown when there are no rows. */
  readonly empty: string;
}

const text = (label: string, sort?: string): ReportColumn => ({ label, numeric: false, ...(sort === undefined ? {} : { sort }) });
const num = (label: string, sort?: string): ReportColumn => ({ label, numeric: true, ...(sort === undefined ? {} : { sort }) });
const share = (part: number, whole: number) => formatPercent(whole > 0 ? part / whole : null);

/** How many answers missed a target: measured − met. Pure. */
export const missedOf = (s: TargetShare): number => s.measured - s.met;

/** The breaches list under the page's filters, narrowed by `params` (no link for none missed). Pure. */
const missedLink = (s: TargetShare, params: Readonly<Record<string, string>>, label: string): ReportLink | null =>
  missedOf(s) === 0 ? null : { to: "/reports/breaches", params, label };

/** The shares of several inboxes (or periods) as one: met and measured summed. Pure. */
export const sumShares = (shares: ReadonlyArray<TargetShare>): TargetShare =>
  shares.reduce((a, s) => ({ met: a.met + s.met, measured: a.measured + s.measured }), { met: 0, measured: 0 });

/** "86.7% (52 of 60)" met a target; NONE when nothing was measured against one. Pure. */
export const formatTargetShare = (s: TargetShare): string =>
  s.measured === 0 ? NONE : `${share(s.met, s.measured)} (${formatCount(s.met)} of ${formatCount(s.measured)})`;

/**
 * Rows by day, the newest first, each day's rows in the order given (the sort is stable): an
 * analyst reads the recent days at the top. The charts keep time running left to right. Pure.
 */
export const newestDayFirst = <T extends { readonly day: string }>(rows: ReadonlyArray<T>): T[] =>
  [...rows].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));

const outcomeColumns = [
  num("Started"),
  num("Completed"),
  num("Completion rate"),
  num("Handed off"),
  num("Handoff rate"),
  num("Abandoned"),
  num("Abandon rate"),
  num("No reply"),
  num("Errored"),
  num("In progress"),
];
const outcomeCells = (c: BotOverview["totals"]) => [
  formatCount(c.started),
  formatCount(c.completed),
  share(c.completed, c.started),
  formatCount(c.handed_off),
  share(c.handed_off, c.started),
  formatCount(c.abandoned),
  share(c.abandoned, c.started),
  formatCount(c.no_reply),
  formatCount(c.errored),
  formatCount(c.in_progress),
];

/** Outcomes per flow. Pure. */
export const botFlowsTable = (report: BotOverview): ReportTable => ({
  id: "bot-flows",
  title: "Bots",
  columns: [text("Flow"), ...outcomeColumns],
  rows: report.flows.map((f) => [f.name, ...outcomeCells(f.counts)]),
  empty: "No bot conversations started in this range.",
});

/** Outcomes per published version. Pure. */
export const botVersionsTable = (versions: ReadonlyArray<VersionOutcomes>, timezone: string, id: TableId = "bot-versions"): ReportTable => ({
  id,
  title: "Published versions",
  columns: [text("Flow"), text("Version"), text("Published"), ...outcomeColumns],
  rows: versions.map((v) => [v.flowName, v.version === null ? NONE : `v${v.version}`, formatStamp(v.publishedAt, timezone), ...outcomeCells(v.counts)]),
  empty: "No bot conversations started in this range.",
});

/** Started and ended sessions per local day, the newest first. Pure. */
export const botDailyTable = (report: BotOverview): ReportTable => ({
  id: "bot-daily",
  title: "Per day",
  columns: [text("Day"), num("Started"), num("Completed"), num("Handed off"), num("Abandoned"), num("No reply")],
  rows: newestDayFirst(report.daily).map((d) => [
    d.day,
    formatCount(d.counts.started),
    formatCount(d.counts.completed),
    formatCount(d.counts.handed_off),
    formatCount(d.counts.abandoned),
    formatCount(d.counts.no_reply),
  ]),
  empty: "No days in this range.",
});

/** Per node of one flow: reach, answers and drop-off. Pure. */
export const flowNodesTable = (report: FlowReport): ReportTable => ({
  id: "flow-nodes",
  title: "Steps",
  columns: [text("Step"), text("Kind"), num("Reached"), num("Answered"), num("Invalid answers"), num("Moved on"), num("Dropped"), num("Drop-off")],
  rows: report.nodes.map((n) => [
    n.inFlow ? n.label : `${n.label} (removed)`,
    n.kind ?? NONE,
    formatCount(n.reached),
    formatCount(n.answered),
    formatCount(n.invalid),
    formatCount(n.movedOn),
    formatCount(n.dropped),
    formatPercent(n.reached > 0 ? n.dropOff : null),
  ]),
  empty: "This flow has no steps.",
});

/** Per connection of one flow: how many visits took it. Pure. */
export const flowEdgesTable = (report: FlowReport): ReportTable => {
  const label = new Map(report.nodes.map((n) => [n.nodeId, n.label]));
  // In the order of the flow's steps (the nodes table's order), not of their ids.
  const order = new Map(report.nodes.map((n, i) => [n.nodeId, i]));
  const rank = (id: string) => order.get(id) ?? Number.MAX_SAFE_INTEGER;
  const edges = [...report.edges].sort((a, b) => rank(a.from) - rank(b.from) || rank(a.to) - rank(b.to) || (a.port < b.port ? -1 : a.port > b.port ? 1 : 0));
  return {
    id: "flow-edges",
    title: "Connections",
    columns: [text("From"), text("Exit"), text("To"), num("Taken")],
    rows: edges.map((e) => [label.get(e.from) ?? e.from, e.port, label.get(e.to) ?? e.to, formatCount(e.count)]),
    empty: "No conversation moved between steps in this range.",
  };
};

/** A/B split arms side by side. Pure. */
export const flowArmsTable = (report: FlowReport): ReportTable => ({
  id: "flow-arms",
  title: "Arms",
  columns: [text("Split"), text("Arm"), num("Share"), num("Conversations"), num("Completed"), num("Completion rate"), num("Handed off"), num("Abandoned")],
  rows: report.arms.map((a) => [
    a.nodeLabel,
    a.armLabel,
    a.percent === null ? NONE : `${a.percent}%`,
    formatCount(a.conversations),
    formatCount(a.completed),
    formatPercent(a.conversations > 0 ? a.completionRate : null),
    formatCount(a.handedOff),
    formatCount(a.abandoned),
  ]),
  empty: "No conversation passed an A/B split in this range.",
});

/** Conversations per local day (the newest first), inbox and channel. Pure. */
export const teamVolumeTable = (report: TeamReport): ReportTable => ({
  id: "team-volume",
  title: "Conversations",
  columns: [text("Day"), text("Inbox"), text("Channel"), num("Conversations"), num("Reached the team")],
  rows: newestDayFirst(report.volume).map((v) => [v.day, v.inboxName, v.channelName, formatCount(v.conversations), formatCount(v.reachedTeam)]),
  empty: "No conversations in this range.",
});

/** First response, reply time and time to close: count, median, p90 and mean (each measure says when it counts business hours only). Pure. */
export const teamResponseTable = (report: TeamReport): ReportTable => ({
  id: "team-response",
  title: "Response times",
  columns: [text("Measure"), num("Count"), num("Median"), num("90th percentile"), num("Mean")],
  rows: (
    [
      ["First response time", report.firstResponse],
      ["Reply time", report.replyTime],
      ["Time to close", report.timeToClose],
    ] as const
  ).map(([label, s]) => [
    report.measure === "business" ? `${label} (business hours)` : label,
    formatCount(s.count),
    formatDuration(s.median),
    formatDuration(s.p90),
    formatDuration(s.mean),
  ]),
  empty: "",
});

/** Per agent: assignments, replies ("who answers most") and their medians (business hours only when `business`). Pure. */
/** Conversations by label: those created in the range that carry each label. Pure. */
export const teamLabelsTable = (labels: ReadonlyArray<LabelReportRow>, business = false): ReportTable => ({
  id: "team-labels",
  title: "Conversations by label",
  columns: [
    text("Label"),
    num("Conversations"),
    num("Closed"),
    num(business ? "Median first response (business hours)" : "Median first response"),
  ],
  rows: labels.map((l) => [l.name, formatCount(l.conversations), formatCount(l.closed), formatDuration(l.firstResponse.median)]),
  empty: "No labels yet: an admin adds them in Settings → Labels.",
});

export const teamAgentsTable = (agents: ReadonlyArray<AgentRow>, business = false): ReportTable => ({
  id: "team-agents",
  title: "Agents",
  columns: [
    text("Agent"),
    num("Conversations assigned"),
    num("Replies sent"),
    num("First responses"),
    // The CSV carries no page around it, so the columns say which clock they read.
    num(business ? "Median first response (business hours)" : "Median first response"),
    num(business ? "Median reply time (business hours)" : "Median reply time"),
    num(business ? "90th percentile reply time (business hours)" : "90th percentile reply time"),
    num("Ratings"),
    num("Average rating (1–5)"),
    num("Satisfied (4–5)"),
    num("First responses on target"),
    num("Next replies on target"),
    num("First responses missed"),
    num("Next replies missed"),
  ],
  rows: agents.map((a) => [
    a.name,
    formatCount(a.assigned),
    formatCount(a.replies),
    formatCount(a.firstResponse.count),
    formatDuration(a.firstResponse.median),
    formatDuration(a.replyTime.median),
    formatDuration(a.replyTime.p90),
    formatCount(a.satisfaction.ratings),
    formatScore(a.satisfaction.average),
    formatPercent(a.satisfaction.ratings === 0 ? null : a.satisfaction.satisfied / a.satisfaction.ratings),
    formatTargetShare(a.firstResponseTarget),
    formatTargetShare(a.nextReplyTarget),
    formatCount(missedOf(a.firstResponseTarget)),
    formatCount(missedOf(a.nextReplyTarget)),
  ]),
  links: agents.map((a) => [
    ...Array<null>(12).fill(null),
    missedLink(a.firstResponseTarget, { agent: a.userId, kind: "first_response" }, `First responses by ${a.name} that missed the target`),
    missedLink(a.nextReplyTarget, { agent: a.userId, kind: "next_reply" }, `Next replies by ${a.name} that missed the target`),
  ]),
  empty: "Nobody was assigned or replied in this range.",
});

/** Beside a target that other targets preceded during the range: each answer was judged by those in force when its wait started. */
const changedNote = (r: InboxTargetRow): string => (r.targetsChanged ? " (changed in this range)" : "");

/**
 * Per inbox with response targets: the targets at the range's end (noted when they changed
 * during it) and how many first responses and next replies of the range met the targets in force
 * when each wait started (separate counts for the CSV, the share beside them). Pure.
 */
export const teamTargetsTable = (rows: ReadonlyArray<InboxTargetRow>): ReportTable => ({
  id: "team-targets",
  title: "Response targets per inbox",
  columns: [
    text("Inbox"),
    text("First-response target"),
    text("Next-reply target"),
    text("Counts"),
    num("First responses on target"),
    num("First responses measured"),
    num("First responses on target (share)"),
    num("First responses missed"),
    num("Next replies on target"),
    num("Next replies measured"),
    num("Next replies on target (share)"),
    num("Next replies missed"),
  ],
  rows: rows.map((r) => [
    r.name,
    r.targets.firstResponseMinutes === null ? NONE : targetText(r.targets.firstResponseMinutes) + changedNote(r),
    r.targets.nextReplyMinutes === null ? NONE : targetText(r.targets.nextReplyMinutes) + changedNote(r),
    r.targets.businessHours ? "business hours" : "around the clock",
    formatCount(r.firstResponse.met),
    formatCount(r.firstResponse.measured),
    share(r.firstResponse.met, r.firstResponse.measured),
    formatCount(missedOf(r.firstResponse)),
    formatCount(r.nextReply.met),
    formatCount(r.nextReply.measured),
    share(r.nextReply.met, r.nextReply.measured),
    formatCount(missedOf(r.nextReply)),
  ]),
  links: rows.map((r) => [
    ...Array<null>(7).fill(null),
    missedLink(r.firstResponse, { inbox: r.inboxId, kind: "first_response" }, `First responses in ${r.name} that missed the target`),
    null,
    null,
    null,
    missedLink(r.nextReply, { inbox: r.inboxId, kind: "next_reply" }, `Next replies in ${r.name} that missed the target`),
  ]),
  empty: "No inbox has response targets: an admin sets them in Settings → Inboxes.",
});

/** How the list names each kind of answer (its Kind column, the follow-up's checkbox names). */
export const KIND_NAMES = { first_response: "First response", next_reply: "Next reply" } as const;

/**
 * Answers that missed their response target, in the page's order (the most over first unless
 * sorted by another column; `sort` names the columns that can be): each one's conversation
 * (linked to the inbox), who it is with, inbox, agent, kind, target, time taken, how much over, which clock the
 * target counts, and when the visitor waited and was answered (in the workspace zone). Pure.
 */
export const breachesTable = (page: BreachPage): ReportTable => {
  const zone = page.query.range.timezone;
  return {
    id: "team-breaches",
    title: "Answers that missed their target",
    columns: [
      text("Conversation"),
      text("With"),
      text("Inbox", "inbox"),
      text("Agent", "agent"),
      text("Kind"),
      num("Target"),
      num("Took", "took"),
      num("Over by", "over"),
      text("Counts"),
      text("Waiting since", "waiting"),
      text("Answered", "answered"),
    ],
    rows: page.breaches.map((b) => [
      b.conversationId,
      b.title,
      b.inboxName,
      b.agentName ?? NONE,
      KIND_NAMES[b.kind],
      formatDuration(b.targetMs),
      formatDuration(b.actualMs),
      formatDuration(b.overMs),
      // Whose hours judged it, when they were a team's own (decision 048), as the inbox's due tag title says.
      b.businessHours ? (b.teamHours === null ? "business hours" : `business hours (${b.teamHours})`) : "around the clock",
      formatStamp(b.waitedFrom, zone),
      formatStamp(b.at, zone),
    ]),
    links: page.breaches.map((b) => [
      { to: `/inbox/${encodeURIComponent(b.conversationId)}`, label: `Open conversation ${b.conversationId} with ${b.title}` },
      ...Array<null>(10).fill(null),
    ]),
    empty: "No answer missed its target under these filters.",
  };
};

/** Each kind of action a rule takes, as its column is headed (the order of the columns); docs/reports.md uses the same words. */
export const RULE_ACTION_COLUMNS: ReadonlyArray<readonly [RuleActionKind, string]> = [
  ["closed", "Closed"],
  ["reopened", "Reopened"],
  ["pending", "Set pending"],
  ["assigned", "Assigned"],
  ["unassigned", "Unassigned"],
  ["labelAdded", "Labels added"],
  ["labelRemoved", "Labels removed"],
  ["snoozed", "Snoozed"],
  ["replied", "Replied"],
  ["commented", "Commented"],
];

/** "Closed 1, Labels added 2": the kinds a rule did to one conversation, "none" for none. Pure. */
export const actionsSummary = (actions: RuleActionCounts): string =>
  RULE_ACTION_COLUMNS.filter(([kind]) => actions[kind] > 0)
    .map(([kind, label]) => `${label} ${formatCount(actions[kind])}`)
    .join(", ") || "none";

/**
 * What each rule did in the range: its state, conversations acted on (linked to the page's list
 * of them), actions by kind, runs and failed runs, and of the conversations it closed, how many
 * the visitor wrote to again (a count and a share). A deleted rule says so and has no runs. Pure.
 */
export const automationRulesTable = (report: AutomationReport): ReportTable => ({
  id: "automation-rules",
  title: "What each rule did",
  columns: [
    text("Rule"),
    text("State"),
    num("Conversations"),
    ...RULE_ACTION_COLUMNS.map(([, label]) => num(label)),
    num("Runs"),
    num("Failed runs"),
    num("Conversations closed"),
    num("Visitor wrote again"),
    num("Wrote again rate"),
  ],
  rows: report.rules.map((r) => [
    r.name,
    r.deleted ? "Deleted" : r.enabled ? "Enabled" : "Disabled",
    formatCount(r.conversations),
    ...RULE_ACTION_COLUMNS.map(([kind]) => formatCount(r.actions[kind])),
    r.runs === null ? NONE : formatCount(r.runs),
    r.failedRuns === null ? NONE : formatCount(r.failedRuns),
    formatCount(r.closedConversations),
    formatCount(r.visitorWroteAgain),
    share(r.visitorWroteAgain, r.closedConversations),
  ]),
  links: report.rules.map((r) => {
    const list: ReportLink = { to: "/reports/automation", params: { rule: r.ruleId }, label: `Conversations rule ${r.name} acted on` };
    return [list, null, r.conversations > 0 ? list : null, ...Array<null>(RULE_ACTION_COLUMNS.length + 5).fill(null)];
  }),
  empty: "There are no automation rules, and none acted in this range.",
});

const yesNo = (b: boolean) => (b ? "yes" : "no");

/** The conversations one rule acted on, the most recent first: each linked to the inbox, with what the rule did to it. Pure. */
export const automationConversationsTable = (list: RuleConversations): ReportTable => {
  const zone = list.query.range.timezone;
  return {
    id: "automation-conversations",
    title: `Conversations “${list.name}” acted on`,
    columns: [
      text("Conversation"),
      text("With"),
      text("Inbox"),
      text("Actions"),
      text("First action"),
      text("Last action"),
      text("Closed by the rule"),
      text("Visitor wrote again"),
    ],
    rows: list.conversations.map((c) => [
      c.conversationId,
      c.title,
      c.inboxName ?? NONE,
      actionsSummary(c.actions),
      formatStamp(c.firstAt, zone),
      formatStamp(c.lastAt, zone),
      yesNo(c.closed),
      c.closed ? yesNo(c.visitorWroteAgain) : NONE,
    ]),
    links: list.conversations.map((c) => [
      { to: `/inbox/${encodeURIComponent(c.conversationId)}`, label: `Open conversation ${c.conversationId} with ${c.title}` },
      ...Array<null>(7).fill(null),
    ]),
    empty: "The rule acted on no conversation in this range.",
  };
};
