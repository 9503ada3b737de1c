/**
 * The compiler: the canvas's FlowDocument in, a FlowSpec plus diagnostics out, and the same
 * static checks for a spec written by hand. Pure and browser-safe (no node: imports), and
 * iterative throughout so a 5,000-node flow cannot overflow the stack.
 */
import { Either, Schema as S } from "effect";
import { isValidTimezone, sameClosedDay } from "./availability.js";
import { decodeWith, type DecodeIssue } from "./decode.js";
import { DiagnosticCode as Code, humanizeIssues, type Diagnostic } from "./diagnostics.js";
import { FlowDocument, type DocumentNode } from "./flow-document.js";
import {
  FlowSpec,
  FORMAT_VERSION,
  NodeDataByKind,
  Settings,
  type ChatflowKind,
  type Condition,
  type NodeKind,
  type SpecNode,
  type TargetingRule,
  type VariableDeclaration,
} from "./flow-spec.js";
import { portsOf, WAITING_KINDS, type Port } from "./ports.js";
import {
  classifyToken,
  STANDARD_CONTACT_PROPERTIES,
  templateTokens,
  VISITOR_TEMPLATE_FIELDS,
} from "./template-tokens.js";

/** What the workspace knows, against which references in a flow are checked. */
export interface CompileContext {
  readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly users: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  /** Custom contact properties; the standard ones (email, name, …) are always known. */
  readonly contactProperties: ReadonlyArray<string>;
  /** Contact lists, for "Add to list" steps; when absent (a flow file outside a workspace) list ids are not checked. */
  readonly lists?: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  /** Conversation labels, for handoff steps; when absent (a flow file outside a workspace) label ids are not checked. */
  readonly labels?: ReadonlyArray<{ readonly id: string; readonly name: string }>;
}

export interface CompileResult {
  /** Present exactly when there is no error diagnostic. */
  readonly spec?: FlowSpec;
  readonly diagnostics: ReadonlyArray<Diagnostic>;
}

// ---------------------------------------------------------------------------------------------
// Decoding with plain-English messages

const humanized =
  <A, I>(schema: S.Schema<A, I, never>) =>
  (input: unknown): Either.Either<A, ReadonlyArray<DecodeIssue>> =>
    Either.mapLeft(decodeWith(schema)(input), humanizeIssues);

/** Decodes a hand-written spec, giving every problem as path + plain-English message. Pure. */
export const decodeFlowSpec: (input: unknown) => Either.Either<FlowSpec, ReadonlyArray<DecodeIssue>> =
  humanized(FlowSpec);

/** Decodes a saved canvas document, giving every problem as path + message. Node data is checked by `compile`. Pure. */
export const decodeFlowDocument: (input: unknown) => Either.Either<FlowDocument, ReadonlyArray<DecodeIssue>> =
  humanized(FlowDocument);

const nodeDataDecoders = Object.fromEntries(
  Object.entries(NodeDataByKind).map(([kind, schema]) => [kind, humanized(schema as S.Schema<unknown, unknown, never>)]),
) as Record<NodeKind, (input: unknown) => Either.Either<unknown, ReadonlyArray<DecodeIssue>>>;

const decodeSettings = humanized(Settings);
const decodeLanguage = humanized(S.Struct({ language: FlowSpec.fields.language }));

// ---------------------------------------------------------------------------------------------
// The graph every check works on: spec nodes, or document nodes with `next` built from edges.

interface CheckNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label?: string;
  /** Decoded node data when `decoded`, else whatever the document held. */
  readonly data: unknown;
  readonly decoded: boolean;
  readonly next: Record<string, string>;
  readonly ports: ReadonlyArray<Port>;
}

interface CheckInput {
  readonly kind: ChatflowKind;
  readonly startNodeId: string | undefined;
  /** Unique ids (duplicates were reported and dropped by the caller). */
  readonly nodes: ReadonlyArray<CheckNode>;
  readonly variables: ReadonlyArray<VariableDeclaration>;
  readonly settings: Settings | undefined;
}

/** How the product names each node kind to people (messages, change summaries). */
export const KIND_NAMES: Readonly<Record<NodeKind, string>> = {
  message: "Message",
  question: "Question",
  branch: "Branch",
  set: "Set data",
  webhook: "Webhook",
  code: "Code",
  handoff: "Handoff",
  ticket: "Ticket",
  meeting: "Meeting",
  add_to_list: "Add to list",
  subscribe: "Email subscription",
  knowledge: "Knowledge base",
  split: "A/B split",
  end: "End",
};

/** How messages name a node: `Question "Ask for email"`, or `Question q1` when it has no label. */
const nodeName = (node: { readonly id: string; readonly kind: NodeKind; readonly label?: string }): string =>
  node.label ? `${KIND_NAMES[node.kind]} "${node.label}"` : `${KIND_NAMES[node.kind]} ${node.id}`;

