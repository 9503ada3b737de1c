/**
 * Reports end to end: a flow of our own is imported, published and switched on; three
 * visitors talk to it through the public chat API (one completes, one asks for a person, one
 * never answers); an agent answers and closes in the inbox. Then an analyst sees exactly those
 * numbers in the bot and team reports, the reach and drop-off on the canvas, and downloads a CSV
 * whose rows are the table's rows. Other specs share the server, so every check is scoped to
 * this flow.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { adminEmail, demoUsers, getChatChannelId, inboxLive, parleyUrl, signIn } from "./helpers.js";

const stamp = Date.now();
const FLOW_NAME = `Report check ${stamp}`;
const PAGE_URL = "https://shop.example/reports-e2e";

const say = (text: string) => ({ bubbles: [{ type: "text", text }], typingDelayMs: 0 });
const flowDocument = {
  id: `report_check_${stamp}`,
  name: FLOW_NAME,
  kind: "bot",
  language: "en",
  startNodeId: "hello",
  nodes: [
    { id: "hello", kind: "message", label: "Hello", position: { x: 0, y: 0 }, data: say("Hi! Two quick questions.") },
    { id: "ask_name", kind: "question", label: "Ask name", position: { x: 0, y: 160 }, data: { prompt: "Your name?", answer: { type: "text" }, typingDelayMs: 0 } },
    {
      id: "choose",
      kind: "question",
      label: "Choose",
      position: { x: 0, y: 320 },
      data: {
        prompt: "What next?",
        answer: { type: "choice", portPerChoice: true, choices: [{ id: "done", label: "All set" }, { id: "talk", label: "Talk to a person" }] },
        typingDelayMs: 0,
      },
    },
    { id: "done", kind: "end", label: "Done", position: { x: -160, y: 480 }, data: { message: "Bye!" } },
    { id: "person", kind: "handoff", label: "To a person", position: { x: 160, y: 480 }, data: { target: { type: "routing" }, message: "Passing you on." } },
  ],
  edges: [
    { id: "e1", source: "hello", sourcePort: "next", target: "ask_name" },
    { id: "e2", source: "ask_name", sourcePort: "answered", target: "choose" },
    { id: "e3", source: "choose", sourcePort: "choice:done", target: "done" },
    { id: "e4", source: "choose", sourcePort: "choice:talk", target: "person" },
  ],
  variables: [],
  settings: {},
};

let flowId = "";
let handedOff = "";

/** The session's CSRF token, as a page of the app renders it into its forms. */
const csrfFrom = async (request: APIRequestContext, path: string): Promise<string> => {
  const token = /name="csrf" value="([^"]+)"/.exec(await (await request.get(path)).text())?.[1];
  if (!token) throw new Error(`${path} renders no csrf field`);
  return token;
};

/** A visitor through the public chat API: starts a conversation with our flow, says what it is told. */
const visitor = async (request: APIRequestContext, channel: string, steps: ReadonlyArray<{ text: string } | { choice: string }>): Promise<string> => {
  const made = await request.post("/api/visitors", { data: { channel } });
  expect(made.status(), "POST /api/visitors").toBe(201);
  const headers = { Authorization: `Bearer ${(await made.json()).visitorToken}` };
  const started = await request.post("/api/conversations", { headers, data: { channel, chatflowId: flowId, pageUrl: PAGE_URL } });
  expect(started.status(), "POST /api/conversations").toBe(201);
  const id = (await started.json()).conversation.id as string;
  for (const [i, step] of steps.entries()) {
    const sent = await request.post(`/api/conversations/${id}/messages`, { headers, data: { clientMessageId: `rep-${stamp}-${id}-${i}`, ...step } });
    expect(sent.status(), `message ${i} of ${id}`).toBe(200);
  }
  return id;
};

/** Every row of a table on the page, as the cells' text. */
const tableRows = (page: Page, name: string) =>
  page
    .getByRole("table", { name, exact: true })
    .getByRole("row")
    .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll("th, td")].map((cell) => (cell.textContent ?? "").trim())));

/** RFC 4180 rows of a CSV document (quoted fields, doubled quotes, CRLF). */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  const body = text.replace(/^\uFEFF/, "");
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && body[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      (row = []), (field = ""), i++;
    } else field += c;
  }
  if (field !== "" || row.length > 0) rows.push([...row, field]);
  return rows;
};

