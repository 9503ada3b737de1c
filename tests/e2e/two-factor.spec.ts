/**
 * Two-factor sign-in as people use it in real Chromium: a new admin turns it on under Your
 * profile (the code computed here from the key the page shows, as an authenticator app would),
 * signs in with password + code and with a recovery code; requiring it sends a new agent to set
 * it up before anything else; and the seeded admin resets it for someone who lost their phone.
 *
 * The seeded users never get two-factor sign-in, and the requirement is switched off again
 * (also when a test fails), so later specs sign in as before.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import * as OTPAuth from "otpauth";
import { readFile } from "node:fs/promises";
import { adminEmail, adminPassword, login, seriousViolations, writeServerDatabase } from "./helpers.js";

// A code may have to wait for the next 30-second step (a used one is refused), so allow for it.
test.describe.configure({ mode: "serial", timeout: 120_000 });

const stamp = Date.now();
const tess = { name: "Tess Twofactor", email: `tess-${stamp}@example.com`, password: "tess-password-1" };
const cole = { name: "Cole Required", email: `cole-${stamp}@example.com`, password: "cole-password-1" };
let tessSecret = "";
let tessRecoveryCodes: string[] = [];

/** The newest time step each secret's code was used in: the server refuses a code of that step or an older one. */
const lastSteps = new Map<string, number>();
const STEP_MS = 30_000;

/**
 * A code the server will take for `secret`: of the current step, or of the next one (±1 step is
 * accepted) when the current one was used already; waits for time to move on otherwise.
 */
const nextCode = async (secret: string): Promise<string> => {
  for (;;) {
    const step = Math.floor(Date.now() / STEP_MS);
    const target = Math.max(step, (lastSteps.get(secret) ?? 0) + 1);
    if (target <= step + 1) {
      lastSteps.set(secret, target);
      return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate({ timestamp: target * STEP_MS + 1_000 });
    }
    await new Promise((done) => setTimeout(done, 1_000));
  }
};

test.afterAll(() => {
  // Whatever happened above, later specs sign in without being sent to set it up.
  writeServerDatabase("DELETE FROM settings WHERE key = 'require_two_factor'");
});

const createUser = async (page: Page, person: { name: string; email: string; password: string }, role: string) => {
  await page.goto("/settings/users");
  const form = page.getByRole("region", { name: "Create a user" });
  await form.getByLabel("Name").fill(person.name);
  await form.getByLabel("Email").fill(person.email);
  await form.getByLabel("Role").selectOption(role);
  await form.getByLabel("Password").fill(person.password);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByRole("status")).toHaveText(`Created ${person.name} (${person.email}).`);
};

/** On a page showing the setup: reads the key, types the app's code, turns it on; returns the key and the recovery codes shown. */
const setUp = async (page: Page) => {
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByRole("button", { name: "Set up two-factor authentication" }).click();
  await expect(section.getByRole("img", { name: "QR code to scan with your authenticator app" })).toBeVisible();
  const secret = (await section.getByLabel("Setup key").inputValue()).replace(/\s/g, "");
  expect(await seriousViolations(page)).toEqual([]);
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await section.getByLabel("Code from your app").fill("000000");
  await section.getByRole("button", { name: "Turn on" }).click();
  await expect(section.getByLabel("Code from your app")).toHaveAttribute("aria-invalid", "true");
  await section.getByLabel("Code from your app").fill(await nextCode(secret));
  await section.getByRole("button", { name: "Turn on" }).click();
  await expect(section.getByRole("status").first()).toHaveText("Two-factor authentication is on.");
  const codes = await section.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents();
  expect(await seriousViolations(page)).toEqual([]);
  expect(codes).toHaveLength(10);
  return { secret, codes };
};

/** Password, then the second step with `code`. */
const signInWithCode = async (page: Page, person: { email: string; password: string }, code: string) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/two-factor(\?|$)/);
  await expect(page.getByRole("heading", { level: 1, name: "Two-factor authentication" })).toBeVisible();
  await page.getByLabel("Enter the 6-digit code from your app").fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
};

const logOut = async (page: Page) => {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login$/);
};

const newPage = async (browser: Browser) => (await browser.newContext()).newPage();

