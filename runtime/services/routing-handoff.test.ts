/**
 * Routing through the whole app layer: a bot's handoff is routed in the engine's own write, the
 * assignment is published after the turn's events, and the queue drains when an agent returns.
 */
import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FlowDocument } from "../../flows/flow-document.js";
import { openAppForDatabase } from "./app-for-database.js";
import type { AppRuntime } from "./app-layer.js";
import { Chatflows } from "./chatflows.js";
import { Database, type DatabaseShape } from "./database.js";
import { Engine } from "./engine.js";
import { Inbox } from "./inbox.js";
import { Routing } from "./routing.js";
import { LiveEvents, type LiveEvent } from "./live-events.js";
import { SEED_IDS } from "./seed.js";
import type { TeamHours } from "../../flows/team-hours.js";
import { encodeTeamHours } from "./team-hours.js";
import { Workspace } from "./workspace.js";

let dir: string;
let runtime: AppRuntime;
let db: DatabaseShape;
const published: LiveEvent[] = [];

const flow = (id: string, target: unknown, ask = false): FlowDocument => {
  const nodes = [
    ...(ask ? [{ id: "ask", kind: "question", position: { x: 0, y: 0 }, data: { prompt: "Your question?", answer: { type: "text" }, save: {} } }] : []),
    { id: "handoff", kind: "handoff", position: { x: 0, y: 100 }, data: { target, message: "Passing you on." } },
  ];
  return {
    id,
    name: id,
    kind: "bot",
    language: "en",
    startNodeId: nodes[0]!.id,
    nodes,
    edges: ask ? [{ id: "e1", source: "ask", sourcePort: "answered", target: "handoff" }] : [],
    variables: [],
    settings: {},
  } as unknown as FlowDocument;
};

const publishFlow = (document: FlowDocument) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const flows = yield* Chatflows;
      const id = `flow_${document.id}`;
      yield* flows.create({ id, name: document.name, kind: document.kind, document, channelId: SEED_IDS.channel });
      yield* flows.publish(id);
      yield* flows.setEnabled(id, true);
      return id;
    }),
  );

let visitors = 0;
const start = async (chatflowId: string, contactId: string | null = null, language: string | null = null) => {
  const visitorId = `vis_${++visitors}`;
  db.sqlite
    .prepare("INSERT INTO visitors (id, channel_id, contact_id, language, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, 0, 0)")
    .run(visitorId, SEED_IDS.channel, contactId, language);
  const view = await runtime.runPromise(
    Effect.flatMap(Engine, (e) => e.startConversation({ visitorId, channelId: SEED_IDS.channel, chatflowId, pageUrl: "https://example.com/" })),
  );
  return { visitorId, conversationId: view.conversation.id, status: view.conversation.status };
};

const conversation = (id: string) =>
  db.sqlite.prepare("SELECT status, assignee_id, team_id, queued_at, version FROM conversations WHERE id = ?").get(id) as {
    status: string;
    assignee_id: string | null;
    team_id: string | null;
    queued_at: number | null;
    version: number;
  };

const setAvailability = (userId: string, availability: "available" | "away") =>
  runtime.runPromise(Effect.flatMap(Workspace, (w) => w.setAvailability(userId, availability)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-handoff-"));
  ({ runtime } = await openAppForDatabase(join(dir, "app.sqlite"), { env: { ADMIN_PASSWORD: "handoff-password", PARLEY_DEMO: "1" } }));
  db = await runtime.runPromise(Database);
  await runtime.runPromise(Effect.flatMap(LiveEvents, (live) => Effect.sync(() => live.subscribeAll((e) => published.push(e)))));
  await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.updateInbox(SEED_IDS.inbox, { routing: { mode: "round_robin" } })));
}, 60_000);

