/**
 * The permission matrix: every role — admin, marketer, agent (a member of the Support inbox),
 * analyst, and an agent who is NOT a member — against every inbox route and action and every
 * settings page: allowed (200/201/302 and the effect visible in the database) or 403 (and no
 * effect). Driven through Playwright's request API (a session per role, signed in through the
 * login form, the session's CSRF token sent on every POST) for speed; status codes are asserted.
 *
 * Routes and actions as agreed with the inbox UI: GET /inbox, /inbox/:conversationId, /tickets;
 * POST /inbox/:conversationId with intent = reply | comment | assign | close | reopen |
 * create-contact | link-contact | update-contact | create-ticket.
 */
import { expect, request as playwrightRequest, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import BetterSqlite3 from "better-sqlite3";
import { adminEmail, adminPassword, demoUsers, getChatChannelId, loginApi, parleyUrl } from "./helpers.js";

type Role = "admin" | "agent" | "outsider" | "marketer" | "analyst";
const ROLES: ReadonlyArray<Role> = ["admin", "agent", "outsider", "marketer", "analyst"];
const INBOX_WORKERS: ReadonlyArray<Role> = ["admin", "agent"];

interface Session {
  readonly role: Role;
  readonly api: APIRequestContext;
  readonly csrf: string;
  readonly userId: string;
}

const stamp = Date.now();
const outsiderEmail = `outsider-${stamp}@example.com`;
const sessions = new Map<Role, Session>();
let channelId: string;
let visitorApi: APIRequestContext;

const database = () => {
  const path = process.env.PARLEY_DATABASE_PATH;
  if (!path) throw new Error("PARLEY_DATABASE_PATH is not set: run the specs through playwright.config.ts");
  // Not `readonly`: a read-only connection may miss rows still in the server's WAL. Only reads go through it.
  const db = new BetterSqlite3(path, { fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
};

/** One read of the server's database (reads only: the server owns every write). */
const read = <T>(sql: string, ...args: unknown[]): T => {
  const db = database();
  try {
    return db.prepare(sql).get(...args) as T;
  } finally {
    db.close();
  }
};

const count = (sql: string, ...args: unknown[]) => read<{ n: number }>(sql, ...args).n;
const versionOf = (conversationId: string) => read<{ version: number }>("SELECT version FROM conversations WHERE id = ?", conversationId).version;
const session = (role: Role) => sessions.get(role)!;

/** The session's CSRF token, as every signed-in page renders it in its forms. */
const csrfOf = async (api: APIRequestContext): Promise<string> => {
  const page = await api.get("/settings/profile");
  expect(page.status(), "GET /settings/profile").toBe(200);
  const token = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!token) throw new Error("no csrf field on /settings/profile");
  return token;
};

const signIn = async (role: Role, email: string): Promise<Session> => {
  const api = await playwrightRequest.newContext({ baseURL: parleyUrl() });
  await loginApi(api, email, adminPassword());
  const userId = read<{ id: string }>("SELECT id FROM users WHERE email = ?", email.toLowerCase()).id;
  return { role, api, csrf: await csrfOf(api), userId };
};

const post = (role: Role, path: string, form: Record<string, string | string[]>): Promise<APIResponse> => {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const v of Array.isArray(value) ? value : [value]) body.append(key, v);
  const s = session(role);
  return s.api.post(path, {
    headers: { "X-CSRF-Token": s.csrf, "Content-Type": "application/x-www-form-urlencoded" },
    data: body.toString(),
    maxRedirects: 0,
  });
};

/** A new conversation in the Support inbox, through the public chat API (the live-chat demo flow hands off at once). */
const startConversation = async (): Promise<string> => {
  const visitor = await visitorApi.post("/api/visitors", { data: { channel: channelId } });
  expect(visitor.status(), "POST /api/visitors").toBe(201);
  const { visitorToken } = (await visitor.json()) as { visitorToken: string };
  const started = await visitorApi.post("/api/conversations", {
    headers: { Authorization: `Bearer ${visitorToken}` },
    data: { channel: channelId, chatflowId: "flow_live_chat_hours", pageUrl: "https://shop.example/matrix" },
  });
  expect(started.status(), "POST /api/conversations").toBe(201);
  return ((await started.json()) as { conversation: { id: string } }).conversation.id;
};

/** "allowed" for a page: 200 (or a redirect that is not to the login page, where `redirect` says so). */
const describeStatus = (response: APIResponse) => {
  const location = response.headers()["location"];
  return location ? `${response.status()} → ${location}` : String(response.status());
};

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  visitorApi = await playwrightRequest.newContext({ baseURL: parleyUrl() });
  channelId = await getChatChannelId(visitorApi);
  sessions.set("admin", await signIn("admin", adminEmail()));
  // The second agent is made the way an admin would: through the users settings page.
  const created = await post("admin", "/settings/users", { name: "Otto Outsider", email: outsiderEmail, role: "agent", password: adminPassword() });
  expect(created.status(), "POST /settings/users (create the outsider agent)").toBe(201);
  sessions.set("agent", await signIn("agent", demoUsers.agent));
  sessions.set("outsider", await signIn("outsider", outsiderEmail));
  sessions.set("marketer", await signIn("marketer", demoUsers.marketer));
  sessions.set("analyst", await signIn("analyst", demoUsers.analyst));
  expect(count("SELECT COUNT(*) AS n FROM inbox_members WHERE inbox_id = 'inbox_support' AND user_id = ?", session("agent").userId)).toBe(1);
  expect(count("SELECT COUNT(*) AS n FROM inbox_members WHERE user_id = ?", session("outsider").userId)).toBe(0);
});

