/**
 * Reading the files the `flow` CLI works on: JSON with a clear error on bad syntax, what kind of
 * Parley file it is (editor document, spec, flow test, compile context), the compile context
 * that sits next to the flows, and a flow file turned into a runnable spec plus diagnostics.
 */
import { Either, Schema as S } from "effect";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import type { Diagnostic } from "../../flows/diagnostics.js";
import { isAvailable, servedAvailability, type ServingCalendars } from "../../flows/availability.js";
import { ClosedDates, OpeningHours, type Availability, type FlowSpec } from "../../flows/flow-spec.js";
import { TeamHours, Timezone, teamAvailability, type WorkspaceCalendar } from "../../flows/team-hours.js";
import { checkSpec, compile, decodeFlowDocument, decodeFlowSpec, type CompileContext } from "../../flows/compile.js";

/** Name of the compile-context file the CLI picks up from a flow's folder. */
export const CONTEXT_FILE_NAME = "context.json";

/** A file that could not be used, with a message that names the file and what is wrong. */
export interface FileProblem {
  readonly file: string;
  readonly message: string;
}

/** Reads and parses a JSON file; a missing file or bad syntax gives a message with line and column. */
export const readJsonFile = (file: string): Either.Either<unknown, FileProblem> => {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? "file not found"
        : code === "EISDIR"
        ? "is a folder, not a file"
        : `cannot be read (${code ?? String(error)})`;
    return Either.left({ file, message });
  }
  return parseJson(file, text);
};

/** Parses JSON text; on a syntax error says where (line:column) and what. Pure. */
export const parseJson = (file: string, text: string): Either.Either<unknown, FileProblem> => {
  // A byte-order mark is invisible in editors but fatal to JSON.parse.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return Either.right(JSON.parse(body));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : syntaxErrorOffset(body);
    let where = "";
    if (/end of JSON input/i.test(message)) {
      where = " (the file ends too early)";
    } else if (offset !== undefined) {
      const before = body.slice(0, offset);
      where = ` at line ${before.split("\n").length}, column ${offset - before.lastIndexOf("\n")}`;
    }
    // V8 sometimes quotes the whole input in its message; the position says it better.
    const reason = message.replace(/ in JSON at position \d+.*$/s, "").replace(/, ".*" is not valid JSON$/s, "");
    return Either.left({ file, message: `is not valid JSON${where}: ${reason}` });
  }
};

/**
 * Offset of the first character that makes `text` invalid JSON, for the messages in which V8
 * gives no position. Only called on text JSON.parse rejected. Pure.
 */
const syntaxErrorOffset = (text: string): number | undefined => {
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) throw i;
      i++;
    }
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) throw i;
      i += text[i] === "\\" ? 2 : 1;
    }
    if (i >= text.length) throw i;
    i++;
  };
  const value = (): void => {
    space();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      const close = ch === "{" ? "}" : "]";
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (close === "}") {
          space();
          if (text[i] !== '"') throw i;
          string();
          space();
          if (text[i] !== ":") throw i;
          i++;
        }
        value();
        space();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        throw i;
      }
    }
    if (ch === '"') return string();
    if (ch === "t") return literal("true");
    if (ch === "f") return literal("false");
    if (ch === "n") return literal("null");
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (number === null) throw i;
    i += number[0].length;
  };
  try {
    value();
    space();
    return i < text.length ? i : undefined;
  } catch (at) {
    return typeof at === "number" ? at : undefined;
  }
};

export type FlowFileKind = "document" | "spec" | "test" | "context" | "unknown";

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * What kind of Parley file a parsed JSON value is: an editor document has `edges`, a spec has
 * `formatVersion` (or, when hand-written and incomplete, at least `nodes`), a flow test has
 * `cases`, a compile context has `teams`/`users`/`contactProperties` and no nodes. Pure.
 */
export const detectKind = (value: unknown): FlowFileKind => {
  if (!isRecord(value)) return "unknown";
  if ("edges" in value) return "document";
  if ("formatVersion" in value || "nodes" in value) return "spec";
  if ("cases" in value && "flow" in value) return "test";
  if ("teams" in value || "users" in value || "contactProperties" in value) return "context";
  return "unknown";
};

// ---------------------------------------------------------------------------------------------
// Compile context

