import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Either } from "effect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkSpec, compile, decodeFlowDocument, decodeFlowSpec, specToDocument, type CompileContext } from "./compile.js";
import type { Diagnostic } from "./diagnostics.js";
import type { FlowDocument } from "./flow-document.js";
import type { FlowSpec } from "./flow-spec.js";

const context: CompileContext = {
  teams: [{ id: "t_sales", name: "Sales" }],
  users: [{ id: "u_ann", name: "Ann" }],
  contactProperties: ["company_size"],
};

type Doc = { -readonly [K in keyof FlowDocument]: any };
const at = { x: 0, y: 0 };

/** A valid flow that uses every node kind; each test case breaks it in one way. */
const baseDoc = (): Doc => ({
  id: "lead_bot",
  name: "Lead bot",
  kind: "bot",
  language: "en",
  startNodeId: "welcome",
  variables: [{ name: "plan" }],
  settings: {},
  nodes: [
    { id: "welcome", kind: "message", position: at, data: { bubbles: [{ type: "text", text: "Hi {{contact.firstname}}!" }] } },
    {
      id: "ask_name",
      kind: "question",
      label: "Ask name",
      position: at,
      data: { prompt: "What's your name?", answer: { type: "text" }, save: { variable: "name" } },
    },
    {
      id: "route",
      kind: "branch",
      position: at,
      data: {
        rules: [
          { id: "sales", label: "Wants sales", conditions: [{ subject: { type: "variable", name: "name" }, operator: "matches_regex", value: "^a" }] },
          { id: "team_on", conditions: [{ subject: { type: "team_available", teamId: "t_sales" }, operator: "is_set" }] },
        ],
      },
    },
    { id: "to_sales", kind: "handoff", position: at, data: { target: { type: "team", teamId: "t_sales" }, message: "Connecting you, {{name}}." } },
    { id: "ab", kind: "split", position: at, data: { arms: [{ id: "a", label: "A", percent: 50 }, { id: "b", label: "B", percent: 50 }] } },
    {
      id: "hook",
      kind: "webhook",
      position: at,
      data: { method: "POST", url: "https://crm.example.com/leads?n={{name}}", responseMappings: [{ path: "$.id", variable: "lead_id" }] },
    },
    { id: "score", kind: "code", position: at, data: { source: "return { score: 1 }", inputs: ["lead_id"], outputs: ["score"] } },
    { id: "ticket", kind: "ticket", position: at, data: { subject: "Lead {{lead_id}} scored {{score}}" } },
    { id: "remember", kind: "set", position: at, data: { assignments: [{ target: { type: "variable", name: "plan" }, value: "pro" }] } },
    { id: "book", kind: "meeting", position: at, data: { userId: "u_ann", message: "Book a call about {{plan}} ({{article}})" } },
    {
      id: "kb",
      kind: "knowledge",
      label: "Search help",
      position: at,
      data: { query: "{{plan}} {{name}}", limit: 2, notFoundMessage: "Nothing on {{plan}}", saveTitleTo: "article" },
    },
    { id: "done", kind: "end", position: at, data: { message: "Thanks, {{name}}! ({{visitor.page_url}})" } },
  ],
  edges: [
    { id: "e1", source: "welcome", sourcePort: "next", target: "ask_name" },
    { id: "e2", source: "ask_name", sourcePort: "answered", target: "route" },
    { id: "e3", source: "route", sourcePort: "rule:sales", target: "to_sales" },
    { id: "e4", source: "route", sourcePort: "else", target: "ab" },
    { id: "e5", source: "to_sales", sourcePort: "away", target: "done" },
    { id: "e6", source: "ab", sourcePort: "arm:a", target: "hook" },
    { id: "e7", source: "ab", sourcePort: "arm:b", target: "remember" },
    { id: "e8", source: "hook", sourcePort: "ok", target: "score" },
    { id: "e9", source: "score", sourcePort: "ok", target: "ticket" },
    { id: "e10", source: "ticket", sourcePort: "next", target: "done" },
    { id: "e11", source: "remember", sourcePort: "next", target: "kb" },
    { id: "e12", source: "book", sourcePort: "next", target: "done" },
    { id: "e13", source: "kb", sourcePort: "found", target: "book" },
    { id: "e14", source: "kb", sourcePort: "not_found", target: "done" },
  ],
});

const node = (doc: Doc, id: string) => doc.nodes.find((n: any) => n.id === id);
const edge = (doc: Doc, source: string, port: string) => doc.edges.find((e: any) => e.source === source && e.sourcePort === port);
/** Decodes like the app does before compiling; a document that fails to decode fails the test. */
const run = (doc: Doc) => {
  const decoded = decodeFlowDocument(doc);
  if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
  return compile(decoded.right, context);
};
const codes = (ds: ReadonlyArray<Diagnostic>) => ds.map((d) => `${d.severity}:${d.code}`);