const listNames = (names: ReadonlyArray<string>, max = 5): string => {
  const shown = names.slice(0, max);
  const rest = names.length - shown.length;
  if (rest > 0) return `${shown.join(", ")} and ${rest} more`;
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
};

const regexProblem = (source: string): string | null => {
  try {
    new RegExp(source);
    return null;
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    return text.split(": ").pop()!.toLowerCase();
  }
};

/** Levenshtein distance, capped: only used to suggest a near-miss name. */
const distance = (a: string, b: string): number => {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
};

const suggestion = (name: string, known: Iterable<string>): string => {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? "" : ` Did you mean "${best}"?`;
};

type Loose = Record<string, any>;
const asRecord = (v: unknown): Loose => (v !== null && typeof v === "object" ? (v as Loose) : {});
const asArray = (v: unknown): ReadonlyArray<any> => (Array.isArray(v) ? v : []);

/** Variables and contact properties the flow can hold, read loosely so a half-broken node still counts. */
const collectDefinitions = (input: CheckInput, context: CompileContext) => {
  const variables = new Set(input.variables.map((v) => v.name));
  const properties = new Set([...STANDARD_CONTACT_PROPERTIES, ...context.contactProperties]);
  for (const node of input.nodes) {
    const data = asRecord(node.data);
    switch (node.kind) {
      case "question": {
        const save = asRecord(data.save);
        if (typeof save.variable === "string") variables.add(save.variable);
        if (typeof save.contactProperty === "string") properties.add(save.contactProperty);
        break;
      }
      case "set":
        for (const a of asArray(data.assignments)) {
          const target = asRecord(asRecord(a).target);
          if (target.type === "variable" && typeof target.name === "string") variables.add(target.name);
          if (target.type === "contact" && typeof target.property === "string") properties.add(target.property);
        }
        break;
      case "webhook":
        for (const m of asArray(data.responseMappings)) {
          const variable = asRecord(m).variable;
          if (typeof variable === "string") variables.add(variable);
        }
        break;
      case "code":
        for (const o of asArray(data.outputs)) if (typeof o === "string") variables.add(o);
        break;
      case "knowledge":
        if (typeof data.saveTitleTo === "string") variables.add(data.saveTitleTo);
        break;
      default:
        break;
    }
  }
  return { variables, properties };
};