test.afterAll(async () => {
  for (const s of sessions.values()) await s.api.dispose();
  await visitorApi?.dispose();
});

test("pages: each role opens what it may and gets 403 elsewhere", async () => {
  const conversationId = await startConversation();
  const pages: ReadonlyArray<{ readonly path: string; readonly allowed: ReadonlyArray<Role> }> = [
    { path: "/inbox", allowed: ["admin", "agent", "outsider"] },
    { path: "/inbox?inboxId=inbox_support", allowed: INBOX_WORKERS },
    { path: `/inbox/${conversationId}`, allowed: INBOX_WORKERS },
    { path: "/tickets", allowed: ["admin", "agent", "outsider"] },
    { path: "/contacts", allowed: ["admin", "agent", "outsider"] },
    { path: "/contacts/import", allowed: ["admin", "agent", "outsider"] },
    { path: "/contacts/export.csv", allowed: ["admin", "agent", "outsider"] },
    { path: "/settings/users", allowed: ["admin"] },
    { path: "/settings/users/user_agent", allowed: ["admin"] },
    { path: "/settings/inboxes", allowed: ["admin"] },
    { path: "/settings/inboxes/inbox_support", allowed: ["admin"] },
    { path: "/settings/teams", allowed: ["admin"] },
    { path: "/settings/teams/team_support", allowed: ["admin"] },
    { path: "/settings/routing", allowed: ["admin"] },
    { path: "/settings/email-filters", allowed: ["admin"] },
    { path: "/settings/webhooks", allowed: ["admin"] },
    { path: "/settings/automation", allowed: ["admin"] },
    { path: "/settings/channels.json", allowed: ["admin"] },
    { path: "/settings/profile", allowed: ROLES },
  ];
  const mismatches: string[] = [];
  for (const { path, allowed } of pages) {
    for (const role of ROLES) {
      const response = await session(role).api.get(path, { maxRedirects: 0 });
      const expected = allowed.includes(role) ? 200 : 403;
      if (response.status() !== expected) mismatches.push(`${role} GET ${path}: expected ${expected}, got ${describeStatus(response)}`);
    }
  }
  // An unknown conversation is 404 for those who may use the inbox, and still 403 for the others.
  for (const role of ROLES) {
    const response = await session(role).api.get("/inbox/conv_does_not_exist", { maxRedirects: 0 });
    const expected = INBOX_WORKERS.includes(role) || role === "outsider" ? 404 : 403;
    if (response.status() !== expected) mismatches.push(`${role} GET /inbox/conv_does_not_exist: expected ${expected}, got ${describeStatus(response)}`);
  }
  expect(mismatches).toEqual([]);
});

