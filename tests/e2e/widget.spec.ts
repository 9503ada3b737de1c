/**
 * The website widget as a visitor meets it: a customer's site on ANOTHER origin (a static
 * server started here, serving tests/fixtures/demo-site with the snippet pointing at Parley)
 * embeds widget.js; everything below is done in real Chromium, found by role and label.
 *
 * Assumes the seeded demo channel (runtime/services/seed.ts): the lead-qualification bot shows
 * on every page but /pricing (a hide rule), where the live chat (lower priority) takes over —
 * so on /pricing the lead bot's launcher must be gone. The channel id comes from
 * PARLEY_CHANNEL_ID, else from the admin's GET /settings/channels.json.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Browser, type Locator, type Page } from "@playwright/test";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { demoUsers, getChatChannelId, inboxLive, parleyUrl, signIn, startDemoSite } from "./helpers.js";

const LEAD_WELCOME = "Hi! Got a minute? Let's find the right plan for your team.";
const LAUNCHER = "Chat with us";

let site: Server;
let siteUrl = "";
let channelId = "";


test.beforeAll(async ({ playwright }) => {
  channelId = process.env.PARLEY_CHANNEL_ID ?? "";
  if (!channelId) {
    const request = await playwright.request.newContext({ baseURL: parleyUrl() });
    channelId = await getChatChannelId(request);
    await request.dispose();
  }
  site = await startDemoSite(parleyUrl(), channelId);
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  expect(new URL(siteUrl).origin, "the demo site must be on another origin than Parley").not.toBe(new URL(parleyUrl()).origin);
});

test.afterAll(async () => {
  await new Promise((resolve) => site?.close(resolve));
});

const launcher = (page: Page) => page.getByRole("button", { name: new RegExp(`^${LAUNCHER}`) });
const chat = (page: Page) => page.getByRole("dialog", { name: /^Chat with / });
const transcript = (page: Page) => chat(page).getByRole("log");
const composer = (page: Page) => chat(page).getByRole("textbox", { name: "Your message" });

/** The visitor writes `text` into the chat and sends it with Enter. */
const say = async (page: Page, text: string) => {
  await composer(page).fill(text);
  await composer(page).press("Enter");
};

