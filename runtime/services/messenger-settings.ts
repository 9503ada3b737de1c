/**
 * A Messenger channel's settings, as pure functions: how they sit in `channels.config`, the
 * admin form's Schema (with a message per field), merging a save into what is stored (an
 * empty secret field keeps the stored secret), and the default chatflow a first connection
 * creates.
 */
import { Either, Schema as S } from "effect";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import type { FlowDocument } from "../../flows/flow-document.js";

/** A Messenger channel's stored config (`channels.config`). Secrets are stored as given: the webhook needs them. */
export interface StoredMessengerConfig {
  readonly pageId: string | null;
  readonly appSecret: string | null;
  readonly pageAccessToken: string | null;
  readonly verifyToken: string | null;
  /** The chatflow that answers new conversations; null: they go straight to the inbox. */
  readonly chatflowId: string | null;
  /** The chatflow the first connection created (kept so a later save never makes a second one). */
  readonly defaultChatflowId: string | null;
  /** Agents' replies 24 h – 7 d after the visitor's last message go with Messenger's HUMAN_AGENT tag (off unless turned on). */
  readonly humanAgentTag: boolean;
}

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** The stored switches: a config saved before a switch existed (or holding anything but a boolean) reads as off. */
const StoredSwitches = S.Struct({ humanAgentTag: S.optionalWith(S.Boolean, { default: () => false }) });
const decodeSwitches = S.decodeUnknownEither(StoredSwitches);
const switchesOf = (stored: Record<string, unknown>) => Either.getOrElse(decodeSwitches(stored), () => ({ humanAgentTag: false }));

/** The settings a stored config object holds; anything unreadable reads as not set. Pure. */
export const readStoredConfig = (stored: Record<string, unknown>): StoredMessengerConfig => ({
  pageId: text(stored.pageId),
  appSecret: text(stored.appSecret),
  pageAccessToken: text(stored.pageAccessToken),
  verifyToken: text(stored.verifyToken),
  chatflowId: text(stored.chatflowId),
  defaultChatflowId: text(stored.defaultChatflowId),
  humanAgentTag: switchesOf(stored).humanAgentTag,
});

const trimmed = S.transform(S.String, S.String, { strict: true, decode: (s) => s.trim(), encode: (s) => s });

/**
 * A switch as a form sends it: a checkbox's "on" or its absence, which the settings page sends
 * as "off" (also "true"/"false", or a boolean from code). Left out: the stored setting stays.
 */
const Switch = S.transform(
  S.Union(S.Boolean, S.Literal("on", "off", "true", "false", "")).annotations({
    // One message for the field, not one per accepted value.
    message: () => ({ message: "a switch is on or off (a checkbox's \"on\", \"off\", true or false)", override: true }),
  }),
  S.Boolean,
  { strict: true, decode: (value) => value === true || value === "on" || value === "true", encode: (value) => value },
);

/** The admin form: every field a string; an empty secret keeps the stored one, an empty chatflow means none. */
export const SettingsInput = S.Struct({
  pageId: trimmed.pipe(
    S.pattern(/^(\d{5,30})?$/, { message: () => "a page id is the page's number (5 to 30 digits), as shown under the page's About → Page transparency" }),
  ),
  appSecret: trimmed.pipe(
    S.pattern(/^([0-9a-fA-F]{32})?$/, { message: () => "an app secret is 32 characters 0–9 and a–f (App settings → Basic → App secret)" }),
  ),
  pageAccessToken: trimmed.pipe(
    S.pattern(/^(\S{20,1000})?$/, { message: () => "a page access token is 20 to 1,000 characters without spaces (Messenger → Settings → Access tokens)" }),
  ),
  chatflowId: trimmed.pipe(S.maxLength(100, { message: () => "choose a chatflow from the list" })),
  humanAgentTag: S.optionalWith(Switch, { exact: true }),
});
export type SettingsInput = typeof SettingsInput.Type;
export const decodeSettingsInput = decodeWith(SettingsInput);

/**
 * The stored config after a save of `input`: the page id and chatflow as given, each secret
 * replaced when its field is filled and kept when empty, and a verify token made (by
 * `newToken`) when there is none. A channel needs its page id, app secret and page token
 * together: a missing one is an issue on its field. Pure apart from `newToken`.
 */
export const mergeSettings = (
  stored: Record<string, unknown>,
  input: SettingsInput,
  newToken: () => string,
): Either.Either<Record<string, unknown>, ReadonlyArray<DecodeIssue>> => {
  const current = readStoredConfig(stored);
  const next = {
    pageId: input.pageId === "" ? null : input.pageId,
    appSecret: input.appSecret === "" ? current.appSecret : input.appSecret,
    pageAccessToken: input.pageAccessToken === "" ? current.pageAccessToken : input.pageAccessToken,
  };
  const issues = missingPieces(next);
  if (issues.length > 0) return Either.left(issues);
  return Either.right({
    ...stored,
    ...next,
    verifyToken: current.verifyToken ?? newToken(),
    chatflowId: input.chatflowId === "" ? null : input.chatflowId,
    humanAgentTag: input.humanAgentTag ?? current.humanAgentTag,
  });
};

