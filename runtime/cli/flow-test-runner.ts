/**
 * Runs `.test.json` files: every case plays its conversation through the interpreter (webhook
 * and code answered from the case's stubs, or really executed when asked; knowledge searches
 * answered from the case's stubs only, so a test never depends on a database), every `expect` step
 * is compared with what happened, and a failure says which case, which step, what was expected
 * and what actually happened, with the conversation so far.
 */
import { Either } from "effect";
import { dirname, relative, resolve } from "node:path";
import { canonicalJson } from "../../flows/canonical-json.js";
import type { FlowSpec } from "../../flows/flow-spec.js";
import { matchTargeting } from "../../flows/targeting.js";
import { awaitingOf } from "../core/interpreter.js";
import { availabilityOf, type Command, type InterpreterContext, type InterpreterEvent } from "../core/types.js";
import {
  botLines,
  choiceEvent,
  madeUpArticle,
  sendEvent,
  specHashOf,
  startConversation,
  type ActionExecutor,
  type Conversation,
  type RunCodeCommand,
  type CallWebhookCommand,
  type SearchKnowledgeCommand,
} from "./conversation.js";
import {
  DEFAULT_NOW,
  decodeFlowTestFile,
  type Expectation,
  type FlowTestFile,
  type Step,
  type TestCase,
} from "./flow-test-file.js";
import {
  EMPTY_CONTEXT,
  contextFileBeside,
  decodeCompileContext,
  formatDecodeIssue,
  formatDiagnostic,
  loadCompileContext,
  loadFlowFile,
  openHoursAt,
  readJsonFile,
  type FlowFileContext,
} from "./load-flow-file.js";

/** Real executors for `--live` runs and `"code": "run"` cases; absent ones cannot be used. */
export interface LiveExecutors {
  readonly webhook?: ActionExecutor["webhook"];
  readonly code?: ActionExecutor["code"];
}

export interface RunOptions {
  /** Execute webhooks and code that the case does not stub (needs `executors`). */
  readonly live?: boolean;
  readonly executors?: LiveExecutors;
  /** Only run cases whose name contains this text (case-insensitive). */
  readonly only?: string;
}

/** One thing that did not match. */
export interface Mismatch {
  /** What was compared, e.g. `bot`, `variables.company_size`. */
  readonly what: string;
  readonly expected: string;
  readonly actual: string;
}

export interface CaseFailure {
  /** 1-based step number, or 0 for a problem before the first step. */
  readonly step: number;
  /** The step as written in the file, for the report. */
  readonly stepText: string;
  readonly mismatches: ReadonlyArray<Mismatch>;
  /** The conversation up to the failure, one line per bubble / visitor turn / event. */
  readonly transcript: ReadonlyArray<string>;
}

export interface CaseResult {
  readonly name: string;
  readonly failure?: CaseFailure;
  readonly durationMs: number;
}

export interface TargetingResult {
  readonly url: string;
  readonly expected: boolean;
  readonly actual: boolean;
  readonly reason: string;
}

export interface FileResult {
  readonly file: string;
  /** Set when the test file or its flow could not be used at all; then there are no cases. */
  readonly problems?: ReadonlyArray<string>;
  readonly cases: ReadonlyArray<CaseResult>;
  readonly targeting: ReadonlyArray<TargetingResult>;
}

/** True when every case and targeting check of the file passed. Pure. */
export const filePassed = (result: FileResult): boolean =>
  result.problems === undefined &&
  result.cases.every((c) => c.failure === undefined) &&
  result.targeting.every((t) => t.expected === t.actual);

// ---------------------------------------------------------------------------------------------
// Loading

interface LoadedTest {
  readonly test: FlowTestFile;
  readonly spec: FlowSpec;
  readonly context: FlowFileContext;
}