afterAll(async () => {
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("a handoff routed by the engine", () => {
  it("assigns round-robin among the Support inbox's members, in the turn's write, and publishes it last", async () => {
    const flowId = await publishFlow(flow("to_routing", { type: "routing" }));
    const first = await start(flowId);
    expect(first.status).toBe("open");
    // Admin and Alex Agent are the seeded members; "Admin" sorts first.
    expect(conversation(first.conversationId)).toMatchObject({ status: "open", assignee_id: SEED_IDS.admin, queued_at: null });
    const second = await start(flowId);
    expect(conversation(second.conversationId).assignee_id).toBe(SEED_IDS.agent);

    const events = db.sqlite
      .prepare("SELECT type, user_id FROM events WHERE conversation_id = ? AND type IN ('handoff', 'assigned', 'status_changed') ORDER BY id")
      .all(first.conversationId);
    expect(events).toEqual([
      { type: "handoff", user_id: null },
      { type: "status_changed", user_id: null },
      { type: "assigned", user_id: SEED_IDS.admin },
    ]);
    const kinds = published.filter((e) => e.conversationId === first.conversationId).map((e) => e.kind);
    expect(kinds.at(-1)).toBe("assignment");
    expect(kinds.indexOf("status")).toBeLessThan(kinds.lastIndexOf("assignment"));
  });

  it("routes a handoff that follows a visitor's answer", async () => {
    const flowId = await publishFlow(flow("ask_then_routing", { type: "routing" }, true));
    const { visitorId, conversationId, status } = await start(flowId);
    expect(status).toBe("bot");
    const answer = await runtime.runPromise(
      Effect.flatMap(Engine, (e) => e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "c1", text: "Help" })),
    );
    expect(answer.status).toBe("open");
    expect(conversation(conversationId).assignee_id).not.toBeNull();
    // The bot's question went out while the bot held the conversation (only the Bot view and the
    // thread re-read for it); the handoff turn's messages went out with it in people's hands.
    const messages = published.filter((e) => e.conversationId === conversationId && e.kind === "message");
    expect(messages.map((e) => [(e.data as { author: string }).author, e.bot === true])).toEqual([
      ["bot", true],
      ["visitor", false],
      ["bot", false],
      ["system", false],
    ]);
  });

  it("routes a team target among the team, and queues when nobody is available until someone is", async () => {
    const flowId = await publishFlow(flow("to_team", { type: "team", teamId: SEED_IDS.team }));
    await setAvailability(SEED_IDS.admin, "away");
    await setAvailability(SEED_IDS.agent, "away");
    const waiting = await start(flowId);
    expect(conversation(waiting.conversationId)).toMatchObject({ status: "open", assignee_id: null, team_id: SEED_IDS.team });
    expect(conversation(waiting.conversationId).queued_at).not.toBeNull();

    await setAvailability(SEED_IDS.agent, "available");
    expect(conversation(waiting.conversationId)).toMatchObject({ assignee_id: SEED_IDS.agent, queued_at: null });
    await setAvailability(SEED_IDS.admin, "available");
  });

  it("gives a user target to that user", async () => {
    const flowId = await publishFlow(flow("to_user", { type: "user", userId: SEED_IDS.agent }));
    const { conversationId } = await start(flowId);
    expect(conversation(conversationId).assignee_id).toBe(SEED_IDS.agent);
  });
});