describe("compile: a valid document", () => {
  it("compiles with no diagnostics into a spec with next maps built from edges", () => {
    const result = run(baseDoc());
    expect(result.diagnostics).toEqual([]);
    expect(result.spec).toBeDefined();
    const spec = result.spec!;
    expect(spec.formatVersion).toBe(1);
    expect(spec.nodes.find((n) => n.id === "route")!.next).toEqual({ "rule:sales": "to_sales", else: "ab" });
    // Defaults are filled in by decoding.
    const ask = spec.nodes.find((n) => n.id === "ask_name")!;
    expect(ask.kind === "question" && ask.data.maxRetries).toBe(2);
    expect(spec.settings.targeting.show).toEqual([{ type: "url", operator: "all", value: "" }]);
  });

  it("round-trips through specToDocument and passes checkSpec", () => {
    const spec = run(baseDoc()).spec!;
    expect(checkSpec(spec, context)).toEqual([]);
    const doc = specToDocument(spec);
    expect(Either.isRight(decodeFlowDocument(doc))).toBe(true);
    expect(compile(doc, context)).toEqual({ spec, diagnostics: [] });
    // Laid out top to bottom by distance from the start.
    const y = (id: string) => doc.nodes.find((n) => n.id === id)!.position.y;
    expect(y("welcome")).toBeLessThan(y("ask_name"));
    expect(y("ask_name")).toBeLessThan(y("route"));
    expect(y("to_sales")).toBe(y("ab"));
  });
});

interface Case {
  name: string;
  code: string;
  severity: "error" | "warning";
  bad: (doc: Doc) => void;
  /** Applied to the broken document; omitted = the untouched base document. */
  fix?: (doc: Doc) => void;
  expect?: Partial<Diagnostic>;
  message?: RegExp;
}