test.beforeAll(async ({ playwright }) => {
  const request = await playwright.request.newContext({ baseURL: parleyUrl() });
  const channel = await getChatChannelId(request);
  const csrf = await csrfFrom(request, "/flows");
  const imported = await request.post("/flows?index", {
    multipart: {
      csrf,
      intent: "import",
      channelId: channel,
      file: { name: "report-check.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(flowDocument)) },
    },
    maxRedirects: 0,
  });
  expect(imported.status(), "import the flow").toBe(302);
  flowId = decodeURIComponent(new URL(imported.headers().location!, parleyUrl()).pathname.split("/").pop()!);
  const published = await request.post(`/flows/${encodeURIComponent(flowId)}/publish`, { headers: { "X-CSRF-Token": csrf }, data: { revision: 1 } });
  expect(published.status(), `publish: ${await published.text()}`).toBe(200);
  const on = await request.post("/flows?index", { form: { csrf, intent: "toggle", id: flowId, enabled: "on" } });
  expect(on.ok(), "switch the flow on").toBe(true);

  await visitor(request, channel, [{ text: "Ann" }, { choice: "done" }]);
  handedOff = await visitor(request, channel, [{ text: "Bob" }, { choice: "talk" }]);
  await visitor(request, channel, []);
  await request.dispose();
});

test("an agent answers and closes the handed-off conversation", async ({ browser }) => {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, demoUsers.agent);
  await page.goto(`/inbox/${encodeURIComponent(handedOff)}`);
  await inboxLive(page);
  await page.getByRole("textbox", { name: "Reply to the visitor" }).fill("Happy to help, Bob!");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByRole("log", { name: "Conversation transcript" }).getByText("Happy to help, Bob!")).toBeVisible({ timeout: 15_000 });
  await page.getByRole("button", { name: "Close conversation" }).click();
  await expect(page.getByRole("button", { name: "Reopen" })).toBeVisible({ timeout: 15_000 });
});