const loadTest = (file: string): Either.Either<LoadedTest, ReadonlyArray<string>> => {
  const parsed = readJsonFile(file);
  if (Either.isLeft(parsed)) return Either.left([`${parsed.left.file}: ${parsed.left.message}`]);
  const decoded = decodeFlowTestFile(parsed.right);
  if (Either.isLeft(decoded)) return Either.left(decoded.left.map((issue) => formatDecodeIssue(file, issue)));
  const test = decoded.right;
  const flowFile = resolve(dirname(file), test.flow);
  const fromCwd = relative(process.cwd(), flowFile);
  const shownFlow = fromCwd === "" || fromCwd.startsWith("..") ? flowFile : fromCwd;
  let context: FlowFileContext = EMPTY_CONTEXT;
  if (typeof test.context === "string") {
    const loaded = loadCompileContext(resolve(dirname(file), test.context));
    if (Either.isLeft(loaded)) return Either.left([`${loaded.left.file}: ${loaded.left.message}`]);
    context = loaded.right;
  } else if (test.context !== undefined) {
    const inline = decodeCompileContext(test.context);
    if (Either.isLeft(inline))
      return Either.left(inline.left.map((issue) => formatDecodeIssue(file, { ...issue, path: `context.${issue.path}` })));
    context = inline.right;
  } else {
    const beside = contextFileBeside(flowFile);
    if (beside !== undefined) {
      const loaded = loadCompileContext(beside);
      if (Either.isLeft(loaded)) return Either.left([`${loaded.left.file}: ${loaded.left.message}`]);
      context = loaded.right;
    }
  }
  const flow = loadFlowFile(flowFile, context);
  if (Either.isLeft(flow)) return Either.left([`${shownFlow}: ${flow.left.message}`]);
  if (flow.right.decodeIssues !== undefined)
    return Either.left(flow.right.decodeIssues.map((issue) => formatDecodeIssue(shownFlow, issue)));
  if (flow.right.spec === undefined) {
    return Either.left([
      `${shownFlow}: the flow has errors, so its tests cannot run:`,
      ...flow.right.diagnostics.filter((d) => d.severity === "error").map((d) => `  ${formatDiagnostic(shownFlow, d)}`),
    ]);
  }
  return Either.right({ test, spec: flow.right.spec, context });
};

// ---------------------------------------------------------------------------------------------
// Running

/** Runs every case of one `.test.json` file. Never throws: problems end up in the result. */
export const runFlowTestFile = async (file: string, options: RunOptions = {}): Promise<FileResult> => {
  const loaded = loadTest(file);
  if (Either.isLeft(loaded)) return { file, problems: loaded.left, cases: [], targeting: [] };
  const { test, spec, context } = loaded.right;
  const targeting = test.targeting.map((check): TargetingResult => {
    const match = matchTargeting(spec.settings.targeting, {
      url: check.url,
      device: check.device,
      languages: check.languages,
      knownContact: check.knownContact,
      now: Date.parse(DEFAULT_NOW),
    });
    return { url: check.url, expected: check.shown, actual: match.show, reason: match.reason };
  });
  const cases: CaseResult[] = [];
  const only = options.only?.toLowerCase();
  for (const testCase of test.cases) {
    if (only !== undefined && !testCase.name.toLowerCase().includes(only)) continue;
    const began = performance.now();
    const failure = await runCase(spec, context, testCase, options);
    cases.push({ name: testCase.name, failure, durationMs: performance.now() - began });
  }
  return { file, cases, targeting };
};

/**
 * The interpreter context of a case: its time, seed, visitor, contact and who is available —
 * by default everyone while the flow is open at the case's `now` (its own hours, or its team's
 * from the context when it follows one), a team only while its own hours are open too. Pure.
 */
