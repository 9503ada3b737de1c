import { describe, expect, it } from "vitest";
import type { AgentRow, BotOverview, ReportMailInput, ReportQuery, TeamReport } from "../../runtime.server.js";
import { headlineRows, renderReportMail, TOP_AGENTS } from "./report-mail.server.js";

const duration = (median: number | null) => ({ count: median === null ? 0 : 1, median, p90: median, mean: median });
const share = (met: number, measured: number) => ({ met, measured });
const query = (from: string, to: string): ReportQuery => ({
  range: { preset: "custom", timezone: "Europe/Berlin", from, to, start: 0, end: 0, days: [] },
  filters: { inbox: "inbox_support" },
});
const agent = (name: string, replies: number): AgentRow => ({
  userId: `user_${name}`,
  name,
  assigned: replies,
  replies,
  firstResponse: duration(60_000),
  replyTime: duration(replies * 60_000),
  satisfaction: { ratings: 0, average: null, satisfied: 0 },
  firstResponseTarget: share(0, 0),
  nextReplyTarget: share(0, 0),
});
const team = (from: string, to: string, over: Partial<TeamReport>): TeamReport => ({
  query: query(from, to),
  measure: "wall",
  businessHours: { timezone: "Europe/Berlin", hours: [] },
  volume: [],
  firstResponse: duration(null),
  replyTime: duration(null),
  timeToClose: duration(null),
  satisfaction: { ratings: 0, average: null, satisfied: 0 },
  agents: [],
  labels: [],
  targets: [],
  ...over,
});
const volume = (conversations: number, reachedTeam: number) => ({ day: "2026-11-20", inboxId: "inbox_support", inboxName: "Support", channelId: "c", channelName: "Chat", conversations, reachedTeam });
const targets = (fr: [number, number], nr: [number, number]) => ({
  inboxId: "inbox_support",
  name: "Support",
  targets: { firstResponseMinutes: 60, nextReplyMinutes: 120, businessHours: false },
  targetsChanged: false,
  firstResponse: share(...fr),
  nextReply: share(...nr),
});
const bots = (started: number): BotOverview =>
  ({ totals: { started, completed: 1, handed_off: 2, abandoned: 0, no_reply: 0, errored: 0, in_progress: 0 } }) as unknown as BotOverview;

const input = (over: Partial<ReportMailInput> = {}): ReportMailInput => ({
  scheduleName: "Weekly <b>support</b> & co",
  cadence: "Every Monday at 08:00",
  frequency: "weekly",
  timezone: "Europe/Berlin",
  period: { from: "2026-11-16", to: "2026-11-22" },
  previous: { from: "2026-11-09", to: "2026-11-15" },
  team: team("2026-11-16", "2026-11-22", {
    volume: [volume(30, 20), volume(12, 10)],
    firstResponse: duration(300_000),
    agents: [agent("Zoe", 4), agent("Ann <admin>", 9), agent("Bob", 0), ...["C", "D", "E", "F"].map((n, i) => agent(n, i))],
    targets: [targets([8, 10], [3, 4])],
  }),
  previousTeam: team("2026-11-09", "2026-11-15", { volume: [volume(37, 25)], firstResponse: duration(420_000), targets: [targets([5, 10], [0, 0])] }),
  bots: null,
  previousBots: null,
  filterNames: ["Inbox: Support"],
  link: "https://parley.acme.test/reports/team?range=custom&from=2026-11-16&to=2026-11-22&inbox=inbox_support",
  ...over,
});

describe("a report email", () => {
  it("puts each headline figure beside the previous period's, computed from the reports' own rows", () => {
    const rows = Object.fromEntries(headlineRows(input()).map(([label, now, was]) => [label, [now, was]]));
    expect(rows["Conversations"]).toEqual(["42", "37"]);
    expect(rows["Reached the team"]).toEqual(["30", "25"]);
    expect(rows["Median first response"]).toEqual(["0:05:00", "0:07:00"]);
    expect(rows["First responses on target"]).toEqual(["80.0% (8 of 10)", "50.0% (5 of 10)"]);
    expect(rows["Next replies on target"]).toEqual(["75.0% (3 of 4)", "n/a"]);
    expect(rows["Bot conversations started"]).toBeUndefined();
    const withBots = Object.fromEntries(headlineRows(input({ bots: bots(7), previousBots: bots(3) })).map(([label, now, was]) => [label, [now, was]]));
    expect(withBots["Bot conversations started"]).toEqual(["7", "3"]);
  });

  it("names the top agents by replies, most first, and leaves out those who sent none", () => {
    const mail = renderReportMail(input());
    expect(mail.text).toContain(`Top agents by replies:\n1. Ann <admin>: 9 replies, median reply time 0:09:00\n2. Zoe: 4 replies`);
    expect(mail.text.match(/^\d\. /gm)).toHaveLength(TOP_AGENTS);
    expect(mail.text).not.toContain("Bob:");
  });

  it("escapes every name in the HTML and links the report with its range and filters", () => {
    const mail = renderReportMail(input());
    expect(mail.subject).toBe("Weekly <b>support</b> & co: team report, 2026-11-16 to 2026-11-22");
    expect(mail.html).not.toContain("<b>support</b>");
    expect(mail.html).toContain("Weekly &lt;b&gt;support&lt;/b&gt; &amp; co");
    expect(mail.html).toContain("Ann &lt;admin&gt;");
    expect(mail.html).toContain('<a href="https://parley.acme.test/reports/team?range=custom&amp;from=2026-11-16&amp;to=2026-11-22&amp;inbox=inbox_support">');
    expect(mail.text).toContain("Filters: Inbox: Support");
  });

  it("attaches the agents table as the page's download writes it", () => {
    const { csv } = renderReportMail(input());
    expect(csv.filename).toBe("parley-team-agents-2026-11-16-to-2026-11-22.csv");
    const lines = csv.text.replace(/^\uFEFF/, "").split("\r\n");
    expect(lines[0]).toMatch(/^Agent,Conversations assigned,Replies sent,/);
    expect(lines).toHaveLength(7 + 2);
  });
});
