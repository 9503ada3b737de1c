/**
 * The pure chatflow interpreter: `start` and `step` take a spec, the JSON state and an event,
 * and return the next state plus the commands the engine must carry out. No IO, no clock, no
 * randomness (time, seed and the outside world arrive in the context), so a conversation can be
 * replayed exactly, and every call is total: it never throws and visits a bounded number of nodes.
 *
 * Decisions where the brief leaves room (each is tested):
 * - An unconnected `next` / `answered` / `ok` / `rule:<id>` / `arm:<id>` port ends the flow as
 *   completed: the marketer drew nothing after it, which reads as "done".
 * - An unconnected `error` port (webhook/code) ends with reason "error" + a `flow_error` track.
 * - An unconnected `invalid` port after the last retry says a polite built-in message and ends
 *   as completed, with a `flow_error` track so reports show the dead end. Handing off instead
 *   would surprise a team that never asked for those conversations.
 * - The first matching branch rule wins even when its port is unconnected (then: completed).
 * - A `choice:<id>` port is followed only when `portPerChoice` is on and exactly one choice was
 *   picked (several picks of a multiple-choice question take `answered`).
 * - Handoff when nobody is available: the away message (if any) is said, then the `away` port
 *   is followed when connected; otherwise, with `askForEmail` and no known email, a built-in
 *   email question runs at the handoff node (2 retries, then hand off without it); then the
 *   conversation is handed off with `away: true` so it still lands in the inbox queue.
 * - A message, link or image bubble that renders empty is dropped; a link or image whose
 *   rendered URL is not http(s), relative, mailto: or tel: (links only) is never emitted as
 *   a URL (a link degrades to its label as text), so a token cannot smuggle `javascript:` in.
 * - In a webhook URL every token is URL-encoded (except one the URL starts with, which holds a
 *   base URL); in a body that starts with `{` or `[` string
 *   tokens are JSON-escaped, so a visitor's quote cannot break or extend the document; header
 *   values lose CR/LF.
 * - Values from outside (webhook bodies, code outputs) are copied as plain JSON: non-finite
 *   numbers become null, anything deeper than 32 levels is cut.
 * - A knowledge node with a blank query searches the visitor's last answer; with nothing to
 *   search for it takes `not_found` at once, without a `search_knowledge` command. From the
 *   result, an article without a title or an http(s) / site-relative URL is dropped, and only
 *   dropped ones (or none) mean `not_found`; its title variable is then "" (not an old title).
 * - `agent_took_over` tracks `handed_off` (a person now owns the conversation).
 * - Any event that does not fit the phase, or names another node than the awaited one, returns
 *   the very same state and no commands; the engine decides what to do with it.
 */
import { Either } from "effect";
import { MAX_KNOWLEDGE_ARTICLES, type FlowSpec, type SpecNode, type SpecNodeOf, type VariableDeclaration } from "../../flows/flow-spec.js";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import { validateAnswer, type AnswerInput } from "./answers.js";
import { firstMatchingRule, type ConditionEnv } from "./conditions.js";
import { nextRandom, seedRng } from "./rng.js";
import { formatValue, renderTemplate, singleTokenValue, type RenderOptions, type TemplateScope } from "./template.js";
import {
  InterpreterState,
  type AwaitedInput,
  type Command,
  type ConversationPhase,
  type InterpreterContext,
  type InterpreterEvent,
  type Json,
  type RenderedBubble,
  type StepResult,
  type TrackedEvent,
} from "./types.js";

/** Nodes one call may visit when the context does not say otherwise. */
export const DEFAULT_MAX_NODE_VISITS = 100;
/** Retries the built-in email question of a handoff allows before handing off without it. */
const HANDOFF_EMAIL_RETRIES = 2;
const BUILT_IN_TYPING_MS = 600;

type EndReason = NonNullable<InterpreterState["endReason"]>;

// ---------------------------------------------------------------------------------------------
// Built-in texts (the only words the bot says that the flow did not write)

interface BuiltInTexts {
  readonly askEmail: string;
  readonly retryEmail: string;
  readonly gaveUp: string;
}
const BUILT_IN: Readonly<Record<string, BuiltInTexts>> = {
  en: {
    askEmail: "What's your email address? We'll get back to you there.",
    retryEmail: "That doesn't look like an email address. Could you check it?",
    gaveUp: "Sorry, I still couldn't understand that, so let's leave it here for now.",
  },
  de: {
    askEmail: "Wie lautet Ihre E-Mail-Adresse? Wir melden uns dort bei Ihnen.",
    retryEmail: "Das sieht nicht nach einer E-Mail-Adresse aus. Könnten Sie sie bitte prüfen?",
    gaveUp: "Das habe ich leider immer noch nicht verstanden, deshalb belassen wir es vorerst dabei.",
  },
};
const textsFor = (language: string): BuiltInTexts => BUILT_IN[language.slice(0, 2)] ?? BUILT_IN.en;

// ---------------------------------------------------------------------------------------------
// Per-spec index, built once per spec object

interface SpecIndex {
  readonly byId: ReadonlyMap<string, SpecNode>;
  readonly variableTypes: ReadonlyMap<string, VariableDeclaration["type"]>;
}

const indexes = new WeakMap<FlowSpec, SpecIndex>();