/** Opens the demo home page in a fresh visitor context and opens the chat with the launcher. */
const openChatOnHome = async (browser: Browser) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${siteUrl}/index.html`);
  await launcher(page).click();
  await expect(chat(page)).toBeVisible();
  return { context, page };
};

/** Answers the lead bot's name question (the bot's first question after its greeting). */
const answerName = async (page: Page, name: string) => {
  await expect(transcript(page)).toContainText("what's your name?", { timeout: 15_000 });
  await say(page, name);
};

const conversationId = (page: Page) => page.evaluate((channel) => localStorage.getItem(`parley:${channel}:conversation`), channelId);

test("a visitor answers the lead bot, is asked again after an invalid email, and is handed off", async ({ browser }) => {
  const { context, page } = await openChatOnHome(browser);
  // Opening focuses the composer; the bot greets one bubble after another.
  await expect(composer(page)).toBeFocused();
  await expect(transcript(page)).toContainText("I'm the Parley assistant.");
  await answerName(page, "Ada");

  await expect(transcript(page)).toContainText("Nice to meet you, Ada! What's your work email?");
  // The composer now brings up the email keyboard.
  await expect(composer(page)).toHaveAttribute("type", "email");
  await expect(composer(page)).toHaveAttribute("inputmode", "email");

  await say(page, "ada at example dot com");
  await expect(transcript(page)).toContainText("Hmm, that doesn't look like an email address. Could you check it, Ada?");

  await say(page, "ada@example.com");
  await expect(transcript(page)).toContainText("How many people work at your company?");
  const smallTeam = chat(page).getByRole("button", { name: "1–10" });
  await expect(smallTeam).toBeVisible();
  // The quick replies arriving under the log must not hide the end of the question they answer.
  const question = transcript(page).getByText("How many people work at your company?");
  await expect(async () => {
    const [q, log] = [(await question.boundingBox())!, (await transcript(page).boundingBox())!];
    expect(q.y + q.height, "the question's last line is inside the log").toBeLessThanOrEqual(log.y + log.height + 1);
  }).toPass({ timeout: 5_000 });
  await smallTeam.click();
  // Quick replies are gone once answered; the answer is shown as the visitor's bubble.
  await expect(smallTeam).toHaveCount(0);
  await expect(transcript(page)).toContainText("1–10");
  await expect(transcript(page)).toContainText(/passing you to our Support team|Our team is offline right now/);

  // A reload keeps the conversation: same transcript, no second greeting.
  const id = await conversationId(page);
  expect(id).toBeTruthy();
  await page.reload();
  await launcher(page).click();
  await expect(transcript(page)).toContainText("Nice to meet you, Ada!");
  await expect(transcript(page).getByText("I'm the Parley assistant.")).toHaveCount(1);
  expect(await conversationId(page)).toBe(id);

  // Escape closes and gives focus back to the launcher.
  await composer(page).press("Escape");
  await expect(chat(page)).toBeHidden();
  await expect(launcher(page)).toBeFocused();
  await expect(launcher(page)).toHaveAttribute("aria-expanded", "false");
  await context.close();
});

test("an agent's reply appears in the open widget without a reload", async ({ browser }) => {
  const { context, page } = await openChatOnHome(browser);
  await answerName(page, "Grace");
  await expect(transcript(page)).toContainText("What's your work email?");
  await say(page, "grace@example.com");
  await chat(page).getByRole("button", { name: "11–50" }).click();
  await expect(transcript(page)).toContainText(/Support team|offline/);
  const id = await conversationId(page);
  expect(id).toBeTruthy();

  // The agent answers from the inbox, as a person would.
  const agentContext = await browser.newContext({ baseURL: parleyUrl() });
  const agent = await agentContext.newPage();
  await signIn(agent, demoUsers.agent);
  await agent.goto(`/inbox?conversation=${encodeURIComponent(id!)}`);
  await inboxLive(agent);
  const reply = agent.getByRole("textbox", { name: /reply/i });
  await expect(reply).toBeVisible();
  await reply.fill("Hi Grace, Alex from Support here. How can I help?");
  await agent.getByRole("button", { name: /^send/i }).click();

  await expect(transcript(page)).toContainText("Hi Grace, Alex from Support here. How can I help?", { timeout: 15_000 });
  await agentContext.close();
  await context.close();
});

test("the hide rule on /pricing keeps the lead bot off that page, also after SPA navigation", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  /** Loads `path` and returns the chatflow id the widget's `ready` event reports (null: none). */
  const readyOn = async (path: string) => {
    await page.goto(`${siteUrl}${path}`);
    await page.waitForFunction(() => (window as unknown as { Parley?: { loaded?: boolean } }).Parley?.loaded === true);
    return page.evaluate(
      () =>
        new Promise<string | null>((resolve) =>
          (window as unknown as { Parley: { on: (event: string, cb: (info: { chatflowId: string | null }) => void) => void } }).Parley.on("ready", (info) => resolve(info.chatflowId)),
        ),
    );
  };
  const leadFlow = await readyOn("/index.html");
  expect(leadFlow, "a chatflow shows on the home page").toBeTruthy();
  await expect(page.getByRole("button", { name: `Open the chat: ${LEAD_WELCOME}` })).toBeVisible();

  const pricingFlow = await readyOn("/pricing.html");
  expect(pricingFlow, "the lead bot is hidden on /pricing").not.toBe(leadFlow);
  await expect(page.getByText(LEAD_WELCOME)).toHaveCount(0);
  if (pricingFlow === null) await expect(launcher(page)).toHaveCount(0);

  // A single-page site: pushState back to home brings the lead bot, and to /pricing hides it.
  await page.evaluate(() => history.pushState({}, "", "/index.html"));
  await expect(page.getByRole("button", { name: `Open the chat: ${LEAD_WELCOME}` })).toBeVisible();
  await page.evaluate(() => history.pushState({}, "", "/pricing.html"));
  await expect(page.getByText(LEAD_WELCOME)).toHaveCount(0);
  await context.close();
});

test("on a help page the support bot answers a question with links to the help center's articles", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The support-triage bot shows where the address contains /help, and wins over the lead bot there.
  await page.goto(`${siteUrl}/index.html?section=/help`);
  await launcher(page).click();
  await expect(transcript(page)).toContainText("What can I help you with today?", { timeout: 15_000 });
  await chat(page).getByRole("button", { name: "Something else" }).click();
  await expect(transcript(page)).toContainText("What's your question?");
  await say(page, "How do I reset my password?");

  await expect(transcript(page)).toContainText("These articles from our help center may answer it:");
  const article = transcript(page).getByRole("link", { name: /^Reset your password/ });
  await expect(article).toHaveAttribute("href", `${parleyUrl()}/help/articles/art_demo_reset_password`);
  // The bubble is the link alone: its title is not also printed beside it as text.
  const bubble = article.locator("xpath=..");
  await expect(bubble).toHaveText(/^Bot: Reset your password(\s*\(opens in a new tab\))?$/);
  await expect(transcript(page)).toContainText("Did “Reset your password” answer your question?");
  await chat(page).getByRole("button", { name: "Yes, thanks" }).click();
  await expect(transcript(page)).toContainText("Glad it helped!");

  // The link opens the article in the public help center, in a new tab.
  const [tab] = await Promise.all([context.waitForEvent("page"), article.click()]);
  await expect(tab.getByRole("heading", { name: "Reset your password", level: 1 })).toBeVisible();
  await context.close();
});

test("message text is never HTML: <img src=x onerror=alert(1)> shows as text and runs nothing", async ({ browser }) => {
  const { context, page } = await openChatOnHome(browser);
  let dialogs = 0;
  page.on("dialog", (dialog) => {
    dialogs++;
    void dialog.dismiss();
  });
  const payload = "<img src=x onerror=alert(1)>";
  await answerName(page, payload);
  // The visitor's bubble (announced as "You: …") and the bot's echo show the characters as typed.
  await expect(transcript(page)).toContainText(`You: ${payload}`);
  await expect(transcript(page)).toContainText(`Nice to meet you, ${payload}!`);
  const injected = await page.evaluate(() => document.querySelector("parley-widget")?.shadowRoot?.querySelectorAll('img[src="x"]').length ?? -1);
  expect(injected).toBe(0);
  await page.waitForTimeout(500);
  expect(dialogs).toBe(0);
  await context.close();
});

test("the page's own CSS (* { color: … !important }) does not reach the widget", async ({ browser }) => {
  const { context, page } = await openChatOnHome(browser);
  await expect(transcript(page)).toContainText("I'm the Parley assistant.");
  const styles = await page.evaluate(() => {
    const root = document.querySelector("parley-widget")!.shadowRoot!;
    const style = (element: Element | null) => (element ? getComputedStyle(element) : null);
    const bot = style(root.querySelector(".m.bot"));
    const input = style(root.querySelector("input"));
    return {
      page: getComputedStyle(document.getElementById("intro")!).color,
      pageFont: getComputedStyle(document.getElementById("intro")!).fontFamily,
      bot: bot?.color,
      botFont: bot?.fontFamily,
      botTransform: bot?.textTransform,
      inputBackground: input?.backgroundColor,
      inputBorder: input?.borderTopStyle,
    };
  });
  // The rule is live on the page…
  expect(styles.page).toBe("rgb(176, 0, 0)");
  expect(styles.pageFont).toContain("Comic Sans");
  // …and the widget keeps its own look.
  expect(styles.bot).toBe("rgb(26, 26, 26)");
  expect(styles.botFont).not.toContain("Comic Sans");
  expect(styles.botTransform).toBe("none");
  expect(styles.inputBackground).toBe("rgb(255, 255, 255)");
  expect(styles.inputBorder).toBe("solid");
  await context.close();
});

test("the open widget has no serious or critical accessibility violations (axe-core)", async ({ browser }) => {
  const { context, page } = await openChatOnHome(browser);
  await expect(chat(page).getByRole("button", { name: "1–10" }).or(transcript(page).getByText("what's your name?"))).toBeVisible({ timeout: 15_000 });
  const results = await new AxeBuilder({ page }).include("parley-widget").analyze();
  const blocking = results.violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  expect(blocking.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`)).toEqual([]);
  await context.close();
});