const cases: Case[] = [
  { name: "no start node", code: "missing_start", severity: "error", bad: (d) => delete d.startNodeId },
  { name: "start node missing", code: "unknown_start", severity: "error", bad: (d) => (d.startNodeId = "nope") },
  {
    name: "duplicate node id",
    code: "duplicate_node_id",
    severity: "error",
    bad: (d) => d.nodes.push({ id: "done", kind: "end", position: at, data: {} }),
    fix: (d) => {
      d.nodes[d.nodes.length - 1].id = "done2";
      d.edges.push({ id: "x", source: "book", sourcePort: "next", target: "done2" });
      d.edges = d.edges.filter((e: any) => e.id !== "e12");
    },
    expect: { nodeId: "done", path: "nodes[12].id" },
  },
  {
    name: "edge from a missing node",
    code: "edge_unknown_source",
    severity: "error",
    bad: (d) => d.edges.push({ id: "x", source: "ghost", sourcePort: "next", target: "done" }),
    expect: { path: "edges[14]" },
  },
  {
    name: "edge to a missing node",
    code: "edge_unknown_target",
    severity: "error",
    bad: (d) => (edge(d, "book", "next").target = "ghost"),
    expect: { nodeId: "book", port: "next" },
  },
  {
    name: "edge from a port the node lacks",
    code: "edge_unknown_port",
    severity: "error",
    bad: (d) => d.edges.push({ id: "x", source: "route", sourcePort: "rule:deleted", target: "done" }),
    expect: { nodeId: "route", port: "rule:deleted" },
  },
  {
    name: "two edges from one port",
    code: "duplicate_edge",
    severity: "error",
    bad: (d) => d.edges.push({ id: "x", source: "book", sourcePort: "next", target: "ticket" }),
    expect: { nodeId: "book", port: "next" },
  },
  {
    name: "required port unconnected",
    code: "port_unconnected",
    severity: "error",
    bad: (d) => (d.edges = d.edges.filter((e: any) => e.id !== "e2")),
    expect: { nodeId: "ask_name", port: "answered" },
    message: /"answered" exit of Question "Ask name"/,
  },
  {
    name: "split arm unconnected (names the arm)",
    code: "port_unconnected",
    severity: "error",
    bad: (d) => (d.edges = d.edges.filter((e: any) => e.id !== "e7")),
    expect: { nodeId: "ab", port: "arm:b" },
    message: /"B \(50%\)"/,
  },
  {
    name: "choice with its own port unconnected and no catch-all",
    code: "port_unconnected",
    severity: "error",
    bad: (d) => {
      node(d, "ask_name").data.answer = { type: "choice", portPerChoice: true, choices: [{ id: "yes", label: "Yes" }, { id: "no", label: "No" }] };
      edge(d, "ask_name", "answered").sourcePort = "choice:yes";
    },
    fix: (d) => d.edges.push({ id: "x", source: "ask_name", sourcePort: "answered", target: "done" }),
    expect: { nodeId: "ask_name", port: "choice:no" },
  },
  {
    name: "multiple-choice question with a port per choice and no catch-all",
    code: "port_unconnected",
    severity: "error",
    bad: (d) => {
      node(d, "ask_name").data.answer = { type: "choice", portPerChoice: true, multiple: true, choices: [{ id: "yes", label: "Yes" }] };
      edge(d, "ask_name", "answered").sourcePort = "choice:yes";
    },
    fix: (d) => d.edges.push({ id: "x", source: "ask_name", sourcePort: "answered", target: "done" }),
    expect: { nodeId: "ask_name", port: "answered" },
    message: /picks several choices/,
  },
  {
    name: "unreachable node",
    code: "unreachable_node",
    severity: "warning",
    bad: (d) => d.nodes.push({ id: "orphan", kind: "end", position: at, data: {} }),
    fix: (d) => {
      edge(d, "book", "next").target = "orphan";
    },
    expect: { nodeId: "orphan" },
  },
  {
    name: "loop without a waiting node",
    code: "infinite_loop",
    severity: "error",
    bad: (d) => (edge(d, "book", "next").target = "route"),
    fix: (d) => (edge(d, "book", "next").target = "ask_name"),
    expect: { nodeId: "route" },
    message: /loop forever/,
  },
  {
    name: "a node looping to itself",
    code: "infinite_loop",
    severity: "error",
    bad: (d) => (edge(d, "ticket", "next").target = "ticket"),
    expect: { nodeId: "ticket" },
  },
  {
    name: "invalid regex in a branch",
    code: "invalid_regex",
    severity: "error",
    bad: (d) => (node(d, "route").data.rules[0].conditions[0].value = "(a"),
    expect: { nodeId: "route", path: "data.rules[0].conditions[0].value" },
  },
  {
    name: "invalid regex in a targeting rule",
    code: "invalid_regex",
    severity: "error",
    bad: (d) => (d.settings = { targeting: { show: [{ type: "url", operator: "all" }], hide: [{ type: "url", operator: "regex", value: "[" }] } }),
    fix: (d) => (d.settings.targeting.hide[0].value = "^/admin"),
    expect: { path: "settings.targeting.hide[0].value" },
  },
  {
    name: "template names an undefined variable",
    code: "undefined_variable",
    severity: "error",
    bad: (d) => (node(d, "done").data.message = "Thanks, {{nmae}}!"),
    expect: { nodeId: "done", path: "data.message" },
    message: /Did you mean "name"/,
  },
  {
    name: "template uses a variable saved only by a webhook mapping",
    code: "undefined_variable",
    severity: "error",
    bad: (d) => (node(d, "hook").data.responseMappings = []),
    expect: { nodeId: "score", path: "data.inputs[0]" },
  },
  {
    name: "template names an unknown contact property",
    code: "unknown_contact_property",
    severity: "error",
    bad: (d) => (node(d, "welcome").data.bubbles[0].text = "Hi {{contact.shoe_size}}"),
    fix: (d) => (node(d, "welcome").data.bubbles[0].text = "Hi {{contact.company_size}}"),
    expect: { nodeId: "welcome", path: "data.bubbles[0].text" },
  },
  {
    name: "template names unknown visitor info",
    code: "unknown_visitor_field",
    severity: "error",
    bad: (d) => (node(d, "done").data.message = "{{visitor.ip}}"),
    fix: (d) => (node(d, "done").data.message = "{{visitor.language}}"),
  },
  {
    name: "branch condition on an undefined variable",
    code: "undefined_variable",
    severity: "error",
    bad: (d) => (node(d, "route").data.rules[0].conditions[0].subject.name = "nam"),
    expect: { path: "data.rules[0].conditions[0].subject.name" },
  },
  {
    name: "split percentages not summing to 100",
    code: "split_not_100",
    severity: "error",
    bad: (d) => (node(d, "ab").data.arms[1].percent = 40),
    message: /add up to 90%/,
  },
  {
    name: "handoff to an unknown team",
    code: "unknown_team",
    severity: "error",
    bad: (d) => (node(d, "to_sales").data.target.teamId = "t_gone"),
    expect: { nodeId: "to_sales", path: "data.target.teamId" },
  },
  {
    name: "handoff to an unknown user",
    code: "unknown_user",
    severity: "error",
    bad: (d) => (node(d, "to_sales").data.target = { type: "user", userId: "u_gone" }),
    fix: (d) => (node(d, "to_sales").data.target = { type: "user", userId: "u_ann" }),
  },
  {
    name: "meeting with an unknown user",
    code: "unknown_user",
    severity: "error",
    bad: (d) => (node(d, "book").data.userId = "u_gone"),
    expect: { nodeId: "book", path: "data.userId" },
  },
  {
    name: "branch on an unknown team's availability",
    code: "unknown_team",
    severity: "error",
    bad: (d) => (node(d, "route").data.rules[1].conditions[0].subject.teamId = "t_gone"),
    expect: { path: "data.rules[1].conditions[0].subject.teamId" },
  },
  {
    name: "duplicate rule ids",
    code: "duplicate_item_id",
    severity: "error",
    bad: (d) => (node(d, "route").data.rules[1].id = "sales"),
    expect: { path: "data.rules[1].id" },
  },
  {
    name: "duplicate choice ids",
    code: "duplicate_item_id",
    severity: "error",
    bad: (d) => (node(d, "ask_name").data.answer = { type: "choice", choices: [{ id: "a", label: "A" }, { id: "a", label: "B" }] }),
    fix: (d) => (node(d, "ask_name").data.answer.choices[1].id = "b"),
    expect: { path: "data.answer.choices[1].id" },
  },
  {
    name: "number min greater than max",
    code: "invalid_range",
    severity: "error",
    bad: (d) => (node(d, "ask_name").data.answer = { type: "number", min: 10, max: 5 }),
    fix: (d) => (node(d, "ask_name").data.answer = { type: "number", min: 0, max: 0 }),
    expect: { path: "data.answer.min" },
  },
  {
    name: "rating min equal to max",
    code: "invalid_range",
    severity: "error",
    bad: (d) => (node(d, "ask_name").data.answer = { type: "rating", min: 5, max: 5 }),
    fix: (d) => (node(d, "ask_name").data.answer = { type: "rating", min: 0, max: 5 }),
  },
  {
    name: "a question that asks nothing",
    code: "empty_content",
    severity: "error",
    bad: (d) => (node(d, "ask_name").data.prompt = "  "),
    fix: (d) => (node(d, "ask_name").data.prompt = "Your name?"),
    expect: { path: "data.prompt" },
  },
  {
    name: "an empty text bubble",
    code: "empty_content",
    severity: "error",
    bad: (d) => node(d, "welcome").data.bubbles.push({ type: "text", text: "" }),
    fix: (d) => (node(d, "welcome").data.bubbles[1].text = "Welcome!"),
    expect: { path: "data.bubbles[1].text" },
  },
  {
    name: "question saving to nothing",
    code: "question_saves_nothing",
    severity: "warning",
    bad: (d) => {
      node(d, "ask_name").data.save = {};
      d.variables.push({ name: "name" });
    },
    fix: (d) => (node(d, "ask_name").data.save = { contactProperty: "firstname" }),
  },
  {
    name: "skip-if-known without a contact property",
    code: "skip_without_property",
    severity: "warning",
    bad: (d) => (node(d, "ask_name").data.skipIfKnown = true),
    fix: (d) => (node(d, "ask_name").data.save.contactProperty = "name"),
  },
  {
    name: "live chat with no reachable handoff",
    code: "live_chat_without_handoff",
    severity: "warning",
    bad: (d) => {
      d.kind = "live_chat";
      d.edges = d.edges.filter((e: any) => e.id !== "e3");
    },
    fix: (d) => d.edges.push({ id: "e3", source: "route", sourcePort: "rule:sales", target: "to_sales" }),
  },
  {
    name: "condition without a value",
    code: "missing_condition_value",
    severity: "error",
    bad: (d) => (node(d, "route").data.rules[0].conditions[0] = { subject: { type: "last_answer" }, operator: "equals" }),
    fix: (d) => (node(d, "route").data.rules[0].conditions[0].operator = "is_set"),
  },
  {
    name: "variable declared twice",
    code: "duplicate_variable",
    severity: "error",
    bad: (d) => d.variables.push({ name: "plan" }),
    expect: { path: "variables[1].name" },
  },
  {
    name: "node data failing its schema",
    code: "invalid_node_data",
    severity: "error",
    bad: (d) => (node(d, "ask_name").data.answer = { type: "number", min: "ten" }),
    expect: { nodeId: "ask_name", path: "data.answer.min", message: 'Expected a number, got "ten"' },
  },
  {
    name: "settings failing their schema",
    code: "invalid_settings",
    severity: "error",
    bad: (d) => (d.settings = { display: { accentColor: "red" } }),
    expect: { path: "settings.display.accentColor", message: "A colour is #rrggbb" },
  },
  {
    name: "unknown time zone",
    code: "invalid_timezone",
    severity: "error",
    bad: (d) => (d.settings = { availability: { mode: "business_hours", timezone: "Europe/Berlinn" } }),
    fix: (d) => (d.settings.availability.timezone = "Europe/Berlin"),
    expect: { path: "settings.availability.timezone" },
  },
  {
    name: "opening hours that open and close at once",
    code: "empty_opening_hours",
    severity: "warning",
    bad: (d) => (d.settings = { availability: { mode: "business_hours", hours: [{ day: "mon", from: "09:00", to: "09:00" }] } }),
    fix: (d) => (d.settings.availability.hours[0].to = "17:00"),
  },
  {
    name: "availability following a team that does not exist",
    code: "unknown_team",
    severity: "error",
    bad: (d) => (d.settings = { availability: { mode: "team", teamId: "t_gone" } }),
    fix: (d) => (d.settings.availability.teamId = "t_sales"),
    expect: { path: "settings.availability.teamId", message: 'The availability names a team that does not exist (id "t_gone"). Choose one of your teams.' },
  },
  {
    name: "availability following a team without choosing one",
    code: "missing_team",
    severity: "error",
    bad: (d) => (d.settings = { availability: { mode: "team" } }),
    fix: (d) => (d.settings.availability.teamId = "t_sales"),
    expect: { path: "settings.availability.teamId" },
    message: /no team is chosen/,
  },
  {
    name: "availability following an empty team id",
    code: "missing_team",
    severity: "error",
    bad: (d) => (d.settings = { availability: { mode: "team", teamId: "" } }),
    fix: (d) => (d.settings.availability.mode = "always"),
    expect: { path: "settings.availability.teamId" },
  },
  {
    name: "a closed date listed twice",
    code: "duplicate_closed_date",
    severity: "warning",
    bad: (d) => (d.settings = { availability: { closedDates: [{ date: "2026-12-25", yearly: true }, { date: "2027-12-25" }] } }),
    fix: (d) => (d.settings.availability.closedDates[1].date = "2027-12-26"),
    expect: { path: "settings.availability.closedDates[1]", message: "2027-12-25 is already closed by closed date 1." },
  },
  {
    name: "a special day listed twice",
    code: "duplicate_closed_date",
    severity: "warning",
    bad: (d) => (d.settings = { availability: { closedDates: [{ date: "2026-12-24", hours: [{ from: "09:00", to: "13:00" }] }, { date: "2026-12-24" }] } }),
    fix: (d) => d.settings.availability.closedDates.pop(),
    expect: { path: "settings.availability.closedDates[1]", message: "2026-12-24 is already listed as closed date 1; the day is open only in the hours both keep." },
  },
  {
    name: "a special day's ranges overlap",
    code: "overlapping_special_hours",
    severity: "warning",
    bad: (d) => (d.settings = { availability: { closedDates: [{ date: "2026-12-24", hours: [{ from: "09:00", to: "13:00" }, { from: "12:00", to: "14:00" }] }] } }),
    fix: (d) => (d.settings.availability.closedDates[0].hours[1].from = "13:00"),
    expect: { path: "settings.availability.closedDates[0].hours[1]", message: "On 2026-12-24, 12:00–14:00 overlaps 09:00–13:00." },
  },
  {
    name: "knowledge limit below 1",
    code: "invalid_node_data",
    severity: "error",
    bad: (d) => (node(d, "kb").data.limit = 0),
    expect: { nodeId: "kb", path: "data.limit", message: "The number of articles is 1 to 5" },
  },
  {
    name: "knowledge limit above 5",
    code: "invalid_node_data",
    severity: "error",
    bad: (d) => (node(d, "kb").data.limit = 6),
    fix: (d) => (node(d, "kb").data.limit = 5),
    expect: { nodeId: "kb", path: "data.limit" },
  },
  {
    name: "knowledge title saved to a bad variable name",
    code: "invalid_node_data",
    severity: "error",
    bad: (d) => (node(d, "kb").data.saveTitleTo = "best title"),
    expect: { nodeId: "kb", path: "data.saveTitleTo" },
  },
  {
    name: "knowledge query naming an unknown variable",
    code: "undefined_variable",
    severity: "error",
    bad: (d) => (node(d, "kb").data.query = "{{plam}}"),
    expect: { nodeId: "kb", path: "data.query" },
    message: /Did you mean "plan"\?/,
  },
  {
    name: "knowledge found exit unconnected",
    code: "port_unconnected",
    severity: "error",
    bad: (d) => (d.edges = d.edges.filter((e: any) => e.id !== "e13")),
    expect: { nodeId: "kb", port: "found" },
    message: /"found" exit of Knowledge base "Search help"/,
  },
  {
    name: "knowledge that says nothing and ends when nothing matches",
    code: "silent_not_found",
    severity: "warning",
    bad: (d) => {
      d.edges = d.edges.filter((e: any) => e.id !== "e14");
      delete node(d, "kb").data.notFoundMessage;
    },
    fix: (d) => (node(d, "kb").data.notFoundMessage = "Sorry, nothing on that."),
    expect: { nodeId: "kb", port: "not_found" },
  },
  {
    name: "invalid language tag",
    code: "invalid_flow",
    severity: "error",
    bad: (d) => (d.language = "English"),
    expect: { path: "language" },
  },
];