const indexOf = (spec: FlowSpec): SpecIndex => {
  const cached = indexes.get(spec);
  if (cached !== undefined) return cached;
  const byId = new Map<string, SpecNode>();
  // The first node with an id wins, as the compiler reports duplicates as errors anyway.
  for (const node of spec.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  const variableTypes = new Map<string, VariableDeclaration["type"]>();
  for (const declaration of spec.variables ?? []) variableTypes.set(declaration.name, declaration.type ?? "string");
  const index = { byId, variableTypes };
  indexes.set(spec, index);
  return index;
};

// ---------------------------------------------------------------------------------------------
// JSON helpers

const hasOwn = (record: object, key: string) => Object.prototype.hasOwnProperty.call(record, key);

/** Sets an own property even for keys like `__proto__`, which plain assignment would not. */
const put = <V>(record: Record<string, V>, key: string, value: V): void => {
  if (key === "__proto__") {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record[key] = value;
  }
};

const MAX_JSON_DEPTH = 32;

/** A plain-JSON copy of an outside value: no undefined, functions, NaN or infinite numbers. */
const toJson = (value: unknown, depth = 0): Json => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "object" || depth >= MAX_JSON_DEPTH) return null;
  if (Array.isArray(value)) return value.map((item) => toJson(item, depth + 1));
  const out: Record<string, Json> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    put(out, key, toJson(item, depth + 1));
  }
  return out;
};

const pathCache = new Map<string, ReadonlyArray<string | number>>();

/** Reads `$.a.b[0]` from a JSON value; undefined when any step is missing. */
const readJsonPath = (root: Json, path: string): Json | undefined => {
  let steps = pathCache.get(path);
  if (steps === undefined) {
    const parsed: Array<string | number> = [];
    for (const match of path.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) {
      parsed.push(match[1] !== undefined ? match[1] : Number(match[2]));
    }
    if (pathCache.size > 5_000) pathCache.clear();
    pathCache.set(path, parsed);
    steps = parsed;
  }
  let value: Json | undefined = root;
  for (const step of steps) {
    if (value === null || typeof value !== "object") return undefined;
    if (typeof step === "number") {
      if (!Array.isArray(value)) return undefined;
      value = (value as ReadonlyArray<Json>)[step];
    } else {
      if (Array.isArray(value) || !hasOwn(value, step)) return undefined;
      value = (value as Record<string, Json>)[step];
    }
  }
  return value;
};

// ---------------------------------------------------------------------------------------------
// One call's working state

/** Also serves as the template scope and the condition environment, to save allocations. */
interface Run extends TemplateScope, ConditionEnv {
  readonly spec: FlowSpec;
  readonly index: SpecIndex;
  readonly context: InterpreterContext;
  readonly language: string;
  readonly maxVisits: number;
  readonly commands: Command[];
  visits: number;
  specId: string;
  specVersion: number;
  specHash: string;
  phase: ConversationPhase;
  nodeId: string | null;
  retries: number;
  variables: Record<string, Json>;
  contact: Record<string, string>;
  /** Copy-on-write: the input state's records are never mutated. */
  ownsVariables: boolean;
  ownsContact: boolean;
  lastAnswer: Json;
  rng: number;
  turn: number;
  endReason: EndReason | undefined;
  error: string | undefined;
  readonly visitor: InterpreterContext["visitor"];
  readonly availability: InterpreterContext["availability"];
}

const maxVisitsOf = (context: InterpreterContext): number => {
  const max = context.maxNodeVisits;
  return typeof max === "number" && Number.isInteger(max) && max > 0 ? Math.min(max, 100_000) : DEFAULT_MAX_NODE_VISITS;
};

const newRun = (spec: FlowSpec, context: InterpreterContext, state: InterpreterState, owns: boolean): Run => ({
  spec,
  index: indexOf(spec),
  context,
  language: typeof spec.language === "string" ? spec.language : "en",
  maxVisits: maxVisitsOf(context),
  commands: [],
  visits: 0,
  specId: state.specId,
  specVersion: state.specVersion,
  specHash: state.specHash,
  phase: state.phase,
  nodeId: state.nodeId,
  retries: state.retries,
  variables: state.variables as Record<string, Json>,
  contact: state.contact as Record<string, string>,
  ownsVariables: owns,
  ownsContact: owns,
  lastAnswer: state.lastAnswer,
  rng: state.rng,
  turn: state.turn,
  endReason: state.endReason,
  error: state.error,
  visitor: context.visitor,
  availability: context.availability,
});

const finish = (run: Run): StepResult => {
  const state: { -readonly [K in keyof InterpreterState]: InterpreterState[K] } = {
    specId: run.specId,
    specVersion: run.specVersion,
    specHash: run.specHash,
    phase: run.phase,
    nodeId: run.nodeId,
    retries: run.retries,
    variables: run.variables,
    contact: run.contact,
    lastAnswer: run.lastAnswer,
    rng: run.rng,
    turn: run.turn,
  };
  if (run.endReason !== undefined) state.endReason = run.endReason;
  if (run.error !== undefined) state.error = run.error;
  return { state, commands: run.commands };
};

const setVariable = (run: Run, name: string, value: Json): void => {
  if (!run.ownsVariables) {
    run.variables = { ...run.variables };
    run.ownsVariables = true;
  }
  put(run.variables, name, value);
};

const setContact = (run: Run, property: string, value: string): void => {
  if (!run.ownsContact) {
    run.contact = { ...run.contact };
    run.ownsContact = true;
  }
  put(run.contact, property, value);
  run.commands.push({ type: "set_contact_property", property, value });
};

const track = (run: Run, event: TrackedEvent): void => {
  run.commands.push({ type: "track", event });
};

const render = (run: Run, template: string | undefined, options?: RenderOptions): string =>
  template === undefined ? "" : renderTemplate(template, run, options);

const sayText = (run: Run, nodeId: string, text: string, typingDelayMs: number): void => {
  if (text.trim() === "") return;
  run.commands.push({ type: "say", nodeId, bubbles: [{ type: "text", text }], typingDelayMs });
};

// ---------------------------------------------------------------------------------------------
// Endings