export const caseContext = (spec: FlowSpec, compileContext: FlowFileContext, testCase: TestCase): InterpreterContext => {
  const now = Date.parse(testCase.now);
  const open = openHoursAt(spec, compileContext, now);
  const given = testCase.availability ?? {};
  const teams: Record<string, boolean> = {};
  for (const team of compileContext.teams) teams[team.id] = open.flow && open.team(team.id);
  const users: Record<string, boolean> = {};
  for (const user of compileContext.users) users[user.id] = open.flow;
  return {
    now,
    seed: testCase.seed,
    specVersion: 1,
    specHash: specHashOf(spec),
    visitor: {
      pageUrl: testCase.visitor.pageUrl,
      device: testCase.visitor.device,
      language: testCase.visitor.language,
      knownContact: testCase.visitor.knownContact ?? (testCase.contact.email ?? "") !== "",
    },
    contact: testCase.contact,
    availability: availabilityOf({
      routing: given.routing ?? open.flow,
      teams: { ...teams, ...given.teams },
      users: { ...users, ...given.users },
      // A test's visitor has no owner unless the case says so: "else routing" is the default path.
      contactOwner: given.contactOwner ?? false,
    }),
  };
};

/** Thrown by a stub executor when the case says nothing about an action the flow takes. */
class MissingStub extends Error {}

const stubExecutor = (spec: FlowSpec, testCase: TestCase, options: RunOptions): ActionExecutor => ({
  webhook: async (command: CallWebhookCommand) => {
    const stub = testCase.webhooks[command.nodeId];
    if (stub !== undefined) {
      return "error" in stub
        ? { type: "webhook_error", nodeId: command.nodeId, message: stub.error }
        : { type: "webhook_result", nodeId: command.nodeId, status: stub.status, body: stub.body };
    }
    if (options.live === true && options.executors?.webhook !== undefined) return options.executors.webhook(command);
    throw new MissingStub(
      `the flow called webhook "${command.nodeId}" (${command.method} ${command.url}), but the case has no stub for it: ` +
        `add "webhooks": { "${command.nodeId}": { "status": 200, "body": {…} } } or run with --live`
    );
  },
  code: async (command: RunCodeCommand) => {
    const code = testCase.code;
    const run = options.executors?.code;
    if (code === "run") {
      if (run === undefined) throw new MissingStub(`the case runs code ("code": "run"), but no code sandbox is available here`);
      return run(command);
    }
    const stub = code[command.nodeId];
    if (stub !== undefined) {
      return "error" in stub
        ? { type: "code_error", nodeId: command.nodeId, message: stub.error }
        : { type: "code_result", nodeId: command.nodeId, outputs: stub.outputs };
    }
    if (options.live === true && run !== undefined) return run(command);
    throw new MissingStub(
      `the flow ran code node "${command.nodeId}", but the case has no stub for it: ` +
        `add "code": { "${command.nodeId}": { "outputs": {…} } }, or "code": "run" to execute it`
    );
  },
  knowledge: async (command: SearchKnowledgeCommand) => {
    const stub = testCase.knowledge[command.nodeId];
    if (stub === undefined) {
      throw new MissingStub(
        `the flow searched the knowledge base at node "${command.nodeId}" for ${JSON.stringify(command.query)}, but the case ` +
          `says nothing about what it finds: add "knowledge": { "${command.nodeId}": ["Article title", …] } ([] for nothing found)`
      );
    }
    return { type: "knowledge_result", nodeId: command.nodeId, articles: stub.map(madeUpArticle) };
  },
});

/** Stubs that name no node of the right kind are typos; say so before running. */
const stubProblems = (spec: FlowSpec, testCase: TestCase): Mismatch[] => {
  const kinds = new Map(spec.nodes.map((n) => [n.id, n.kind] as const));
  const out: Mismatch[] = [];
  for (const id of Object.keys(testCase.webhooks)) {
    if (kinds.get(id) !== "webhook")
      out.push({ what: `webhooks.${id}`, expected: "a webhook node with this id", actual: describeNode(kinds, id) });
  }
  for (const id of Object.keys(testCase.knowledge)) {
    if (kinds.get(id) !== "knowledge")
      out.push({ what: `knowledge.${id}`, expected: "a knowledge node with this id", actual: describeNode(kinds, id) });
  }
  if (testCase.code !== "run") {
    for (const id of Object.keys(testCase.code)) {
      if (kinds.get(id) !== "code")
        out.push({ what: `code.${id}`, expected: "a code node with this id", actual: describeNode(kinds, id) });
    }
  }
  return out;
};