describe("compile: each diagnostic fires on the bad case and not on the fixed one", () => {
  it.each(cases)("$name → $code", (c) => {
    const bad = baseDoc();
    c.bad(bad);
    const result = run(bad);
    const hits = result.diagnostics.filter((d) => d.code === c.code);
    expect(hits.length, JSON.stringify(result.diagnostics, null, 1)).toBeGreaterThan(0);
    expect(hits[0]!.severity).toBe(c.severity);
    if (c.expect) expect(hits[0]).toMatchObject(c.expect);
    if (c.message) expect(hits.map((h) => h.message).join("\n")).toMatch(c.message);
    for (const h of hits) expect(h.message).not.toMatch(/readonly|Struct|Encoded side/);
    expect(result.spec === undefined).toBe(c.severity === "error");

    const fixed = c.fix ? (c.fix(bad), bad) : baseDoc();
    const after = run(fixed);
    expect(after.diagnostics.filter((d) => d.code === c.code)).toEqual([]);
  });

  it("warnings alone still give a spec", () => {
    const doc = baseDoc();
    doc.nodes.push({ id: "orphan", kind: "end", position: at, data: {} });
    const result = run(doc);
    expect(codes(result.diagnostics)).toEqual(["warning:unreachable_node"]);
    expect(result.spec?.nodes).toHaveLength(13);
  });

  it("a loop through a question is fine", () => {
    const doc = baseDoc();
    edge(doc, "book", "next").target = "ask_name";
    expect(codes(run(doc).diagnostics)).toEqual([]);
  });
});

