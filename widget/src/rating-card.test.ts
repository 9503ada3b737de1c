/**
 * The rating card in a real DOM: vitest runs widget tests in Node (no DOM), so the panel
 * (view.ts) with the card (rating-card.ts) and the panel's stylesheet is bundled by esbuild as
 * the widget build does and rendered in Debian's Chromium, headless, on a blank page — no
 * server, no network. Driven by keyboard and by role and name, as a visitor (or a screen reader)
 * meets it; axe-core checks each state.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "@playwright/test";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openHarness } from "./test-harness.js";

const HARNESS = `
import { createPanelView } from "./view.ts";
import { createRatingCard } from "./rating-card.ts";
import { PANEL_CSS } from "./styles.ts";
import { chat as en } from "../i18n/en.ts";
import { chat as de } from "../i18n/de.ts";
const flow = {
  id: "flow", kind: "live_chat", versionId: "v1", language: "en", available: true, awayMessage: "", awayBehaviour: "hide",
  display: { welcomeMessage: "", popOpen: { mode: "never" }, heading: { name: "Acme", avatars: [] }, accentColor: "#0b7285", launcherPosition: "bottom_right" },
  branding: { showPoweredBy: true },
};
window.renderCard = (language) => {
  document.body.replaceChildren();
  const host = document.createElement("div");
  host.style.cssText = "--a:#0b7285;--t:#fff;--k:#0b7285";
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = PANEL_CSS;
  root.append(style);
  const strings = language === "de" ? de : en;
  const view = createPanelView(root, strings, { onClose() {}, onSend() {}, onChoose() {}, onFile() {}, fileUrl: () => Promise.reject(new Error("none")) });
  view.setChatflow(flow, strings);
  view.showChat();
  view.show();
  view.addMessage({ id: "10", author: "agent", text: "Glad I could help!", createdAt: "2026-11-26T04:00:00.000Z" });
  window.sent = [];
  const card = createRatingCard(strings, (score, comment) => window.sent.push({ score, comment }));
  card.ask();
  view.setCard(card.element);
  window.card = card;
  window.view = view;
  window.log = root.querySelector("[role=log]");
};
`;

interface Harness {
  renderCard: (language: string) => void;
  sent: Array<{ score: number; comment: string }>;
  card: { sending: () => void; failed: (message: string) => void; thanks: (rating: { score: number; comment: string | null }) => void; ask: () => void };
  view: { addMessage: (message: unknown) => void; setCard: (card: HTMLElement | null) => void };
  log: HTMLElement;
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ browser, page } = await openHarness(HARNESS, "<!doctype html><html lang=\"en\"><head><title>Rating card</title></head><body></body></html>"));
});

afterAll(async () => {
  await browser?.close();
});

const render = (language: "en" | "de" = "en") => page.evaluate((l) => (window as unknown as Harness).renderCard(l), language);
const card = () => page.getByRole("group", { name: "How was your conversation?" });
const score = (name: string) => card().getByRole("button", { name, exact: true });
const comment = () => card().getByRole("textbox", { name: /Anything we could do better\?/ });
const sent = () => page.evaluate(() => (window as unknown as Harness).sent);
/** The transcript's entries in order: a message's text, or "card". */
const transcript = () =>
  page.evaluate(() => Array.from((window as unknown as Harness).log.children, (el) => (el.classList.contains("rt") ? "card" : el.textContent)));

