/**
 * The words of a report email (decision 056): the headline figures of the team report with the
 * previous period's beside them, the top agents by replies, the response targets met, the bot
 * overview when asked for, a link to the report, and the agents table as the CSV the page's
 * download gives (tables.ts, csv.ts). Every figure is the Reports service's; this only writes
 * them, with the pages' own formatting. The server hands it to the ReportSchedules layer. Pure.
 */
import { toCsv } from "../../csv.js";
import { escapeHtml, type ReportMailInput, type ReportMailRendered, type ReportMailRendererShape } from "../../runtime.server.js";
import { formatCount, formatDuration, formatScore } from "./format.js";
import { formatTargetShare, sumShares, tableFilename, teamAgentsTable } from "./tables.js";

/** How many agents the mail names. */
export const TOP_AGENTS = 5;

const span = (p: { readonly from: string; readonly to: string }) => (p.from === p.to ? p.from : `${p.from} to ${p.to}`);

/** The headline rows: what, this period, the previous one. Pure. */
export const headlineRows = (input: ReportMailInput): ReadonlyArray<readonly [string, string, string]> => {
  const { team, previousTeam: before } = input;
  const sum = (t: typeof team, pick: (v: (typeof team.volume)[number]) => number) => t.volume.reduce((a, v) => a + pick(v), 0);
  const business = team.measure === "business" ? " (business hours)" : "";
  const rows: Array<readonly [string, string, string]> = [
    ["Conversations", formatCount(sum(team, (v) => v.conversations)), formatCount(sum(before, (v) => v.conversations))],
    ["Reached the team", formatCount(sum(team, (v) => v.reachedTeam)), formatCount(sum(before, (v) => v.reachedTeam))],
    [`Median first response${business}`, formatDuration(team.firstResponse.median), formatDuration(before.firstResponse.median)],
    [`Median reply time${business}`, formatDuration(team.replyTime.median), formatDuration(before.replyTime.median)],
    [`Median time to close${business}`, formatDuration(team.timeToClose.median), formatDuration(before.timeToClose.median)],
    ["Average rating (1–5)", formatScore(team.satisfaction.average), formatScore(before.satisfaction.average)],
  ];
  if (team.targets.length > 0 || before.targets.length > 0) {
    rows.push(
      [
        "First responses on target",
        formatTargetShare(sumShares(team.targets.map((t) => t.firstResponse))),
        formatTargetShare(sumShares(before.targets.map((t) => t.firstResponse))),
      ],
      [
        "Next replies on target",
        formatTargetShare(sumShares(team.targets.map((t) => t.nextReply))),
        formatTargetShare(sumShares(before.targets.map((t) => t.nextReply))),
      ],
    );
  }
  if (input.bots !== null && input.previousBots !== null) {
    const [now, was] = [input.bots.totals, input.previousBots.totals];
    rows.push(
      ["Bot conversations started", formatCount(now.started), formatCount(was.started)],
      ["Bot conversations completed", formatCount(now.completed), formatCount(was.completed)],
      ["Handed off by a bot", formatCount(now.handed_off), formatCount(was.handed_off)],
    );
  }
  return rows;
};

/** The agents who sent the most replies, most first (ties by name). Pure. */
export const topAgents = (input: ReportMailInput) =>
  input.team.agents
    .filter((a) => a.replies > 0)
    .sort((a, b) => b.replies - a.replies || a.name.localeCompare(b.name))
    .slice(0, TOP_AGENTS);

/** A report email's subject, plain text, escaped HTML and CSV attachment. Pure. */
export const renderReportMail = (input: ReportMailInput): ReportMailRendered => {
  const name = input.scheduleName.replace(/[\r\n]+/g, " ").trim();
  const subject = `${name}: team report, ${span(input.period)}`;
  const intro = `The team report for ${span(input.period)} (${input.timezone}), beside ${span(input.previous)}.`;
  const filters = input.filterNames.length > 0 ? `Filters: ${input.filterNames.join(" · ")}` : "All inboxes, teams and channels.";
  const rows = headlineRows(input);
  const agents = topAgents(input);
  const agentLine = (a: (typeof agents)[number]) =>
    `${a.name}: ${formatCount(a.replies)} ${a.replies === 1 ? "reply" : "replies"}, median reply time ${formatDuration(a.replyTime.median)}`;
  const table = teamAgentsTable(input.team.agents, input.team.measure === "business");
  const query = input.team.query;
  const csv = { filename: tableFilename("team-agents", query), text: toCsv(table) };
  const attached = `Attached: the agents table (${csv.filename}).`;
  const why = `You get this email because the report email “${name}” lists you (${input.cadence}). An admin or analyst changes or pauses it on the Reports page.`;
  const width = Math.max(...rows.map(([label]) => label.length));
  const text = [
    intro,
    filters,
    [`${"".padEnd(width)}  This period / Previous`, ...rows.map(([label, now, was]) => `${label.padEnd(width)}  ${now} / ${was}`)].join("\n"),
    agents.length > 0 ? ["Top agents by replies:", ...agents.map((a, i) => `${i + 1}. ${agentLine(a)}`)].join("\n") : "Nobody replied in this period.",
    `The full report: ${input.link}`,
    attached,
    why,
  ].join("\n\n");
  const cell = (value: string, head = false) => `<${head ? "th" : "td"} style="text-align:${head ? "left" : "right"};padding:2px 8px">${escapeHtml(value)}</${head ? "th" : "td"}>`;
  const html =
    `<div style="font-family:sans-serif;font-size:14px;line-height:1.4">` +
    `<p>${escapeHtml(intro)}<br><small>${escapeHtml(filters)}</small></p>` +
    `<table style="border-collapse:collapse"><thead><tr>${cell("", true)}${cell("This period", true)}${cell("Previous", true)}</tr></thead><tbody>` +
    rows.map(([label, now, was]) => `<tr>${cell(label, true)}${cell(now)}${cell(was)}</tr>`).join("") +
    `</tbody></table>` +
    (agents.length > 0
      ? `<p><strong>Top agents by replies</strong></p><ol>${agents.map((a) => `<li>${escapeHtml(agentLine(a))}</li>`).join("")}</ol>`
      : `<p>${escapeHtml("Nobody replied in this period.")}</p>`) +
    `<p><a href="${escapeHtml(input.link)}">The full report</a></p>` +
    `<p><small>${escapeHtml(attached)}<br>${escapeHtml(why)}</small></p></div>`;
  return { subject, text, html, csv };
};

/** The renderer the server gives the ReportSchedules layer. */
export const reportMailRenderer: ReportMailRendererShape = { render: renderReportMail };