describe("checkSpec on a hand-written spec", () => {
  const spec = (): FlowSpec => structuredClone(run(baseDoc()).spec!) as FlowSpec;

  it("reports next entries pointing at missing nodes or ports", () => {
    const s = spec() as any;
    s.nodes.find((n: any) => n.id === "book").next = { next: "ghost", nope: "done" };
    const ds = checkSpec(s, context);
    expect(ds).toContainEqual(expect.objectContaining({ code: "edge_unknown_target", nodeId: "book", port: "next" }));
    expect(ds).toContainEqual(expect.objectContaining({ code: "edge_unknown_port", nodeId: "book", port: "nope", path: "next.nope" }));
  });

  it("reports the same semantic problems as compile", () => {
    const s = spec() as any;
    s.nodes.find((n: any) => n.id === "ab").data.arms[0].percent = 10;
    s.nodes.push({ ...s.nodes[0] });
    expect(codes(checkSpec(s, context))).toEqual(["error:duplicate_node_id", "error:split_not_100"]);
  });
});

describe("decoding a broken hand-written spec", () => {
  const broken = {
    formatVersion: 1,
    id: "lead bot",
    name: "Lead bot",
    kind: "bots",
    startNodeId: "a",
    nodes: [
      { id: "a", kind: "question", data: { prompt: "Age?", answer: { type: "number", min: "18" } }, next: { answered: "b" } },
      { id: "b", kind: "mesage", data: {} },
      { id: "c", kind: "message", data: { bubbles: [] } },
      { id: "d", kind: "message", data: { bubbles: ["hello"] } },
    ],
    settings: { targeting: { show: [{ type: "url", operator: "startswith" }] }, availability: { hours: [{ day: "monday", from: "9:00", to: "17:00" }] } },
  };

  it("gives every problem as a path and a plain message", () => {
    const result = decodeFlowSpec(broken);
    expect(Either.isLeft(result)).toBe(true);
    const issues = Either.isLeft(result) ? result.left : [];
    expect(issues).toEqual([
      { path: "id", message: "An id is 1–64 letters, digits, '_' or '-'" },
      { path: "kind", message: 'Expected one of "bot", "live_chat", got "bots"' },
      { path: "nodes[0].data.answer.min", message: 'Expected a number, got "18"' },
      {
        path: "nodes[1].kind",
        message:
          'Expected one of "message", "question", "branch", "set", "webhook", "code", "handoff", "ticket", "meeting", "add_to_list", "subscribe", "knowledge", "split", "end", got "mesage"',
      },
      { path: "nodes[2].data.bubbles", message: "Needs at least one item" },
      { path: "nodes[3].data.bubbles[0]", message: 'Expected an object, got "hello"' },
      {
        path: "settings.targeting.show[0].operator",
        message: 'Expected one of "all", "is", "contains", "begins_with", "ends_with", "wildcard", "regex", got "startswith"',
      },
      { path: "settings.availability.hours[0].day", message: 'Expected one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", got "monday"' },
      { path: "settings.availability.hours[0].from", message: "A time is HH:MM (24 h)" },
    ]);
  });

  it("names a missing field", () => {
    const { startNodeId: _, ...rest } = broken;
    const result = decodeFlowSpec({ ...rest, id: "x", kind: "bot", nodes: [], settings: {} });
    expect(Either.isLeft(result) && result.left).toEqual([{ path: "startNodeId", message: '"startNodeId" is required' }]);
  });

  it("accepts a spec compiled from a document", () => {
    const spec = run(baseDoc()).spec!;
    expect(decodeFlowSpec(JSON.parse(JSON.stringify(spec)))).toEqual(Either.right(spec));
  });
});

