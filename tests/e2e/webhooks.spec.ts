/**
 * Settings → Webhooks in real Chromium: an admin adds a webhook pointing at a receiver this spec
 * runs on 127.0.0.1 (the server allows it: WEBHOOKS_ALLOW_PRIVATE_NETWORKS=1 in
 * playwright.config.ts), sees the form's errors under their fields, sends a test event, sees it
 * succeed in the deliveries log, checks the signature with the secret the page shows, and
 * deletes the webhook after a confirmation.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { adminEmail, readServerDatabase, signIn } from "./helpers.js";

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let server: Server;
let receiverUrl: string;
const received: Received[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.url?.startsWith("/broken")) {
        // A receiver that fails with a whole error page.
        res.writeHead(500, { "Content-Type": "text/html" });
        res.end(`<html><body>${"Internal error while handling the hook. ".repeat(40)}</body></html>`);
        return;
      }
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      // A receiver that takes a moment, as most do: the page shows the delivery before its answer.
      setTimeout(() => {
        res.writeHead(204);
        res.end();
      }, 1_500);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/parley-hook`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const axeProblems = async (page: Page) => {
  const { violations } = await new AxeBuilder({ page }).include("#main").analyze();
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help}`);
};

test("an admin adds a webhook, sends a test event and sees it delivered, signed", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/settings");
  await expect(page.getByRole("link", { name: /Webhooks Tell your CRM/ })).toBeVisible();
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();

  // Nothing filled in: each error under its field, nothing added.
  const add = page.getByRole("region", { name: "Add a webhook" });
  await add.getByRole("button", { name: "Add webhook" }).click();
  await expect(add.getByText("Enter the URL Parley should POST to")).toBeVisible();
  await expect(add.getByText("Choose at least one event")).toBeVisible();
  await expect(add.getByLabel("URL")).toHaveAttribute("aria-invalid", "true");
  // A URL with credentials is refused with the reason.
  await add.getByLabel("URL").fill("https://user:secret@example.com/hook");
  await add.getByRole("checkbox", { name: /conversation\.created/ }).check();
  await add.getByRole("button", { name: "Add webhook" }).click();
  await expect(add.getByText(/user name or password are refused/)).toBeVisible();
  await expect(add.getByRole("checkbox", { name: /conversation\.created/ })).toBeChecked();
  // Nothing was added (other specs may have added webhooks of their own: look for this URL only).
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM webhook_subscriptions WHERE url LIKE '%user:secret@%'").n).toBe(0);

  // Label changes are one of the events to choose from.
  await expect(add.getByRole("checkbox", { name: /conversation\.labels_changed/ })).toBeVisible();
  await add.getByLabel("URL").fill(receiverUrl);
  await add.getByLabel("Description (optional)").fill("E2E receiver");
  await add.getByRole("checkbox", { name: /ticket\.created/ }).check();
  await add.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "E2E receiver" })).toBeVisible();
  await expect(page.getByText("The webhook is added.")).toBeVisible();
  // A one-time notice: the address carries no flag, and a reload does not show it again.
  expect(new URL(page.url()).search).toBe("");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "E2E receiver" })).toBeVisible();
  await expect(page.getByText("The webhook is added.")).toHaveCount(0);
  const secret = await page.getByLabel("Secret", { exact: true }).inputValue();
  expect(secret).toMatch(/^whsec_/);
  await expect(page.getByRole("button", { name: "Copy secret" })).toBeVisible();
  expect(await axeProblems(page)).toEqual([]);

  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByText("A test event is on its way")).toBeVisible();
  const log = page.getByRole("region", { name: "Latest deliveries" });
  // The log follows the delivery out without a reload (it stayed "Pending" until one).
  await expect(log.getByRole("row").filter({ hasText: "ping" })).toContainText("Pending");
  await expect(log.getByRole("row").filter({ hasText: "ping" })).toContainText("Succeeded", { timeout: 15_000 });
  await expect(log.getByRole("row").filter({ hasText: "ping" })).toContainText("204");
  await expect(page.getByText("A test event is on its way")).toBeVisible();

  // The receiver got it, signed with the secret the page shows.
  expect(received).toHaveLength(1);
  const [ping] = received;
  expect(ping!.headers["x-parley-event"]).toBe("ping");
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(ping!.headers["x-parley-signature"]));
  expect(match).not.toBeNull();
  expect(createHmac("sha256", secret).update(`${match![1]}.${ping!.body}`).digest("hex")).toBe(match![2]);
  expect(JSON.parse(ping!.body)).toMatchObject({ type: "ping", id: ping!.headers["x-parley-delivery"] });

  // Disabled, it sends no test event; the settings form follows the new state, and a save keeps it.
  await page.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByText("The webhook is disabled")).toBeVisible();
  await expect(page.getByRole("button", { name: "Send test event" })).toBeDisabled();
  await expect(page.getByRole("checkbox", { name: "Enabled" })).not.toBeChecked();
  await page.getByLabel("Description (optional)").fill("E2E receiver (paused)");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("The webhook is saved.")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "E2E receiver (paused)" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Send test event" })).toBeDisabled();
  await page.getByRole("button", { name: "Enable" }).click();
  await expect(page.getByText("The webhook is enabled.")).toBeVisible();
  await expect(page.getByRole("checkbox", { name: "Enabled" })).toBeChecked();
  // A bad URL in the settings form: the error under the field, nothing saved.
  await page.getByLabel("URL").fill("ftp://example.com/hook");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Only http and https URLs can be called, not ftp:")).toBeVisible();
  await expect(page.getByLabel("URL")).toHaveAttribute("aria-invalid", "true");
  await page.reload();
  await expect(page.getByLabel("URL")).toHaveValue(receiverUrl);

  // On a phone the page (a long URL, the deliveries table) fits the screen's width.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await page.setViewportSize({ width: 1280, height: 800 });

  // The list shows it with its events and latest delivery.
  await page.getByRole("link", { name: "← Webhooks" }).click();
  const row = page.getByRole("row").filter({ hasText: receiverUrl });
  await expect(row).toContainText("conversation.created, ticket.created");
  await expect(row).toContainText("Enabled");
  await expect(row).toContainText("Succeeded");

  // Delete, after a confirmation.
  await row.getByRole("link", { name: receiverUrl }).click();
  await page.getByText("Delete this webhook…").click();
  await page.getByRole("button", { name: "Yes, delete this webhook" }).click();
  await expect(page.getByText("The webhook is deleted.")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: receiverUrl })).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  await expect(page.getByText("The webhook is deleted.")).toHaveCount(0);
});

test("a receiver's error page in the log stays a few lines on a phone, and opens to the whole", async ({ page }) => {
  await signIn(page, adminEmail());
  await page.goto("/settings/webhooks");
  const add = page.getByRole("region", { name: "Add a webhook" });
  const brokenUrl = receiverUrl.replace("/parley-hook", "/broken");
  await add.getByLabel("URL").fill(brokenUrl);
  await add.getByRole("checkbox", { name: /ticket\.created/ }).check();
  await add.getByRole("button", { name: "Add webhook" }).click();
  await page.getByRole("button", { name: "Send test event" }).click();
  const delivery = page.getByRole("region", { name: "Latest deliveries" }).getByRole("row").filter({ hasText: "ping" });
  await expect(delivery).toContainText("the receiver answered 500", { timeout: 15_000 });
  // Failed once and waiting for its retry: not merely "Pending", here and in the list.
  await expect(delivery).toContainText("Retrying (1 failed attempt)");
  await page.getByRole("link", { name: "← Webhooks" }).click();
  await expect(page.getByRole("row").filter({ hasText: brokenUrl })).toContainText("Retrying (1 failed attempt)");
  await page.getByRole("row").filter({ hasText: brokenUrl }).getByRole("link", { name: brokenUrl }).click();

  await page.setViewportSize({ width: 390, height: 844 });
  // Broken anywhere and unbounded, the page's text made the column a word wide and the row thousands of pixels tall.
  expect((await delivery.boundingBox())!.height).toBeLessThan(300);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await delivery.getByText(/^the receiver answered 500/).click();
  await expect(delivery.locator("details")).toHaveAttribute("open", "");
  expect((await delivery.locator("details").innerText()).length).toBeGreaterThan(400);

  await page.getByText("Delete this webhook…").click();
  await page.getByRole("button", { name: "Yes, delete this webhook" }).click();
  await expect(page.getByText("The webhook is deleted.")).toBeVisible();
});
