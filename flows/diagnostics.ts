/**
 * Diagnostics: what the compiler and the static checks say about a chatflow, in words a
 * marketer understands, with enough location (node, field path, port) for the canvas to
 * point at the problem.
 */
import type { DecodeIssue } from "./decode.js";

export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly severity: Severity;
  /** Stable machine-readable code (see `DiagnosticCode`); UIs and tests key on it. */
  readonly code: string;
  readonly message: string;
  /** The node the problem is on, when it is on one. */
  readonly nodeId?: string;
  /** Field path, relative to the node when `nodeId` is set (`data.answer.min`), else to the flow (`settings.targeting.show[0].value`). */
  readonly path?: string;
  /** The output port concerned, e.g. `answered`, `choice:yes`. */
  readonly port?: string;
}

/** Every code the compiler and `checkSpec` emit. Codes never change meaning once released. */
export const DiagnosticCode = {
  invalidNodeData: "invalid_node_data",
  invalidSettings: "invalid_settings",
  invalidFlow: "invalid_flow",
  missingStart: "missing_start",
  unknownStart: "unknown_start",
  duplicateNodeId: "duplicate_node_id",
  duplicateItemId: "duplicate_item_id",
  duplicateVariable: "duplicate_variable",
  edgeUnknownSource: "edge_unknown_source",
  edgeUnknownTarget: "edge_unknown_target",
  edgeUnknownPort: "edge_unknown_port",
  duplicateEdge: "duplicate_edge",
  portUnconnected: "port_unconnected",
  unreachableNode: "unreachable_node",
  infiniteLoop: "infinite_loop",
  invalidRegex: "invalid_regex",
  missingConditionValue: "missing_condition_value",
  undefinedVariable: "undefined_variable",
  unknownContactProperty: "unknown_contact_property",
  unknownVisitorField: "unknown_visitor_field",
  splitNot100: "split_not_100",
  unknownTeam: "unknown_team",
  missingTeam: "missing_team",
  unknownUser: "unknown_user",
  unknownList: "unknown_list",
  unknownLabel: "unknown_label",
  missingConsentText: "missing_consent_text",
  invalidRange: "invalid_range",
  invalidTimezone: "invalid_timezone",
  emptyOpeningHours: "empty_opening_hours",
  duplicateClosedDate: "duplicate_closed_date",
  overlappingSpecialHours: "overlapping_special_hours",
  questionSavesNothing: "question_saves_nothing",
  skipWithoutProperty: "skip_without_property",
  liveChatWithoutHandoff: "live_chat_without_handoff",
  emptyContent: "empty_content",
  silentNotFound: "silent_not_found",
} as const;
export type DiagnosticCode = (typeof DiagnosticCode)[keyof typeof DiagnosticCode];

/** True when any diagnostic is an error. Pure. */
export const hasErrors = (diagnostics: ReadonlyArray<Diagnostic>): boolean =>
  diagnostics.some((d) => d.severity === "error");

// ---------------------------------------------------------------------------------------------
// Plain-English decode messages

const MAX_SHOWN = 60;

/** Effect's "actual" rendering, shortened so a 4,000-character text does not flood the UI. */
const shorten = (actual: string): string =>
  actual.length > MAX_SHOWN ? `${actual.slice(0, MAX_SHOWN - 1)}…` : actual;

/** Turns one of Effect's type descriptions into words ("string" → "text"). */
const describeExpected = (expected: string): string => {
  const e = expected.trim();
  if (e === "string") return "text";
  if (e === "number") return "a number";
  if (e === "boolean") return "true or false";
  if (e === "null") return "null";
  if (/^"[^"]*"$/.test(e) || /^-?\d+(\.\d+)?$/.test(e)) return e;
  if (e.startsWith("ReadonlyArray<string>")) return "a list of texts";
  if (e.startsWith("ReadonlyArray<") || e.startsWith("readonly [")) return "a list";
  if (e.includes("Struct") || e.includes("{ readonly") || e.startsWith("{")) return "an object";
  if (e === "an integer") return "a whole number";
  if (e.startsWith("a string matching the pattern")) return "text in the expected format";
  let m = /^a string at least (\d+) character\(s\) long$/.exec(e);
  if (m) return m[1] === "1" ? "non-empty text" : `text of at least ${Number(m[1]).toLocaleString("en")} characters`;
  m = /^a string at most (\d+) character\(s\) long$/.exec(e);
  if (m) return `text of at most ${Number(m[1]).toLocaleString("en")} characters`;
  m = /^an array of at most (\d+) item\(s\)$/.exec(e);
  if (m) return `a list of at most ${m[1]} items`;
  return e;
};

