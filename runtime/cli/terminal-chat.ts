/**
 * `flow chat`: plays a flow in the terminal. Bot bubbles are printed, quick replies numbered
 * (answer by number or by text), and webhook / code nodes are either executed for real or
 * answered by the person at the keyboard, as are knowledge nodes: searched in a Parley
 * database when one is given, else answered with titles typed at the keyboard. `/restart`, `/vars`, `/help` and `/quit` work at
 * any prompt. Input and output are injected, so the whole loop runs in unit tests too.
 */
import type { FlowSpec } from "../../flows/flow-spec.js";
import { awaitingOf } from "../core/interpreter.js";
import { availabilityOf, type Command, type InterpreterContext, type InterpreterEvent, type Json } from "../core/types.js";
import {
  bubbleText,
  choiceEvent,
  sendEvent,
  specHashOf,
  startConversation,
  type ActionExecutor,
  type CallWebhookCommand,
  type Conversation,
  type RunCodeCommand,
  type SearchKnowledgeCommand,
  madeUpArticle,
} from "./conversation.js";
import { openHoursAt, type FlowFileContext } from "./load-flow-file.js";

/** Where the chat reads lines and writes text. */
export interface ChatIO {
  /** Shows `prompt` and resolves to the next line, or undefined when input has ended. */
  readonly read: (prompt: string) => Promise<string | undefined>;
  readonly write: (text: string) => void;
}

export interface ChatOptions {
  readonly spec: FlowSpec;
  /** The teams, users and calendars the flow runs against (context.json). */
  readonly compileContext: FlowFileContext;
  readonly seed: number;
  /** The time the conversation happens at (default: the real clock when the chat starts). */
  readonly now?: number;
  /** Contact properties known before the chat starts. */
  readonly contact?: Readonly<Record<string, string>>;
  readonly pageUrl?: string;
  /** Whether the inbox, teams and users are available; default: while the flow is open (its hours, or its team's), a team only inside its own hours too. */
  readonly available?: boolean;
  /** Real executors; when one is absent, that kind of node asks the person at the keyboard. */
  readonly live?: Partial<ActionExecutor>;
}

const HELP = [
  "Commands: /restart  start over    /vars  show variables and contact",
  "          /help     this text     /quit  leave",
  "Answer a question by typing; pick quick replies by number (several: 1,3) or by text.",
].join("\n");

/** Builds the interpreter context of a terminal chat. Pure. */
export const chatContext = (options: ChatOptions, now: number): InterpreterContext => {
  const hours = openHoursAt(options.spec, options.compileContext, now);
  const open = options.available ?? hours.flow;
  return {
    now,
    seed: options.seed,
    specVersion: 1,
    specHash: specHashOf(options.spec),
    visitor: {
      pageUrl: options.pageUrl ?? "https://www.example.com/",
      device: "desktop",
      language: options.spec.language,
      knownContact: (options.contact?.email ?? "") !== "",
    },
    contact: options.contact ?? {},
    availability: availabilityOf({
      routing: open,
      teams: Object.fromEntries(options.compileContext.teams.map((t) => [t.id, open && hours.team(t.id)])),
      users: Object.fromEntries(options.compileContext.users.map((u) => [u.id, open])),
    }),
  };
};

/** Signals that the person asked to leave (or input ended) while a prompt was open. */
class Quit extends Error {}
/** Signals `/restart` typed at a webhook / code prompt. */
class Restart extends Error {}

