/**
 * For tests of the inbox services (not used by the app): a workspace in a fresh SQLite file —
 * two inboxes, a team, admin / two agents of Support / an agent of Sales / an analyst — with the
 * real Database, LiveEvents, Chatflows, Engine, Routing, Inbox, Contacts, Tickets, SavedReplies
 * and Labels layers, plus helpers that write conversations directly.
 */
import { Effect, Layer, ManagedRuntime } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlowDocument } from "../../flows/flow-document.js";
import * as Chatflows from "./chatflows.js";
import * as ContactLists from "./contact-lists.js";
import * as Contacts from "./contacts.js";
import * as Db from "./database.js";
import * as Deliveries from "./deliveries.js";
import * as Engine from "./engine.js";
import type { Actor } from "./inbox-access.js";
import * as Inbox from "./inbox.js";
import * as Labels from "./labels.js";
import * as LiveEvents from "./live-events.js";
import * as Routing from "./routing.js";
import * as SavedReplies from "./saved-replies.js";
import * as Tickets from "./tickets.js";
import { unassignedSinceOfNew } from "../sql/unassigned-since.js";

export const people = {
  admin: { id: "usr_admin", role: "admin", name: "Ada Admin", email: "ada@example.com" },
  alex: { id: "usr_alex", role: "agent", name: "Alex Agent", email: "alex@example.com" },
  bo: { id: "usr_bo", role: "agent", name: "Bo Berg", email: "bo@example.com" },
  sam: { id: "usr_sam", role: "agent", name: "Sam Sales", email: "sam@example.com" },
  ana: { id: "usr_ana", role: "analyst", name: "Ana Analyst", email: "ana@example.com" },
} as const satisfies Record<string, Actor & { name: string; email: string }>;

export type KitServices =
  | Db.Database
  | LiveEvents.LiveEvents
  | Chatflows.Chatflows
  | Engine.Engine
  | Routing.Routing
  | Inbox.Inbox
  | Contacts.Contacts
  | ContactLists.ContactLists
  | Tickets.Tickets
  | SavedReplies.SavedReplies
  | Labels.Labels;

export interface Kit {
  readonly runtime: ManagedRuntime.ManagedRuntime<KitServices, never>;
  readonly db: Db.DatabaseShape;
  readonly live: LiveEvents.LiveEventsShape;
  readonly run: <A, E>(effect: Effect.Effect<A, E, KitServices>) => Promise<A>;
  /** The failure of `effect` (throws when it succeeds). */
  readonly fail: <A, E>(effect: Effect.Effect<A, E, KitServices>) => Promise<E>;
  readonly conversation: (options?: ConversationOptions) => string;
  readonly visitor: (channelId?: string, extra?: { readonly attributes?: Record<string, string> }) => string;
  readonly dispose: () => Promise<void>;
}

export interface ConversationOptions {
  readonly inboxId?: string;
  readonly channelId?: string;
  readonly status?: "bot" | "open" | "pending" | "closed";
  readonly assigneeId?: string | null;
  readonly teamId?: string | null;
  readonly visitorId?: string | null;
  readonly contactId?: string | null;
  readonly waitingSince?: number | null;
  readonly lastActivityAt?: number;
  readonly messages?: ReadonlyArray<{ readonly author: "visitor" | "bot" | "agent" | "system"; readonly text: string; readonly internal?: boolean; readonly userId?: string }>;
}

const noActions: Engine.EngineActionsShape = {
  webhook: () => Effect.die(new Error("no webhooks in inbox tests")),
  code: () => Effect.die(new Error("no code in inbox tests")),
};