const endWith = (run: Run, phase: ConversationPhase, reason: EndReason, closeConversation: boolean, error?: string) => {
  run.phase = phase;
  run.nodeId = null;
  run.retries = 0;
  run.endReason = reason;
  if (error !== undefined) run.error = error;
  run.commands.push(
    error === undefined ? { type: "end", reason, closeConversation } : { type: "end", reason, closeConversation, error },
  );
};

const complete = (run: Run, nodeId: string, closeConversation = false): void => {
  track(run, { name: "completed", nodeId });
  endWith(run, "ended", "completed", closeConversation);
};

const fail = (run: Run, nodeId: string | null, message: string): void => {
  track(run, { name: "flow_error", nodeId, message });
  endWith(run, "ended", "error", false, message);
};

const collectedOf = (run: Run): Record<string, Json> => {
  const collected: Record<string, Json> = {};
  for (const key of Object.keys(run.variables)) put(collected, key, run.variables[key]);
  // Variable names cannot contain dots, so `contact.<property>` keys never collide with them.
  for (const key of Object.keys(run.contact)) put(collected, `contact.${key}`, run.contact[key]);
  return collected;
};

const handOff = (run: Run, node: SpecNodeOf<"handoff">, away: boolean, createTicket: boolean): void => {
  run.commands.push({
    type: "handoff",
    nodeId: node.id,
    target: node.data.target,
    collected: collectedOf(run),
    away,
    createTicket,
    ...(node.data.labels !== undefined && node.data.labels.length > 0 ? { labels: node.data.labels } : {}),
  });
  track(run, { name: "handed_off", nodeId: node.id });
  endWith(run, "handed_off", "handed_off", false);
};

// ---------------------------------------------------------------------------------------------
// Walking

/** Follows `port` out of `node`, or ends the flow as the header describes when unconnected. */
const leave = (run: Run, node: SpecNode, port: string, detail?: string): void => {
  const target = node.next?.[port];
  if (target !== undefined && hasOwn(node.next, port)) {
    walk(run, target, { nodeId: node.id, port });
    return;
  }
  unconnected(run, node, port, detail);
};

const unconnected = (run: Run, node: SpecNode, port: string, detail?: string): void => {
  if (port === "error") {
    fail(run, node.id, `${node.kind} node "${node.id}" failed (${detail ?? "no detail"}) and its error port is not connected`);
  } else if (port === "invalid") {
    sayText(run, node.id, textsFor(run.language).gaveUp, BUILT_IN_TYPING_MS);
    track(run, {
      name: "flow_error",
      nodeId: node.id,
      message: `question "${node.id}" got no valid answer after the last retry and its invalid port is not connected`,
    });
    complete(run, node.id);
  } else {
    complete(run, node.id);
  }
};

const walk = (run: Run, startId: string, from: { nodeId: string; port: string } | undefined): void => {
  let id = startId;
  let via = from;
  for (;;) {
    if (run.visits >= run.maxVisits) {
      fail(run, id, `the flow looped through ${run.visits} nodes without waiting for the visitor at node "${id}"`);
      return;
    }
    const node = run.index.byId.get(id);
    if (node === undefined) {
      fail(
        run,
        via?.nodeId ?? null,
        via === undefined ? `the start node "${id}" does not exist` : `port "${via.port}" of node "${via.nodeId}" leads to a missing node "${id}"`,
      );
      return;
    }
    run.visits++;
    track(run, via === undefined ? { name: "node_entered", nodeId: id } : { name: "node_entered", nodeId: id, from: via });
    const port = visit(run, node);
    if (port === null) return;
    const next = node.next;
    if (next === undefined || !hasOwn(next, port)) {
      unconnected(run, node, port);
      return;
    }
    via = { nodeId: node.id, port };
    id = next[port];
  }
};

/** Runs one node; returns the port to follow, or null when the conversation now waits or ended. */
const visit = (run: Run, node: SpecNode): string | null => {
  switch (node.kind) {
    case "message":
      sayMessage(run, node);
      return "next";
    case "question":
      return enterQuestion(run, node);
    case "branch": {
      const rule = firstMatchingRule(node.data.rules ?? [], run);
      return rule === undefined ? "else" : `rule:${rule.id}`;
    }
    case "set":
      runAssignments(run, node);
      return "next";
    case "webhook":
      callWebhook(run, node);
      return null;
    case "code":
      runCode(run, node);
      return null;
    case "handoff":
      return enterHandoff(run, node);
    case "ticket":
      run.commands.push({
        type: "create_ticket",
        nodeId: node.id,
        subject: render(run, node.data.subject),
        description: render(run, node.data.description),
        priority: node.data.priority ?? "normal",
      });
      waitFor(run, "awaiting_action", node.id);
      return null;
    case "meeting": {
      const message = render(run, node.data.message);
      run.commands.push(
        message.trim() === ""
          ? { type: "offer_meeting", nodeId: node.id, userId: node.data.userId }
          : { type: "offer_meeting", nodeId: node.id, userId: node.data.userId, message },
      );
      return "next";
    }
    case "subscribe":
      return enterSubscribe(run, node);
    case "add_to_list":
      // The engine adds the contact (or the waiting visitor) in the turn's own write.
      run.commands.push({ type: "add_to_list", nodeId: node.id, listId: node.data.listId });
      return "next";
    case "knowledge":
      return searchKnowledge(run, node);
    case "split":
      return pickArm(run, node);
    case "end":
      sayText(run, node.id, render(run, node.data.message), BUILT_IN_TYPING_MS);
      complete(run, node.id, node.data.closeConversation === true);
      return null;
    default:
      fail(run, (node as { id?: string }).id ?? null, `unknown node kind "${String((node as { kind?: unknown }).kind)}"`);
      return null;
  }
};

