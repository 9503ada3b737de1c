/**
 * Shared steps for end-to-end specs. The server, the admin's credentials and the database come
 * from playwright.config.ts through process.env.
 */
import AxeBuilder from "@axe-core/playwright";
import BetterSqlite3 from "better-sqlite3";
import { expect, test, type APIRequestContext, type Browser, type BrowserContext, type Locator, type Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the server under test listens, e.g. http://127.0.0.1:41873. */
export const parleyUrl = (): string => required("PARLEY_URL");
/** The seeded admin's email. */
export const adminEmail = (): string => required("PARLEY_ADMIN_EMAIL");
/** The seeded admin's password (ADMIN_PASSWORD of the server under test). */
export const adminPassword = (): string => required("PARLEY_ADMIN_PASSWORD");

/** The seeded demo users; they share the admin's password. */
export const demoUsers = {
  agent: "agent@parley.local",
  marketer: "marketer@parley.local",
  analyst: "analyst@parley.local",
} as const;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the specs through playwright.config.ts (npx playwright test)`);
  return value;
}

/** Signs in through the login form as a person would, and waits to leave the login page. */
export async function login(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/login(\?|$)/);
}

/**
 * Signs `page`'s browser context in without the login form: the form's POST (token included, as
 * `loginApi` sends it) on the context's own cookie jar, and no page opened. For specs about
 * something else, where the form's page load and hydration per test only cost time; specs about
 * signing in (auth, two-factor, passwords) use `login`. Throws unless the sign-in succeeds.
 */
export const signIn = (page: Page, email: string, password: string = adminPassword()): Promise<void> =>
  loginApi(page.context().request, email, password);

/**
 * Waits until an inbox page's script runs (its live connection says "Live"). Keys pressed,
 * boxes ticked or a reply typed before that are lost: React's state replaces what the server's
 * HTML held.
 */
export const inboxLive = (page: Page): Promise<void> =>
  // Attached, not visible: on a phone the list (and its status dot) is hidden while a conversation
  // is open. Exact text: "Live" is also a substring of "Delivered".
  expect(page.getByRole("status", { includeHidden: true }).filter({ hasText: /^Live$/ })).toBeAttached({ timeout: 15_000 });

/**
 * A new browser context signed in as `email` (the demo users share the admin's password); the
 * context is pushed onto `contexts` for the spec to close. `javaScriptEnabled: false` for a page
 * without scripts.
 */
export async function signedInPage(
  browser: Browser,
  email: string,
  contexts: BrowserContext[],
  options: { readonly javaScriptEnabled?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({ baseURL: parleyUrl(), javaScriptEnabled: options.javaScriptEnabled ?? true });
  contexts.push(context);
  const page = await context.newPage();
  await signIn(page, email);
  await page.goto("/");
  return page;
}

/**
 * Signs an API request context in (the login form's double-submit token included), so it
 * carries the session cookie for later requests.
 */
export async function loginApi(request: APIRequestContext, email: string, password: string): Promise<void> {
  const page = await request.get("/login");
  expect(page.status(), "GET /login").toBe(200);
  const token = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!token) throw new Error("the login page has no csrf field");
  const response = await request.post("/login", { form: { email, password, csrf: token }, maxRedirects: 0 });
  if (response.status() !== 302) throw new Error(`login as ${email} failed with status ${response.status()}`);
}

/** The id of the seeded chat channel (read as the admin from GET /settings/channels.json). */
export async function getChatChannelId(request: APIRequestContext): Promise<string> {
  await loginApi(request, adminEmail(), adminPassword());
  const response = await request.get("/settings/channels.json");
  expect(response.status(), "GET /settings/channels.json").toBe(200);
  const body = (await response.json()) as { channels: Array<{ id: string; name: string; kind: string }> };
  const chat = body.channels.find((channel) => channel.kind === "chat");
  if (!chat) throw new Error(`no chat channel is seeded; channels: ${JSON.stringify(body.channels)}`);
  return chat.id;
}

/**
 * A visitor on `pageUrl` asks the support triage bot for a person and then writes `text`,
 * through the public chat API (a fresh request context, disposed after); returns the
 * conversation's id. Assumes the demo seed's flow_support_triage.
 */
export async function askSupportBotForPerson(
  playwright: { readonly request: { readonly newContext: () => Promise<APIRequestContext> } },
  pageUrl: string,
  text: string,
): Promise<string> {
  const request = await playwright.request.newContext();
  const channel = await getChatChannelId(request);
  const made = await request.post(`${parleyUrl()}/api/visitors`, { data: { channel, pageUrl } });
  expect(made.status()).toBe(201);
  const headers = { Authorization: `Bearer ${((await made.json()) as { visitorToken: string }).visitorToken}` };
  const started = await request.post(`${parleyUrl()}/api/conversations`, { headers, data: { channel, chatflowId: "flow_support_triage", pageUrl } });
  expect(started.status(), await started.text()).toBe(201);
  const conversationId = ((await started.json()) as { conversation: { id: string } }).conversation.id;
  for (const body of [{ choice: "talk_to_person" }, { text }]) {
    const sent = await request.post(`${parleyUrl()}/api/conversations/${conversationId}/messages`, {
      headers,
      data: { clientMessageId: `m-${Math.random()}`, ...body },
    });
    expect(sent.status(), await sent.text()).toBe(200);
  }
  await request.dispose();
  return conversationId;
}

/**
 * Drags `card` by its header ~160 px right (and `rise` px down per step) in many small steps, as a
 * hand would, while the canvas's cards count their renders. Returns where the card was before, how
 * far right it moved, and how often each card (by node id) rendered during the drag.
 */
export async function dragCountingRenders(
  page: Page,
  card: Locator,
  rise: number,
): Promise<{ readonly before: { readonly x: number }; readonly movedX: number; readonly counts: Readonly<Record<string, number>> }> {
  await page.evaluate(() => {
    window.__parleyRenderCounts = {};
    window.__parleyCountRenders = true;
  });
  const before = (await card.boundingBox())!;
  await page.mouse.move(before.x + before.width / 2, before.y + 12);
  await page.mouse.down();
  await page.mouse.move(before.x + before.width / 2 + 2, before.y + 14);
  for (let i = 1; i <= 20; i++) await page.mouse.move(before.x + before.width / 2 + 2 + i * 8, before.y + 14 + i * rise);
  await page.mouse.up();
  const counts = await page.evaluate(() => {
    window.__parleyCountRenders = false;
    return window.__parleyRenderCounts ?? {};
  });
  const after = (await card.boundingBox())!;
  return { before, movedX: after.x - before.x, counts };
}

const DEMO_SITE_DIR = fileURLToPath(new URL("../fixtures/demo-site/", import.meta.url));
const DEMO_SITE_TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8" };

/**
 * Serves the demo site (tests/fixtures/demo-site) with the snippet pointing at Parley (`origin`,
 * `channel` replace its placeholders), on 127.0.0.1 and a free port: a page on another origin,
 * as the widget runs on customers' sites.
 */
export const startDemoSite = async (origin: string, channel: string): Promise<Server> => {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = normalize(join(DEMO_SITE_DIR, path === "/" ? "index.html" : path));
    if (!file.startsWith(DEMO_SITE_DIR)) return void res.writeHead(403).end();
    try {
      const body = (await readFile(file, "utf8")).replaceAll("PARLEY_ORIGIN", origin).replaceAll("PARLEY_CHANNEL_ID", channel);
      res.writeHead(200, { "Content-Type": DEMO_SITE_TYPES[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" }).end(body);
    } catch {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
};

/**
 * The demo site on another origin for the whole spec file, pointed at the seeded chat channel:
 * started before the file's tests and closed after them. Read `siteUrl` and `channelId` inside
 * tests (they are set by then).
 */
export const useDemoSite = (): { readonly siteUrl: string; readonly channelId: string } => {
  const demo = { siteUrl: "", channelId: "" };
  let site: Server | undefined;
  test.beforeAll(async ({ playwright }) => {
    const request = await playwright.request.newContext({ baseURL: parleyUrl() });
    demo.channelId = process.env.PARLEY_CHANNEL_ID || (await getChatChannelId(request));
    await request.dispose();
    site = await startDemoSite(parleyUrl(), demo.channelId);
    demo.siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });
  test.afterAll(async () => {
    await new Promise((resolve) => site?.close(resolve));
  });
  return demo;
};

/** One read of the server's database (the server owns every write; specs only look). */
export const readServerDatabase = <T>(sql: string, ...args: unknown[]): T => {
  const path = process.env.PARLEY_DATABASE_PATH;
  if (!path) throw new Error("PARLEY_DATABASE_PATH is not set: run the specs through playwright.config.ts");
  // Not `readonly`: a read-only connection may miss rows still in the server's WAL.
  const db = new BetterSqlite3(path, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    return db.prepare(sql).get(...args) as T;
  } finally {
    db.close();
  }
};

/**
 * One write to the server's database, for what a spec cannot wait for (a snooze's time coming).
 * The server's own loops and live feed then take it from there, as they would after the clock.
 */
export const writeServerDatabase = (sql: string, ...args: unknown[]): void => {
  const path = process.env.PARLEY_DATABASE_PATH;
  if (!path) throw new Error("PARLEY_DATABASE_PATH is not set: run the specs through playwright.config.ts");
  const db = new BetterSqlite3(path, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    db.prepare(sql).run(...args);
  } finally {
    db.close();
  }
};

/**
 * A visitor through the public chat API: the support triage bot on a /help page of `channelId`,
 * handed to a person with `text` (a new visitor unless `token` names one). Returns the
 * conversation and the visitor's token.
 */
export const apiVisitorAsksForAPerson = async (request: APIRequestContext, channelId: string, text: string, token?: string) => {
  const base = parleyUrl();
  const pageUrl = "https://shop.example/help/orders";
  let visitorToken = token;
  if (!visitorToken) {
    const made = await request.post(`${base}/api/visitors`, { data: { channel: channelId, pageUrl } });
    expect(made.status()).toBe(201);
    visitorToken = ((await made.json()) as { visitorToken: string }).visitorToken;
  }
  const headers = { Authorization: `Bearer ${visitorToken}` };
  const started = await request.post(`${base}/api/conversations`, { headers, data: { channel: channelId, chatflowId: "flow_support_triage", pageUrl } });
  expect(started.status(), await started.text()).toBe(201);
  const conversationId = ((await started.json()) as { conversation: { id: string } }).conversation.id;
  const send = (body: Record<string, unknown>) =>
    request.post(`${base}/api/conversations/${conversationId}/messages`, { headers, data: { clientMessageId: `m-${Math.random()}`, ...body } });
  expect((await send({ choice: "talk_to_person" })).status()).toBe(200);
  expect((await send({ text })).status()).toBe(200);
  return { conversationId, token: visitorToken };
};

/** The widget on a page, as a visitor finds it. */
export const widget = {
  launcher: (page: Page) => page.getByRole("button", { name: /^Chat with us/ }),
  chat: (page: Page) => page.getByRole("dialog", { name: /^Chat with / }),
  transcript: (page: Page) => widget.chat(page).getByRole("log"),
  composer: (page: Page) => widget.chat(page).getByRole("textbox", { name: "Your message" }),
  say: async (page: Page, text: string) => {
    await widget.composer(page).fill(text);
    await widget.composer(page).press("Enter");
  },
};

/**
 * A visitor `name` on the demo site at `siteUrl` opens the chat and answers the lead bot until it
 * hands them to the team (name, work email, company size); `whileTheBotAsks` runs at its first
 * question. Returns the conversation id the widget keeps.
 */
export const handOffThroughLeadBot = async (
  page: Page,
  options: { readonly siteUrl: string; readonly channelId: string; readonly name: string; readonly whileTheBotAsks?: () => Promise<void> },
): Promise<string> => {
  await page.goto(`${options.siteUrl}/index.html`);
  await widget.launcher(page).click();
  await expect(widget.transcript(page)).toContainText("what's your name?", { timeout: 15_000 });
  await options.whileTheBotAsks?.();
  await widget.say(page, options.name);
  await expect(widget.transcript(page)).toContainText("What's your work email?");
  await widget.say(page, `${options.name.toLowerCase()}@example.com`);
  await widget.chat(page).getByRole("button", { name: "11–50" }).click();
  await expect(widget.transcript(page)).toContainText(/Support team|offline/);
  const id = await page.evaluate((channel) => localStorage.getItem(`parley:${channel}:conversation`), options.channelId);
  expect(id).toBeTruthy();
  return id!;
};

/**
 * The signed-in admin adds a channel of the kind whose radio name matches `kind` (/^Chat/,
 * /^Email/…) named `name` to the inbox named `inbox` (named: other specs add inboxes of their
 * own); ends on its settings page and returns its id.
 */
export const addChannel = async (page: Page, options: { readonly kind: RegExp; readonly name: string; readonly inbox: string }): Promise<string> => {
  await page.goto("/settings/channels");
  const add = page.getByRole("form", { name: "Add a channel" });
  await add.getByRole("radio", { name: options.kind }).check();
  await add.getByLabel("Name", { exact: true }).fill(options.name);
  await add.getByLabel("Inbox").selectOption({ label: options.inbox });
  await add.getByRole("button", { name: "Add channel" }).click();
  await expect(page).toHaveURL(/\/settings\/channels\/[^?#]+$/);
  return decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
};

/**
 * The signed-in admin adds an email channel `name` to the inbox named `inbox` (named, not the
 * first in the list: other specs add inboxes of their own), sending as "Acme Support" <`address`>
 * through a relay on 127.0.0.1:`relayPort` without TLS, and saves it; ends on its settings page.
 */
export const addTeamEmail = async (page: Page, options: { readonly name: string; readonly inbox: string; readonly address: string; readonly relayPort: number }) => {
  await addChannel(page, { kind: /^Email/, name: options.name, inbox: options.inbox });
  await expect(page).toHaveURL(/\/settings\/channels\/email\/[^/]+$/);
  await page.getByLabel("Team addresses").fill(options.address);
  await page.getByLabel("Send-as name").fill("Acme Support");
  await page.getByLabel("Send-as address").fill(options.address);
  await page.getByLabel("Host", { exact: true }).fill("127.0.0.1");
  await page.getByLabel("Port", { exact: true }).fill(String(options.relayPort));
  await page.getByLabel("Security", { exact: true }).selectOption("none");
  const saved = page.waitForResponse((r) => r.request().method() === "POST" && r.url().includes("/settings/channels/email/"));
  await page.getByRole("button", { name: "Save", exact: true }).click();
  expect((await saved).status()).toBe(200);
};

/** Serious or critical axe violations inside the page's main landmark, one line each. */
export const seriousViolations = async (page: Page): Promise<string[]> => {
  const results = await new AxeBuilder({ page }).include("main").analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
};

/**
 * An admin's page creates an inbox named `name` (Settings → Inboxes) and makes the people whose
 * checkbox names match `members` its members; returns the inbox's id, with the page on its settings.
 */
export const createInboxWithMembers = async (admin: Page, name: string, members: ReadonlyArray<RegExp>): Promise<string> => {
  await admin.goto("/settings/inboxes");
  await admin.getByLabel("Name").fill(name);
  await admin.getByRole("button", { name: "Create inbox" }).click();
  await expect(admin.getByRole("heading", { level: 1, name })).toBeVisible();
  const inboxId = new URL(admin.url()).pathname.split("/").pop()!;
  const region = admin.getByRole("region", { name: "Members" });
  for (const member of members) await region.getByRole("checkbox", { name: member }).check();
  await region.getByRole("button", { name: "Save members" }).click();
  await expect(region.getByRole("status")).toHaveText("Members saved.");
  return inboxId;
};

/** Creates a team on Settings → Teams as the signed-in admin and waits for its page (the Hours card is on it). */
export const createTeam = async (page: Page, name: string): Promise<void> => {
  await page.goto("/settings/teams");
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
};

/**
 * A chat channel of this run's own (any origin may embed it) on an inbox of its own whose one
 * member, an agent, is available — written to the server's database, names and ids carrying
 * `tag` and `stamp`, so nothing of the demo's decides what the widget shows.
 */
export const ownChatChannel = (tag: string, stamp: string): { readonly inboxId: string; readonly channelId: string; readonly channelName: string } => {
  const inboxId = `inbox_${tag}_${stamp}`;
  const channelId = `chan_${tag}_${stamp}`;
  const channelName = `Chat ${tag} ${stamp}`;
  const userId = `usr_${tag}_${stamp}`;
  const now = Date.now();
  writeServerDatabase("INSERT INTO inboxes (id, name, created_at) VALUES (?, ?, ?)", inboxId, `Inbox ${tag} ${stamp}`, now);
  writeServerDatabase(
    "INSERT INTO users (id, email, name, role, password_hash, created_at, availability) VALUES (?, ?, ?, 'agent', 'x', ?, 'available')",
    userId,
    `${tag}-${stamp}@example.com`,
    `Agent ${tag} ${stamp}`,
    now,
  );
  writeServerDatabase("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)", inboxId, userId);
  writeServerDatabase(
    `INSERT INTO channels (id, inbox_id, kind, name, config, created_at) VALUES (?, ?, 'chat', ?, '{"allowedOrigins":["*"]}', ?)`,
    channelId,
    inboxId,
    channelName,
    now,
  );
  return { inboxId, channelId, channelName };
};

/** The signed-in admin creates a blank live chat named `flowName` on the channel `channelName`; returns its id, the page in the builder. */
export const createLiveChat = async (page: Page, flowName: string, channelName: string): Promise<string> => {
  await page.goto("/flows");
  await page.getByLabel("Name", { exact: true }).fill(flowName);
  await page.getByLabel("Start from").selectOption("blank:live_chat");
  await page.getByLabel("Channel").first().selectOption({ label: channelName });
  await page.getByRole("button", { name: "Create flow" }).click();
  await expect(page).toHaveURL(/\/flows\/flow_[\w-]+$/);
  return new URL(page.url()).pathname.split("/").pop()!;
};

/** Turns the flow named `flowName` on or off from the flow list, and waits until the switch says so. */
export const switchFlow = async (page: Page, flowName: string, on: boolean): Promise<void> => {
  await page.goto("/flows");
  const toggle = page.getByRole("row", { name: flowName }).getByRole("switch", { name: `“${flowName}” on` });
  await toggle.click();
  if (on) await expect(toggle).toBeChecked();
  else await expect(toggle).not.toBeChecked();
};

/**
 * On an inbox's settings page (where createInboxWithMembers leaves the admin): a first-response
 * target of `minutes` minutes, around the clock, saved.
 */
export const saveFirstResponseTarget = async (admin: Page, minutes: number): Promise<void> => {
  const targets = admin.getByRole("region", { name: "Response targets" });
  await targets.getByLabel("First response within", { exact: true }).fill(String(minutes));
  await targets.getByLabel("First response within: unit").selectOption("minutes");
  await targets.getByRole("button", { name: "Save response targets" }).click();
  await expect(targets.getByRole("status")).toHaveText("Response targets saved.");
};

/**
 * Tells the report's roll-up that a conversation was created, handed over and last opened `ms`
 * earlier than it was (a first response is measured from the latest of them): a spec cannot wait
 * that long for an answer to miss its target. Its inbox's recorded targets move back as far: an
 * answer is judged by the target in force when its wait started (decision 058, sixteenth session),
 * and the spec saved the target moments before the conversation began.
 */
export const backdateForReports = (conversationId: string, ms: number): void => {
  writeServerDatabase(
    `UPDATE report_conversations SET created_at = created_at - ?, team_at = team_at - ?,
       last_open_at = CASE WHEN last_open_at IS NULL THEN NULL ELSE last_open_at - ? END WHERE conversation_id = ?`,
    ms,
    ms,
    ms,
    conversationId,
  );
  writeServerDatabase(
    "UPDATE inbox_targets_history SET effective_at = effective_at - ? WHERE inbox_id = (SELECT inbox_id FROM conversations WHERE id = ?)",
    ms,
    conversationId,
  );
};