/** Every template field of a decoded node, with its path relative to the node. */
const templatesOf = (node: CheckNode): ReadonlyArray<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = [];
  const add = (path: string, text: string | undefined) => {
    if (text !== undefined && text.includes("{{")) out.push([path, text]);
  };
  const n = { kind: node.kind, data: node.data } as SpecNode;
  switch (n.kind) {
    case "message":
      n.data.bubbles.forEach((b, i) => {
        if (b.type === "text") add(`data.bubbles[${i}].text`, b.text);
        else if (b.type === "image") add(`data.bubbles[${i}].url`, b.url);
        else {
          add(`data.bubbles[${i}].url`, b.url);
          add(`data.bubbles[${i}].label`, b.label);
        }
      });
      break;
    case "question":
      add("data.prompt", n.data.prompt);
      add("data.retryMessage", n.data.retryMessage);
      break;
    case "set":
      n.data.assignments.forEach((a, i) => add(`data.assignments[${i}].value`, a.value));
      break;
    case "webhook":
      add("data.url", n.data.url);
      n.data.headers.forEach((h, i) => add(`data.headers[${i}].value`, h.value));
      add("data.body", n.data.body);
      break;
    case "handoff":
      add("data.message", n.data.message);
      add("data.away.message", n.data.away.message);
      break;
    case "ticket":
      add("data.subject", n.data.subject);
      add("data.description", n.data.description);
      add("data.message", n.data.message);
      break;
    case "meeting":
    case "end":
      add("data.message", n.data.message);
      break;
    case "subscribe":
      add("data.question", n.data.question);
      add("data.consentText", n.data.consentText);
      add("data.emailPrompt", n.data.emailPrompt);
      break;
    case "knowledge":
      add("data.query", n.data.query);
      add("data.message", n.data.message);
      add("data.notFoundMessage", n.data.notFoundMessage);
      break;
    case "branch":
    case "code":
    case "split":
    case "add_to_list":
      break;
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// The checks

const runChecks = (input: CheckInput, context: CompileContext, out: Diagnostic[]): void => {
  const error = (d: Omit<Diagnostic, "severity">) => out.push({ severity: "error", ...d });
  const warning = (d: Omit<Diagnostic, "severity">) => out.push({ severity: "warning", ...d });
  const { nodes } = input;
  const indexOf = new Map<string, number>();
  nodes.forEach((n, i) => indexOf.set(n.id, i));
  const teams = new Set(context.teams.map((t) => t.id));
  const users = new Set(context.users.map((u) => u.id));
  const lists = context.lists === undefined ? undefined : new Set(context.lists.map((l) => l.id));
  const labels = context.labels === undefined ? undefined : new Set(context.labels.map((l) => l.id));
  const defined = collectDefinitions(input, context);

  // Start
  const start = input.startNodeId === undefined ? undefined : indexOf.get(input.startNodeId);
  if (input.startNodeId === undefined) {
    error({
      code: Code.missingStart,
      path: "startNodeId",
      message: "This chatflow has no start step. Mark the step the conversation begins with as the start.",
    });
  } else if (start === undefined) {
    error({
      code: Code.unknownStart,
      path: "startNodeId",
      message: `The start step "${input.startNodeId}" does not exist. Mark an existing step as the start.`,
    });
  }

  // Variables
  const declared = new Set<string>();
  input.variables.forEach((v, i) => {
    if (declared.has(v.name)) {
      error({
        code: Code.duplicateVariable,
        path: `variables[${i}].name`,
        message: `The variable "${v.name}" is declared twice. Remove one of them.`,
      });
    }
    declared.add(v.name);
  });

  const checkTemplate = (node: CheckNode, path: string, text: string) => {
    for (const token of templateTokens(text)) {
      const ref = classifyToken(token);
      const where = `{{${token}}} in ${nodeName(node)}`;
      if (ref.type === "variable" && !defined.variables.has(ref.name)) {
        error({
          code: Code.undefinedVariable,
          nodeId: node.id,
          path,
          message: `${where} names a variable this chatflow never sets. Declare "${ref.name}" under Variables or save an answer to it.${suggestion(ref.name, defined.variables)}`,
        });
      } else if (ref.type === "contact" && !defined.properties.has(ref.property)) {
        error({
          code: Code.unknownContactProperty,
          nodeId: node.id,
          path,
          message: `${where} names a contact property that does not exist.${suggestion(ref.property, defined.properties)}`,
        });
      } else if (ref.type === "visitor" && !VISITOR_TEMPLATE_FIELDS.includes(ref.field)) {
        error({
          code: Code.unknownVisitorField,
          nodeId: node.id,
          path,
          message: `${where} is not visitor information; use one of ${VISITOR_TEMPLATE_FIELDS.map((f) => `visitor.${f}`).join(", ")}.`,
        });
      } else if (ref.type === "invalid") {
        error({
          code: Code.undefinedVariable,
          nodeId: node.id,
          path,
          message: `${where} is not a valid placeholder; the visitor would see it as typed. Use {{variable}}, {{contact.property}} or {{visitor.field}}.`,
        });
      }
    }
  };

  const checkDuplicateIds = (node: CheckNode, items: ReadonlyArray<{ id: string }>, path: string, what: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.id)) {
        error({
          code: Code.duplicateItemId,
          nodeId: node.id,
          path: `${path}[${i}].id`,
          message: `Two ${what}s in ${nodeName(node)} share the id "${item.id}"; each ${what} needs its own id.`,
        });
      }
      seen.add(item.id);
    });
  };

  const checkTeam = (node: CheckNode | undefined, teamId: string, path: string, what: string) => {
    if (!teams.has(teamId)) {
      error({
        code: Code.unknownTeam,
        ...(node ? { nodeId: node.id } : {}),
        path,
        message: `${what} names a team that does not exist (id "${teamId}"). Choose one of your teams.`,
      });
    }
  };
  const checkUser = (node: CheckNode | undefined, userId: string, path: string, what: string) => {
    if (!users.has(userId)) {
      error({
        code: Code.unknownUser,
        ...(node ? { nodeId: node.id } : {}),
        path,
        message: `${what} names a user that does not exist (id "${userId}"). Choose one of your users.`,
      });
    }
  };

  /** A contact list a node names must exist, where the workspace's lists are known. */
  const checkList = (node: CheckNode, listId: string) => {
    if (lists !== undefined && !lists.has(listId)) {
      error({
        code: Code.unknownList,
        nodeId: node.id,
        path: "data.listId",
        message: `${nodeName(node)} names a contact list that does not exist (id "${listId}"). Choose one of your lists.`,
      });
    }
  };

  const checkCondition = (node: CheckNode, condition: Condition, path: string) => {
    const { subject, operator, value } = condition;
    if (operator !== "is_set" && operator !== "is_not_set" && value === undefined) {
      error({
        code: Code.missingConditionValue,
        nodeId: node.id,
        path: `${path}.value`,
        message: `A condition in ${nodeName(node)} has no value to compare with.`,
      });
    }
    if (operator === "matches_regex") {
      const problem = typeof value === "string" && value !== "" ? regexProblem(value) : "the pattern is empty";
      if (problem !== null) {
        error({
          code: Code.invalidRegex,
          nodeId: node.id,
          path: `${path}.value`,
          message: `The pattern ${JSON.stringify(value ?? "")} in ${nodeName(node)} is not a valid regular expression (${problem}).`,
        });
      }
    }
    switch (subject.type) {
      case "variable":
        if (!defined.variables.has(subject.name)) {
          error({
            code: Code.undefinedVariable,
            nodeId: node.id,
            path: `${path}.subject.name`,
            message: `A condition in ${nodeName(node)} checks the variable "${subject.name}", which this chatflow never sets.${suggestion(subject.name, defined.variables)}`,
          });
        }
        break;
      case "team_available":
        checkTeam(node, subject.teamId, `${path}.subject.teamId`, `A condition in ${nodeName(node)}`);
        break;
      case "user_available":
        checkUser(node, subject.userId, `${path}.subject.userId`, `A condition in ${nodeName(node)}`);
        break;
      default:
        break;
    }
  };

  const checkRange = (node: CheckNode, min: number | string | undefined, max: number | string | undefined, path: string, strict: boolean) => {
    if (min === undefined || max === undefined) return;
    if (strict ? min >= max : min > max) {
      error({
        code: Code.invalidRange,
        nodeId: node.id,
        path: `${path}.min`,
        message: `In ${nodeName(node)} the minimum (${min}) must be ${strict ? "less than" : "at most"} the maximum (${max}).`,
      });
    }
  };

  /** A text the visitor would see (or a link they would follow) that is blank. */
  const checkFilled = (node: CheckNode, path: string, text: string, what: string) => {
    if (text.trim() !== "") return;
    error({ code: Code.emptyContent, nodeId: node.id, path, message: `${what} in ${nodeName(node)} is empty. Write it, or remove it.` });
  };

  const checkKind = (node: CheckNode) => {
    const n = { kind: node.kind, data: node.data } as SpecNode;
    switch (n.kind) {
      case "message":
        n.data.bubbles.forEach((b, i) => {
          if (b.type === "text") checkFilled(node, `data.bubbles[${i}].text`, b.text, `Text bubble ${i + 1}`);
          else if (b.type === "image") checkFilled(node, `data.bubbles[${i}].url`, b.url, `The image address of bubble ${i + 1}`);
          else checkFilled(node, `data.bubbles[${i}].url`, b.url, `The link address of bubble ${i + 1}`);
        });
        break;
      case "question": {
        const { answer, save } = n.data;
        checkFilled(node, "data.prompt", n.data.prompt, "The question");
        switch (answer.type) {
          case "number":
            checkRange(node, answer.min, answer.max, "data.answer", false);
            break;
          case "rating":
            checkRange(node, answer.min, answer.max, "data.answer", true);
            break;
          case "date":
            checkRange(node, answer.min, answer.max, "data.answer", false);
            break;
          case "text":
            if (answer.minLength !== undefined && answer.maxLength !== undefined && answer.minLength > answer.maxLength) {
              error({
                code: Code.invalidRange,
                nodeId: node.id,
                path: "data.answer.minLength",
                message: `In ${nodeName(node)} the shortest answer (${answer.minLength}) is longer than the longest (${answer.maxLength}).`,
              });
            }
            break;
          case "choice":
            checkDuplicateIds(node, answer.choices, "data.answer.choices", "choice");
            break;
          default:
            break;
        }
        const routes = answer.type === "choice" && answer.portPerChoice;
        if (save.variable === undefined && save.contactProperty === undefined && !routes) {
          warning({
            code: Code.questionSavesNothing,
            nodeId: node.id,
            path: "data.save",
            message: `${nodeName(node)} does not save the answer anywhere. Choose a variable or a contact property to save it to.`,
          });
        }
        if (n.data.skipIfKnown && save.contactProperty === undefined) {
          warning({
            code: Code.skipWithoutProperty,
            nodeId: node.id,
            path: "data.skipIfKnown",
            message: `${nodeName(node)} is set to be skipped when known, but saves to no contact property, so it is never skipped.`,
          });
        }
        break;
      }
      case "branch":
        checkDuplicateIds(node, n.data.rules, "data.rules", "rule");
        n.data.rules.forEach((rule, r) =>
          rule.conditions.forEach((c, i) => checkCondition(node, c, `data.rules[${r}].conditions[${i}]`)),
        );
        break;
      case "code":
        n.data.inputs.forEach((name, i) => {
          if (!defined.variables.has(name)) {
            error({
              code: Code.undefinedVariable,
              nodeId: node.id,
              path: `data.inputs[${i}]`,
              message: `${nodeName(node)} reads the variable "${name}", which this chatflow never sets.${suggestion(name, defined.variables)}`,
            });
          }
        });
        break;
      case "handoff":
        if (n.data.target.type === "team") checkTeam(node, n.data.target.teamId, "data.target.teamId", nodeName(node));
        if (n.data.target.type === "user") checkUser(node, n.data.target.userId, "data.target.userId", nodeName(node));
        // Checked when the workspace's labels are known (publishing); a label deleted later is a flow_error at run time.
        (n.data.labels ?? []).forEach((labelId, i) => {
          if (labels !== undefined && !labels.has(labelId)) {
            error({
              code: Code.unknownLabel,
              nodeId: node.id,
              path: `data.labels[${i}]`,
              message: `${nodeName(node)} adds a label that does not exist (id "${labelId}"). Choose one of your labels.`,
            });
          }
        });
        break;
      case "meeting":
        checkUser(node, n.data.userId, "data.userId", nodeName(node));
        break;
      case "subscribe":
        if (n.data.consentText.trim() === "") {
          error({
            code: Code.missingConsentText,
            nodeId: node.id,
            path: "data.consentText",
            message: `${nodeName(node)} has no consent text. Write what the visitor agrees to: it is stored with their consent.`,
          });
        }
        if (n.data.listId !== undefined && n.data.listId !== "") checkList(node, n.data.listId);
        break;
      case "add_to_list":
        // Checked when the workspace's lists are known (publishing); a list deleted later is a flow_error at run time.
        if (n.data.listId === "") {
          error({ code: Code.unknownList, nodeId: node.id, path: "data.listId", message: `${nodeName(node)} has no list. Pick a list.` });
        } else checkList(node, n.data.listId);
        break;
      case "knowledge":
        if (node.next.not_found === undefined && (n.data.notFoundMessage ?? "").trim() === "") {
          warning({
            code: Code.silentNotFound,
            nodeId: node.id,
            port: "not_found",
            message: `When no article matches, ${nodeName(node)} says nothing and the conversation ends. Write a not-found message or connect the "not found" exit.`,
          });
        }
        break;
      case "split": {
        checkDuplicateIds(node, n.data.arms, "data.arms", "arm");
        const total = n.data.arms.reduce((sum, arm) => sum + arm.percent, 0);
        if (Math.abs(total - 100) > 1e-9) {
          error({
            code: Code.splitNot100,
            nodeId: node.id,
            path: "data.arms",
            message: `The percentages of ${nodeName(node)} add up to ${Math.round(total * 100) / 100}%; they must add up to 100%.`,
          });
        }
        break;
      }
      default:
        break;
    }
    for (const [path, text] of templatesOf(node)) checkTemplate(node, path, text);
  };

  // Per node: connections, then what its data says.
  for (const node of nodes) {
    const portNames = new Set(node.ports.map((p) => p.name));
    for (const [port, target] of Object.entries(node.next)) {
      if (!portNames.has(port)) {
        error({
          code: Code.edgeUnknownPort,
          nodeId: node.id,
          port,
          path: `next.${port}`,
          message: `${nodeName(node)} has no exit "${port}" (it may have been deleted). Remove this connection.`,
        });
      } else if (!indexOf.has(target)) {
        error({
          code: Code.edgeUnknownTarget,
          nodeId: node.id,
          port,
          path: `next.${port}`,
          message: `The "${port}" exit of ${nodeName(node)} leads to a step that does not exist ("${target}").`,
        });
      }
    }
    // With a port per choice, `answered` catches the choices left unconnected; without it those choices lead nowhere.
    // Several picks of a multiple-choice question always take `answered`, so it must lead somewhere.
    const catchAll = node.kind === "question" && portNames.has("answered") && node.next.answered !== undefined;
    const answer = node.kind === "question" ? asRecord(asRecord(node.data).answer) : {};
    const multiplePicks = answer.type === "choice" && answer.portPerChoice === true && answer.multiple === true;
    for (const port of node.ports) {
      if (node.next[port.name] !== undefined) continue;
      const perChoice = node.kind === "question" && port.name.startsWith("choice:");
      const catchAllNeeded = port.name === "answered" && multiplePicks;
      if (port.required || (perChoice && !catchAll) || catchAllNeeded) {
        error({
          code: Code.portUnconnected,
          nodeId: node.id,
          port: port.name,
          message: perChoice
            ? `The "${port.label}" choice of ${nodeName(node)} is not connected, and neither is "other answers". Connect one of them.`
            : catchAllNeeded
              ? `The "${port.label}" exit of ${nodeName(node)} is not connected, but a visitor who picks several choices leaves through it. Connect it.`
              : `The "${port.label}" exit of ${nodeName(node)} is not connected. Connect it to the next step.`,
        });
      }
    }
    if (node.decoded) checkKind(node);
  }

  // Reachability (BFS from the start).
  const adjacency: number[][] = nodes.map((node) => {
    const targets: number[] = [];
    for (const target of Object.values(node.next)) {
      const t = indexOf.get(target);
      if (t !== undefined) targets.push(t);
    }
    return targets;
  });
  if (start !== undefined) {
    const seen = new Uint8Array(nodes.length);
    const queue = [start];
    seen[start] = 1;
    for (let head = 0; head < queue.length; head++) {
      for (const t of adjacency[queue[head]!]!) {
        if (!seen[t]) {
          seen[t] = 1;
          queue.push(t);
        }
      }
    }
    nodes.forEach((node, i) => {
      if (!seen[i]) {
        warning({
          code: Code.unreachableNode,
          nodeId: node.id,
          message: `${nodeName(node)} can never be reached from the start. Connect it or delete it.`,
        });
      }
    });
    if (input.kind === "live_chat" && !queue.some((i) => nodes[i]!.kind === "handoff")) {
      warning({
        code: Code.liveChatWithoutHandoff,
        message: "This live chat never hands the conversation to your team: no handoff step can be reached from the start.",
      });
    }
  }

  // Loops that never wait for the visitor: strongly connected components of the graph
  // without waiting nodes (Tarjan's algorithm, iterative).
  for (const component of loopsWithoutWaiting(nodes, adjacency)) {
    const names = component.map((i) => nodeName(nodes[i]!));
    const first = nodes[component[0]!]!;
    error({
      code: Code.infiniteLoop,
      nodeId: first.id,
      message:
        component.length === 1
          ? `${names[0]} leads back to itself without waiting for the visitor, so the bot would loop forever. Break the loop or put a question in it.`
          : `${listNames(names)} form a loop that never waits for the visitor, so the bot would loop forever. Break the loop or put a question in it.`,
    });
  }

  if (input.settings) checkSettings(input.settings, error, warning, checkTeam, checkUser);
};