test("an analyst sees the scenario's numbers, the canvas overlay, and a CSV that matches the table", async ({ page }) => {
  await signIn(page, demoUsers.analyst);
  await page.goto("/reports");
  await page.getByRole("link", { name: "Bot performance" }).click();
  await expect(page.getByRole("heading", { name: "Bot performance", level: 1 })).toBeVisible();

  // The bots table: 3 started, 1 completed, 1 handed off, 1 still at the name question.
  const bots = await tableRows(page, "Bots");
  expect(bots[0]).toEqual(["Flow", "Started", "Completed", "Completion rate", "Handed off", "Handoff rate", "Abandoned", "Abandon rate", "No reply", "Errored", "In progress"]);
  expect(bots.find((row) => row[0] === FLOW_NAME)).toEqual([FLOW_NAME, "3", "1", "33.3%", "1", "33.3%", "0", "0.0%", "0", "0", "1"]);
  // Analysts read the recent days at the top of a per-day table.
  const overviewDays = (await tableRows(page, "Per day")).slice(1).map((row) => row[0]!);
  expect(overviewDays).toHaveLength(30);
  expect(overviewDays).toEqual([...overviewDays].sort().reverse());

  await page.getByRole("link", { name: `Steps and drop-off of ${FLOW_NAME}` }).click();
  await expect(page.getByRole("heading", { name: FLOW_NAME, level: 1 })).toBeVisible();
  const steps = await tableRows(page, "Steps");
  expect(steps).toEqual([
    ["Step", "Kind", "Reached", "Answered", "Invalid answers", "Moved on", "Dropped", "Drop-off"],
    ["Hello", "message", "3", "0", "0", "3", "0", "0.0%"],
    ["Ask name", "question", "3", "2", "0", "2", "1", "33.3%"],
    ["Choose", "question", "2", "2", "0", "2", "0", "0.0%"],
    ["Done", "end", "1", "0", "0", "1", "0", "0.0%"],
    ["To a person", "handoff", "1", "0", "0", "1", "0", "0.0%"],
  ]);

  // The canvas shows each step's reach and drop-off, and each connection's traffic.
  const askName = page.getByLabel("Question node Ask name");
  await expect(askName).toBeVisible();
  await expect(askName).toContainText("Reached 3 · drop-off 33%");
  await expect(page.getByLabel("Message node Hello")).toContainText("Reached 3 · drop-off 0%");

  // The CSV download holds exactly the table's rows.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV of Steps" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^parley-flow-nodes-.*\.csv$/);
  const csv = parseCsv(readFileSync((await download.path())!, "utf8"));
  expect(csv).toEqual(steps);

  // The flow's day by day, under its chart: the newest day first, the range's last day on top,
  // this flow's three starts in it, and the same rows in the CSV.
  const perDay = await tableRows(page, "Per day");
  const days = perDay.slice(1).map((row) => row[0]!);
  expect(days).toHaveLength(30);
  expect(days).toEqual([...days].sort().reverse());
  await expect(page.getByText(new RegExp(`^\\d{4}-\\d{2}-\\d{2} – ${days[0]} \\(`))).toBeVisible();
  expect(perDay.slice(1).reduce((sum, row) => sum + Number(row[1]), 0)).toBe(3);
  const [dailyDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV of Per day" }).click()]);
  expect(dailyDownload.suggestedFilename()).toMatch(/^parley-bot-daily-.*\.csv$/);
  expect(parseCsv(readFileSync((await dailyDownload.path())!, "utf8"))).toEqual(perDay);

  // Team figures for this flow only: one first response, one reply, one close, all by the agent.
  await page.goto(`/reports/team?flow=${encodeURIComponent(flowId)}`);
  const response = await tableRows(page, "Response times");
  expect(response.map((row) => row.slice(0, 2))).toEqual([
    ["Measure", "Count"],
    ["First response time", "1"],
    ["Reply time", "1"],
    ["Time to close", "1"],
  ]);
  for (const row of response.slice(1)) expect(row[2]).toMatch(/^\d+:\d\d:\d\d$/);
  // Other specs may give the demo agent a display name ("Alex from Support"); the row starts with Alex either way.
  const agents = await tableRows(page, "Agents");
  const alex = agents.find((row) => /^Alex\b/.test(row[0] ?? ""));
  expect(alex?.slice(2, 4), "Alex's replies and first responses").toEqual(["1", "1"]);
  const volume = await tableRows(page, "Conversations");
  expect(volume.slice(1).reduce((sum, row) => sum + Number(row[3]), 0)).toBe(3);
});

test("every report page draws its charts after hydrating, with a name per chart and no console error", async ({ page }, testInfo) => {
  const problems: string[] = [];
  page.on("console", (message) => {
    // React reports hydration mismatches as console errors ("did not match", "Hydration failed", …).
    if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  await signIn(page, demoUsers.analyst);
  const pages = [
    { path: "/reports/bots", charts: ["Bot conversations per day", "Completion rate by flow"] },
    { path: `/reports/bots/${encodeURIComponent(flowId)}`, charts: ["Conversations per day", "Drop-off by step"] },
    { path: `/reports/team?flow=${encodeURIComponent(flowId)}`, charts: ["Conversations per day by channel", "Replies sent per agent"] },
  ];
  for (const { path, charts } of pages) {
    await page.goto(path);
    for (const name of charts) {
      const chart = page.getByRole("figure", { name, exact: true });
      await expect(chart, `${path}: ${name}`).toBeVisible();
      // Drawn after mount: the plot's SVG carries the chart's title, and has lines or bars in it.
      const svg = chart.locator("svg", { has: page.locator("title", { hasText: name }) });
      await expect(svg, `${path}: ${name} is drawn`).toBeVisible();
      await expect(svg.locator("path.recharts-curve, path.recharts-rectangle").first()).toBeAttached();
      // The table under it is what screen readers and the CSV get.
      await expect(chart.locator("xpath=following::table[1]")).toBeAttached();
    }
    await page.screenshot({ path: testInfo.outputPath(`${path.split("?")[0]!.replace(/\W+/g, "-")}.png`), fullPage: true });
  }
  // On a phone the tables scroll sideways inside their card: each scrolling box can be reached
  // and scrolled from the keyboard, and is named apart from the section around it.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const { path } of pages) {
    await page.goto(path);
    await expect(page.getByRole("figure").first()).toBeVisible();
    const { violations } = await new AxeBuilder({ page }).withRules(["scrollable-region-focusable", "landmark-unique"]).analyze();
    expect(violations.flatMap((v) => v.nodes.map((n) => n.target.join(" "))), `${path}: scrolling boxes without focus or a name of their own`).toEqual([]);
  }
  expect(problems, "console errors and warnings").toEqual([]);
});

test("an admin sets business hours, and the team report and its CSV count within them on request", async ({ browser }, testInfo) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, adminEmail());
  await admin.goto("/reports");
  // A day with an opening time but no closing time is named, and nothing is saved.
  await admin.getByLabel("Mon opens").fill("09:00");
  await admin.getByRole("button", { name: "Save business hours" }).click();
  await expect(admin.getByText("Enter when the day closes, or clear both times")).toBeVisible();
  await expect(admin.getByLabel("Mon closes")).toHaveAttribute("aria-invalid", "true");
  // Open all week (00:00 to 00:00 is the whole day), so the scenario's seconds-long waits count in full.
  for (const day of ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]) {
    await admin.getByLabel(`${day} opens`).fill("00:00");
    await admin.getByLabel(`${day} closes`).fill("00:00");
  }
  await admin.getByRole("button", { name: "Save business hours" }).click();
  await expect(admin.getByRole("status")).toHaveText("Saved: Mon–Sun 00:00–24:00.");
  await admin.screenshot({ path: testInfo.outputPath("reports-business-hours.png"), fullPage: true });

  const page = await (await browser.newContext()).newPage();
  await signIn(page, demoUsers.analyst);
  await page.goto(`/reports/team?flow=${encodeURIComponent(flowId)}`);
  const wall = await tableRows(page, "Response times");
  // The conversation the agent answered and closed above: one of each, so the comparison below compares figures.
  expect(wall.slice(1).map((row) => row[1])).toEqual(["1", "1", "1"]);
  await page.getByRole("checkbox", { name: "Within business hours only" }).check();
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/hours=business/);
  await expect(page.getByRole("heading", { name: "Response times within business hours" })).toBeVisible();
  const business = await tableRows(page, "Response times");
  expect(business.map((row) => row[0])).toEqual(["Measure", "First response time (business hours)", "Reply time (business hours)", "Time to close (business hours)"]);
  // Hours that never close count every second, as the wall clock does.
  expect(business.map((row) => row.slice(1))).toEqual(wall.map((row) => row.slice(1)));
  await page.screenshot({ path: testInfo.outputPath("team-business-hours.png"), fullPage: true });

  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV of Response times" }).click()]);
  expect(download.suggestedFilename()).toMatch(/^parley-team-response-business-hours-.*\.csv$/);
  expect(parseCsv(readFileSync((await download.path())!, "utf8"))).toEqual(business);
});