const MISSING: Record<"pageId" | "appSecret" | "pageAccessToken", string> = {
  pageId: "enter the Facebook page's id to connect it",
  appSecret: "enter the app secret: Parley checks every webhook call with it",
  pageAccessToken: "enter the page access token: replies are sent with it",
};

const missingPieces = (next: { pageId: string | null; appSecret: string | null; pageAccessToken: string | null }): DecodeIssue[] =>
  (["pageId", "appSecret", "pageAccessToken"] as const).filter((key) => next[key] === null).map((key) => ({ path: key, message: MISSING[key] }));

/**
 * Decodes a save against what is stored, with every issue at once: a malformed field, and a
 * page id, app secret or page token that is neither typed nor stored (so the admin is not sent
 * back twice). Pure.
 */
export const checkSettings = (stored: Record<string, unknown>, input: unknown): Either.Either<SettingsInput, ReadonlyArray<DecodeIssue>> => {
  const decoded = decodeSettingsInput(input);
  if (Either.isRight(decoded)) {
    const issues = Either.match(mergeSettings(stored, decoded.right, () => ""), { onLeft: (left) => left, onRight: () => [] });
    return issues.length > 0 ? Either.left(issues) : decoded;
  }
  const current = readStoredConfig(stored);
  const raw = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
  const typed = (key: string) => (typeof raw[key] === "string" && (raw[key] as string).trim() !== "" ? "typed" : null);
  const missing = missingPieces({
    pageId: typed("pageId"),
    appSecret: typed("appSecret") ?? current.appSecret,
    pageAccessToken: typed("pageAccessToken") ?? current.pageAccessToken,
  });
  const reported = new Set(decoded.left.map((issue) => issue.path));
  const order = ["pageId", "appSecret", "pageAccessToken", "chatflowId", "humanAgentTag"];
  const all = [...decoded.left, ...missing.filter((issue) => !reported.has(issue.path))];
  return Either.left(all.sort((a, b) => (order.indexOf(a.path) >>> 0) - (order.indexOf(b.path) >>> 0)));
};

/** The last four characters of a secret, to tell secrets apart without showing them. Pure. */
export const hintOf = (secret: string | null): string | null => (secret ? secret.slice(-4) : null);

/** The webhook URL to paste into Facebook for a channel. Pure. */
export const webhookUrlFor = (publicUrl: string, channelId: string): string =>
  `${publicUrl.replace(/\/+$/, "")}/api/messenger/${encodeURIComponent(channelId)}/webhook`;

// ---------------------------------------------------------------------------------------------
// The default chatflow

export const DEFAULT_FLOW_CHOICES = {
  person: { id: "talk_to_person", label: "Talk to a person" },
  browsing: { id: "just_browsing", label: "Just browsing" },
} as const;

/**
 * The bot a first connection creates: a greeting, a question with two quick replies — "Talk
 * to a person" hands the conversation to the inbox's routing, "Just browsing" says goodbye —
 * and any typed answer also goes to a person (the question's invalid port, no retries), so a
 * visitor who writes in their own words is never stuck with the bot. Pure.
 */
export const defaultFlowDocument = (id: string, name: string): FlowDocument => ({
  id: id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "messenger",
  name,
  kind: "bot",
  language: "en",
  startNodeId: "greeting",
  nodes: [
    {
      id: "greeting",
      kind: "message",
      label: "Greeting",
      position: { x: 0, y: 0 },
      data: { bubbles: [{ type: "text", text: "Hi! Thanks for your message 👋" }] },
    },
    {
      id: "ask_help",
      kind: "question",
      label: "How can we help?",
      position: { x: 0, y: 200 },
      data: {
        prompt: "How can we help you today?",
        answer: {
          type: "choice",
          portPerChoice: true,
          choices: [DEFAULT_FLOW_CHOICES.person, DEFAULT_FLOW_CHOICES.browsing],
        },
        save: { variable: "topic" },
        maxRetries: 0,
      },
    },
    {
      id: "to_person",
      kind: "handoff",
      label: "Hand off to the inbox",
      position: { x: -220, y: 420 },
      data: {
        target: { type: "routing" },
        message: "Thanks! Someone from the team will answer you here soon.",
        away: { message: "We're away right now, but we'll answer you here as soon as we're back.", askForEmail: false, createTicket: false },
      },
    },
    {
      id: "goodbye",
      kind: "message",
      label: "Goodbye",
      position: { x: 220, y: 420 },
      data: { bubbles: [{ type: "text", text: "No problem! Write to us here any time." }] },
    },
    { id: "done", kind: "end", position: { x: 220, y: 620 }, data: {} },
  ],
  edges: [
    { id: "greeting:next->ask_help", source: "greeting", sourcePort: "next", target: "ask_help" },
    { id: "ask_help:choice:talk_to_person->to_person", source: "ask_help", sourcePort: "choice:talk_to_person", target: "to_person" },
    { id: "ask_help:choice:just_browsing->goodbye", source: "ask_help", sourcePort: "choice:just_browsing", target: "goodbye" },
    { id: "ask_help:invalid->to_person", source: "ask_help", sourcePort: "invalid", target: "to_person" },
    { id: "goodbye:next->done", source: "goodbye", sourcePort: "next", target: "done" },
  ],
  variables: [],
  settings: {},
});