/** Opens a fresh workspace; call `dispose` when done. */
export const openKit = async (): Promise<Kit> => {
  const dir = mkdtempSync(join(tmpdir(), "parley-inbox-"));
  const base = Layer.mergeAll(Db.layer({ path: join(dir, "inbox.sqlite"), synchronous: "NORMAL" }), LiveEvents.layer);
  const engine = Engine.layerWithActions(noActions).pipe(Layer.provide(Chatflows.layer));
  const core = Layer.mergeAll(engine, Routing.layer, Chatflows.layer, Deliveries.layer).pipe(Layer.provideMerge(base));
  const services = Layer.mergeAll(Inbox.layer, Contacts.layer, ContactLists.layer, Tickets.layer, SavedReplies.layer, Labels.layer).pipe(Layer.provideMerge(core));
  const runtime = ManagedRuntime.make(services);
  const db = await runtime.runPromise(Db.Database);
  const live = await runtime.runPromise(LiveEvents.LiveEvents);
  const s = db.sqlite;
  const now = Date.now();
  const user = s.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', ?)");
  for (const p of Object.values(people)) user.run(p.id, p.email, p.name, p.role, now);
  s.prepare("INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_support', 'Support', ?), ('inbox_sales', 'Sales', ?)").run(now, now);
  s.prepare("INSERT INTO teams (id, name, created_at) VALUES ('team_support', 'Support team', ?)").run(now);
  const member = s.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)");
  member.run("inbox_support", people.alex.id);
  member.run("inbox_support", people.bo.id);
  member.run("inbox_sales", people.sam.id);
  s.prepare("INSERT INTO team_members (team_id, user_id) VALUES ('team_support', ?), ('team_support', ?)").run(people.alex.id, people.bo.id);
  s.prepare(
    `INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES
       ('chan_web', 'inbox_support', 'chat', 'Website chat', ?), ('chan_sales', 'inbox_sales', 'chat', 'Sales chat', ?)`,
  ).run(now, now);

  let seq = 0;
  const visitor: Kit["visitor"] = (channelId = "chan_web", extra = {}) => {
    const id = `vis_${++seq}`;
    s.prepare(
      `INSERT INTO visitors (id, channel_id, device, language, user_agent, last_page_url, attributes, first_seen_at, last_seen_at)
       VALUES (?, ?, 'mobile', 'de', 'Mozilla/5.0 (iPhone)', 'https://shop.example/pricing', ?, ?, ?)`,
    ).run(id, channelId, JSON.stringify(extra.attributes ?? {}), now - 86_400_000, now);
    return id;
  };

  const conversation: Kit["conversation"] = (o = {}) => {
    const id = `conv_${++seq}`;
    const channelId = o.channelId ?? (o.inboxId === "inbox_sales" ? "chan_sales" : "chan_web");
    const inboxId = o.inboxId ?? (channelId === "chan_sales" ? "inbox_sales" : "inbox_support");
    const status = o.status ?? "open";
    const at = o.lastActivityAt ?? Date.now();
    const visitorId = o.visitorId === undefined ? visitor(channelId) : o.visitorId;
    s.prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, visitor_id, contact_id, status, assignee_id, team_id, page_url, version,
         created_at, updated_at, last_activity_at, closed_at, waiting_since, unassigned_since)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'https://shop.example/start', 1, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      channelId,
      inboxId,
      visitorId,
      o.contactId ?? null,
      status,
      o.assigneeId ?? null,
      o.teamId ?? null,
      at,
      at,
      at,
      status === "closed" ? at : null,
      o.waitingSince === undefined ? (status === "open" ? at : null) : o.waitingSince,
      unassignedSinceOfNew(status, o.assigneeId ?? null, at),
    );
    const message = s.prepare(
      "INSERT INTO messages (conversation_id, author, user_id, text, is_internal, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (const m of o.messages ?? []) message.run(id, m.author, m.userId ?? null, m.text, m.internal ? 1 : 0, at);
    const last = [...(o.messages ?? [])].reverse().find((m) => !m.internal);
    if (last) s.prepare("UPDATE conversations SET last_message_preview = ?, last_message_at = ? WHERE id = ?").run(last.text, at, id);
    return id;
  };

  return {
    runtime,
    db,
    live,
    run: (effect) => runtime.runPromise(effect),
    fail: async (effect) => {
      const either = await runtime.runPromise(Effect.either(effect));
      if (either._tag === "Right") throw new Error(`expected a failure, got ${JSON.stringify(either.right)}`);
      return either.left;
    },
    conversation,
    visitor,
    dispose: async () => {
      await runtime.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** A conversation's status, version, assignment and snooze as stored (for assertions). */
export const conversationState = (kit: Kit, id: string) =>
  kit.db.sqlite.prepare("SELECT status, version, assignee_id, team_id, snoozed_until FROM conversations WHERE id = ?").get(id) as {
    status: string;
    version: number;
    assignee_id: string | null;
    team_id: string | null;
    snoozed_until: number | null;
  };

/** A bot that greets, asks for a name and an email, then hands off to the Support team. */
export const handoffFlow: FlowDocument = {
  id: "handoff_bot",
  name: "Handoff bot",
  kind: "bot",
  language: "en",
  startNodeId: "hello",
  nodes: [
    { id: "hello", kind: "message", position: { x: 0, y: 0 }, data: { bubbles: [{ type: "text", text: "Hi! I'm the bot." }], typingDelayMs: 0 } },
    {
      id: "name",
      kind: "question",
      position: { x: 0, y: 100 },
      data: { prompt: "Your name?", answer: { type: "text" }, save: { variable: "name", contactProperty: "name" }, typingDelayMs: 0 },
    },
    {
      id: "handoff",
      kind: "handoff",
      position: { x: 0, y: 200 },
      data: { target: { type: "team", teamId: "team_support" }, message: "Passing you to a person." },
    },
  ],
  edges: [
    { id: "hello:next->name", source: "hello", sourcePort: "next", target: "name" },
    { id: "name:answered->handoff", source: "name", sourcePort: "answered", target: "handoff" },
  ],
  variables: [],
  settings: {},
} as unknown as FlowDocument;
