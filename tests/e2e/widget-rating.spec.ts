/**
 * A visitor rates their conversation, end to end: the real widget on a demo site on another
 * origin, handed off through the lead bot; an agent answers and closes the conversation from the
 * inbox; the rating card appears in the open widget live, the visitor rates, and the agent's
 * thread shows it without a reload; the team report counts it for the agent it is credited to.
 * The server's database is only read (as permissions.spec.ts does), to learn who that agent is.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { demoUsers, handOffThroughLeadBot, inboxLive, parleyUrl, readServerDatabase, signIn, useDemoSite, widget } from "./helpers.js";

const { launcher, transcript } = widget;

const demo = useDemoSite();

const ratingCard = (page: Page) => transcript(page).getByRole("group", { name: "How was your conversation?" });
const thanksCard = (page: Page) => transcript(page).getByRole("group", { name: "Thanks for your feedback!" });
/** A visitor who went through the lead bot to the team, with the chat open; returns the conversation id. */
const visitorHandedOff = async (browser: Browser) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const id = await handOffThroughLeadBot(page, { ...demo, name: "Rosa" });
  return { context, page, id };
};

/** The Team report's Agents table as agent name → its "Ratings" figure. */
const ratingsPerAgent = async (page: Page): Promise<Map<string, number>> => {
  await page.goto("/reports/team");
  const table = page.getByRole("table", { name: "Agents", exact: true });
  await expect(table).toBeVisible();
  const rows = await table
    .getByRole("row")
    .evaluateAll((all) => all.map((row) => [...row.querySelectorAll("th, td")].map((cell) => (cell.textContent ?? "").trim())));
  const column = rows[0]!.indexOf("Ratings");
  expect(column, `the Agents table's header: ${JSON.stringify(rows[0])}`).toBeGreaterThan(0);
  return new Map(rows.slice(1).filter((row) => row.length > column).map((row) => [row[0]!, Number(row[column]!.replace(/,/g, ""))]));
};