const blockingViolations = async () => {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(" ")).join(", ")})`);
};

describe("the rating card", () => {
  beforeEach(async () => {
    await render();
  });

  it("asks with five named scores, none pressed, and no comment box until one is picked", async () => {
    await expect(card().isVisible()).resolves.toBe(true);
    const buttons = card().getByRole("button");
    expect(await buttons.evaluateAll((all) => all.map((b) => [b.getAttribute("aria-label"), b.getAttribute("aria-pressed"), b.getAttribute("title")]))).toEqual([
      ["1 – Terrible", "false", "1 – Terrible"],
      ["2 – Bad", "false", "2 – Bad"],
      ["3 – OK", "false", "3 – OK"],
      ["4 – Good", "false", "4 – Good"],
      ["5 – Great", "false", "5 – Great"],
    ]);
    // The word is visible under each face.
    expect(await score("4 – Good").innerText()).toContain("Good");
    await expect(comment().isVisible()).resolves.toBe(false);
    await expect(card().getByRole("button", { name: "Send" }).isVisible()).resolves.toBe(false);
    expect(await blockingViolations()).toEqual([]);
  });

  it("is rated with the keyboard alone: Tab to a score, Space picks it, the comment, Send", async () => {
    await page.evaluate(() => (window as unknown as Harness).log.focus());
    await page.keyboard.press("Tab");
    await expect(score("1 – Terrible").evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    for (let i = 0; i < 3; i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    expect(await score("4 – Good").getAttribute("aria-pressed")).toBe("true");
    expect(await card().getByRole("button", { pressed: true }).count()).toBe(1);
    // Changing one's mind before sending: only the newest pick is pressed.
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    expect(await card().getByRole("button", { pressed: true }).getAttribute("aria-label")).toBe("3 – OK");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    expect(await card().getByRole("button", { pressed: true }).getAttribute("aria-label")).toBe("4 – Good");

    await expect(comment().isVisible()).resolves.toBe(true);
    expect(await comment().getAttribute("maxlength")).toBe("1000");
    expect(await blockingViolations()).toEqual([]);
    await comment().focus();
    await page.keyboard.type("Quicker answers, please");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    expect(await sent()).toEqual([{ score: 4, comment: "Quicker answers, please" }]);
  });

  it("says it is sending, shows a failure in the card with Send to try again, then thanks with the score and Change", async () => {
    await score("2 – Bad").click();
    await card().getByRole("button", { name: "Send" }).click();
    expect(await sent()).toEqual([{ score: 2, comment: "" }]);

    await page.evaluate(() => (window as unknown as Harness).card.sending());
    const sending = card().getByRole("button", { name: "Sending…" });
    expect(await sending.getAttribute("aria-disabled")).toBe("true");
    // A second click (forced: Playwright waits for an aria-disabled button), or another score,
    // while it is on its way does nothing.
    await sending.click({ force: true });
    await score("5 – Great").click();
    expect(await sent()).toHaveLength(1);
    expect(await card().getByRole("button", { pressed: true }).getAttribute("aria-label")).toBe("2 – Bad");

    await page.evaluate(() => (window as unknown as Harness).card.failed("Your rating could not be sent: the network failed"));
    expect(await card().getByRole("alert").innerText()).toBe("Your rating could not be sent: the network failed");
    await card().getByRole("button", { name: "Send" }).click();
    expect(await sent()).toEqual([
      { score: 2, comment: "" },
      { score: 2, comment: "" },
    ]);
    await page.evaluate(() => (window as unknown as Harness).card.failed("Your rating could not be sent: the network failed"));

    // Sent from the keyboard: the focus stays on Send while it goes, then moves to the thanks.
    await card().getByRole("button", { name: "Send" }).focus();
    await page.keyboard.press("Enter");
    await page.evaluate(() => (window as unknown as Harness).card.sending());
    await expect(sending.evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    await page.evaluate(() => (window as unknown as Harness).card.thanks({ score: 2, comment: null }));
    const thanks = page.getByRole("group", { name: "Thanks for your feedback!" });
    expect(await thanks.innerText()).toMatch(/Thanks for your feedback!\s+😞 Your rating: 2 – Bad\s+Change/);
    // The keyboard stays in the card: on the thanks, not lost with the Send button.
    await expect(thanks.getByText("Thanks for your feedback!").evaluate((p) => p === (p.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    expect(await card().count()).toBe(0);
    expect(await blockingViolations()).toEqual([]);
  });

  it("Change asks again with the given score pressed and its comment kept", async () => {
    await page.evaluate(() => (window as unknown as Harness).card.thanks({ score: 5, comment: "Lovely" }));
    await page.getByRole("button", { name: "Change" }).click();
    expect(await card().getByRole("button", { pressed: true }).getAttribute("aria-label")).toBe("5 – Great");
    expect(await comment().inputValue()).toBe("Lovely");
    // Focus follows to the pressed score, not back to the top of the page.
    await expect(score("5 – Great").evaluate((b) => b === (b.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    await score("3 – OK").click();
    await card().getByRole("button", { name: "Send" }).click();
    expect(await sent()).toEqual([{ score: 3, comment: "Lovely" }]);
  });

  it("stays at the end of the transcript when a message comes in, and goes when taken away", async () => {
    await page.evaluate(() => (window as unknown as Harness).view.addMessage({ id: "11", author: "agent", text: "One more thing", createdAt: "2026-11-26T04:01:00.000Z" }));
    expect(await transcript()).toEqual(["Agent: Glad I could help!", "Agent: One more thing", "card"]);
    await page.evaluate(() => (window as unknown as Harness).view.setCard(null));
    expect(await transcript()).toEqual(["Agent: Glad I could help!", "Agent: One more thing"]);
  });

  it("speaks German when the chat does", async () => {
    await render("de");
    const frage = page.getByRole("group", { name: "Wie war Ihr Gespräch?" });
    expect(await frage.getByRole("button").evaluateAll((all) => all.map((b) => b.getAttribute("aria-label")))).toEqual([
      "1 – Sehr schlecht",
      "2 – Schlecht",
      "3 – Okay",
      "4 – Gut",
      "5 – Sehr gut",
    ]);
    await frage.getByRole("button", { name: "4 – Gut" }).click();
    expect(await frage.getByRole("textbox", { name: /Was könnten wir besser machen\?/ }).isVisible()).toBe(true);
    await page.evaluate(() => (window as unknown as Harness).card.thanks({ score: 4, comment: null }));
    expect(await page.getByRole("group", { name: "Danke für Ihr Feedback!" }).innerText()).toContain("Ihre Bewertung: 4 – Gut");
    expect(await page.getByRole("button", { name: "Ändern" }).isVisible()).toBe(true);
  });
});