describe("large flows", () => {
  /** A chain of `n` message nodes; `loop` sends the last back to the first. */
  const chain = (n: number, loop: boolean): FlowDocument => ({
    id: "big",
    name: "Big",
    kind: "bot",
    language: "en",
    startNodeId: "n0",
    variables: [],
    settings: {},
    nodes: Array.from({ length: n }, (_, i) => ({
      id: `n${i}`,
      kind: i === n - 1 && !loop ? "end" : "message",
      position: at,
      data: i === n - 1 && !loop ? {} : { bubbles: [{ type: "text", text: `Step ${i}` }] },
    })),
    edges: Array.from({ length: loop ? n : n - 1 }, (_, i) => ({
      id: `e${i}`,
      source: `n${i}`,
      sourcePort: "next",
      target: `n${(i + 1) % n}`,
    })),
  });

  it("compiles a 5,000-node chain without overflowing the stack", () => {
    const result = compile(chain(5000, false), context);
    expect(result.diagnostics).toEqual([]);
    expect(result.spec!.nodes).toHaveLength(5000);
    expect(specToDocument(result.spec!).nodes[4999]!.position.y).toBe(4999 * 160);
  });

  it("finds one 5,000-node loop that never waits", () => {
    const result = compile(chain(5000, true), context);
    expect(codes(result.diagnostics)).toEqual(["error:infinite_loop"]);
    expect(result.diagnostics[0]!.message).toMatch(/and 4995 more form a loop/);
  });
});

