/**
 * Messages arrive from several sources that overlap — the answer to a POST, the SSE stream,
 * the catch-up after a reconnect, the polling fallback — so the transcript is merged by id.
 * Ids are strings that increase; the server's are decimal integers, so "10" sorts after "9".
 */
import type { Author, Message } from "./types.js";

const DIGITS = /^\d+$/;

/** Orders message ids: numerically when both are decimal, else by code unit. Pure. */
export const compareIds = (a: string, b: string): number => {
  // Without leading zeros (the server writes none), a longer decimal is a larger one.
  if (a.length !== b.length && DIGITS.test(a) && DIGITS.test(b)) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
};

/** The highest id among `messages`, or undefined when there are none. Pure. */
export const latestId = (messages: ReadonlyArray<Pick<Message, "id">>, start?: string): string | undefined =>
  messages.reduce<string | undefined>((best, message) => (best === undefined || compareIds(message.id, best) > 0 ? message.id : best), start);

/**
 * Adds `incoming` to a transcript sorted by id: a message whose id is already there is dropped
 * (the first copy wins), and the result stays sorted. `added` lists the new ones, in id order.
 * Pure: neither input is changed.
 */
export const mergeById = (
  existing: ReadonlyArray<Message>,
  incoming: ReadonlyArray<Message>,
): { readonly messages: ReadonlyArray<Message>; readonly added: ReadonlyArray<Message> } => {
  const seen = new Set(existing.map((message) => message.id));
  const added: Message[] = [];
  for (const message of incoming) {
    if (seen.has(message.id)) continue;
    seen.add(message.id);
    added.push(message);
  }
  if (added.length === 0) return { messages: existing, added };
  added.sort((a, b) => compareIds(a.id, b.id));
  return { messages: [...existing, ...added].sort((a, b) => compareIds(a.id, b.id)), added };
};

const AUTHORS: ReadonlyArray<Author> = ["visitor", "bot", "agent", "system"];

/** True when `value` has a message's required fields (id, author, text); guards SSE payloads. Pure. */
export const isMessage = (value: unknown): value is Message => {
  if (typeof value !== "object" || value === null) return false;
  const message = value as Record<string, unknown>;
  return typeof message.id === "string" && message.id !== "" && AUTHORS.includes(message.author as Author) && typeof message.text === "string";
};

/** Keeps the well-formed messages of an API answer's `messages` field (anything else → none). Pure. */
export const messagesOf = (value: unknown): ReadonlyArray<Message> => (Array.isArray(value) ? value.filter(isMessage) : []);