/** Plays the flow until `/quit` or the end of input. Never throws for anything the flow or the person does. */
export const runChat = async (options: ChatOptions, io: ChatIO): Promise<void> => {
  const names = new Map<string, string>([
    ...options.compileContext.teams.map((t) => [`team:${t.id}`, t.name] as const),
    ...options.compileContext.users.map((u) => [`user:${u.id}`, u.name] as const),
    ...(options.compileContext.labels ?? []).map((l) => [`label:${l.id}`, l.name] as const),
  ]);
  let conversation: Conversation | undefined;

  /** Reads a line at a webhook/code prompt, handling the commands that make sense there. */
  const readAnswer = async (prompt: string): Promise<string> => {
    for (;;) {
      const line = await io.read(prompt);
      if (line === undefined) throw new Quit();
      const command = line.trim();
      if (command === "/quit") throw new Quit();
      if (command === "/restart") throw new Restart();
      if (command === "/vars") {
        if (conversation !== undefined) io.write(describeVariables(conversation));
        continue;
      }
      if (command === "/help") {
        io.write(HELP);
        continue;
      }
      return command;
    }
  };

  const search = options.live?.knowledge;
  const executor: ActionExecutor = {
    webhook: options.live?.webhook ?? ((command) => askWebhook(command, io, readAnswer)),
    code: options.live?.code ?? ((command) => askCode(command, io, readAnswer)),
    knowledge:
      search === undefined
        ? (command) => askKnowledge(command, io, readAnswer)
        : async (command) => {
            const event = await search(command);
            const found = event.type === "knowledge_result" ? event.articles.length : 0;
            io.write(`   ⚙ knowledge ${command.nodeId}: searched ${JSON.stringify(command.query)}, ${found} found`);
            return event;
          },
  };

  const play = async (
    turn: Promise<{ conversation: Conversation; commands: ReadonlyArray<Command> }>
  ): Promise<"ok" | "restart"> => {
    try {
      const result = await turn;
      conversation = result.conversation;
      const shown = renderCommands(result.commands, names);
      if (shown !== "") io.write(shown);
      const awaited = awaitingOf(result.conversation.spec, result.conversation.state);
      if (awaited?.choices !== undefined) {
        io.write(awaited.choices.map((c, i) => `      ${i + 1}) ${c.label}`).join("\n"));
      }
      return "ok";
    } catch (error) {
      if (error instanceof Restart) return "restart";
      if (error instanceof Quit) throw error;
      io.write(`!! ${error instanceof Error ? error.message : String(error)}`);
      return "ok";
    }
  };

  const begin = async (): Promise<void> => {
    io.write(
      `── ${options.spec.name} (${options.spec.kind === "bot" ? "bot" : "live chat"}) · seed ${
        options.seed
      } · /help for commands ──`
    );
    const context = chatContext(options, options.now ?? Date.now());
    while ((await play(startConversation(options.spec, context, executor))) === "restart") {
      io.write("── restarted ──");
    }
  };

  try {
    await begin();
    for (;;) {
      const current = conversation;
      const awaited = current === undefined ? null : awaitingOf(current.spec, current.state);
      const line = await io.read(awaited === null ? "(over) › " : "you › ");
      if (line === undefined) return;
      const text = line.trim();
      if (text === "") continue;
      if (text.startsWith("/")) {
        if (text === "/quit") return;
        if (text === "/restart") {
          io.write("── restarted ──");
          await begin();
        } else if (text === "/vars") {
          if (current !== undefined) io.write(describeVariables(current));
        } else {
          if (text !== "/help") io.write(`Unknown command ${text}.`);
          io.write(HELP);
        }
        continue;
      }
      if (current === undefined || awaited === null) {
        io.write("The conversation is over. Type /restart to play again or /quit to leave.");
        continue;
      }
      let event: InterpreterEvent = { type: "visitor_message", text };
      const picks =
        awaited.choices !== undefined && /^\d+(\s*,\s*\d+)*$/.test(text) ? text.split(",").map((n) => Number(n.trim())) : [];
      if (picks.length > 0 && picks.every((n) => n >= 1 && n <= awaited.choices!.length)) {
        const chosen = picks.map((n) => awaited.choices![n - 1]!);
        io.write(`      → ${chosen.map((c) => c.label).join(", ")}`);
        event = choiceEvent(chosen.map((c) => c.id));
      }
      if ((await play(sendEvent(current, event, executor))) === "restart") {
        io.write("── restarted ──");
        await begin();
      }
    }
  } catch (error) {
    if (error instanceof Quit) return;
    throw error;
  }
};

const askWebhook = async (
  command: CallWebhookCommand,
  io: ChatIO,
  readAnswer: (prompt: string) => Promise<string>
): Promise<InterpreterEvent> => {
  io.write(
    [
      `   ⚙ webhook ${command.nodeId}: ${command.method} ${command.url}${command.body ? `\n     body: ${command.body}` : ""}`,
      `     Reply with the response body as JSON (Enter = {}), optionally after a status ("404 {}"),`,
      `     or "!reason" to make the call fail.`,
    ].join("\n")
  );
  for (;;) {
    const answer = await readAnswer("response › ");
    if (answer.startsWith("!"))
      return { type: "webhook_error", nodeId: command.nodeId, message: answer.slice(1).trim() || "failed" };
    const status = /^([1-5]\d\d)(?:\s+|$)/.exec(answer);
    const rest = status ? answer.slice(status[0].length) : answer;
    const body = parseJsonAnswer(rest);
    if (body.ok)
      return { type: "webhook_result", nodeId: command.nodeId, status: status ? Number(status[1]) : 200, body: body.value };
    io.write(`     That is not JSON (${body.message}); try again.`);
  }
};