describe("a handoff to the contact's owner", () => {
  let flowId: string;
  let contacts = 0;
  const contactOwnedBy = (ownerId: string | null, email?: string) => {
    const id = `ct_owned_${++contacts}`;
    db.sqlite
      .prepare("INSERT INTO contacts (id, email, name, owner_id, created_at, updated_at) VALUES (?, ?, 'Owned', ?, 0, 0)")
      .run(id, email ?? null, ownerId);
    return id;
  };
  const handoffEvent = (conversationId: string) => {
    const row = db.sqlite.prepare("SELECT user_id, data FROM events WHERE conversation_id = ? AND type = 'handoff'").get(conversationId) as {
      user_id: string | null;
      data: string;
    };
    return { userId: row.user_id, data: JSON.parse(row.data) as Record<string, unknown> };
  };
  const addUser = (id: string, role: "admin" | "agent", member: boolean) => {
    db.sqlite
      .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', 0)")
      .run(id, `${id}@example.com`, id, role);
    if (member) db.sqlite.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)").run(SEED_IDS.inbox, id);
  };

  beforeAll(async () => {
    flowId = await publishFlow(flow("to_owner", { type: "contact_owner" }));
    addUser("user_owner", "agent", true);
    addUser("user_outsider", "agent", false);
    addUser("user_boss", "admin", false);
  });

  it("gives the conversation to an available owner who works in the inbox, and the handoff event says so", async () => {
    const { conversationId, status } = await start(flowId, contactOwnedBy("user_owner"));
    expect(status).toBe("open");
    expect(conversation(conversationId).assignee_id).toBe("user_owner");
    expect(handoffEvent(conversationId)).toEqual({
      userId: "user_owner",
      data: { target: "contact_owner", away: false, to: "owner", ownerId: "user_owner" },
    });
  });

  it("falls back to the inbox's routing, saying why, when the owner cannot take it or there is none", async () => {
    const cases: Array<[string, () => Promise<string | null> | string | null]> = [
      ["unknown_visitor", () => null],
      ["no_owner", () => contactOwnedBy(null)],
      ["owner_not_member", () => contactOwnedBy("user_outsider")],
      [
        "owner_away",
        async () => {
          await setAvailability("user_owner", "away");
          return contactOwnedBy("user_owner");
        },
      ],
    ];
    for (const [reason, contact] of cases) {
      const { conversationId } = await start(flowId, await contact());
      const held = conversation(conversationId).assignee_id;
      const event = handoffEvent(conversationId);
      expect(event.userId, reason).toBeNull();
      expect(event.data, reason).toMatchObject({ target: "contact_owner", to: "routing", reason });
      // Round-robin among the available members: never the owner who could not take it.
      expect(held, reason).not.toBeNull();
      expect(held, reason).not.toBe(event.data.ownerId);
      const assigned = db.sqlite.prepare("SELECT data FROM events WHERE conversation_id = ? AND type = 'assigned' ORDER BY id DESC").get(conversationId) as {
        data: string;
      };
      expect(JSON.parse(assigned.data), reason).toMatchObject({ via: "round_robin" });
    }
    await setAvailability("user_owner", "available");
    db.sqlite.prepare("UPDATE users SET disabled_at = 1 WHERE id = 'user_outsider'").run();
    const disabled = await start(flowId, contactOwnedBy("user_outsider"));
    expect(handoffEvent(disabled.conversationId).data).toMatchObject({ to: "routing", ownerId: "user_outsider", reason: "owner_disabled" });
  });

  it("reaches an available owner even when the inbox's members are all away (no away message)", async () => {
    await setAvailability(SEED_IDS.admin, "away");
    await setAvailability(SEED_IDS.agent, "away");
    await setAvailability("user_owner", "away");
    try {
      const { conversationId } = await start(flowId, contactOwnedBy("user_boss"));
      expect(conversation(conversationId)).toMatchObject({ status: "open", assignee_id: "user_boss", queued_at: null });
      expect(handoffEvent(conversationId).data).toMatchObject({ away: false, to: "owner" });
      // Nobody at all: the away branch, and the conversation waits in the queue.
      const nobody = await start(flowId, contactOwnedBy(SEED_IDS.agent));
      expect(handoffEvent(nobody.conversationId).data).toMatchObject({ away: true, to: "routing", reason: "owner_away" });
      expect(conversation(nobody.conversationId).queued_at).not.toBeNull();
    } finally {
      await setAvailability(SEED_IDS.admin, "available");
      await setAvailability(SEED_IDS.agent, "available");
      await setAvailability("user_owner", "available");
    }
  });

  it("in an inbox set to contact's owner first, a handoff to routing reaches the owner too, even with every member away", async () => {
    const routingFlow = await publishFlow(flow("to_routing_owner_first", { type: "routing" }));
    await runtime.runPromise(
      Effect.flatMap(Workspace, (w) => w.updateInbox(SEED_IDS.inbox, { routing: { mode: "round_robin", contactOwnerFirst: true } })),
    );
    await setAvailability(SEED_IDS.admin, "away");
    await setAvailability(SEED_IDS.agent, "away");
    await setAvailability("user_owner", "away");
    try {
      const { conversationId } = await start(routingFlow, contactOwnedBy("user_boss"));
      expect(conversation(conversationId)).toMatchObject({ assignee_id: "user_boss", queued_at: null });
      expect(handoffEvent(conversationId).data).toMatchObject({ target: "routing", away: false });
    } finally {
      await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.updateInbox(SEED_IDS.inbox, { routing: { mode: "round_robin" } })));
      await setAvailability(SEED_IDS.admin, "available");
      await setAvailability(SEED_IDS.agent, "available");
      await setAvailability("user_owner", "available");
    }
  });

  it("uses the contact the same turn linked by the visitor's email", async () => {
    const base = flow("ask_email_then_owner", { type: "contact_owner" });
    const document = {
      ...base,
      startNodeId: "ask",
      nodes: [
        { id: "ask", kind: "question", position: { x: 0, y: 0 }, data: { prompt: "Your email?", answer: { type: "email" }, save: { contactProperty: "email" } } },
        ...base.nodes,
      ],
      edges: [{ id: "e1", source: "ask", sourcePort: "answered", target: "handoff" }],
    } as unknown as FlowDocument;
    const askFlow = await publishFlow(document);
    contactOwnedBy("user_owner", "known@owner.example");
    const { visitorId, conversationId } = await start(askFlow);
    await runtime.runPromise(
      Effect.flatMap(Engine, (e) => e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "m1", text: "known@owner.example" })),
    );
    expect(conversation(conversationId).assignee_id).toBe("user_owner");
    expect(handoffEvent(conversationId).data).toMatchObject({ to: "owner", ownerId: "user_owner" });
  });
});

