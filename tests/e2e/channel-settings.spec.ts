/**
 * Settings → Channels → the chat channel, as an admin uses it in real Chromium: the allowed
 * origins (validated, normalised, enforced by the public API on the next request), the identity
 * secret (shown once, masked after a reload; a rotation retires the old one at once), the install
 * snippet's copy button; and the public /demo site that embeds the widget with that snippet.
 *
 * Runs against the seeded demo channel, whose allowedOrigins is ["*"]; every test that narrows
 * the list puts "*" back, because other specs (widget.spec.ts) embed the widget from a random port.
 */
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { createHmac } from "node:crypto";
import { adminEmail, demoUsers, getChatChannelId, parleyUrl, signIn } from "./helpers.js";

const LEAD_WELCOME = "Hi! Got a minute? Let's find the right plan for your team.";
const SHOP = "https://shop.example";

let channelId = "";

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ playwright }) => {
  const request = await playwright.request.newContext({ baseURL: parleyUrl() });
  channelId = await getChatChannelId(request);
  await request.dispose();
});

/** Signs in as the admin and opens Settings → Channels → the chat channel through the navigation. */
const openChatChannel = async (page: Page) => {
  await signIn(page, adminEmail());
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Channels" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Channels" })).toBeVisible();
  await page.getByRole("link", { name: "Website chat" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Website chat" })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/settings/channels/${channelId}$`));
};

const origins = (page: Page) => page.getByLabel("Allowed origins");

/** Fills the origins and saves, waiting for the save itself (a "Saved." from before may still show). */
const saveOrigins = async (page: Page, text: string) => {
  await origins(page).fill(text);
  const saved = page.waitForResponse((response) => response.request().method() === "POST" && response.url().includes(`/settings/channels/${channelId}`));
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await saved;
};

/** The CORS answer of the public API for a page on `origin`. */
const allowOriginFor = async (request: APIRequestContext, origin: string) => {
  const response = await request.get(`/api/widget/config?channel=${channelId}&url=${encodeURIComponent(`${origin}/`)}`, {
    headers: { Origin: origin },
  });
  expect(response.status()).toBe(200);
  return response.headers()["access-control-allow-origin"];
};

test("an admin adds an allowed origin; a bad one is refused with the entry named; the API enforces the list at once", async ({ page, request }) => {
  await openChatChannel(page);
  await expect(origins(page)).toHaveValue("*");
  await expect(page.getByText("Any site may embed this chat")).toBeVisible();

  await saveOrigins(page, "*\nshop.example");
  await expect(page.getByText("“shop.example”: expected an origin like https://example.com")).toBeVisible();
  await expect(origins(page)).toHaveAttribute("aria-invalid", "true");

  // Written as people paste it; stored as browsers send Origin.
  await saveOrigins(page, `*\n${SHOP.replace("shop", "Shop")}/`);
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await expect(origins(page)).toHaveValue(`*\n${SHOP}`);
  await page.reload();
  await expect(origins(page)).toHaveValue(`*\n${SHOP}`);

  // Without "*", only the listed site may call the API from a browser — from the next request on,
  // although the API caches channel configs (warmed here).
  expect(await allowOriginFor(request, "https://evil.example")).toBe("https://evil.example");
  try {
    await saveOrigins(page, SHOP);
    await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
    await expect(page.getByText("Any site may embed this chat")).toHaveCount(0);
    expect(await allowOriginFor(request, SHOP)).toBe(SHOP);
    expect(await allowOriginFor(request, "https://evil.example")).toBeUndefined();
  } finally {
    await saveOrigins(page, `*\n${SHOP}`);
    await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  }
  expect(await allowOriginFor(request, "https://evil.example")).toBe("https://evil.example");
});

test("an admin sets how long before chat replies the visitor did not see are emailed, or turns it off", async ({ page }) => {
  await openChatChannel(page);
  const wait = page.getByLabel("Email them to the visitor");
  await expect(wait).toHaveValue("5");
  const originsBefore = await origins(page).inputValue();
  const save = async (label: string) => {
    await wait.selectOption({ label });
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  };
  try {
    await save("After 15 minutes");
    await page.reload();
    await expect(wait).toHaveValue("15");
    // The other settings stayed as they were.
    await expect(origins(page)).toHaveValue(originsBefore);
    await save("Off: never email them");
    await page.reload();
    await expect(wait).toHaveValue("0");
  } finally {
    await save("After 5 minutes");
  }
});

test("the snippet is copied with a visible status; the page has no serious accessibility violations", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: parleyUrl() });
  await openChatChannel(page);
  // The page's own content; the app shell around it is checked elsewhere.
  const { violations } = await new AxeBuilder({ page }).include("#main").analyze();
  expect(violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
  const snippet = `<script async src="${parleyUrl()}/widget.js" data-parley-channel="${channelId}"></script>`;
  await expect(page.getByLabel("Install snippet")).toHaveText(snippet);
  await page.getByRole("button", { name: "Copy snippet" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
});

test("rotating the identity secret shows it once; identify verifies with the new secret and not with the old", async ({ page, context, request }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: parleyUrl() });
  await openChatChannel(page);

  /** Rotates through the confirmation and returns the secret the page shows this once. */
  const rotate = async (): Promise<string> => {
    await page.getByRole("link", { name: "Rotate secret…" }).click();
    await expect(page.getByRole("heading", { name: "Rotate the identity secret?" })).toBeFocused();
    await page.getByRole("button", { name: "Rotate secret", exact: true }).click();
    const shown = page.getByRole("textbox", { name: "New identity secret" });
    await expect(shown).toBeVisible();
    const secret = await shown.inputValue();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    await expect(page.getByText(`ends in ${secret.slice(-4)}`)).toBeVisible();
    return secret;
  };

  // Cancelling changes nothing.
  await page.getByRole("link", { name: "Rotate secret…" }).click();
  await page.getByRole("link", { name: "Cancel" }).click();
  await expect(page.getByRole("heading", { name: "Rotate the identity secret?" })).toHaveCount(0);
  await expect(page.getByRole("textbox", { name: "New identity secret" })).toHaveCount(0);

  const oldSecret = await rotate();
  await page.reload();
  await expect(page.getByRole("textbox", { name: "New identity secret" })).toHaveCount(0);
  await expect(page.getByText(`ends in ${oldSecret.slice(-4)}`)).toBeVisible();
  expect(await page.content()).not.toContain(oldSecret);

  const newSecret = await rotate();
  expect(newSecret).not.toBe(oldSecret);
  await page.getByRole("button", { name: "Copy secret" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Copied" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(newSecret);
  await page.reload();
  expect(await page.content()).not.toContain(newSecret);
  await expect(page.getByText(`ends in ${newSecret.slice(-4)}`)).toBeVisible();

  // The widget's calls, as the browser on the customer's site makes them.
  const created = await request.post("/api/visitors", { data: { channel: channelId }, headers: { Origin: SHOP } });
  expect(created.status()).toBe(201);
  expect(created.headers()["access-control-allow-origin"]).toBe(SHOP);
  const { visitorToken } = (await created.json()) as { visitorToken: string };
  const email = "ada@example.com";
  const identify = async (secret: string) => {
    const response = await request.post("/api/visitors/identify", {
      data: { email, name: "Ada Lovelace", hash: createHmac("sha256", secret).update(email).digest("hex") },
      headers: { Origin: SHOP, Authorization: `Bearer ${visitorToken}` },
    });
    expect(response.status()).toBe(200);
    return (await response.json()) as { verified: boolean; reason?: string };
  };
  expect(await identify(oldSecret)).toEqual({ verified: false, reason: "the hash does not match the email under this channel's identity secret" });
  expect(await identify(newSecret)).toMatchObject({ verified: true });
  expect((await identify(oldSecret)).verified).toBe(false);
});

test("only admins open the chat channel's settings", async ({ page }) => {
  await signIn(page, demoUsers.marketer);
  const response = await page.goto(`/settings/channels/${channelId}`);
  expect(response?.status()).toBe(403);
  await expect(page.getByText("New identity secret")).toHaveCount(0);
  await expect(page.getByText(`data-parley-channel="${channelId}"`)).toHaveCount(0);
});

test("/demo and /demo/pricing render for anyone; the widget's launcher shows on /demo and the lead bot stays off pricing", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // A hydration mismatch (the widget adds its element to <body>) would show up here.
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  /** The chatflow id the widget's `ready` event reports for the current page (null: none). */
  const readyChatflow = async () => {
    await page.waitForFunction(() => (window as unknown as { Parley?: { loaded?: boolean } }).Parley?.loaded === true);
    return page.evaluate(
      () =>
        new Promise<string | null>((resolve) =>
          (window as unknown as { Parley: { on: (event: string, cb: (info: { chatflowId: string | null }) => void) => void } }).Parley.on("ready", (info) =>
            resolve(info.chatflowId),
          ),
        ),
    );
  };

  const home = await page.goto("/demo");
  expect(home?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Reusable rockets for small teams" })).toBeVisible();
  // The plain snippet a customer pastes, on Parley's own origin.
  await expect(page.locator(`script[async][src="/widget.js"][data-parley-channel="${channelId}"]`)).toHaveCount(1);
  const homeFlow = await readyChatflow();
  expect(homeFlow, "a chatflow shows on the demo home page").toBeTruthy();
  await expect(page.getByRole("button", { name: /^Chat with us/ })).toBeVisible();
  await expect(page.getByRole("button", { name: `Open the chat: ${LEAD_WELCOME}` })).toBeVisible();

  // The site's own navigation is client-side: the widget re-evaluates and the lead bot hides.
  await page.getByRole("navigation", { name: "Acme Rockets" }).getByRole("link", { name: "Pricing" }).click();
  await expect(page).toHaveURL(/\/demo\/pricing$/);
  await expect(page.getByRole("heading", { level: 1, name: "Pricing" })).toBeVisible();
  await expect(page.getByText(LEAD_WELCOME)).toHaveCount(0);

  const pricing = await page.goto("/demo/pricing");
  expect(pricing?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Pricing" })).toBeVisible();
  expect(await readyChatflow(), "the lead bot is hidden on /demo/pricing").not.toBe(homeFlow);
  await expect(page.getByText(LEAD_WELCOME)).toHaveCount(0);
  expect(errors).toEqual([]);
  await context.close();
});