test("a visitor rates the closed conversation in the widget; the agent sees it live and the team report counts it", async ({ browser }) => {
  const { context, page, id } = await visitorHandedOff(browser);

  const analystContext = await browser.newContext({ baseURL: parleyUrl() });
  const analyst = await analystContext.newPage();
  await signIn(analyst, demoUsers.analyst);
  await analyst.goto("/");
  const before = await ratingsPerAgent(analyst);

  const agentContext = await browser.newContext({ baseURL: parleyUrl() });
  const agent = await agentContext.newPage();
  await signIn(agent, demoUsers.agent);
  await agent.goto(`/inbox?conversation=${encodeURIComponent(id)}`);
  // Rosa's thread, hydrated and live (a reply typed before hydration is lost to React's state).
  await expect(agent).toHaveURL(new RegExp(`/inbox/${id}$`));
  await expect(agent.getByRole("heading", { level: 1, name: "rosa@example.com" })).toBeVisible();
  await inboxLive(agent);
  await agent.getByRole("textbox", { name: /reply/i }).fill("Hi Rosa, Alex here: your trial is extended to 30 days.");
  await agent.getByRole("button", { name: /^send/i }).click();
  await expect(transcript(page)).toContainText("your trial is extended", { timeout: 15_000 });
  // Still going: nothing to rate yet.
  await expect(ratingCard(page)).toHaveCount(0);

  await agent.getByRole("button", { name: "Close conversation" }).click();
  await expect(agent.getByRole("button", { name: "Reopen" })).toBeVisible();

  // The widget hears the close live and ends the transcript with the card.
  await expect(transcript(page)).toContainText("This conversation has ended", { timeout: 15_000 });
  await expect(ratingCard(page)).toBeVisible({ timeout: 15_000 });
  const scores = ratingCard(page).getByRole("button", { pressed: false });
  await expect(scores).toHaveCount(5);
  await ratingCard(page).getByRole("button", { name: "4 – Good" }).click();
  await expect(ratingCard(page).getByRole("button", { name: "4 – Good" })).toHaveAttribute("aria-pressed", "true");
  const comment = ratingCard(page).getByRole("textbox", { name: /Anything we could do better\?/ });
  await comment.fill("Quick and friendly. A chat transcript by email would be nice.");

  // The widget with the card open (scores, comment, Send) stays free of serious accessibility problems.
  const results = await new AxeBuilder({ page }).include("parley-widget").analyze();
  const blocking = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  expect(blocking.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`)).toEqual([]);

  // The network drops the first try: the card says so and Send tries again, the choices kept.
  let dropped = 0;
  await page.route("**/api/conversations/*/rating", (route) => (route.request().method() === "POST" && dropped++ === 0 ? route.abort("internetdisconnected") : route.fallback()));
  await ratingCard(page).getByRole("button", { name: "Send" }).click();
  await expect(ratingCard(page).getByRole("alert")).toHaveText("Your rating could not be sent: the network failed");
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM conversation_ratings WHERE conversation_id = ?", id).n).toBe(0);
  await expect(ratingCard(page).getByRole("button", { name: "4 – Good" })).toHaveAttribute("aria-pressed", "true");
  await ratingCard(page).getByRole("button", { name: "Send" }).click();
  await expect(thanksCard(page)).toBeVisible();
  expect(dropped).toBe(2);
  await page.unrouteAll();
  await expect(thanksCard(page)).toContainText("Your rating: 4 – Good");

  // The agent's thread shows it without a reload (the agents-only `conversation` event, change "rating").
  const shown = agent.getByRole("listitem", { name: "The visitor's rating" });
  await expect(shown).toContainText("Rated 4 / 5 · Good", { timeout: 15_000 });
  await expect(shown).toContainText("“Quick and friendly. A chat transcript by email would be nice.”");

  // Back later: the rating given shows as the thanks, with its score; Change rates again. While
  // the panel is closed the widget holds no live stream for the closed conversation; opening the
  // panel connects one (the reopen below is heard through it).
  const streams: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes(`/api/conversations/${id}/stream`)) streams.push(request.url());
  });
  const resumed = page.waitForResponse((response) => response.url().endsWith(`/api/conversations/${id}`));
  await page.reload();
  await resumed;
  await page.waitForTimeout(500);
  expect(streams, "no stream while the panel is closed").toEqual([]);
  await launcher(page).click();
  await expect(thanksCard(page)).toContainText("Your rating: 4 – Good", { timeout: 15_000 });
  await expect.poll(() => streams.length, { message: "a stream once the panel is open" }).toBe(1);
  await thanksCard(page).getByRole("button", { name: "Change" }).click();
  await expect(ratingCard(page).getByRole("button", { name: "4 – Good" })).toHaveAttribute("aria-pressed", "true");
  await expect(ratingCard(page).getByRole("textbox", { name: /Anything we could do better\?/ })).toHaveValue(
    "Quick and friendly. A chat transcript by email would be nice.",
  );
  await ratingCard(page).getByRole("button", { name: "5 – Great" }).click();
  await ratingCard(page).getByRole("textbox", { name: /Anything we could do better\?/ }).fill("");
  await ratingCard(page).getByRole("button", { name: "Send" }).click();
  await expect(thanksCard(page)).toContainText("Your rating: 5 – Great");
  await expect(shown).toContainText("Rated 5 / 5 · Great", { timeout: 15_000 });
  await expect(shown.locator(".messages__rating-comment")).toHaveCount(0);

  // The team report: one more rating (the latest per conversation counts) for the agent it is credited to.
  const credited = readServerDatabase<{ name: string } | undefined>(
    "SELECT COALESCE(u.display_name, u.name) AS name FROM conversation_ratings r JOIN users u ON u.id = r.user_id WHERE r.conversation_id = ?",
    id,
  );
  expect(credited, "the rating is credited to an agent").toBeTruthy();
  const after = await ratingsPerAgent(analyst);
  expect(after.get(credited!.name), `${credited!.name}'s ratings`).toBe((before.get(credited!.name) ?? 0) + 1);

  // Reopened by the agent: the open widget hears it live (its stream outlives the close), drops
  // the card, and the visitor's next words go to the same conversation, not a new one.
  await agent.getByRole("button", { name: "Reopen" }).click();
  await expect(agent.getByRole("button", { name: "Close conversation" })).toBeVisible();
  await expect(transcript(page)).toContainText("The team reopened this conversation", { timeout: 15_000 });
  await expect(thanksCard(page)).toHaveCount(0);
  await expect(ratingCard(page)).toHaveCount(0);
  await agent.getByRole("textbox", { name: /reply/i }).fill("Rosa, one more thing: the extension starts today.");
  await agent.getByRole("button", { name: /^send/i }).click();
  await expect(transcript(page)).toContainText("the extension starts today", { timeout: 15_000 });
  await widget.say(page, "Thanks again!");
  await expect(agent.getByRole("log", { name: "Conversation transcript" }).getByText("Thanks again!")).toBeVisible({ timeout: 15_000 });
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND text = 'Thanks again!'", id).n).toBe(1);

  // A reloaded widget finds it open and shows no card either.
  await page.reload();
  await launcher(page).click();
  await expect(transcript(page)).toContainText("your trial is extended", { timeout: 15_000 });
  await expect(thanksCard(page)).toHaveCount(0);
  await expect(ratingCard(page)).toHaveCount(0);

  await analystContext.close();
  await agentContext.close();
  await context.close();
});