const askCode = async (
  command: RunCodeCommand,
  io: ChatIO,
  readAnswer: (prompt: string) => Promise<string>
): Promise<InterpreterEvent> => {
  io.write(
    [
      `   ⚙ code ${command.nodeId}: inputs ${JSON.stringify(command.inputs)}`,
      `     Reply with the outputs as a JSON object${
        command.outputs.length > 0 ? ` (declared: ${command.outputs.join(", ")})` : ""
      } (Enter = {}),`,
      `     or "!reason" to make the code fail. Run with --code=run to execute it instead.`,
    ].join("\n")
  );
  for (;;) {
    const answer = await readAnswer("outputs › ");
    if (answer.startsWith("!"))
      return { type: "code_error", nodeId: command.nodeId, message: answer.slice(1).trim() || "failed" };
    const outputs = parseJsonAnswer(answer);
    if (outputs.ok && outputs.value !== null && typeof outputs.value === "object" && !Array.isArray(outputs.value)) {
      return { type: "code_result", nodeId: command.nodeId, outputs: outputs.value as Record<string, Json> };
    }
    io.write(`     ${outputs.ok ? "The outputs must be a JSON object" : `That is not JSON (${outputs.message})`}; try again.`);
  }
};

const askKnowledge = async (
  command: SearchKnowledgeCommand,
  io: ChatIO,
  readAnswer: (prompt: string) => Promise<string>
): Promise<InterpreterEvent> => {
  io.write(
    [
      `   ⚙ knowledge ${command.nodeId}: search ${JSON.stringify(command.query)} (up to ${command.limit})`,
      `     There is no Parley database to search here (run with --database <file> to search one's published articles).`,
      `     Reply with the titles of the articles found, separated by | (Enter = nothing found).`,
    ].join("\n")
  );
  const answer = await readAnswer("articles › ");
  const titles = answer
    .split("|")
    .map((title) => title.trim())
    .filter((title) => title !== "");
  return { type: "knowledge_result", nodeId: command.nodeId, articles: titles.map(madeUpArticle) };
};

const parseJsonAnswer = (text: string): { ok: true; value: Json } | { ok: false; message: string } => {
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as Json };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
};

const indent = (text: string): string => text.split("\n").join("\n      ");

/** What the person at the terminal sees of a turn's commands. Pure. */
export const renderCommands = (commands: ReadonlyArray<Command>, names: ReadonlyMap<string, string> = new Map()): string => {
  const out: string[] = [];
  const nameOf = (kind: "team" | "user" | "label", id: string) => names.get(`${kind}:${id}`) ?? id;
  for (const command of commands) {
    switch (command.type) {
      case "say":
        for (const bubble of command.bubbles)
          out.push(`bot › ${indent(bubble.type === "link" ? `🔗 ${bubbleText(bubble)}` : bubbleText(bubble))}`);
        break;
      case "offer_meeting":
        if (command.message) out.push(`bot › ${indent(command.message)}`);
        out.push(`bot › 📅 [book a meeting with ${nameOf("user", command.userId)}]`);
        break;
      case "create_ticket":
        out.push(`   ── ticket created: "${command.subject}" (${command.priority}) ──`);
        break;
      case "add_to_list":
        out.push(`   ── added to list ${command.listId} ──`);
        break;
      case "record_consent":
        out.push(`   ── subscribed ${command.email}: "${command.consentText}"${command.listId ? ` (list ${command.listId})` : ""} ──`);
        break;
      case "set_contact_property":
        out.push(`   ── contact.${command.property} = ${command.value} ──`);
        break;
      case "handoff": {
        const t = command.target;
        const to =
          t.type === "team"
            ? `team ${nameOf("team", t.teamId)}`
            : t.type === "user"
            ? `user ${nameOf("user", t.userId)}`
            : t.type === "contact_owner"
            ? "the contact's owner (else the inbox routing)"
            : "the inbox routing";
        const notes = [
          command.away ? "nobody available" : "",
          command.createTicket ? "a ticket is created" : "",
          command.labels !== undefined ? `labels ${command.labels.map((id) => nameOf("label", id)).join(", ")}` : "",
        ].filter(Boolean);
        out.push(`   ── handed off to ${to}${notes.length > 0 ? ` (${notes.join("; ")})` : ""} ──`);
        break;
      }
      case "end":
        if (command.reason !== "handed_off")
          out.push(`   ── conversation ended: ${command.reason}${command.error ? ` — ${command.error}` : ""} ──`);
        out.push("   (/restart to play again, /quit to leave)");
        break;
      default:
        break;
    }
  }
  return out.join("\n");
};

const describeVariables = (conversation: Conversation): string => {
  const { variables, contact } = conversation.state;
  const lines = ["variables:"];
  const names = Object.keys(variables);
  if (names.length === 0) lines.push("  (none)");
  for (const name of names) lines.push(`  ${name} = ${JSON.stringify(variables[name])}`);
  lines.push("contact:");
  const properties = Object.keys(contact);
  if (properties.length === 0) lines.push("  (none)");
  for (const property of properties) lines.push(`  ${property} = ${JSON.stringify(contact[property])}`);
  return lines.join("\n");
};
