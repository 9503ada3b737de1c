/**
 * Parley on a phone (390 × 844): every page each role opens fits the screen's width — the page
 * never scrolls sideways — and every area in the top navigation can be reached from it.
 * Wide tables scroll inside their card instead of widening the page.
 */
import { expect, test, type Page } from "@playwright/test";
import { adminEmail, adminPassword, demoUsers, login } from "./helpers.js";

const PHONE = { width: 390, height: 844 };

const pagesByRole: Record<string, { email: () => string; pages: ReadonlyArray<string> }> = {
  admin: {
    email: adminEmail,
    pages: [
      "/flows",
      "/inbox",
      "/tickets",
      "/reports",
      "/reports/bots",
      "/reports/team",
      "/settings/users",
      "/settings/inboxes",
      "/settings/channels",
      "/settings/teams",
      "/settings/routing",
      "/settings/saved-replies",
      "/settings/profile",
    ],
  },
  agent: { email: () => demoUsers.agent, pages: ["/inbox", "/tickets", "/settings/profile"] },
  marketer: { email: () => demoUsers.marketer, pages: ["/flows", "/settings/profile"] },
  analyst: { email: () => demoUsers.analyst, pages: ["/reports", "/reports/bots", "/reports/team", "/settings/profile"] },
};

/** How many CSS pixels the page is wider than the screen (0 when it fits). */
const sidewaysOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

for (const [role, { email, pages }] of Object.entries(pagesByRole)) {
  test(`on a phone, the ${role}'s pages fit the screen's width`, async ({ page }) => {
    await page.setViewportSize(PHONE);
    await login(page, email(), adminPassword());
    for (const path of pages) {
      await page.goto(path);
      await expect(page.getByRole("main")).toBeVisible();
      expect(await sidewaysOverflow(page), `${path} is wider than the phone`).toBeLessThanOrEqual(0);
    }
  });
}

test("on a phone, every area in the top navigation can be scrolled to and opened", async ({ page }) => {
  await page.setViewportSize(PHONE);
  await login(page, adminEmail(), adminPassword());
  await page.goto("/flows");
  const nav = page.getByRole("navigation", { name: "Main" });
  const links = nav.getByRole("link");
  const names = await links.allTextContents();
  expect(names).toEqual(["Flows", "Inbox", "Tickets", "Reports", "Settings"]);
  const last = links.last();
  await last.scrollIntoViewIfNeeded();
  const box = (await last.boundingBox())!;
  expect(box.x, "the last area starts on screen").toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, "the last area ends on screen").toBeLessThanOrEqual(PHONE.width);
  await last.click();
  await expect(page).toHaveURL(/\/settings/);
  expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
});