describe("a handoff to a team with hours (decision 048)", () => {
  const DAY = 86_400_000;
  const allWeek = (["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const).map((day) => ({ day, from: "00:00", to: "24:00" }));
  const utcDate = (instant: number) => new Date(instant).toISOString().slice(0, 10);
  const dayStart = (instant: number) => Math.floor(instant / DAY) * DAY;
  const openAllWeek: TeamHours = { source: "own", timezone: "UTC", hours: allWeek, closedDates: [], workspaceClosedDates: false };
  /** Open every hour of the week but closed yesterday, today and tomorrow (UTC): closed now, whenever the test runs. */
  const closedNow = (): TeamHours => {
    const now = Date.now();
    return { ...openAllWeek, closedDates: [-1, 0, 1].map((d) => ({ date: utcDate(now + d * DAY), yearly: false })) };
  };
  const opensAfterClosedDays = () => dayStart(Date.now()) + 2 * DAY;
  const setTeamHours = (hours: TeamHours) => db.sqlite.prepare("UPDATE teams SET hours = ? WHERE id = ?").run(encodeTeamHours(hours), SEED_IDS.team);
  const handoffEvent = (conversationId: string) => {
    const row = db.sqlite.prepare("SELECT team_id, data FROM events WHERE conversation_id = ? AND type = 'handoff'").get(conversationId) as
      | { team_id: string | null; data: string }
      | undefined;
    return row === undefined ? undefined : { teamId: row.team_id, data: JSON.parse(row.data) as Record<string, unknown> };
  };
  const texts = (conversationId: string) =>
    (db.sqlite.prepare("SELECT text FROM messages WHERE conversation_id = ? AND is_internal = 0 ORDER BY id").all(conversationId) as Array<{ text: string }>).map(
      (m) => m.text,
    );
  /** What the thread's handoff markers say of a closed team (one entry per marker). */
  const markerClosed = async (conversationId: string) =>
    (await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.getThread(conversationId, { id: SEED_IDS.admin, role: "admin" })))).messages
      .filter((m) => m.handoff !== undefined)
      .map((m) => m.handoffTeamClosed);
  const toTeam = { type: "team", teamId: SEED_IDS.team };
  const withAway = (id: string, awayPort: boolean): FlowDocument => {
    const base = flow(id, toTeam) as unknown as { nodes: Array<Record<string, unknown>>; edges: unknown[] };
    const handoff = { ...base.nodes[0]!, data: { target: toTeam, message: "Passing you on.", away: { message: "The team is closed now." } } };
    const nodes = awayPort
      ? [handoff, { id: "closed", kind: "end", position: { x: 0, y: 200 }, data: { message: "Come back in opening hours." } }]
      : [handoff];
    const edges = awayPort ? [{ id: "e_away", source: "handoff", sourcePort: "away", target: "closed" }] : [];
    return { ...base, nodes, edges } as unknown as FlowDocument;
  };
  /** A bot that says whether `who` is available, by a branch on `subject` (team_available or user_available). */
  const branchOn = (id: string, subject: Record<string, string>, who: string): FlowDocument =>
    ({
      id,
      name: id,
      kind: "bot",
      language: "en",
      startNodeId: "check",
      nodes: [
        {
          id: "check",
          kind: "branch",
          position: { x: 0, y: 0 },
          data: { rules: [{ id: "on", conditions: [{ subject, operator: "is_set" }] }] },
        },
        { id: "yes", kind: "end", position: { x: 0, y: 100 }, data: { message: `${who} is available.` } },
        { id: "no", kind: "end", position: { x: 200, y: 100 }, data: { message: `${who} is not available.` } },
      ],
      edges: [
        { id: "e_on", source: "check", sourcePort: "rule:on", target: "yes" },
        { id: "e_else", source: "check", sourcePort: "else", target: "no" },
      ],
      variables: [],
      settings: {},
    }) as unknown as FlowDocument;

  let queuedFlow: string;
  let awayPortFlow: string;
  let branchFlow: string;
  beforeAll(async () => {
    queuedFlow = await publishFlow(withAway("team_hours_queue", false));
    awayPortFlow = await publishFlow(withAway("team_hours_away_port", true));
    branchFlow = await publishFlow(branchOn("team_hours_branch", { type: "team_available", teamId: SEED_IDS.team }, "Support"));
  });
  afterAll(() => setTeamHours({ source: "none" }));

  it("takes the away path of a closed team though its members are available: away message, queued for the team, the event says why", async () => {
    setTeamHours(closedNow());
    const { conversationId, status } = await start(queuedFlow);
    expect(status).toBe("open");
    expect(texts(conversationId)).toEqual(["The team is closed now."]);
    expect(conversation(conversationId)).toMatchObject({ status: "open", assignee_id: null, team_id: SEED_IDS.team });
    expect(conversation(conversationId).queued_at).not.toBeNull();
    expect(handoffEvent(conversationId)).toEqual({
      teamId: SEED_IDS.team,
      data: { target: "team", away: true, reason: "team_closed", opensAt: opensAfterClosedDays() },
    });
    const queued = db.sqlite.prepare("SELECT data FROM events WHERE conversation_id = ? AND type = 'queued'").get(conversationId) as { data: string };
    expect(JSON.parse(queued.data)).toMatchObject({ reason: "team_closed", opensAt: opensAfterClosedDays() });
    // The inbox's thread says why it waits, and until when, on the team's clock.
    const teamClosed = () =>
      runtime.runPromise(Effect.flatMap(Inbox, (i) => i.getThread(conversationId, { id: SEED_IDS.admin, role: "admin" }))).then((t) => t.conversation.teamClosed);
    expect(await teamClosed()).toEqual({ opensAt: opensAfterClosedDays(), timezone: "UTC" });
    // The list's page says it too, from one read of its queued rows' teams (not per row).
    const listed = () =>
      runtime.runPromise(Effect.flatMap(Inbox, (i) => i.listConversations({ view: "unassigned", inboxId: SEED_IDS.inbox }, { id: SEED_IDS.admin, role: "admin" })));
    const page = await listed();
    expect(page.conversations.find((c) => c.id === conversationId)).toMatchObject({ queued: true, team: { id: SEED_IDS.team } });
    expect(page.closedTeams).toEqual({ [SEED_IDS.team]: { opensAt: opensAfterClosedDays(), timezone: "UTC" } });
    // Nothing is published when the team opens with nobody to take the conversation: the page re-reads at the opening by itself.
    expect(page.queueChangesAt).toBe(opensAfterClosedDays());
    const thread = () => runtime.runPromise(Effect.flatMap(Inbox, (i) => i.getThread(conversationId, { id: SEED_IDS.admin, role: "admin" })));
    expect((await thread()).conversation.queueChangesAt).toBe(opensAfterClosedDays());
    // The team opens (its hours change): the queue drains to a member, nobody else acting.
    setTeamHours(openAllWeek);
    await runtime.runPromise(Effect.flatMap(Routing, (r) => r.drainQueue()));
    expect(conversation(conversationId).assignee_id).not.toBeNull();
    expect(conversation(conversationId).queued_at).toBeNull();
    expect(await teamClosed()).toBeNull();
    expect((await listed()).closedTeams).toEqual({});
    expect((await listed()).queueChangesAt).toBeNull();
    expect((await thread()).conversation.queueChangesAt).toBeNull();
    // The handoff marker still says it was made while the team was closed, naming the team as it is now.
    expect(await markerClosed(conversationId)).toEqual([{ teamId: SEED_IDS.team, team: "Support", opensAt: opensAfterClosedDays(), timezone: "UTC" }]);
  });

  it("says the team was closed on a handoff made a turn later, after the away email was asked", async () => {
    const base = withAway("team_hours_email", false) as unknown as { nodes: Array<{ data: Record<string, unknown> }> };
    base.nodes[0]!.data = { ...base.nodes[0]!.data, away: { message: "The team is closed now.", askForEmail: true } };
    const emailFlow = await publishFlow(base as unknown as FlowDocument);
    setTeamHours(closedNow());
    const { conversationId, visitorId, status } = await start(emailFlow);
    expect(status).toBe("bot");
    expect(handoffEvent(conversationId)).toBeUndefined();
    const answer = await runtime.runPromise(
      Effect.flatMap(Engine, (e) => e.handleVisitorMessage({ conversationId, visitorId, clientMessageId: "email", text: "sam@example.com" })),
    );
    expect(answer.status).toBe("open");
    expect(handoffEvent(conversationId)?.data).toMatchObject({ target: "team", away: true, reason: "team_closed", opensAt: opensAfterClosedDays() });
    expect(conversation(conversationId).queued_at).not.toBeNull();
    expect(await markerClosed(conversationId)).toEqual([{ teamId: SEED_IDS.team, team: "Support", opensAt: opensAfterClosedDays(), timezone: "UTC" }]);
  });

  it("says nothing of hours on the marker of a handoff to an open team", async () => {
    setTeamHours(openAllWeek);
    const { conversationId } = await start(queuedFlow);
    expect(handoffEvent(conversationId)?.data).toEqual({ target: "team", away: false });
    expect(await markerClosed(conversationId)).toEqual([undefined]);
  });

  it("follows the away port of a closed team's handoff, with no handoff at all", async () => {
    setTeamHours(closedNow());
    const { conversationId } = await start(awayPortFlow);
    expect(texts(conversationId)).toEqual(["The team is closed now.", "Come back in opening hours."]);
    expect(handoffEvent(conversationId)).toBeUndefined();
    expect(conversation(conversationId).assignee_id).toBeNull();
  });

  it("hands off to an open team's available member as before, with no reason recorded", async () => {
    setTeamHours(openAllWeek);
    const { conversationId } = await start(queuedFlow);
    expect(texts(conversationId)).toEqual(["Passing you on."]);
    expect(conversation(conversationId).assignee_id).not.toBeNull();
    expect(handoffEvent(conversationId)).toEqual({ teamId: SEED_IDS.team, data: { target: "team", away: false } });
  });

  it("team_available is false while the team is closed, true while open with a member available, false when open with nobody", async () => {
    const lastText = async () => texts((await start(branchFlow)).conversationId).at(-1);
    setTeamHours(closedNow());
    expect(await lastText()).toBe("Support is not available.");
    setTeamHours(openAllWeek);
    expect(await lastText()).toBe("Support is available.");
    setTeamHours({ source: "none" });
    expect(await lastText()).toBe("Support is available.");
    await setAvailability(SEED_IDS.admin, "away");
    await setAvailability(SEED_IDS.agent, "away");
    try {
      setTeamHours(openAllWeek);
      expect(await lastText()).toBe("Support is not available.");
    } finally {
      await setAvailability(SEED_IDS.admin, "available");
      await setAvailability(SEED_IDS.agent, "available");
    }
  });

  it("user_available is true for an available user, false once away or disabled", async () => {
    const flowId = await publishFlow(branchOn("user_branch", { type: "user_available", userId: SEED_IDS.agent }, "Alex"));
    const lastText = async () => texts((await start(flowId)).conversationId).at(-1);
    expect(await lastText()).toBe("Alex is available.");
    await setAvailability(SEED_IDS.agent, "away");
    try {
      expect(await lastText()).toBe("Alex is not available.");
    } finally {
      await setAvailability(SEED_IDS.agent, "available");
    }
    db.sqlite.prepare("UPDATE users SET disabled_at = ? WHERE id = ?").run(Date.now(), SEED_IDS.agent);
    try {
      expect(await lastText()).toBe("Alex is not available.");
    } finally {
      db.sqlite.prepare("UPDATE users SET disabled_at = NULL WHERE id = ?").run(SEED_IDS.agent);
    }
    expect(await lastText()).toBe("Alex is available.");
  });
});