test("inbox actions: admins and member agents act; the others get 403 and change nothing", async () => {
  const target = await startConversation();
  const mismatches: string[] = [];
  const expectStatus = (role: Role, what: string, response: APIResponse, expected: ReadonlyArray<number>) => {
    if (!expected.includes(response.status())) mismatches.push(`${role} ${what}: expected ${expected.join("/")}, got ${describeStatus(response)}`);
  };

  // Allowed: each inbox worker runs every action on a conversation of its own.
  const contacts = new Map<Role, string>();
  for (const role of INBOX_WORKERS) {
    const { userId } = session(role);
    const own = await startConversation();
    const act = async (intent: string, fields: Record<string, string>, expected: ReadonlyArray<number> = [200]) => {
      const response = await post(role, `/inbox/${own}`, { intent, ...fields });
      expectStatus(role, `POST /inbox/:id intent=${intent}`, response, expected);
      return response;
    };
    await act("reply", { text: `Reply from ${role}`, clientMessageId: `m-${role}-reply-${stamp}` });
    await act("comment", { text: `Comment from ${role}`, clientMessageId: `m-${role}-comment-${stamp}` });
    await act("assign", { userId, version: String(versionOf(own)) });
    const email = `matrix-${role}-${stamp}@example.com`;
    await act("create-contact", { email, name: `Matrix ${role}` });
    await act("update-contact", { name: `Matrix ${role} renamed` });
    await act("create-ticket", { subject: `Ticket by ${role}`, description: "From the permission matrix", priority: "normal", status: "new" }, [200, 201]);
    await act("close", { version: String(versionOf(own)) });
    await act("reopen", { version: String(versionOf(own)) });

    const row = read<{ assignee_id: string | null; status: string; contact_id: string | null }>(
      "SELECT assignee_id, status, contact_id FROM conversations WHERE id = ?",
      own,
    );
    expect(row, `${role}'s conversation after its actions`).toMatchObject({ assignee_id: userId, status: "open" });
    expect(count("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND user_id = ? AND author = 'agent'", own, userId)).toBe(2);
    expect(count("SELECT COUNT(*) AS n FROM tickets WHERE conversation_id = ?", own)).toBe(1);
    expect(read<{ name: string }>("SELECT name FROM contacts WHERE id = ?", row.contact_id).name).toBe(`Matrix ${role} renamed`);
    contacts.set(role, row.contact_id!);

    const other = await startConversation();
    const linked = await post(role, `/inbox/${other}`, { intent: "link-contact", contactId: row.contact_id! });
    expectStatus(role, "POST /inbox/:id intent=link-contact", linked, [200]);
  }

  // Denied: everyone else, on a conversation of the Support inbox.
  const before = read<{ version: number; contact_id: string | null }>("SELECT version, contact_id FROM conversations WHERE id = ?", target);
  const ticketsBefore = count("SELECT COUNT(*) AS n FROM tickets WHERE conversation_id = ?", target);
  const messagesBefore = count("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?", target);
  for (const role of ROLES.filter((r) => !INBOX_WORKERS.includes(r))) {
    const { userId } = session(role);
    const attempts: ReadonlyArray<Record<string, string>> = [
      { intent: "reply", text: `Reply from ${role}`, clientMessageId: `m-${role}-reply-${stamp}` },
      { intent: "comment", text: `Comment from ${role}`, clientMessageId: `m-${role}-comment-${stamp}` },
      { intent: "assign", userId, version: String(before.version) },
      { intent: "create-contact", email: `denied-${role}-${stamp}@example.com`, name: role },
      { intent: "link-contact", contactId: contacts.get("admin")! },
      { intent: "update-contact", name: "Should not change" },
      { intent: "create-ticket", subject: `Ticket by ${role}`, description: "denied", priority: "normal", status: "new" },
      { intent: "close", version: String(before.version) },
      { intent: "reopen", version: String(before.version) },
    ];
    for (const form of attempts) expectStatus(role, `POST /inbox/:id intent=${form.intent}`, await post(role, `/inbox/${target}`, form), [403]);
  }
  const after = read<{ version: number; contact_id: string | null }>("SELECT version, contact_id FROM conversations WHERE id = ?", target);
  expect(after, "the conversation nobody allowed touched").toEqual(before);
  expect(count("SELECT COUNT(*) AS n FROM tickets WHERE conversation_id = ?", target)).toBe(ticketsBefore);
  expect(count("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?", target)).toBe(messagesBefore);
  expect(count("SELECT COUNT(*) AS n FROM contacts WHERE email LIKE ?", `denied-%-${stamp}@example.com`)).toBe(0);
  expect(mismatches).toEqual([]);
});

