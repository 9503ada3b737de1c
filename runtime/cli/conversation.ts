/**
 * Drives the pure interpreter the way the engine does, minus persistence: feeds an event in,
 * carries out the webhook / code / ticket / knowledge commands that come back (through an
 * executor the caller picks: stubs, prompts, or the real services) and feeds their results in,
 * until the conversation waits for the visitor or is over. Shared by `flow test` and `flow chat`.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../../flows/canonical-json.js";
import type { FlowSpec } from "../../flows/flow-spec.js";
import { start, step } from "../core/interpreter.js";
import type {
  Command,
  InterpreterContext,
  InterpreterEvent,
  InterpreterState,
  KnowledgeArticle,
  RenderedBubble,
} from "../core/types.js";

export type CallWebhookCommand = Extract<Command, { type: "call_webhook" }>;
export type RunCodeCommand = Extract<Command, { type: "run_code" }>;
export type CreateTicketCommand = Extract<Command, { type: "create_ticket" }>;
export type SearchKnowledgeCommand = Extract<Command, { type: "search_knowledge" }>;

/** Carries out the commands that need the outside world; each answers with the event to feed back. */
export interface ActionExecutor {
  readonly webhook: (command: CallWebhookCommand) => Promise<InterpreterEvent>;
  readonly code: (command: RunCodeCommand) => Promise<InterpreterEvent>;
  readonly knowledge: (command: SearchKnowledgeCommand) => Promise<InterpreterEvent>;
}

/** A conversation as the CLI holds it: the interpreter state and every command so far. */
export interface Conversation {
  readonly spec: FlowSpec;
  readonly context: InterpreterContext;
  readonly state: InterpreterState;
  readonly history: ReadonlyArray<Command>;
}

/** What one visitor step (or the start) produced. */
export interface Turn {
  readonly conversation: Conversation;
  /** Commands of this turn only, including those that followed webhook/code/ticket/knowledge results. */
  readonly commands: ReadonlyArray<Command>;
}

/** More webhook/code/ticket/knowledge round trips than this in one turn means something is wrong. */
export const MAX_ACTIONS_PER_TURN = 200;

/**
 * The spec's content hash as the engine records it in the state: SHA-256 over canonical JSON
 * (the same as `hashSpec` of the Chatflows service, which this avoids importing with its store).
 */
export const specHashOf = (spec: FlowSpec): string => createHash("sha256").update(canonicalJson(spec)).digest("hex");

/** Starts a conversation and carries out its first actions. */
export const startConversation = async (spec: FlowSpec, context: InterpreterContext, executor: ActionExecutor): Promise<Turn> => {
  const first = start(spec, context);
  return settle({ spec, context, state: first.state, history: [] }, first.commands, executor);
};

/** Feeds one event (a visitor message, choice, timeout…) into the conversation and settles it. */
export const sendEvent = async (conversation: Conversation, event: InterpreterEvent, executor: ActionExecutor): Promise<Turn> => {
  const result = step(conversation.spec, conversation.state, event, conversation.context);
  return settle({ ...conversation, state: result.state }, result.commands, executor);
};

const settle = async (conversation: Conversation, initial: ReadonlyArray<Command>, executor: ActionExecutor): Promise<Turn> => {
  const commands: Command[] = [...initial];
  let state = conversation.state;
  let tickets = conversation.history.filter((c) => c.type === "create_ticket").length;
  let actions = 0;
  // Commands are read in order while results append more; each action's result is fed in
  // before the next command is looked at, as the engine does.
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i]!;
    let event: InterpreterEvent | undefined;
    if (command.type === "call_webhook") event = await executor.webhook(command);
    else if (command.type === "run_code") event = await executor.code(command);
    else if (command.type === "search_knowledge") event = await executor.knowledge(command);
    else if (command.type === "create_ticket")
      event = { type: "ticket_created", nodeId: command.nodeId, ticketId: `ticket_${++tickets}` };
    if (event === undefined) continue;
    if (++actions > MAX_ACTIONS_PER_TURN) {
      throw new Error(`more than ${MAX_ACTIONS_PER_TURN} webhook, code, ticket or knowledge actions in one turn; the flow seems to loop`);
    }
    const result = step(conversation.spec, state, event, conversation.context);
    state = result.state;
    commands.push(...result.commands);
  }
  return { conversation: { ...conversation, state, history: [...conversation.history, ...commands] }, commands };
};

/**
 * A made-up article (a flow test's stub, a title typed in `flow chat`) as a knowledge search
 * reports one: id `article_<n>` by position unless given, URL `/help/articles/<id>` unless given. Pure.
 */
export const madeUpArticle = (
  article: string | { readonly title: string; readonly id?: string; readonly url?: string; readonly excerpt?: string },
  index: number
): KnowledgeArticle => {
  const given = typeof article === "string" ? { title: article } : article;
  const id = given.id ?? `article_${index + 1}`;
  return { id, title: given.title, url: given.url ?? `/help/articles/${encodeURIComponent(id)}`, excerpt: given.excerpt ?? "" };
};

/** One bubble as a line of plain text: links as `label (url)`, images as `[image: alt] url`. Pure. */
export const bubbleText = (bubble: RenderedBubble): string => {
  switch (bubble.type) {
    case "text":
      return bubble.text;
    case "link":
      return `${bubble.label} (${bubble.url})`;
    case "image":
      return `[image${bubble.alt ? `: ${bubble.alt}` : ""}] ${bubble.url}`;
  }
};

/** What the visitor sees of these commands, one line per bubble or meeting offer. Pure. */
export const botLines = (commands: ReadonlyArray<Command>): string[] => {
  const lines: string[] = [];
  for (const command of commands) {
    if (command.type === "say") for (const bubble of command.bubbles) lines.push(bubbleText(bubble));
    else if (command.type === "offer_meeting") {
      if (command.message) lines.push(command.message);
      lines.push(`[meeting link of ${command.userId}]`);
    }
  }
  return lines;
};

/** The event a visitor's pick of quick replies sends. Pure. */
export const choiceEvent = (choiceIds: ReadonlyArray<string>): InterpreterEvent => ({
  type: "visitor_choice",
  choiceIds: [choiceIds[0]!, ...choiceIds.slice(1)],
});