const loopsWithoutWaiting = (
  nodes: ReadonlyArray<CheckNode>,
  adjacency: ReadonlyArray<ReadonlyArray<number>>,
): number[][] => {
  const n = nodes.length;
  const waiting = nodes.map((node) => WAITING_KINDS.has(node.kind));
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const cursor = new Int32Array(n);
  const stack: number[] = [];
  const work: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  const visit = (v: number) => {
    index[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    work.push(v);
  };
  for (let root = 0; root < n; root++) {
    if (waiting[root] || index[root] !== -1) continue;
    visit(root);
    while (work.length > 0) {
      const v = work[work.length - 1]!;
      const edges = adjacency[v]!;
      if (cursor[v]! < edges.length) {
        const w = edges[cursor[v]!++]!;
        if (waiting[w]) continue;
        if (index[w] === -1) visit(w);
        else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[v]!);
      }
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || edges.includes(v)) components.push(component.sort((a, b) => a - b));
      }
    }
  }
  return components.sort((a, b) => a[0]! - b[0]!);
};

const checkSettings = (
  settings: Settings,
  error: (d: Omit<Diagnostic, "severity">) => void,
  warning: (d: Omit<Diagnostic, "severity">) => void,
  checkTeam: (node: undefined, id: string, path: string, what: string) => void,
  checkUser: (node: undefined, id: string, path: string, what: string) => void,
): void => {
  const rules = (list: "show" | "hide", items: ReadonlyArray<TargetingRule>) =>
    items.forEach((rule, i) => {
      if (rule.type !== "url" || rule.operator !== "regex") return;
      const problem = rule.value === "" ? "the pattern is empty" : regexProblem(rule.value);
      if (problem !== null) {
        error({
          code: Code.invalidRegex,
          path: `settings.targeting.${list}[${i}].value`,
          message: `The pattern ${JSON.stringify(rule.value)} of ${list} rule ${i + 1} is not a valid regular expression (${problem}).`,
        });
      }
    });
  rules("show", settings.targeting.show);
  rules("hide", settings.targeting.hide);

  const availability = settings.availability;
  if (availability.mode === "team") {
    // Following a team's hours: the team must exist now (its hours are read when the chat is served).
    if (availability.teamId === undefined || availability.teamId === "") {
      error({
        code: Code.missingTeam,
        path: "settings.availability.teamId",
        message: "The availability follows a team's hours, but no team is chosen. Choose the team whose hours the chat keeps.",
      });
    } else {
      checkTeam(undefined, availability.teamId, "settings.availability.teamId", "The availability");
    }
  }
  if (!isValidTimezone(availability.timezone)) {
    error({
      code: Code.invalidTimezone,
      path: "settings.availability.timezone",
      message: `"${availability.timezone}" is not a time zone. Use a name like Europe/Berlin or America/New_York.`,
    });
  }
  availability.hours.forEach((range, i) => {
    if (range.from === range.to) {
      warning({
        code: Code.emptyOpeningHours,
        path: `settings.availability.hours[${i}]`,
        message: `The opening hours on ${range.day} open and close at ${range.from}, so they are never open.`,
      });
    }
  });
  // A date listed twice (or once and yearly) is harmless, but one of them is a mistake.
  availability.closedDates.forEach((closed, i) => {
    const earlier = availability.closedDates.findIndex((c, j) => j < i && sameClosedDay(c, closed));
    if (earlier !== -1) {
      const special = closed.hours !== undefined || availability.closedDates[earlier]!.hours !== undefined;
      warning({
        code: Code.duplicateClosedDate,
        path: `settings.availability.closedDates[${i}]`,
        message: special
          ? `${closed.date} is already listed as closed date ${earlier + 1}; the day is open only in the hours both keep.`
          : `${closed.date} is already closed by closed date ${earlier + 1}.`,
      });
    }
    // Overlapping ranges of one special day are harmless (they merge), but one of them is a typo.
    (closed.hours ?? []).forEach((range, j) => {
      const other = (closed.hours ?? []).findIndex((r, k) => k < j && r.from < range.to && range.from < r.to);
      if (other !== -1) {
        warning({
          code: Code.overlappingSpecialHours,
          path: `settings.availability.closedDates[${i}].hours[${j}]`,
          message: `On ${closed.date}, ${range.from}–${range.to} overlaps ${closed.hours![other]!.from}–${closed.hours![other]!.to}.`,
        });
      }
    });
  });

  const heading = settings.display.heading;
  if (heading.type === "agents") {
    heading.teamIds.forEach((id, i) => checkTeam(undefined, id, `settings.display.heading.teamIds[${i}]`, "The chat heading"));
    heading.userIds.forEach((id, i) => checkUser(undefined, id, `settings.display.heading.userIds[${i}]`, "The chat heading"));
  }
};