/** The profile's notifications form with every box ticked except `off`. Pure. */
const notificationsForm = (off: ReadonlyArray<string>): Record<string, string> => {
  const form: Record<string, string> = { intent: "notifications" };
  for (const event of ["assigned", "handoff", "mention"]) {
    for (const channel of ["browser", "sound"]) if (!off.includes(`${event}.${channel}`)) form[`${event}.${channel}`] = "on";
  }
  return form;
};

test("settings actions: only admins change the workspace; everyone edits their own profile", async () => {
  const mismatches: string[] = [];
  const check = (role: Role, what: string, response: APIResponse, expected: ReadonlyArray<number>) => {
    if (!expected.includes(response.status())) mismatches.push(`${role} ${what}: expected ${expected.join("/")}, got ${describeStatus(response)}`);
    const location = response.headers()["location"] ?? "";
    if (location.startsWith("/login")) mismatches.push(`${role} ${what}: sent to the login page`);
  };
  for (const role of ROLES) {
    const admin = role === "admin";
    const deny = [403];
    const inboxName = `Matrix ${role} ${stamp}`;
    check(role, "POST /settings/inboxes", await post(role, "/settings/inboxes", { name: inboxName }), admin ? [302] : deny);
    const inboxId = admin ? read<{ id: string }>("SELECT id FROM inboxes WHERE name = ?", inboxName).id : "inbox_support";
    check(role, "POST /settings/inboxes/:id members", await post(role, `/settings/inboxes/${inboxId}`, { intent: "members", userId: [session(role).userId] }), admin ? [200] : deny);
    check(role, "POST /settings/inboxes/:id details", await post(role, `/settings/inboxes/${inboxId}`, { intent: "details", name: inboxName, fallbackEmail: "" }), admin ? [200] : deny);
    check(role, "POST /settings/routing", await post(role, "/settings/routing", { inboxId, mode: "manual", teamId: "", maxOpenPerAgent: "" }), admin ? [200] : deny);
    check(
      role,
      "POST /settings/email-filters",
      await post(role, "/settings/email-filters", { inboxId, blockedSenders: `spam-${role}@example.com`, blockedDomains: "" }),
      admin ? [200] : deny,
    );
    const teamName = `Matrix team ${role} ${stamp}`;
    check(role, "POST /settings/teams", await post(role, "/settings/teams", { name: teamName }), admin ? [302] : deny);
    check(role, "POST /settings/teams/:id", await post(role, "/settings/teams/team_support", { userId: [session("admin").userId, session("agent").userId] }), admin ? [200] : deny);
    check(
      role,
      "POST /settings/users/:id (someone else's meeting link)",
      await post(role, `/settings/users/${session("outsider").userId}`, { intent: "profile", meetingLink: `https://cal.example.com/${role}` }),
      admin ? [200] : deny,
    );
    check(
      role,
      "POST /settings/users availability",
      await post(role, "/settings/users", { intent: "availability", userId: session("agent").userId, availability: "available" }),
      admin ? [200] : deny,
    );
    // Posted without "enabled": the admin's webhook is made disabled, so it never calls out.
    const webhookDescription = `Matrix ${role} ${stamp}`;
    check(
      role,
      "POST /settings/webhooks",
      await post(role, "/settings/webhooks", { url: "https://example.com/parley-hook", description: webhookDescription, eventTypes: ["ticket.created"] }),
      admin ? [302] : deny,
    );
    expect(count("SELECT COUNT(*) AS n FROM webhook_subscriptions WHERE description = ? AND enabled = 0", webhookDescription)).toBe(admin ? 1 : 0);
    // Posted without "enabled": the admin's rule is made disabled, so it never acts.
    const ruleName = `Matrix rule ${role} ${stamp}`;
    check(
      role,
      "POST /settings/automation",
      await post(role, "/settings/automation", { intent: "create", name: ruleName, trigger: "visitor-message", action: "set-status:pending" }),
      admin ? [200] : deny,
    );
    expect(count("SELECT COUNT(*) AS n FROM automation_rules WHERE name = ? AND enabled = 0", ruleName)).toBe(admin ? 1 : 0);
    check(role, "POST /settings/profile (own notifications)", await post(role, "/settings/profile", notificationsForm(["mention.sound"])), [200]);
    expect(count("SELECT COUNT(*) AS n FROM inboxes WHERE name = ?", inboxName)).toBe(admin ? 1 : 0);
    expect(count("SELECT COUNT(*) AS n FROM teams WHERE name = ?", teamName)).toBe(admin ? 1 : 0);
    const meetingLink = read<{ meeting_link: string | null }>("SELECT meeting_link FROM users WHERE id = ?", session("outsider").userId).meeting_link;
    if (admin) expect(meetingLink).toBe("https://cal.example.com/admin");
    else expect(meetingLink).not.toBe(`https://cal.example.com/${role}`);
    const filters = read<{ email_filters: string }>("SELECT email_filters FROM inboxes WHERE id = 'inbox_support'").email_filters;
    expect(filters).not.toContain(`spam-${role}@example.com`);
    const notifications = () =>
      JSON.parse(read<{ notification_settings: string }>("SELECT notification_settings FROM users WHERE id = ?", session(role).userId).notification_settings);
    expect(notifications()).toEqual({
      assigned: { browser: true, sound: true },
      handoff: { browser: true, sound: true },
      mention: { browser: true, sound: false },
    });
    // Back to everything on, as other specs expect of the demo users.
    expect((await post(role, "/settings/profile", notificationsForm([]))).status()).toBe(200);
    expect(notifications().mention.sound).toBe(true);
  }
  // A denied role's members post must not have changed the Support inbox.
  expect(count("SELECT COUNT(*) AS n FROM inbox_members WHERE inbox_id = 'inbox_support' AND user_id = ?", session("outsider").userId)).toBe(0);
  expect(mismatches).toEqual([]);
});

test("a mutation without the CSRF token is refused for every role", async () => {
  const conversationId = await startConversation();
  for (const role of ROLES) {
    const response = await session(role).api.post(`/inbox/${conversationId}`, {
      form: { intent: "comment", text: "no token", clientMessageId: `nocsrf-${role}-${stamp}` },
      maxRedirects: 0,
    });
    expect(response.status(), `${role} POST without CSRF`).toBe(403);
  }
  expect(count("SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ? AND text = 'no token'", conversationId)).toBe(0);
});