const describeNode = (kinds: ReadonlyMap<string, string>, id: string): string => {
  const kind = kinds.get(id);
  return kind === undefined ? "the flow has no node with this id" : `node "${id}" is a ${kind} node`;
};

const runCase = async (
  spec: FlowSpec,
  compileContext: FlowFileContext,
  testCase: TestCase,
  options: RunOptions
): Promise<CaseFailure | undefined> => {
  const transcript: string[] = [];
  const problems = stubProblems(spec, testCase);
  if (problems.length > 0) return { step: 0, stepText: "(before the first step)", mismatches: problems, transcript };
  const executor = stubExecutor(spec, testCase, options);
  const context = caseContext(spec, compileContext, testCase);
  let conversation: Conversation;
  let turn: ReadonlyArray<Command>;
  try {
    const first = await startConversation(spec, context, executor);
    conversation = first.conversation;
    turn = first.commands;
  } catch (error) {
    return { step: 0, stepText: "(start)", mismatches: [actionMismatch(error)], transcript };
  }
  record(transcript, turn);
  for (let i = 0; i < testCase.steps.length; i++) {
    const current = testCase.steps[i]!;
    const fail = (mismatches: ReadonlyArray<Mismatch>): CaseFailure => ({
      step: i + 1,
      stepText: JSON.stringify(current),
      mismatches,
      transcript,
    });
    if ("expect" in current) {
      const mismatches = compare(current.expect, conversation, turn);
      if (mismatches.length > 0) return fail(mismatches);
      continue;
    }
    const event = eventOf(current, conversation);
    if ("mismatch" in event) return fail([event.mismatch]);
    transcript.push(describeStep(current));
    try {
      const next = await sendEvent(conversation, event.event, executor);
      conversation = next.conversation;
      turn = next.commands;
    } catch (error) {
      return fail([actionMismatch(error)]);
    }
    record(transcript, turn);
  }
  return undefined;
};

const actionMismatch = (error: unknown): Mismatch =>
  error instanceof MissingStub
    ? { what: "stub", expected: "an answer for every webhook, code and knowledge node the flow reaches", actual: error.message }
    : {
        what: "action",
        expected: "webhook / code to run",
        actual: `failed: ${error instanceof Error ? error.message : String(error)}`,
      };

const describeStep = (s: Exclude<Step, { expect: unknown }>): string =>
  "visitor" in s ? `visitor  ${s.visitor}` : "choose" in s ? `visitor  [${[s.choose].flat().join(", ")}]` : `event    ${s.event}`;

const record = (transcript: string[], commands: ReadonlyArray<Command>): void => {
  for (const command of commands) {
    switch (command.type) {
      case "say":
        for (const line of botLines([command])) transcript.push(`bot      ${line}`);
        break;
      case "offer_meeting":
        for (const line of botLines([command])) transcript.push(`bot      ${line}`);
        break;
      case "await_input":
        transcript.push(
          `         (waits for ${command.input}${command.choices ? `: ${command.choices.map((c) => c.label).join(" | ")}` : ""})`
        );
        break;
      case "call_webhook":
        transcript.push(`         (webhook ${command.method} ${command.url})`);
        break;
      case "run_code":
        transcript.push(`         (code ${command.nodeId})`);
        break;
      case "create_ticket":
        transcript.push(`         (ticket "${command.subject}", ${command.priority})`);
        break;
      case "add_to_list":
        transcript.push(`         (add to list ${command.listId})`);
        break;
      case "record_consent":
        transcript.push(`         (email consent for ${command.email}: ${JSON.stringify(command.consentText)}${command.listId ? `, list ${command.listId}` : ""})`);
        break;
      case "search_knowledge":
        transcript.push(`         (knowledge search ${JSON.stringify(command.query)}, up to ${command.limit})`);
        break;
      case "handoff":
        transcript.push(
          `         (handoff to ${describeTarget(command.target)}${command.away ? ", nobody available" : ""}${
            command.createTicket ? ", with a ticket" : ""
          }${command.labels !== undefined ? `, labels ${command.labels.join(", ")}` : ""})`
        );
        break;
      case "end":
        transcript.push(`         (ended: ${command.reason}${command.error ? ` — ${command.error}` : ""})`);
        break;
      default:
        break;
    }
  }
};