const Named = S.Struct({ id: S.String.pipe(S.minLength(1)), name: S.String });
/** A team of the context; `hours` as `GET /api/v1/teams/:id/hours` answers them (decision 053). */
const ContextTeam = S.Struct({ id: S.String.pipe(S.minLength(1)), name: S.String, hours: S.optional(TeamHours) });
/** The workspace's calendar as `GET /api/v1/settings/business-hours` answers it. */
const WorkspaceHours = S.Struct({
  timezone: Timezone,
  hours: S.Array(OpeningHours).pipe(S.maxItems(50, { message: () => "at most 50 ranges" })),
  closedDates: S.optionalWith(ClosedDates, { default: () => [] }),
});
/** The JSON form of a compile context: the teams, users and contact properties a workspace knows. */
export const CompileContextJson = S.Struct({
  $schema: S.optional(S.String),
  description: S.optional(S.String),
  teams: S.optionalWith(S.Array(ContextTeam), { default: () => [] }),
  users: S.optionalWith(S.Array(Named), { default: () => [] }),
  contactProperties: S.optionalWith(S.Array(S.String), { default: () => [] }),
  /** Contact lists; when left out, "Add to list" steps are not checked against any. */
  lists: S.optional(S.Array(Named)),
  /** Conversation labels; when left out, handoff steps' labels are not checked against any. */
  labels: S.optional(S.Array(Named)),
  /** The workspace's hours, for teams that follow them and flows that follow its closed dates. */
  workspaceHours: S.optional(WorkspaceHours),
});

/**
 * A compile context as `check`, `chat` and `test` read it: with the calendars the server would
 * read a flow's availability against (decision 053) — the teams' hours by id and the workspace's
 * calendar, as far as the file gives them.
 */
export interface FlowFileContext extends CompileContext {
  readonly teamHours?: Readonly<Record<string, TeamHours>>;
  readonly workspaceHours?: WorkspaceCalendar;
}

/** The context used when none is given: nothing is known, so every team and user is unknown. */
export const EMPTY_CONTEXT: FlowFileContext = { teams: [], users: [], contactProperties: [] };

/** Decodes a compile context value, every problem as path + message. Pure. */
export const decodeCompileContext = (value: unknown): Either.Either<FlowFileContext, ReadonlyArray<DecodeIssue>> =>
  decodeWith(CompileContextJson)(value).pipe(
    Either.map((c) => {
      const teamHours = Object.fromEntries(c.teams.flatMap((t) => (t.hours === undefined ? [] : [[t.id, t.hours] as const])));
      return {
        teams: c.teams.map((t) => ({ id: t.id, name: t.name })),
        users: c.users,
        contactProperties: c.contactProperties,
        ...(c.lists ? { lists: c.lists } : {}),
        ...(c.labels ? { labels: c.labels } : {}),
        ...(Object.keys(teamHours).length > 0 ? { teamHours } : {}),
        ...(c.workspaceHours ? { workspaceHours: { timezone: c.workspaceHours.timezone, hours: c.workspaceHours.hours, closed: c.workspaceHours.closedDates } } : {}),
      };
    }),
  );

/** No weekly hours: a team that follows the workspace's is then never closed by them, as on the server. */
const NO_WORKSPACE_HOURS: WorkspaceCalendar = { timezone: "UTC", hours: [] };

/**
 * The calendars a context gives, as the widget config reads them on the server (decision 048):
 * a team's hours through `teamAvailability`, null (never closed) for a team the file gives no
 * hours for, one that keeps none, or one following workspace hours the file leaves out. Pure.
 */
export const servingCalendarsOf = (context: FlowFileContext): ServingCalendars => ({
  workspaceClosed: context.workspaceHours?.closed ?? [],
  teamSchedule: (teamId) => {
    const hours = context.teamHours?.[teamId];
    return hours === undefined ? null : teamAvailability(hours, context.workspaceHours ?? NO_WORKSPACE_HOURS);
  },
});

/** Who is open when a flow runs outside the server (a flow test, the terminal chat). */
export interface OpenHours {
  /** The flow is open: by its own hours, or its team's when it follows one (decision 053). */
  readonly flow: boolean;
  /** A team's hours have it open (true for a team without hours in the context). */
  readonly team: (teamId: string) => boolean;
}