describe("the example in docs/flow-spec.md", () => {
  it("decodes and passes every check", () => {
    const markdown = readFileSync(fileURLToPath(new URL("../docs/flow-spec.md", import.meta.url)), "utf8");
    const section = markdown.slice(markdown.indexOf("## A full example"));
    const json = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
    const decoded = decodeFlowSpec(JSON.parse(json));
    if (Either.isLeft(decoded)) expect.fail(JSON.stringify(decoded.left));
    const docContext: CompileContext = {
      teams: [{ id: "team_sales", name: "Sales" }],
      users: [{ id: "user_ann", name: "Ann" }],
      contactProperties: [],
    };
    expect(checkSpec(decoded.right, docContext)).toEqual([]);
    expect(compile(specToDocument(decoded.right), docContext)).toEqual({ spec: decoded.right, diagnostics: [] });
  });
});

describe("add to list", () => {
  const doc = (listId: string) => ({
    id: "lists_bot",
    name: "Lists bot",
    kind: "bot",
    language: "en",
    startNodeId: "join",
    variables: [],
    settings: {},
    nodes: [
      { id: "join", kind: "add_to_list", position: at, data: { listId } },
      { id: "bye", kind: "end", position: at, data: { message: "Done" } },
    ],
    edges: [{ id: "e1", source: "join", sourcePort: "next", target: "bye" }],
  });
  const compiled = (listId: string, lists?: CompileContext["lists"]) => {
    const decoded = decodeFlowDocument(doc(listId));
    if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
    return compile(decoded.right, { ...context, ...(lists ? { lists } : {}) });
  };

  it("compiles to a node with the list id and a next port", () => {
    const result = compiled("list_news", [{ id: "list_news", name: "Newsletter" }]);
    expect(result.diagnostics).toEqual([]);
    expect(result.spec?.nodes[0]).toEqual({ id: "join", kind: "add_to_list", data: { listId: "list_news" }, next: { next: "bye" } });
  });

  it("refuses a list the workspace does not have, at data.listId, and an empty one", () => {
    const unknown = compiled("list_gone", [{ id: "list_news", name: "Newsletter" }]);
    expect(unknown.spec).toBeUndefined();
    expect(unknown.diagnostics).toEqual([
      expect.objectContaining({ code: "unknown_list", severity: "error", nodeId: "join", path: "data.listId" }),
    ]);
    const empty = compiled("", [{ id: "list_news", name: "Newsletter" }]);
    expect(empty.spec).toBeUndefined();
    expect(empty.diagnostics[0]).toMatchObject({ nodeId: "join", severity: "error" });
    expect(empty.diagnostics[0]?.message).toMatch(/pick a list/i);
  });

  it("leaves list ids unchecked where the context knows no lists (a flow file outside a workspace)", () => {
    expect(compiled("list_anything").diagnostics).toEqual([]);
  });
});