// ---------------------------------------------------------------------------------------------
// Public entry points

/**
 * Compiles a canvas document into a FlowSpec: decodes every node's data by kind, builds each
 * node's `next` from the edges, and runs every static check. `spec` is present exactly when
 * no diagnostic is an error. Pure; runs in the browser too.
 */
export const compile = (document: FlowDocument, context: CompileContext): CompileResult => {
  const diagnostics: Diagnostic[] = [];
  const nodes: CheckNode[] = [];
  const byId = new Map<string, CheckNode>();

  document.nodes.forEach((docNode: DocumentNode, i) => {
    const kind = docNode.kind as NodeKind;
    if (byId.has(docNode.id)) {
      diagnostics.push({
        severity: "error",
        code: Code.duplicateNodeId,
        nodeId: docNode.id,
        path: `nodes[${i}].id`,
        message: `Two steps share the id "${docNode.id}"; every step needs its own id.`,
      });
      return;
    }
    const decoded = nodeDataDecoders[kind](docNode.data);
    if (Either.isLeft(decoded)) {
      for (const issue of decoded.left) {
        diagnostics.push({
          severity: "error",
          code: Code.invalidNodeData,
          nodeId: docNode.id,
          path: issue.path === "" ? "data" : `data.${issue.path}`,
          message: issue.message,
        });
      }
    }
    const data = Either.isRight(decoded) ? decoded.right : docNode.data;
    const node: CheckNode = {
      id: docNode.id,
      kind,
      ...(docNode.label !== undefined ? { label: docNode.label } : {}),
      data,
      decoded: Either.isRight(decoded),
      next: {},
      ports: portsOf({ kind, data }),
    };
    nodes.push(node);
    byId.set(node.id, node);
  });

  const portSets = new Map<string, Set<string>>();
  document.edges.forEach((edge, i) => {
    const source = byId.get(edge.source);
    if (!source) {
      diagnostics.push({
        severity: "error",
        code: Code.edgeUnknownSource,
        path: `edges[${i}]`,
        message: `A connection starts at a step that does not exist ("${edge.source}"). Remove it.`,
      });
      return;
    }
    let ports = portSets.get(source.id);
    if (!ports) {
      ports = new Set(source.ports.map((p) => p.name));
      portSets.set(source.id, ports);
    }
    const where = { nodeId: source.id, port: edge.sourcePort, path: `edges[${i}]` };
    if (!ports.has(edge.sourcePort)) {
      diagnostics.push({
        severity: "error",
        code: Code.edgeUnknownPort,
        ...where,
        message: `${nodeName(source)} has no exit "${edge.sourcePort}" (it may have been deleted). Remove this connection.`,
      });
    } else if (!byId.has(edge.target)) {
      diagnostics.push({
        severity: "error",
        code: Code.edgeUnknownTarget,
        ...where,
        message: `The "${edge.sourcePort}" exit of ${nodeName(source)} leads to a step that does not exist ("${edge.target}").`,
      });
    } else if (source.next[edge.sourcePort] !== undefined) {
      diagnostics.push({
        severity: "error",
        code: Code.duplicateEdge,
        ...where,
        message: `The "${edge.sourcePort}" exit of ${nodeName(source)} has two connections; an exit leads to one step only. Remove one.`,
      });
    } else {
      source.next[edge.sourcePort] = edge.target;
    }
  });

  const settings = decodeSettings(document.settings);
  if (Either.isLeft(settings)) {
    for (const issue of settings.left) {
      diagnostics.push({
        severity: "error",
        code: Code.invalidSettings,
        path: issue.path === "" ? "settings" : `settings.${issue.path}`,
        message: issue.message,
      });
    }
  }
  const language = decodeLanguage({ language: document.language });
  if (Either.isLeft(language)) {
    diagnostics.push({
      severity: "error",
      code: Code.invalidFlow,
      path: "language",
      message: `"${document.language}" is not a language tag. Use a code like en, de or pt-BR.`,
    });
  }

  runChecks(
    {
      kind: document.kind,
      startNodeId: document.startNodeId,
      nodes,
      variables: document.variables,
      settings: Either.isRight(settings) ? settings.right : undefined,
    },
    context,
    diagnostics,
  );

  if (diagnostics.some((d) => d.severity === "error") || Either.isLeft(settings) || Either.isLeft(language)) {
    return { diagnostics };
  }
  const spec: FlowSpec = {
    formatVersion: FORMAT_VERSION,
    id: document.id,
    name: document.name,
    kind: document.kind,
    language: language.right.language,
    startNodeId: document.startNodeId!,
    nodes: nodes.map(
      (node) =>
        ({
          id: node.id,
          kind: node.kind,
          ...(node.label !== undefined ? { label: node.label } : {}),
          data: node.data,
          next: node.next,
        }) as SpecNode,
    ),
    variables: document.variables,
    settings: settings.right,
  };
  return { spec, diagnostics };
};