test("identify with a wrong hash is not verified and links no contact", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const warnings: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "warning") warnings.push(message.text());
  });
  await page.goto(`${siteUrl}/index.html`);
  await expect(launcher(page)).toBeVisible();
  const answer = await page.evaluate(() =>
    (window as unknown as { Parley: { identify: (input: unknown) => Promise<{ verified: boolean; reason?: string }> } }).Parley.identify({
      email: "mallory@example.com",
      name: "Mallory",
      hash: "0".repeat(64),
    }),
  );
  expect(answer.verified).toBe(false);
  expect(answer.reason).toBeTruthy();
  expect(warnings.some((text) => text.includes("Parley.identify: not verified"))).toBe(true);
  // Not verified → not a known contact: the widget does not ask for known-contact flows.
  expect(await page.evaluate((channel) => localStorage.getItem(`parley:${channel}:known`), channelId)).toBeNull();
  await context.close();
});

test("calls queued on the documented stub replay when widget.js arrives; setAttributes is checked and saved", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${siteUrl}/contact.html`);
  // contact.html registers on('ready') and setAttributes() before the loader exists.
  await expect(page.locator("body")).toHaveAttribute("data-parley-ready", /.+/);
  type Api = { setAttributes: (input: unknown) => Promise<{ ok: boolean; reason?: string }> };
  const saved = await page.evaluate(() => (window as unknown as { Parley: Api }).Parley.setAttributes({ plan: "team", seats: 4 }));
  expect(saved).toEqual({ ok: true });
  const refused = await page.evaluate(() => (window as unknown as { Parley: Api }).Parley.setAttributes({ plan: { nested: true } }));
  expect(refused.ok).toBe(false);
  expect(refused.reason).toContain("setAttributes.plan");
  await launcher(page).click();
  await expect(page.locator("body")).toHaveAttribute("data-parley-open", "yes");
  await expect(chat(page)).toBeVisible();
  await context.close();
});

test("under 480 px wide the chat fills the screen", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 700 } });
  const page = await context.newPage();
  await page.goto(`${siteUrl}/index.html`);
  await launcher(page).click();
  const box = await (chat(page) as Locator).boundingBox();
  expect(box).toEqual({ x: 0, y: 0, width: 375, height: 700 });
  // Covering the page, the chat is modal: Tab goes round inside it, never to the links underneath.
  await expect(chat(page)).toHaveAttribute("aria-modal", "true");
  await expect(composer(page)).toBeFocused();
  const close = chat(page).getByRole("button", { name: /^Close/ });
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("Tab");
    // Focus inside the widget leaves document.activeElement on its shadow host.
    const onPage = await page.evaluate(() => !document.activeElement?.shadowRoot);
    expect(onPage, `Tab ${i + 1} left the chat for the page`).toBe(false);
  }
  await composer(page).focus();
  for (let i = 0; i < 8 && !(await close.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)); i++) await page.keyboard.press("Shift+Tab");
  await expect(close).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(chat(page).getByRole("button", { name: /^Send/ })).toBeFocused();
  await context.close();
});
