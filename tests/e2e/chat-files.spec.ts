/**
 * Files in the website chat, end to end: the real widget on a demo site on another origin, a
 * visitor handed off to the team through the lead bot, who sends a screenshot from the widget;
 * the agent sees it in the inbox thread and answers with a PDF; the visitor's widget shows the
 * PDF's link and downloads it through a blob: URL (the token goes in a header, never a URL).
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { demoUsers, handOffThroughLeadBot, parleyUrl, signIn, useDemoSite, widget } from "./helpers.js";

const { chat, transcript } = widget;

/** A 1×1 PNG. */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d5f2a90000000049454e44ae426082",
  "hex",
);
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

const demo = useDemoSite();

const attach = (page: Page) => chat(page).getByRole("button", { name: "Attach a file" });
/** Picks `file` through the attach button's file chooser, as a visitor would. */
const pick = async (page: Page, file: { name: string; mimeType: string; buffer: Buffer }) => {
  const chooser = page.waitForEvent("filechooser");
  await attach(page).click();
  await (await chooser).setFiles(file);
};

/** A visitor who went through the lead bot to the team, with the chat open; returns the conversation id. */
const visitorHandedOff = async (browser: Browser) => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const id = await handOffThroughLeadBot(page, {
    ...demo,
    name: "Grace",
    // The bot is asking: no attach button (the bot takes answers, not files).
    whileTheBotAsks: () => expect(attach(page)).toBeHidden(),
  });
  return { context, page, id };
};

test("a visitor sends a screenshot from the widget and downloads the agent's PDF", async ({ browser }) => {
  const { context, page, id } = await visitorHandedOff(browser);

  // With the team now, the visitor may attach a file; one over 10 MB is refused before any upload.
  await expect(attach(page)).toBeVisible();
  let uploads = 0;
  page.on("request", (request) => {
    if (request.url().endsWith("/files")) uploads++;
  });
  await pick(page, { name: "huge.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(12 * 1024 * 1024) });
  await expect(transcript(page)).toContainText("“huge.bin” is 12 MB: files up to 10 MB can be sent.");
  expect(uploads).toBe(0);

  // A screenshot goes, and shows in the transcript as a thumbnail of the visitor's own message.
  await pick(page, { name: "error-screenshot.png", mimeType: "image/png", buffer: PNG });
  const thumbnail = transcript(page).getByRole("img", { name: "error-screenshot.png" });
  await expect(thumbnail).toBeVisible({ timeout: 15_000 });
  await expect(thumbnail).toHaveAttribute("src", /^blob:/);
  expect(uploads).toBe(1);
  await expect(transcript(page).getByText("Sending…")).toHaveCount(0);

  // The agent sees it in the thread: a thumbnail and a download link.
  const agentContext = await browser.newContext({ baseURL: parleyUrl() });
  const agent = await agentContext.newPage();
  await signIn(agent, demoUsers.agent);
  await agent.goto(`/inbox?conversation=${encodeURIComponent(id)}`);
  const files = agent.getByRole("list", { name: "Attachments" });
  await expect(files.getByRole("link", { name: "error-screenshot.png" })).toBeVisible({ timeout: 15_000 });
  await expect(files.locator("img")).toHaveAttribute("src", /^\/inbox\/attachments\//);

  // The agent answers with a PDF, attached in the reply box (chat replies offer files too).
  await agent.getByLabel("Attach files").setInputFiles([{ name: "setup-guide.pdf", mimeType: "application/pdf", buffer: PDF }]);
  await expect(agent.getByRole("list", { name: "Files to send" })).toContainText("setup-guide.pdf");
  await expect(agent.getByText(/Shown in the chat; the visitor downloads them/)).toBeVisible();
  await agent.getByRole("textbox", { name: "Reply to the visitor" }).fill("Here is the setup guide.");
  await agent.getByRole("button", { name: "Send reply" }).click();
  const agentReply = agent.getByRole("listitem").filter({ hasText: "Here is the setup guide." });
  await expect(agentReply.getByRole("link", { name: "setup-guide.pdf" })).toBeVisible({ timeout: 15_000 });

  // The visitor's widget shows the PDF as a link with its size; clicking it downloads the bytes from a blob: URL.
  await expect(transcript(page)).toContainText("Here is the setup guide.", { timeout: 15_000 });
  const link = transcript(page).getByRole("link", { name: `setup-guide.pdf (${PDF.length} B)` });
  await expect(link).toBeVisible();
  const download = page.waitForEvent("download");
  await link.click();
  const saved = await download;
  expect(saved.suggestedFilename()).toBe("setup-guide.pdf");
  await expect(link).toHaveAttribute("href", /^blob:/);
  const bytes = await readFile((await saved.path())!);
  expect(bytes.equals(PDF)).toBe(true);
  // No request carried the visitor token in its URL.
  const tokenInUrl = await page.evaluate(() => performance.getEntriesByType("resource").some((e) => e.name.includes("/attachments/") && e.name.includes("token=")));
  expect(tokenInUrl).toBe(false);

  await agentContext.close();
  await context.close();
});