/**
 * Runs the compiler's static checks on an already-decoded spec (e.g. a hand-written one):
 * the same codes and messages as `compile`, with `next` entries in place of edges. Pure.
 */
export const checkSpec = (spec: FlowSpec, context: CompileContext): ReadonlyArray<Diagnostic> => {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const nodes: CheckNode[] = [];
  spec.nodes.forEach((node, i) => {
    if (seen.has(node.id)) {
      diagnostics.push({
        severity: "error",
        code: Code.duplicateNodeId,
        nodeId: node.id,
        path: `nodes[${i}].id`,
        message: `Two steps share the id "${node.id}"; every step needs its own id.`,
      });
      return;
    }
    seen.add(node.id);
    nodes.push({
      id: node.id,
      kind: node.kind,
      ...(node.label !== undefined ? { label: node.label } : {}),
      data: node.data,
      decoded: true,
      next: { ...node.next },
      ports: portsOf(node),
    });
  });
  runChecks(
    { kind: spec.kind, startNodeId: spec.startNodeId, nodes, variables: spec.variables, settings: spec.settings },
    context,
    diagnostics,
  );
  return diagnostics;
};

const LAYER_HEIGHT = 160;
const COLUMN_WIDTH = 280;

/**
 * Turns a spec back into a canvas document (for restoring a version or importing a
 * hand-written spec): nodes laid out top to bottom by their BFS depth from the start,
 * unreachable ones in a last row, and one edge per `next` entry. Pure.
 */