/** Whether the flow, and each team by its hours, are open at `now` on the context's calendars. Pure apart from reading time-zone data. */
export const openHoursAt = (spec: FlowSpec, context: FlowFileContext, now: number): OpenHours => {
  const calendars = servingCalendarsOf(context);
  const byHours = (schedule: Availability | null) => schedule === null || isAvailable(schedule, now);
  return {
    flow: isAvailable(servedAvailability(spec.settings.availability, calendars), now),
    team: (teamId) => byHours(calendars.teamSchedule(teamId)),
  };
};

/** Reads and decodes a compile-context file. */
export const loadCompileContext = (file: string): Either.Either<FlowFileContext, FileProblem> =>
  readJsonFile(file).pipe(
    Either.flatMap((value) =>
      decodeCompileContext(value).pipe(
        Either.mapLeft((issues) => ({
          file,
          message: `is not a valid compile context:\n${issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`).join("\n")}`,
        }))
      )
    )
  );

/** The `context.json` beside a file, when there is one. */
export const contextFileBeside = (file: string): string | undefined => {
  const candidate = join(dirname(resolve(file)), CONTEXT_FILE_NAME);
  return existsSync(candidate) ? candidate : undefined;
};

// ---------------------------------------------------------------------------------------------
// Flows

/** A flow file read, decoded and (for a document) compiled. */
export interface LoadedFlow {
  readonly file: string;
  readonly kind: "document" | "spec";
  readonly name?: string;
  /** Present when the flow decoded and compiled without errors (warnings allowed). */
  readonly spec?: FlowSpec;
  /** Compiler / checker diagnostics (empty when the file did not decode). */
  readonly diagnostics: ReadonlyArray<Diagnostic>;
  /** Set when the file did not decode as its kind: every problem as path + message. */
  readonly decodeIssues?: ReadonlyArray<DecodeIssue>;
}

/**
 * Turns a parsed flow value into a spec with diagnostics: a document is compiled, a spec is
 * decoded and checked. Pure (given the compiler is). A value that is neither a document nor a
 * spec gives a problem instead.
 */
export const loadFlowValue = (file: string, value: unknown, context: CompileContext): Either.Either<LoadedFlow, FileProblem> => {
  const kind = detectKind(value);
  const name = isRecord(value) && typeof value.name === "string" ? value.name : undefined;
  if (kind === "document") {
    const decoded = decodeFlowDocument(value);
    if (Either.isLeft(decoded)) return Either.right({ file, kind, name, diagnostics: [], decodeIssues: decoded.left });
    const result = compile(decoded.right, context);
    const spec = result.diagnostics.some((d) => d.severity === "error") ? undefined : result.spec;
    return Either.right({ file, kind, name, spec, diagnostics: result.diagnostics });
  }
  if (kind === "spec") {
    const decoded = decodeFlowSpec(value);
    if (Either.isLeft(decoded)) return Either.right({ file, kind, name, diagnostics: [], decodeIssues: decoded.left });
    const diagnostics = checkSpec(decoded.right, context);
    const spec = diagnostics.some((d) => d.severity === "error") ? undefined : decoded.right;
    return Either.right({ file, kind, name, spec, diagnostics });
  }
  return Either.left({ file, message: describeNonFlow(kind) });
};

const describeNonFlow = (kind: FlowFileKind): string => {
  switch (kind) {
    case "test":
      return "is a flow test, not a flow (run it with `flow test`)";
    case "context":
      return "is a compile context, not a flow";
    default:
      return 'is neither a FlowDocument (it has no "edges") nor a FlowSpec (it has no "formatVersion")';
  }
};

/** Reads a flow file and loads it with `loadFlowValue`. */
export const loadFlowFile = (file: string, context: CompileContext): Either.Either<LoadedFlow, FileProblem> =>
  readJsonFile(file).pipe(Either.flatMap((value) => loadFlowValue(file, value, context)));

/** One line per diagnostic: `file: severity [code] node X port P path: message`. Pure. */
export const formatDiagnostic = (file: string, d: Diagnostic): string => {
  const where = [d.nodeId ? `node ${d.nodeId}` : "", d.port ? `port ${d.port}` : "", d.path ?? ""].filter(Boolean).join(" ");
  return `${file}: ${d.severity} [${d.code}]${where ? ` ${where}` : ""}: ${d.message}`;
};

/** One line per decode problem: `file: error [decode] path: message`. Pure. */
export const formatDecodeIssue = (file: string, issue: DecodeIssue): string =>
  `${file}: error [decode] ${issue.path || "(root)"}: ${issue.message}`;