describe("a handoff waiting for a speaker of the visitor's language (decision 055, sixteenth session)", () => {
  const waitingRouting = { mode: "round_robin", preferVisitorLanguage: true, languageWaitMinutes: 5 };
  const admin = { id: SEED_IDS.admin, role: "admin" } as const;
  afterAll(() => runtime.runPromise(Effect.flatMap(Workspace, (w) => w.updateInbox(SEED_IDS.inbox, { routing: { mode: "round_robin" } }))));

  it("holds a German visitor's handoff for Alex (who speaks German) while only Admin is free, shows it in the inbox, and gives it to Alex once back", async () => {
    const saved = await runtime.runPromise(Effect.flatMap(Workspace, (w) => w.updateInbox(SEED_IDS.inbox, { routing: waitingRouting })));
    expect(saved.routing).toEqual(waitingRouting);
    const flowId = await publishFlow(flow("to_routing_waiting", { type: "routing" }));
    await setAvailability(SEED_IDS.agent, "away");
    const before = Date.now();
    const { conversationId } = await start(flowId, null, "de-DE");
    expect(conversation(conversationId)).toMatchObject({ status: "open", assignee_id: null });
    const queuedAt = conversation(conversationId).queued_at!;
    expect(queuedAt).toBeGreaterThanOrEqual(before);
    const queued = db.sqlite.prepare("SELECT data FROM events WHERE conversation_id = ? AND type = 'queued'").get(conversationId) as { data: string };
    expect(JSON.parse(queued.data)).toMatchObject({ reason: "language_wait", language: "de", waitUntil: queuedAt + 5 * 60_000 });
    // The inbox's list and thread say for which language and until when; the page re-reads then.
    const page = await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.listConversations({ view: "unassigned", inboxId: SEED_IDS.inbox }, admin)));
    expect(page.languageWaits[conversationId]).toEqual({ language: "de", until: queuedAt + 5 * 60_000 });
    expect(page.queueChangesAt).toBe(queuedAt + 5 * 60_000);
    const thread = await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.getThread(conversationId, admin)));
    expect(thread.conversation).toMatchObject({ queued: true, languageWait: { language: "de", until: queuedAt + 5 * 60_000 } });
    // An English visitor meanwhile goes to Admin at once.
    const english = await start(flowId, null, "en-GB");
    expect(conversation(english.conversationId).assignee_id).toBe(SEED_IDS.admin);

    await setAvailability(SEED_IDS.agent, "available");
    expect(conversation(conversationId)).toMatchObject({ assignee_id: SEED_IDS.agent, queued_at: null });
    const assigned = db.sqlite.prepare("SELECT data FROM events WHERE conversation_id = ? AND type = 'assigned'").get(conversationId) as { data: string };
    expect(JSON.parse(assigned.data)).toMatchObject({ via: "queue", language: "de", languageMatched: true, languageWaitExpired: false });
    const after = await runtime.runPromise(Effect.flatMap(Inbox, (i) => i.getThread(conversationId, admin)));
    expect(after.conversation.languageWait).toBeNull();
  });
});