test("a user turns on two-factor authentication, then signs in with a code and with a recovery code", async ({ page, browser }) => {
  await login(page, adminEmail(), adminPassword());
  await createUser(page, tess, "admin");

  const own = await newPage(browser);
  await login(own, tess.email, tess.password);
  await own.goto("/settings/profile");
  const { secret, codes } = await setUp(own);
  tessSecret = secret;
  tessRecoveryCodes = codes;
  const section = own.getByRole("region", { name: "Two-factor authentication" });
  // The codes download as a text file, with nothing but what the page shows.
  const [download] = await Promise.all([own.waitForEvent("download"), section.getByRole("link", { name: "Download as .txt" }).click()]);
  expect(download.suggestedFilename()).toBe("parley-recovery-codes.txt");
  const text = await readFile((await download.path())!, "utf8");
  for (const code of codes) expect(text).toContain(code);
  await own.reload();
  // Shown once: after a reload only the count is left.
  await expect(section.getByRole("list", { name: "Recovery codes" })).toHaveCount(0);
  await expect(section).toContainText("You have 10 recovery codes left.");
  await logOut(own);

  // The password alone opens nothing.
  await signInWithCode(own, tess, "123456");
  await expect(own.getByRole("alert")).toContainText("That code is not right");
  await own.goto("/flows");
  await expect(own).toHaveURL(/\/login\?redirectTo=%2Fflows$/);

  await signInWithCode(own, tess, await nextCode(tessSecret));
  await expect(own).toHaveURL(/\/flows$/);
  await logOut(own);

  await signInWithCode(own, tess, tessRecoveryCodes[0]!);
  await expect(own.getByRole("heading", { level: 1, name: "Signed in with a recovery code" })).toBeVisible();
  await expect(own.getByRole("status")).toHaveText("That recovery code is now used up. You have 9 recovery codes left.");
  await own.getByRole("link", { name: "Continue" }).click();
  await expect(own).toHaveURL(/\/flows$/);
  await logOut(own);
  // Spent: the same recovery code is refused.
  await signInWithCode(own, tess, tessRecoveryCodes[0]!);
  await expect(own.getByRole("alert")).toContainText("That code is not right");
  await own.context().close();
});

test("requiring two-factor authentication sends a user without it to set it up before anything else", async ({ page, browser }) => {
  await signInWithCode(page, tess, await nextCode(tessSecret));
  await expect(page).toHaveURL(/\/flows$/);
  await createUser(page, cole, "agent");
  const requirement = page.getByRole("region", { name: "Two-factor authentication" });
  await requirement.getByLabel("Require two-factor authentication for all users").check();
  await requirement.getByRole("button", { name: "Save" }).click();
  await expect(requirement.getByRole("status")).toHaveText("Two-factor authentication is now required for all users.");

  const agent = await newPage(browser);
  await agent.goto("/login");
  await agent.getByLabel("Email").fill(cole.email);
  await agent.getByLabel("Password").fill(cole.password);
  await agent.getByRole("button", { name: "Sign in" }).click();
  await expect(agent).toHaveURL(/\/two-factor$/);
  await expect(agent.getByRole("heading", { level: 1, name: "Set up two-factor authentication" })).toBeVisible();
  await expect(agent.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await agent.goto("/inbox");
  await expect(agent).toHaveURL(/\/two-factor$/);
  await setUp(agent);
  await agent.getByRole("link", { name: "I have saved my recovery codes: continue" }).click();
  await expect(agent).toHaveURL(/\/inbox$/);
  await expect(agent.getByRole("navigation", { name: "Main" })).toBeVisible();
  await agent.context().close();

  await page.goto("/settings/users");
  await expect(page.getByRole("row", { name: new RegExp(cole.email) }).getByText("On", { exact: true })).toBeVisible();
  await requirement.getByLabel("Require two-factor authentication for all users").uncheck();
  await requirement.getByRole("button", { name: "Save" }).click();
  await expect(requirement.getByRole("status")).toHaveText("Two-factor authentication is no longer required.");
});

test("an admin resets the two-factor authentication of someone who lost their phone", async ({ page, browser }) => {
  await login(page, adminEmail(), adminPassword());
  await page.goto("/settings/users");
  await page.getByRole("row", { name: new RegExp(tess.email) }).getByRole("link", { name: tess.name }).click();
  const card = page.getByRole("region", { name: "Two-factor authentication" });
  await expect(card).toContainText("On since");
  await card.getByRole("button", { name: `Reset two-factor authentication of ${tess.name}` }).click();
  await expect(card.getByRole("status")).toContainText(`Two-factor authentication of ${tess.name} is reset`);
  await expect(card).toContainText(`Off ${tess.name} signs in with a password only.`);

  const own = await newPage(browser);
  await login(own, tess.email, tess.password);
  await expect(own).toHaveURL(/\/flows$/);
  await own.context().close();
});