describe("handoff labels", () => {
  const doc = (labels?: ReadonlyArray<string>) => ({
    id: "labels_bot",
    name: "Labels bot",
    kind: "bot",
    language: "en",
    startNodeId: "human",
    variables: [],
    settings: {},
    nodes: [{ id: "human", kind: "handoff", position: at, data: { target: { type: "routing" }, ...(labels ? { labels } : {}) } }],
    edges: [],
  });
  const compiled = (labels?: ReadonlyArray<string>, known?: CompileContext["labels"]) => {
    const decoded = decodeFlowDocument(doc(labels));
    if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
    return compile(decoded.right, { ...context, ...(known ? { labels: known } : {}) });
  };
  const workspace = [
    { id: "label_lead", name: "Sales lead" },
    { id: "label_vip", name: "VIP" },
  ];

  it("keeps the labels on the handoff node, and none when the step names none", () => {
    const result = compiled(["label_lead", "label_vip"], workspace);
    expect(result.diagnostics).toEqual([]);
    expect(result.spec?.nodes[0]?.data).toEqual({ target: { type: "routing" }, labels: ["label_lead", "label_vip"], away: { askForEmail: false, createTicket: false } });
    expect(compiled(undefined, workspace).spec?.nodes[0]?.data).not.toHaveProperty("labels");
  });

  it("refuses a label the workspace does not have, at its place in data.labels", () => {
    const unknown = compiled(["label_lead", "label_gone"], workspace);
    expect(unknown.spec).toBeUndefined();
    expect(unknown.diagnostics).toEqual([
      expect.objectContaining({ code: "unknown_label", severity: "error", nodeId: "human", path: "data.labels[1]", message: expect.stringContaining('"label_gone"') }),
    ]);
    // Where the context knows no labels (a flow file outside a workspace) ids are not checked.
    expect(compiled(["label_anything"]).diagnostics).toEqual([]);
  });

  it("refuses a label list that is not a list of ids", () => {
    const empty = compiled([""], workspace);
    expect(empty.spec).toBeUndefined();
    expect(empty.diagnostics[0]).toMatchObject({ nodeId: "human", severity: "error" });
    expect(empty.diagnostics[0]?.path).toMatch(/^data\.labels/);
  });
});

describe("email subscription", () => {
  const doc = (data: Record<string, unknown>) => ({
    id: "sub_bot",
    name: "Sub bot",
    kind: "bot",
    language: "en",
    startNodeId: "sub",
    variables: [],
    settings: {},
    nodes: [
      { id: "sub", kind: "subscribe", position: at, data },
      { id: "bye", kind: "end", position: at, data: {} },
    ],
    edges: [{ id: "e1", source: "sub", sourcePort: "subscribed", target: "bye" }],
  });
  const compiled = (data: Record<string, unknown>) => {
    const decoded = decodeFlowDocument(doc(data));
    if (Either.isLeft(decoded)) throw new Error(JSON.stringify(decoded.left));
    return compile(decoded.right, { ...context, lists: [{ id: "list_news", name: "Newsletter" }] });
  };

  it("compiles with its defaults and an optional list, subscribed required and declined optional", () => {
    const result = compiled({ consentText: "Send me news.", listId: "list_news" });
    expect(result.diagnostics).toEqual([]);
    expect(result.spec?.nodes[0]).toMatchObject({
      kind: "subscribe",
      data: { question: "Would you like our newsletter?", consentText: "Send me news.", yesLabel: "Yes, please", noLabel: "No, thanks", listId: "list_news" },
      next: { subscribed: "bye" },
    });
  });

  it("refuses an empty consent text and an unknown list, each at its path", () => {
    const result = compiled({ consentText: "  ", listId: "list_gone" });
    expect(result.spec).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ["missing_consent_text", "data.consentText"],
      ["unknown_list", "data.listId"],
    ]);
  });
});

describe("robustness", () => {
  const kinds = ["message", "question", "branch", "set", "webhook", "code", "handoff", "ticket", "meeting", "add_to_list", "subscribe", "knowledge", "split", "end"] as const;
  const ids = fc.constantFrom("a", "b", "c", "d", "e");
  const ports = fc.constantFrom("next", "answered", "invalid", "else", "ok", "error", "away", "arm:a", "rule:r", "choice:x", "bogus");
  const documents = fc.record({
    startNodeId: fc.option(ids, { nil: undefined }),
    nodes: fc.array(
      fc.record({
        id: ids,
        kind: fc.constantFrom(...kinds),
        position: fc.constant(at),
        data: fc.oneof(fc.anything(), fc.constantFrom(...baseDoc().nodes.map((n: any) => n.data))),
      }),
      { maxLength: 8 },
    ),
    edges: fc.array(fc.record({ id: fc.string({ minLength: 1 }), source: ids, sourcePort: ports, target: ids }), { maxLength: 12 }),
    settings: fc.oneof(fc.anything(), fc.constant({})),
  });

  it("compile never throws and gives a spec exactly when there is no error", () => {
    fc.assert(
      fc.property(documents, (parts) => {
        const decoded = decodeFlowDocument({ id: "f", name: "F", kind: "live_chat", ...parts });
        if (Either.isLeft(decoded)) return;
        const result = compile(decoded.right, context);
        const errors = result.diagnostics.filter((d) => d.severity === "error");
        expect(result.spec === undefined).toBe(errors.length > 0);
        if (result.spec) {
          expect(Either.isRight(decodeFlowSpec(JSON.parse(JSON.stringify(result.spec))))).toBe(true);
          expect(checkSpec(result.spec, context).filter((d) => d.severity === "error")).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });
});