const waitFor = (run: Run, phase: ConversationPhase, nodeId: string): void => {
  run.phase = phase;
  run.nodeId = nodeId;
};

// ---------------------------------------------------------------------------------------------
// message

const SAFE_URL = /^(?:https?:\/\/|\/(?!\/)|\/\/)/i;
const SAFE_LINK = /^(?:https?:\/\/|\/(?!\/)|\/\/|mailto:|tel:)/i;

/**
 * Cached commands are shared between results, so they are frozen: an engine that tried to
 * mutate one would fail loudly instead of corrupting later conversations.
 */
const frozen = <T>(value: T): T => {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) frozen((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
};

/** Say commands of message nodes without tokens never change, so they are built once. */
const staticSays = new WeakMap<SpecNode, Command | null>();

const sayMessage = (run: Run, node: SpecNodeOf<"message">): void => {
  const cached = staticSays.get(node);
  if (cached !== undefined) {
    if (cached !== null) run.commands.push(cached);
    return;
  }
  const bubbles: RenderedBubble[] = [];
  let dynamic = false;
  for (const bubble of node.data.bubbles) {
    switch (bubble.type) {
      case "text": {
        dynamic ||= bubble.text.includes("{{");
        const text = render(run, bubble.text);
        if (text.trim() !== "") bubbles.push({ type: "text", text });
        break;
      }
      case "image": {
        dynamic ||= bubble.url.includes("{{");
        const url = render(run, bubble.url).trim();
        if (SAFE_URL.test(url)) bubbles.push(bubble.alt !== undefined ? { type: "image", url, alt: bubble.alt } : { type: "image", url });
        break;
      }
      case "link": {
        dynamic ||= bubble.url.includes("{{") || bubble.label.includes("{{");
        const url = render(run, bubble.url).trim();
        const label = render(run, bubble.label);
        if (SAFE_LINK.test(url)) bubbles.push({ type: "link", url, label: label.trim() === "" ? url : label });
        else if (label.trim() !== "") bubbles.push({ type: "text", text: label });
        break;
      }
    }
  }
  const command: Command | null =
    bubbles.length === 0 ? null : { type: "say", nodeId: node.id, bubbles, typingDelayMs: node.data.typingDelayMs ?? 600 };
  if (!dynamic) staticSays.set(node, frozen(command));
  if (command !== null) run.commands.push(command);
};

// ---------------------------------------------------------------------------------------------
// question

const MAX_RATING_CHOICES = 20;
const awaitCommands = new WeakMap<SpecNode, Command>();

/** What a question waits for, as carried by `await_input`. Pure. */
const awaitedOf = (node: SpecNodeOf<"question">): AwaitedInput => {
  const answer = node.data.answer;
  switch (answer.type) {
    case "choice":
      return {
        nodeId: node.id,
        input: "choice",
        choices: answer.choices.map((choice) => ({ id: choice.id, label: choice.label })),
        multiple: answer.multiple === true,
      };
    case "yes_no":
      return {
        nodeId: node.id,
        input: "yes_no",
        choices: [
          { id: "yes", label: answer.yesLabel ?? "Yes" },
          { id: "no", label: answer.noLabel ?? "No" },
        ],
      };
    case "rating": {
      const min = answer.min ?? 1;
      const max = answer.max ?? 5;
      const count = max - min + 1;
      if (count < 1 || count > MAX_RATING_CHOICES) return { nodeId: node.id, input: "rating", min, max };
      const choices = Array.from({ length: count }, (_, i) => ({ id: String(min + i), label: String(min + i) }));
      return { nodeId: node.id, input: "rating", choices, min, max };
    }
    case "number":
    case "date": {
      const awaited: { -readonly [K in keyof AwaitedInput]: AwaitedInput[K] } = { nodeId: node.id, input: answer.type };
      if (answer.min !== undefined) awaited.min = answer.min;
      if (answer.max !== undefined) awaited.max = answer.max;
      return awaited;
    }
    default:
      return { nodeId: node.id, input: answer.type };
  }
};

const awaitCommand = (node: SpecNodeOf<"question">): Command => {
  let command = awaitCommands.get(node);
  if (command === undefined) {
    command = frozen<Command>({ type: "await_input", ...awaitedOf(node) });
    awaitCommands.set(node, command);
  }
  return command;
};

const emailAwaited = (nodeId: string): AwaitedInput => ({ nodeId, input: "email" });

const ask = (run: Run, node: SpecNodeOf<"question">, text: string): void => {
  sayText(run, node.id, text, node.data.typingDelayMs ?? 600);
  run.commands.push(awaitCommand(node));
  waitFor(run, "awaiting_input", node.id);
};

const enterQuestion = (run: Run, node: SpecNodeOf<"question">): string | null => {
  const save = node.data.save ?? {};
  const property = save.contactProperty;
  if (node.data.skipIfKnown === true && property !== undefined && hasOwn(run.contact, property) && run.contact[property] !== "") {
    const known = run.contact[property];
    track(run, { name: "skipped", nodeId: node.id });
    if (save.variable !== undefined) setVariable(run, save.variable, known);
    run.lastAnswer = known;
    return "answered";
  }
  run.retries = 0;
  ask(run, node, render(run, node.data.prompt));
  return null;
};

const answerQuestion = (run: Run, node: SpecNodeOf<"question">, input: AnswerInput): void => {
  const answer = node.data.answer;
  const result = validateAnswer(answer, input, run.context.now, { language: run.language });
  if (!result.ok) {
    const retries = run.retries + 1;
    track(run, { name: "invalid_answer", nodeId: node.id, retries });
    if (retries > (node.data.maxRetries ?? 2)) {
      run.retries = 0;
      leave(run, node, "invalid");
      return;
    }
    run.retries = retries;
    ask(run, node, render(run, node.data.retryMessage));
    return;
  }
  const value = toJson(result.value);
  const save = node.data.save ?? {};
  if (save.variable !== undefined) setVariable(run, save.variable, value);
  if (save.contactProperty !== undefined) setContact(run, save.contactProperty, formatValue(value));
  run.lastAnswer = value;
  run.retries = 0;
  let port = "answered";
  if (answer.type === "choice" && answer.portPerChoice === true && result.choiceIds?.length === 1) {
    const choicePort = `choice:${result.choiceIds[0]}`;
    if (node.next !== undefined && hasOwn(node.next, choicePort)) port = choicePort;
  }
  track(run, { name: "answered", nodeId: node.id, port });
  leave(run, node, port);
};

// ---------------------------------------------------------------------------------------------
// set, webhook, code, split

const coerce = (value: string, type: VariableDeclaration["type"] | undefined): Json => {
  if (type === "number") {
    const trimmed = value.trim();
    const number = trimmed === "" ? NaN : Number(trimmed);
    return Number.isFinite(number) ? number : value;
  }
  if (type === "boolean") {
    const word = value.trim().toLowerCase();
    return word === "true" ? true : word === "false" ? false : value;
  }
  return value;
};

const runAssignments = (run: Run, node: SpecNodeOf<"set">): void => {
  for (const { target, value } of node.data.assignments) {
    if (target.type === "variable") {
      // `{{other}}` alone copies the value with its type (a list stays a list).
      const single = singleTokenValue(value, run);
      const assigned =
        single !== null && single.value !== undefined
          ? single.value
          : coerce(render(run, value), run.index.variableTypes.get(target.name));
      setVariable(run, target.name, assigned);
    } else {
      const text = render(run, value);
      // An empty result (usually an unknown token) must not wipe a known contact property.
      if (text !== "") setContact(run, target.property, text);
    }
  }
};

const urlEncode: RenderOptions = { encode: (text) => encodeURIComponent(text) };
const jsonEscape: RenderOptions = {
  encode: (text, raw) => (typeof raw === "string" ? JSON.stringify(text).slice(1, -1) : text),
};

const LEADING_TOKEN = /^\s*\{\{\s*[A-Za-z_][A-Za-z0-9_.]*\s*\}\}/;

/**
 * Tokens in a webhook URL are URL-encoded, except a token the URL starts with: that one is a
 * base URL kept in a variable (`{{api_base}}/orders/{{id}}`) and must stay a URL.
 */
const renderUrl = (run: Run, template: string): string => {
  const leading = LEADING_TOKEN.exec(template);
  if (leading === null) return render(run, template, urlEncode).trim();
  return (render(run, leading[0]).trim() + render(run, template.slice(leading[0].length), urlEncode)).trim();
};

const callWebhook = (run: Run, node: SpecNodeOf<"webhook">): void => {
  const data = node.data;
  const body = data.body === undefined ? undefined : render(run, data.body, /^\s*[[{]/.test(data.body) ? jsonEscape : undefined);
  run.commands.push({
    type: "call_webhook",
    nodeId: node.id,
    method: data.method,
    url: renderUrl(run, data.url),
    headers: (data.headers ?? []).map((header) => ({
      name: header.name,
      value: render(run, header.value).replace(/[\r\n]+/g, " "),
    })),
    ...(body !== undefined ? { body } : {}),
    timeoutMs: data.timeoutMs ?? 5_000,
  });
  waitFor(run, "awaiting_action", node.id);
};

const runCode = (run: Run, node: SpecNodeOf<"code">): void => {
  const inputs: Record<string, Json> = {};
  for (const name of node.data.inputs ?? []) put(inputs, name, hasOwn(run.variables, name) ? run.variables[name] : null);
  run.commands.push({
    type: "run_code",
    nodeId: node.id,
    source: node.data.source,
    inputs,
    outputs: node.data.outputs ?? [],
    timeoutMs: node.data.timeoutMs ?? 1_000,
  });
  waitFor(run, "awaiting_action", node.id);
};

const pickArm = (run: Run, node: SpecNodeOf<"split">): string | null => {
  const arms = node.data.arms;
  if (arms.length === 0) {
    fail(run, node.id, `split node "${node.id}" has no arms`);
    return null;
  }
  const total = arms.reduce((sum, arm) => sum + (arm.percent > 0 ? arm.percent : 0), 0);
  const draw = nextRandom(run.rng);
  run.rng = draw.state;
  // Percentages that do not add up to 100 are read as weights; all-zero means equal weights.
  let chosen = arms[arms.length - 1];
  if (total > 0) {
    let point = draw.value * total;
    for (const arm of arms) {
      const weight = arm.percent > 0 ? arm.percent : 0;
      if (point < weight) {
        chosen = arm;
        break;
      }
      point -= weight;
    }
  } else {
    chosen = arms[Math.min(arms.length - 1, Math.floor(draw.value * arms.length))];
  }
  track(run, { name: "split_arm", nodeId: node.id, armId: chosen.id });
  return `arm:${chosen.id}`;
};

// ---------------------------------------------------------------------------------------------
// knowledge

/** Longest search text sent to the knowledge base: a question, not a document. */
export const MAX_KNOWLEDGE_QUERY_LENGTH = 500;

const knowledgeLimit = (node: SpecNodeOf<"knowledge">): number => {
  const limit = node.data.limit;
  return typeof limit === "number" && Number.isInteger(limit) ? Math.min(Math.max(limit, 1), MAX_KNOWLEDGE_ARTICLES) : 3;
};

/** The query template rendered, or the visitor's last answer when it is blank; one line, bounded. */
const knowledgeQuery = (run: Run, node: SpecNodeOf<"knowledge">): string => {
  const template = node.data.query ?? "";
  const text = template.trim() === "" ? formatValue(run.lastAnswer) : render(run, template);
  return text.replace(/\s+/g, " ").trim().slice(0, MAX_KNOWLEDGE_QUERY_LENGTH).trim();
};

const searchKnowledge = (run: Run, node: SpecNodeOf<"knowledge">): string | null => {
  const query = knowledgeQuery(run, node);
  if (query === "") {
    // Nothing to search for (no answer yet, or every token empty): nothing can match.
    knowledgeNotFound(run, node);
    return "not_found";
  }
  run.commands.push({ type: "search_knowledge", nodeId: node.id, query, limit: knowledgeLimit(node) });
  waitFor(run, "awaiting_action", node.id);
  return null;
};

const knowledgeNotFound = (run: Run, node: SpecNodeOf<"knowledge">): void => {
  sayText(run, node.id, render(run, node.data.notFoundMessage), BUILT_IN_TYPING_MS);
  // Cleared, so a branch on it cannot act on the title of an earlier search.
  if (node.data.saveTitleTo !== undefined) setVariable(run, node.data.saveTitleTo, "");
};

/**
 * Says the message and one link per usable article (an http(s) or site-relative URL and a
 * title; at most the node's limit) and leaves by `found`, or by `not_found` when none is usable.
 */
const answerKnowledge = (run: Run, node: SpecNodeOf<"knowledge">, articles: unknown): void => {
  const limit = knowledgeLimit(node);
  const links: RenderedBubble[] = [];
  let bestTitle = "";
  for (const article of Array.isArray(articles) ? articles : []) {
    if (links.length >= limit) break;
    if (article === null || typeof article !== "object") continue;
    const { url, title } = article as { url?: unknown; title?: unknown };
    const href = typeof url === "string" ? url.trim() : "";
    const label = typeof title === "string" ? title.replace(/\s+/g, " ").trim() : "";
    if (label === "" || !SAFE_URL.test(href)) continue;
    links.push({ type: "link", url: href, label });
    if (bestTitle === "") bestTitle = label;
  }
  if (links.length === 0) {
    knowledgeNotFound(run, node);
    leave(run, node, "not_found");
    return;
  }
  const text = render(run, node.data.message);
  run.commands.push({
    type: "say",
    nodeId: node.id,
    bubbles: text.trim() === "" ? links : [{ type: "text", text }, ...links],
    typingDelayMs: BUILT_IN_TYPING_MS,
  });
  if (node.data.saveTitleTo !== undefined) setVariable(run, node.data.saveTitleTo, bestTitle);
  leave(run, node, "found");
};

// ---------------------------------------------------------------------------------------------
// handoff

const isTargetAvailable = (run: Run, node: SpecNodeOf<"handoff">): boolean => {
  const availability = run.context.availability;
  if (availability === undefined || availability === null) return false;
  const target = node.data.target;
  switch (target.type) {
    case "routing":
      return availability.routing === true;
    case "team":
      return availability.team(target.teamId);
    case "user":
      return availability.user(target.userId);
    case "contact_owner":
      // The owner first, else the inbox's routing: someone is there when either is.
      return availability.contactOwner === true || availability.routing === true;
    default:
      return false;
  }
};

const enterHandoff = (run: Run, node: SpecNodeOf<"handoff">): string | null => {
  if (isTargetAvailable(run, node)) {
    sayText(run, node.id, render(run, node.data.message), BUILT_IN_TYPING_MS);
    handOff(run, node, false, false);
    return null;
  }
  const away = node.data.away ?? { askForEmail: false, createTicket: false };
  sayText(run, node.id, render(run, away.message), BUILT_IN_TYPING_MS);
  if (node.next !== undefined && hasOwn(node.next, "away")) return "away";
  const email = hasOwn(run.contact, "email") ? run.contact.email : "";
  if (away.askForEmail === true && email === "") {
    sayText(run, node.id, textsFor(run.language).askEmail, BUILT_IN_TYPING_MS);
    run.commands.push({ type: "await_input", ...emailAwaited(node.id) });
    run.retries = 0;
    waitFor(run, "awaiting_input", node.id);
    return null;
  }
  handOff(run, node, true, away.createTicket === true);
  return null;
};

const answerHandoffEmail = (run: Run, node: SpecNodeOf<"handoff">, input: AnswerInput): void => {
  const createTicket = node.data.away?.createTicket === true;
  const result = validateAnswer({ type: "email" }, input, run.context.now, { language: run.language });
  if (!result.ok) {
    const retries = run.retries + 1;
    track(run, { name: "invalid_answer", nodeId: node.id, retries });
    if (retries > HANDOFF_EMAIL_RETRIES) {
      handOff(run, node, true, createTicket);
      return;
    }
    run.retries = retries;
    sayText(run, node.id, textsFor(run.language).retryEmail, BUILT_IN_TYPING_MS);
    run.commands.push({ type: "await_input", ...emailAwaited(node.id) });
    return;
  }
  const email = formatValue(result.value);
  setContact(run, "email", email);
  run.lastAnswer = email;
  run.retries = 0;
  track(run, { name: "answered", nodeId: node.id, port: "email" });
  handOff(run, node, true, createTicket);
};

// ---------------------------------------------------------------------------------------------
// subscribe: the email first when unknown, then yes/no; which of the two is awaited follows
// from whether the contact's email is known, so the state needs nothing new.

const SUBSCRIBE_RETRIES = 2;

const knownEmailOf = (contact: Readonly<Record<string, string>>): string | undefined => {
  const email = hasOwn(contact, "email") ? contact.email : undefined;
  return email !== undefined && email !== "" ? email : undefined;
};
const knownEmail = (run: Run): string | undefined => knownEmailOf(run.contact);

const consentAwaited = (node: SpecNodeOf<"subscribe">): AwaitedInput => ({
  nodeId: node.id,
  input: "yes_no",
  choices: [
    { id: "yes", label: node.data.yesLabel },
    { id: "no", label: node.data.noLabel },
  ],
});

/** What a subscribe step waits for: the address while none is known, then the yes/no of the consent. */
const subscribeAwaited = (node: SpecNodeOf<"subscribe">, contact: Readonly<Record<string, string>>): AwaitedInput =>
  knownEmailOf(contact) === undefined ? emailAwaited(node.id) : consentAwaited(node);

const askConsent = (run: Run, node: SpecNodeOf<"subscribe">): void => {
  sayText(run, node.id, render(run, node.data.question), 600);
  sayText(run, node.id, render(run, node.data.consentText), 600);
  run.commands.push({ type: "await_input", ...consentAwaited(node) });
  waitFor(run, "awaiting_input", node.id);
};

const enterSubscribe = (run: Run, node: SpecNodeOf<"subscribe">): null => {
  run.retries = 0;
  if (knownEmail(run) !== undefined) {
    askConsent(run, node);
    return null;
  }
  sayText(run, node.id, render(run, node.data.emailPrompt), 600);
  run.commands.push({ type: "await_input", ...emailAwaited(node.id) });
  waitFor(run, "awaiting_input", node.id);
  return null;
};

const answerSubscribe = (run: Run, node: SpecNodeOf<"subscribe">, input: AnswerInput): void => {
  const email = knownEmail(run);
  const answer = email === undefined
    ? ({ type: "email" } as const)
    : ({ type: "yes_no", yesLabel: node.data.yesLabel, noLabel: node.data.noLabel } as const);
  const result = validateAnswer(answer, input, run.context.now, { language: run.language });
  if (!result.ok) {
    const retries = run.retries + 1;
    track(run, { name: "invalid_answer", nodeId: node.id, retries });
    if (retries > SUBSCRIBE_RETRIES) {
      run.retries = 0;
      leave(run, node, "declined");
      return;
    }
    run.retries = retries;
    if (email === undefined) {
      sayText(run, node.id, textsFor(run.language).retryEmail, BUILT_IN_TYPING_MS);
      run.commands.push({ type: "await_input", ...emailAwaited(node.id) });
    } else {
      sayText(run, node.id, result.reason, BUILT_IN_TYPING_MS);
      askConsent(run, node);
    }
    return;
  }
  run.retries = 0;
  if (email === undefined) {
    // The address first; the yes/no that follows is the consent, given for this address.
    setContact(run, "email", formatValue(result.value));
    askConsent(run, node);
    return;
  }
  run.lastAnswer = result.value;
  if (result.value === true) {
    const consentText = render(run, node.data.consentText);
    run.commands.push(
      node.data.listId !== undefined && node.data.listId !== ""
        ? { type: "record_consent", nodeId: node.id, email, consentText, listId: node.data.listId }
        : { type: "record_consent", nodeId: node.id, email, consentText },
    );
    track(run, { name: "answered", nodeId: node.id, port: "subscribed" });
    leave(run, node, "subscribed");
  } else {
    track(run, { name: "answered", nodeId: node.id, port: "declined" });
    leave(run, node, "declined");
  }
};

// ---------------------------------------------------------------------------------------------
// Public API

const isActive = (phase: ConversationPhase) => phase === "awaiting_input" || phase === "awaiting_action";

const unchanged = (state: InterpreterState): StepResult => ({ state, commands: [] });

const message = (error: unknown): string => {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
};

const intOr = (value: unknown, fallback: number): number =>
  typeof value === "number" && Number.isInteger(value) ? value : fallback;

const initialState = (spec: FlowSpec, context: InterpreterContext): InterpreterState => {
  const variables: Record<string, Json> = {};
  for (const declaration of spec.variables ?? []) {
    if (declaration.defaultValue !== undefined) put(variables, declaration.name, toJson(declaration.defaultValue));
  }
  const contact: Record<string, string> = {};
  const known = context.contact;
  if (known !== undefined && known !== null && typeof known === "object") {
    for (const key of Object.keys(known)) {
      if (typeof known[key] === "string") put(contact, key, known[key]);
    }
  }
  return {
    specId: String(spec.id),
    specVersion: intOr(context.specVersion, 0),
    specHash: typeof context.specHash === "string" ? context.specHash : "",
    phase: "ended",
    nodeId: null,
    retries: 0,
    variables,
    contact,
    lastAnswer: null,
    rng: seedRng(context.seed),
    turn: 0,
  };
};

/**
 * When a bug or an impossible input throws, the conversation ends with reason "error" and a
 * `flow_error` track instead — the commands of the half-done walk are dropped.
 */
const crashed = (spec: FlowSpec, state: InterpreterState | undefined, context: InterpreterContext, error: unknown): StepResult => {
  const text = `internal error: ${message(error)}`;
  let base: InterpreterState;
  try {
    const decoded = state === undefined ? undefined : decodeState(state);
    base = decoded !== undefined && Either.isRight(decoded) ? decoded.right : initialState(spec, context);
  } catch {
    base = {
      specId: "",
      specVersion: 0,
      specHash: "",
      phase: "ended",
      nodeId: null,
      retries: 0,
      variables: {},
      contact: {},
      lastAnswer: null,
      rng: 0,
      turn: 0,
    };
  }
  const nodeId = typeof base.nodeId === "string" ? base.nodeId : null;
  return {
    state: { ...base, phase: "ended", nodeId: null, retries: 0, endReason: "error", error: text },
    commands: [
      { type: "track", event: { name: "flow_error", nodeId, message: text } },
      { type: "end", reason: "error", closeConversation: false, error: text },
    ],
  };
};

/** Starts a conversation at the spec's start node. Pure and total: never throws. */
export const start = (spec: FlowSpec, context: InterpreterContext): StepResult => {
  try {
    const run = newRun(spec, context, initialState(spec, context), true);
    track(run, { name: "flow_started" });
    walk(run, spec.startNodeId, undefined);
    return finish(run);
  } catch (error) {
    return crashed(spec, undefined, context, error);
  }
};

/**
 * Applies one event to a conversation's state. Pure and total: never throws, never mutates its
 * inputs, visits at most `context.maxNodeVisits ?? 100` nodes. An event that does not fit the
 * current phase returns the same state and no commands.
 */
export const step = (
  spec: FlowSpec,
  state: InterpreterState,
  event: InterpreterEvent,
  context: InterpreterContext,
): StepResult => {
  try {
    if (!isActive(state.phase)) return unchanged(state);
    const run = newRun(spec, context, state, false);
    const index = run.index;
    const nodeId = state.nodeId;
    switch (event.type) {
      case "visitor_message":
      case "visitor_choice": {
        if (state.phase !== "awaiting_input" || nodeId === null) return unchanged(state);
        run.turn++;
        if (state.specId !== spec.id) {
          fail(run, nodeId, `the conversation belongs to chatflow "${state.specId}", not "${spec.id}"`);
          break;
        }
        const node = index.byId.get(nodeId);
        const input: AnswerInput =
          event.type === "visitor_message" ? { text: event.text } : { choiceIds: event.choiceIds };
        if (node?.kind === "question") answerQuestion(run, node, input);
        else if (node?.kind === "handoff") answerHandoffEmail(run, node, input);
        else if (node?.kind === "subscribe") answerSubscribe(run, node, input);
        else fail(run, nodeId, `the conversation waits for an answer at node "${nodeId}", which is not a question in this spec`);
        break;
      }
      case "webhook_result":
      case "webhook_error":
      case "code_result":
      case "code_error":
      case "ticket_created":
      case "knowledge_result": {
        if (state.phase !== "awaiting_action" || nodeId === null || event.nodeId !== nodeId) return unchanged(state);
        const node = index.byId.get(nodeId);
        const kind =
          event.type === "ticket_created"
            ? "ticket"
            : event.type === "knowledge_result"
              ? "knowledge"
              : event.type.startsWith("webhook")
                ? "webhook"
                : "code";
        if (node === undefined) {
          run.turn++;
          fail(run, nodeId, `the conversation waits at node "${nodeId}", which this spec does not have`);
          break;
        }
        if (node.kind !== kind) return unchanged(state);
        run.turn++;
        applyActionResult(run, node, event);
        break;
      }
      case "session_timed_out":
        run.turn++;
        track(run, { name: "abandoned", nodeId });
        endWith(run, "ended", "timeout", false);
        break;
      case "agent_took_over":
        run.turn++;
        track(run, { name: "handed_off", nodeId: nodeId ?? "" });
        endWith(run, "handed_off", "agent_took_over", false);
        break;
      default:
        return unchanged(state);
    }
    return finish(run);
  } catch (error) {
    return crashed(spec, state, context, error);
  }
};

const applyActionResult = (run: Run, node: SpecNode, event: InterpreterEvent): void => {
  switch (event.type) {
    case "webhook_result": {
      if (node.kind !== "webhook") return;
      if (!(event.status >= 200 && event.status <= 299)) {
        leave(run, node, "error", `the webhook answered with status ${event.status}`);
        return;
      }
      let body: Json = event.body;
      if (typeof body === "string") {
        try {
          body = toJson(JSON.parse(body));
        } catch {
          // A non-JSON body stays a string; mappings into it find nothing.
        }
      }
      for (const mapping of node.data.responseMappings ?? []) {
        const value = readJsonPath(body, mapping.path);
        if (value !== undefined) setVariable(run, mapping.variable, toJson(value));
      }
      leave(run, node, "ok");
      return;
    }
    case "webhook_error":
    case "code_error":
      leave(run, node, "error", event.message);
      return;
    case "code_result": {
      if (node.kind !== "code") return;
      const outputs = event.outputs;
      for (const name of node.data.outputs ?? []) {
        if (outputs !== null && typeof outputs === "object" && hasOwn(outputs, name)) {
          setVariable(run, name, toJson(outputs[name]));
        }
      }
      leave(run, node, "ok");
      return;
    }
    case "ticket_created":
      if (node.kind !== "ticket") return;
      sayText(run, node.id, render(run, node.data.message), BUILT_IN_TYPING_MS);
      leave(run, node, "next");
      return;
    case "knowledge_result":
      if (node.kind !== "knowledge") return;
      answerKnowledge(run, node, event.articles);
      return;
    default:
      return;
  }
};

/** Decodes a stored state, giving every problem as path + message. Pure. */
export const decodeState: (json: unknown) => Either.Either<InterpreterState, ReadonlyArray<DecodeIssue>> =
  decodeWith(InterpreterState);

/**
 * What the conversation waits for from the visitor right now (a question's input, or the
 * built-in email question of a handoff), re-derived from the state; null otherwise. Pure.
 */
export const awaitingOf = (spec: FlowSpec, state: InterpreterState): AwaitedInput | null => {
  try {
    if (state.phase !== "awaiting_input" || state.nodeId === null) return null;
    const node = indexOf(spec).byId.get(state.nodeId);
    if (node?.kind === "question") return awaitedOf(node);
    if (node?.kind === "handoff") return emailAwaited(node.id);
    if (node?.kind === "subscribe") return subscribeAwaited(node, state.contact);
    return null;
  } catch {
    return null;
  }
};