export const specToDocument = (spec: FlowSpec): FlowDocument => {
  const indexOf = new Map<string, number>();
  spec.nodes.forEach((n, i) => {
    if (!indexOf.has(n.id)) indexOf.set(n.id, i);
  });
  const depth = new Int32Array(spec.nodes.length).fill(-1);
  const start = indexOf.get(spec.startNodeId);
  let maxDepth = -1;
  if (start !== undefined) {
    const queue = [start];
    depth[start] = 0;
    for (let head = 0; head < queue.length; head++) {
      const v = queue[head]!;
      maxDepth = Math.max(maxDepth, depth[v]!);
      for (const target of Object.values(spec.nodes[v]!.next)) {
        const t = indexOf.get(target);
        if (t !== undefined && depth[t] === -1) {
          depth[t] = depth[v]! + 1;
          queue.push(t);
        }
      }
    }
  }
  const rows = new Map<number, number[]>();
  spec.nodes.forEach((_, i) => {
    const row = depth[i] === -1 ? maxDepth + 1 : depth[i]!;
    const list = rows.get(row) ?? [];
    list.push(i);
    rows.set(row, list);
  });
  const position = new Map<number, { x: number; y: number }>();
  for (const [row, members] of rows) {
    members.forEach((i, column) => {
      position.set(i, { x: (column - (members.length - 1) / 2) * COLUMN_WIDTH, y: row * LAYER_HEIGHT });
    });
  }
  return {
    id: spec.id,
    name: spec.name,
    kind: spec.kind,
    language: spec.language,
    startNodeId: spec.startNodeId,
    nodes: spec.nodes.map((node, i) => ({
      id: node.id,
      kind: node.kind,
      ...(node.label !== undefined ? { label: node.label } : {}),
      position: position.get(i)!,
      data: node.data,
    })),
    edges: spec.nodes.flatMap((node) =>
      Object.entries(node.next).map(([port, target]) => ({
        id: `${node.id}/${port}`,
        source: node.id,
        sourcePort: port,
        target,
      })),
    ),
    variables: spec.variables,
    settings: spec.settings,
  };
};