const describeTarget = (target: { type: string; teamId?: string; userId?: string }): string =>
  target.type === "team"
    ? `team ${target.teamId}`
    : target.type === "user"
      ? `user ${target.userId}`
      : target.type === "contact_owner"
        ? "the contact's owner (else routing)"
        : "routing";

const eventOf = (
  s: Exclude<Step, { expect: unknown }>,
  conversation: Conversation
): { event: InterpreterEvent } | { mismatch: Mismatch } => {
  if ("event" in s) return { event: { type: s.event } };
  const awaited = awaitingOf(conversation.spec, conversation.state);
  if (awaited === null) {
    return {
      mismatch: {
        what: "input",
        expected: "the bot to wait for the visitor",
        actual: `it does not: the conversation is ${describeState(conversation)}`,
      },
    };
  }
  if ("visitor" in s) return { event: { type: "visitor_message", text: s.visitor } };
  const choices = awaited.choices ?? [];
  if (choices.length === 0) {
    return {
      mismatch: {
        what: "choose",
        expected: "quick replies to choose from",
        actual: `the bot waits for ${awaited.input} input; use "visitor" to type it`,
      },
    };
  }
  const ids: string[] = [];
  for (const wanted of [s.choose].flat()) {
    const choice = choices.find((c) => c.id === wanted) ?? choices.find((c) => c.label.toLowerCase() === wanted.toLowerCase());
    if (choice === undefined) {
      return {
        mismatch: {
          what: "choose",
          expected: `a choice with id or label ${JSON.stringify(wanted)}`,
          actual: `the choices are ${choices.map((c) => `${c.id} (${JSON.stringify(c.label)})`).join(", ")}`,
        },
      };
    }
    ids.push(choice.id);
  }
  return { event: choiceEvent(ids) };
};

const describeState = (conversation: Conversation): string => {
  const { state } = conversation;
  if (state.phase === "ended" || state.phase === "handed_off") {
    return `over (${state.endReason ?? state.phase}${state.error ? `: ${state.error}` : ""})`;
  }
  return `waiting for ${state.phase === "awaiting_action" ? "a webhook, code, ticket or knowledge result" : "an answer"} at node ${
    state.nodeId
  }`;
};

// ---------------------------------------------------------------------------------------------
// Comparing

const show = (value: unknown): string => (value === undefined ? "(not set)" : JSON.stringify(value));

/** The same strings, each as often, in any order. */
const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && canonicalJson([...a].sort()) === canonicalJson([...b].sort());

const lastOf = <T extends Command["type"]>(
  history: ReadonlyArray<Command>,
  type: T
): Extract<Command, { type: T }> | undefined => {
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.type === type) return history[i] as Extract<Command, { type: T }>;
  return undefined;
};