const joinAlternatives = (items: ReadonlyArray<string>): string => {
  const unique = [...new Set(items)];
  if (unique.length === 1) return unique[0]!;
  if (unique.every((i) => i.startsWith('"'))) return `one of ${unique.join(", ")}`;
  return `${unique.slice(0, -1).join(", ")} or ${unique[unique.length - 1]}`;
};

/** Every proper ancestor path of each path (`a.b[0]` → `a`, `a.b`, and the root ""). */
const ancestorsOf = (paths: ReadonlyArray<string>): Set<string> => {
  const out = new Set<string>();
  for (const path of paths) {
    if (path === "") continue;
    out.add("");
    for (let i = 1; i < path.length; i++) {
      if (path[i] === "." || path[i] === "[") out.add(path.slice(0, i));
    }
  }
  return out;
};

const lastKey = (path: string): string => {
  const m = /(?:^|\.)([^.[\]]+)$/.exec(path);
  return m ? m[1]! : "this field";
};

/**
 * Rewrites Effect's raw decode issues into short plain-English ones: drops the
 * "Expected undefined" echoes that optional fields add above a real problem, merges the
 * alternatives of a union into one line, and names types in words. Pure; order-preserving.
 */
export const humanizeIssues = (issues: ReadonlyArray<DecodeIssue>): ReadonlyArray<DecodeIssue> => {
  const ancestors = ancestorsOf(issues.map((i) => i.path));
  const realAt = new Set(
    issues.filter((i) => !i.message.startsWith("Expected undefined,")).map((i) => i.path),
  );
  const byPath = new Map<string, { expected: string[]; actual?: string; other: string[] }>();
  const order: string[] = [];
  for (const issue of issues) {
    let { path } = issue;
    let message = issue.message;
    const expectedMatch = /^Expected ([\s\S]+), actual ([\s\S]*)$/.exec(message);
    if (expectedMatch && expectedMatch[1] === "undefined") {
      // An optional field's union with `undefined` restates the real problem one level up.
      if (ancestors.has(path) || realAt.has(path)) continue;
      message = "is not allowed here";
    }
    if (message === "is missing" && /\[0\]$/.test(path)) {
      // A non-empty list reports its empty state as a missing first element.
      path = path.replace(/\[0\]$/, "");
      message = "needs at least one item";
    } else if (message === "is missing") {
      message = `"${lastKey(path)}" is required`;
    }
    let entry = byPath.get(path);
    if (!entry) {
      entry = { expected: [], other: [] };
      byPath.set(path, entry);
      order.push(path);
    }
    const m = /^Expected ([\s\S]+), actual ([\s\S]*)$/.exec(message);
    if (m && m[1] !== "undefined") {
      entry.expected.push(...m[1]!.split(/ \| (?=")/).map(describeExpected));
      entry.actual = m[2];
    } else if (!entry.other.includes(message)) {
      entry.other.push(message);
    }
  }
  const out: DecodeIssue[] = [];
  for (const path of order) {
    const entry = byPath.get(path)!;
    if (entry.expected.length > 0) {
      out.push({
        path,
        message: `Expected ${joinAlternatives(entry.expected)}, got ${shorten(entry.actual ?? "")}`,
      });
    }
    for (const message of entry.other) out.push({ path, message: capitalize(message) });
  }
  return out;
};

const capitalize = (s: string): string => (s.length > 0 ? s[0]!.toUpperCase() + s.slice(1) : s);