test("the builder's Show analytics toggle overlays reach and drop-off", async ({ page }) => {
  await signIn(page, demoUsers.marketer);
  await page.goto(`/flows/${encodeURIComponent(flowId)}`);
  const node = page.getByLabel("Question node Ask name");
  await expect(node).toBeVisible();
  await expect(node).not.toContainText("Reached");
  await page.getByRole("checkbox", { name: "Show analytics" }).check();
  await expect(page.getByText(/last 30 days · 3 started/)).toBeVisible();
  await expect(node.getByText("Reached 3 · drop-off 33%")).toBeVisible();
});

test("an analyst picks days for a range: they apply as a custom range, and a backwards range is explained on the page", async ({ page }) => {
  await signIn(page, demoUsers.analyst);
  await page.goto("/reports/bots?range=30d");
  const filters = page.getByRole("region", { name: "Range and filters" });
  // The preset stays "30 days" in the select; picking days alone must still apply them.
  await filters.getByLabel("From").fill("2026-01-05");
  await filters.getByLabel("To").fill("2026-01-11");
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/range=custom&from=2026-01-05&to=2026-01-11/);
  await expect(filters.getByText("2026-01-05 – 2026-01-11")).toBeVisible();

  await filters.getByLabel("From").fill("2026-01-20");
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(filters.getByRole("alert")).toHaveText(/The last day is before the first day/);
  await expect(filters.getByLabel("To")).toHaveAttribute("aria-invalid", "true");
  await expect(page).toHaveURL(/from=2026-01-05&to=2026-01-11/);
  await expect(page.getByRole("heading", { name: "Bot performance" })).toBeVisible();

  // A flow's report: no link into the builder an analyst may not open, and the way back keeps the days.
  await page.goto("/reports/bots/flow_support_triage?range=custom&from=2026-01-05&to=2026-01-11");
  await expect(page.getByRole("heading", { level: 1, name: "Support triage" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Open in the builder" })).toHaveCount(0);
  await page.getByRole("link", { name: "← Bot performance" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Bot performance" })).toBeVisible();
  await expect(page).toHaveURL(/range=custom&from=2026-01-05&to=2026-01-11/);
});