/** Compares one `expect` with the conversation now and the commands of the last turn. Pure. */
export const compare = (expect: Expectation, conversation: Conversation, turn: ReadonlyArray<Command>): Mismatch[] => {
  const out: Mismatch[] = [];
  const { state, spec, history } = conversation;
  const said = botLines(turn);
  const saidText = said.length === 0 ? "the bot said nothing" : `the bot said${said.map((l) => `\n          | ${l}`).join("")}`;

  if (expect.bot !== undefined) {
    // Fragments are looked for in order through everything said this turn.
    const text = said.join("\n");
    let from = 0;
    for (const fragment of expect.bot) {
      const at = text.indexOf(fragment, from);
      if (at === -1) {
        const earlier = text.indexOf(fragment) !== -1;
        out.push({
          what: "bot",
          expected:
            `${expect.bot.map((f) => JSON.stringify(f)).join(", then ")}` +
            `\n        missing:  ${JSON.stringify(fragment)}${
              earlier ? " (it was said, but before the fragment preceding it)" : ""
            }`,
          actual: saidText,
        });
        break;
      }
      from = at + fragment.length;
    }
  }
  if (expect.notBot !== undefined) {
    for (const fragment of expect.notBot) {
      const line = said.find((l) => l.includes(fragment));
      if (line !== undefined)
        out.push({ what: "notBot", expected: `no ${JSON.stringify(fragment)}`, actual: JSON.stringify(line) });
    }
  }
  const awaited = awaitingOf(spec, state);
  if (expect.choices !== undefined) {
    const labels = awaited?.choices?.map((c) => c.label) ?? [];
    if (canonicalJson(labels) !== canonicalJson(expect.choices)) {
      out.push({
        what: "choices",
        expected: show(expect.choices),
        actual: awaited?.choices ? show(labels) : "(no choices offered)",
      });
    }
  }
  if (expect.awaiting !== undefined) {
    const actual = awaited?.input ?? null;
    if (actual !== expect.awaiting) {
      out.push({
        what: "awaiting",
        expected: show(expect.awaiting),
        actual: actual === null ? `null (${describeState(conversation)})` : show(actual),
      });
    }
  }
  for (const [name, expected] of Object.entries(expect.variables ?? {})) {
    const has = Object.prototype.hasOwnProperty.call(state.variables, name);
    const actual = has ? state.variables[name] : undefined;
    const same =
      expected === null ? actual === undefined || actual === null : has && canonicalJson(actual) === canonicalJson(expected);
    if (!same)
      out.push({ what: `variables.${name}`, expected: expected === null ? "(not set)" : show(expected), actual: show(actual) });
  }
  for (const [property, expected] of Object.entries(expect.contact ?? {})) {
    const actual = Object.prototype.hasOwnProperty.call(state.contact, property) ? state.contact[property] : undefined;
    if ((expected ?? undefined) !== actual) {
      out.push({
        what: `contact.${property}`,
        expected: expected === null ? "(not known)" : show(expected),
        actual: show(actual),
      });
    }
  }
  if (expect.visited !== undefined) {
    const entered = turn.flatMap((c) => (c.type === "track" && c.event.name === "node_entered" ? [c.event.nodeId] : []));
    let from = 0;
    for (const id of expect.visited) {
      const at = entered.indexOf(id, from);
      if (at === -1) {
        out.push({
          what: "visited",
          expected: `${show(expect.visited)} in this order (missing ${JSON.stringify(id)})`,
          actual: show(entered),
        });
        break;
      }
      from = at + 1;
    }
  }
  if (expect.handoff !== undefined) {
    const handoff = lastOf(history, "handoff");
    const actual =
      handoff === undefined
        ? "no handoff"
        : JSON.stringify({
            target: handoff.target,
            away: handoff.away,
            createTicket: handoff.createTicket,
            labels: handoff.labels ?? [],
          });
    if (typeof expect.handoff === "boolean") {
      if (expect.handoff !== (handoff !== undefined))
        out.push({ what: "handoff", expected: expect.handoff ? "a handoff" : "no handoff", actual });
    } else {
      const want = expect.handoff;
      const ok =
        handoff !== undefined &&
        (want.target === undefined || canonicalJson(want.target) === canonicalJson(handoff.target)) &&
        (want.away === undefined || want.away === handoff.away) &&
        (want.createTicket === undefined || want.createTicket === handoff.createTicket) &&
        (want.labels === undefined || sameSet(want.labels, handoff.labels ?? []));
      if (!ok) out.push({ what: "handoff", expected: JSON.stringify(want), actual });
    }
  }
  if (expect.meeting !== undefined) {
    const meeting = lastOf(history, "offer_meeting");
    const actual = meeting === undefined ? "no meeting offered" : JSON.stringify({ userId: meeting.userId });
    const ok =
      typeof expect.meeting === "boolean"
        ? expect.meeting === (meeting !== undefined)
        : meeting !== undefined && (expect.meeting.userId === undefined || expect.meeting.userId === meeting.userId);
    if (!ok)
      out.push({
        what: "meeting",
        expected:
          typeof expect.meeting === "boolean"
            ? expect.meeting
              ? "a meeting offered"
              : "no meeting offered"
            : JSON.stringify(expect.meeting),
        actual,
      });
  }
  if (expect.ticket !== undefined) {
    const ticket = lastOf(history, "create_ticket");
    const actual =
      ticket === undefined
        ? "no ticket"
        : JSON.stringify({ subject: ticket.subject, description: ticket.description, priority: ticket.priority });
    if (typeof expect.ticket === "boolean") {
      if (expect.ticket !== (ticket !== undefined))
        out.push({ what: "ticket", expected: expect.ticket ? "a ticket" : "no ticket", actual });
    } else {
      const want = expect.ticket;
      const ok =
        ticket !== undefined &&
        (want.subject === undefined || ticket.subject.includes(want.subject)) &&
        (want.description === undefined || ticket.description.includes(want.description)) &&
        (want.priority === undefined || want.priority === ticket.priority);
      if (!ok) out.push({ what: "ticket", expected: `${JSON.stringify(want)} (texts: contained in)`, actual });
    }
  }
  if (expect.webhook !== undefined) {
    const call = lastOf(history, "call_webhook");
    const actual =
      call === undefined
        ? "no webhook called"
        : JSON.stringify({ nodeId: call.nodeId, method: call.method, url: call.url, body: call.body });
    if (typeof expect.webhook === "boolean") {
      if (expect.webhook !== (call !== undefined))
        out.push({ what: "webhook", expected: expect.webhook ? "a webhook call" : "no webhook called", actual });
    } else {
      const want = expect.webhook;
      const ok =
        call !== undefined &&
        (want.nodeId === undefined || want.nodeId === call.nodeId) &&
        (want.method === undefined || want.method === call.method) &&
        (want.url === undefined || call.url.includes(want.url)) &&
        (want.body === undefined || (call.body ?? "").includes(want.body));
      if (!ok) out.push({ what: "webhook", expected: `${JSON.stringify(want)} (url, body: contained in)`, actual });
    }
  }
  if (expect.knowledge !== undefined) {
    const search = lastOf(history, "search_knowledge");
    const actual = search === undefined ? "no knowledge search" : JSON.stringify({ nodeId: search.nodeId, query: search.query });
    if (typeof expect.knowledge === "boolean") {
      if (expect.knowledge !== (search !== undefined))
        out.push({ what: "knowledge", expected: expect.knowledge ? "a knowledge search" : "no knowledge search", actual });
    } else {
      const want = expect.knowledge;
      const ok =
        search !== undefined &&
        (want.nodeId === undefined || want.nodeId === search.nodeId) &&
        (want.query === undefined || search.query.includes(want.query));
      if (!ok) out.push({ what: "knowledge", expected: `${JSON.stringify(want)} (query: contained in)`, actual });
    }
  }
  if (expect.lists !== undefined) {
    const joined: Array<string> = [];
    for (const c of history) {
      const listId = c.type === "add_to_list" ? c.listId : c.type === "record_consent" ? c.listId : undefined;
      if (listId !== undefined && !joined.includes(listId)) joined.push(listId);
    }
    if (canonicalJson(joined) !== canonicalJson(expect.lists)) out.push({ what: "lists", expected: show(expect.lists), actual: show(joined) });
  }
  if (expect.consent !== undefined) {
    const consent = lastOf(history, "record_consent");
    const actual =
      consent === undefined
        ? "no consent recorded"
        : JSON.stringify({ email: consent.email, listId: consent.listId, text: consent.consentText });
    if (typeof expect.consent === "boolean") {
      if (expect.consent !== (consent !== undefined))
        out.push({ what: "consent", expected: expect.consent ? "consent recorded" : "no consent recorded", actual });
    } else {
      const want = expect.consent;
      const ok =
        consent !== undefined &&
        (want.email === undefined || want.email === consent.email) &&
        (want.listId === undefined || want.listId === consent.listId) &&
        (want.text === undefined || consent.consentText.includes(want.text));
      if (!ok) out.push({ what: "consent", expected: `${JSON.stringify(want)} (text: contained in)`, actual });
    }
  }
  if (expect.ended !== undefined) {
    const over = state.phase === "ended" || state.phase === "handed_off";
    const actual = over ? state.endReason ?? state.phase : false;
    if (actual !== expect.ended) {
      out.push({
        what: "ended",
        expected: expect.ended === false ? "false (still going)" : JSON.stringify(expect.ended),
        actual:
          actual === false
            ? `false (${describeState(conversation)})`
            : `${JSON.stringify(actual)}${state.error ? ` — ${state.error}` : ""}`,
      });
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Reporting

export interface Totals {
  readonly files: number;
  readonly passed: number;
  readonly failed: number;
  readonly broken: number;
}

/** Counts passed / failed cases (targeting checks count as cases) and unusable files. Pure. */
export const totalsOf = (results: ReadonlyArray<FileResult>): Totals => {
  let passed = 0;
  let failed = 0;
  let broken = 0;
  for (const r of results) {
    if (r.problems !== undefined) broken++;
    for (const c of r.cases) c.failure === undefined ? passed++ : failed++;
    for (const t of r.targeting) t.expected === t.actual ? passed++ : failed++;
  }
  return { files: results.length, passed, failed, broken };
};

/** A readable report of one file: ✓/✗ per case, and for a failure the step, the diff and the transcript. Pure. */
export const formatFileResult = (result: FileResult, shownFile = result.file): string => {
  const lines: string[] = [shownFile];
  if (result.problems !== undefined) {
    lines.push("  ✗ the test file cannot run:");
    for (const p of result.problems) lines.push(`    ${p}`);
    return lines.join("\n");
  }
  for (const t of result.targeting) {
    const ok = t.expected === t.actual;
    lines.push(`  ${ok ? "✓" : "✗"} targeting: ${t.expected ? "shown" : "hidden"} on ${t.url}`);
    if (!ok) {
      lines.push(`      expected: ${t.expected ? "shown" : "hidden"}`);
      lines.push(`      actual:   ${t.actual ? "shown" : "hidden"} — ${t.reason}`);
    }
  }
  for (const c of result.cases) {
    const ms = `(${Math.max(1, Math.round(c.durationMs))} ms)`;
    if (c.failure === undefined) {
      lines.push(`  ✓ ${c.name} ${ms}`);
      continue;
    }
    const f = c.failure;
    lines.push(`  ✗ ${c.name} ${ms}`);
    lines.push(f.step === 0 ? `    before the first step:` : `    at step ${f.step}: ${f.stepText}`);
    for (const m of f.mismatches) {
      lines.push(`      ${m.what}`);
      lines.push(`        expected: ${m.expected}`);
      lines.push(`        actual:   ${m.actual}`);
    }
    if (f.transcript.length > 0) {
      lines.push(`    conversation so far:`);
      for (const line of f.transcript.slice(-30)) lines.push(`      ${line}`);
    }
  }
  return lines.join("\n");
};

/** The closing line: `12 passed, 1 failed (4 files)`. Pure. */
export const formatTotals = (totals: Totals): string =>
  `${totals.passed} passed, ${totals.failed} failed${totals.broken > 0 ? `, ${totals.broken} file(s) could not run` : ""} (${
    totals.files
  } file${totals.files === 1 ? "" : "s"})`;
