/**
 * "Email me this conversation" (transcript-card.ts) in a real DOM: the panel with the card and
 * the panel's stylesheet, bundled by esbuild and rendered in Debian's Chromium, headless, on a
 * blank page; the server's answers are given by the harness (`load`, `send`), as chat-ui.ts would
 * pass on the API's. Driven by keyboard and by role and name; axe-core checks the form.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHarness } from "./test-harness.js";
import { readTranscriptState, transcriptBody } from "./transcript-card.js";

const HARNESS = `
import { createPanelView } from "./view.ts";
import { createTranscriptCard } from "./transcript-card.ts";
import { ApiError } from "./api.ts";
import { PANEL_CSS } from "./styles.ts";
import { chat as en } from "../i18n/en.ts";
const flow = {
  id: "flow", kind: "live_chat", versionId: "v1", language: "en", available: true, awayMessage: "", awayBehaviour: "hide", transcripts: true,
  display: { welcomeMessage: "", popOpen: { mode: "never" }, heading: { name: "Acme", avatars: [] }, accentColor: "#0b7285", launcherPosition: "bottom_right" },
  branding: { showPoweredBy: true },
};
window.renderTranscript = (state, refusal) => {
  document.body.replaceChildren();
  const host = document.createElement("div");
  host.style.cssText = "--a:#0b7285;--t:#fff;--k:#0b7285";
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  const style = document.createElement("style");
  style.textContent = PANEL_CSS;
  root.append(style);
  const view = createPanelView(root, en, { onClose() {}, onSend() {}, onChoose() {}, onFile() {}, fileUrl: () => Promise.reject(new Error("none")) });
  view.setChatflow(flow, en);
  view.showChat();
  view.show();
  view.addMessage({ id: "10", author: "agent", text: "Glad I could help!", createdAt: "2026-11-26T04:00:00.000Z" });
  window.sent = [];
  const card = createTranscriptCard(
    en,
    async () => state,
    async (email) => {
      window.sent.push(email);
      if (refusal) throw new ApiError(refusal, "refused", "refused");
      return email ?? state.email;
    },
  );
  view.setCard(card.element, "transcript");
};
`;

interface Harness {
  renderTranscript: (state: unknown, refusal?: number) => void;
  sent: Array<string | null>;
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ browser, page } = await openHarness(HARNESS, '<!doctype html><html lang="en"><head><title>Transcript card</title></head><body></body></html>'));
});

afterAll(async () => {
  await browser?.close();
});

const render = (state: unknown, refusal?: number) =>
  page.evaluate(([s, r]) => (window as unknown as Harness).renderTranscript(s, r as number | undefined), [state, refusal] as const);
const sent = () => page.evaluate(() => (window as unknown as Harness).sent);
const askButton = () => page.getByRole("button", { name: "Email me this conversation" });
const KNOWN = { available: true, email: "v•••@example.com", remaining: 3 };

describe("the transcript card", () => {
  it("offers the visitor's own address, masked, and confirms with the keyboard alone", async () => {
    await render(KNOWN);
    await askButton().focus();
    await page.keyboard.press("Enter");
    await expect(page.getByText("Send a copy of this conversation to v•••@example.com?").isVisible()).resolves.toBe(true);
    const send = page.getByRole("button", { name: "Send copy" });
    await expect(send.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)).resolves.toBe(true);
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);
    await page.keyboard.press("Enter");
    const status = page.getByRole("status").filter({ hasText: "On its way to v•••@example.com" });
    await status.waitFor();
    expect(await sent()).toEqual([null]);
  });

  it("takes another address, checks it before sending, and shows a refused one at the field", async () => {
    await render(KNOWN);
    await askButton().click();
    await page.getByRole("button", { name: "Use another address" }).click();
    const field = page.getByRole("textbox", { name: "Your email" });
    await field.fill("not an address");
    await page.getByRole("button", { name: "Send copy" }).click();
    expect(await field.getAttribute("aria-invalid")).toBe("true");
    await expect(page.getByText("Please enter a valid email address, like name@example.com.").isVisible()).resolves.toBe(true);
    expect(await sent()).toEqual([]);
    await field.fill("  boss@example.com ");
    await page.getByRole("button", { name: "Send copy" }).click();
    await page.getByRole("status").filter({ hasText: "On its way to boss@example.com" }).waitFor();
    expect(await sent()).toEqual(["boss@example.com"]);

    // The server refuses the address (400): said at the field, and Send is there to try again.
    await render({ available: true, email: null, remaining: 3 }, 400);
    await askButton().click();
    await page.getByRole("textbox", { name: "Your email" }).fill("odd@example.com");
    await page.getByRole("button", { name: "Send copy" }).click();
    await expect.poll(() => page.getByRole("textbox", { name: "Your email" }).getAttribute("aria-invalid")).toBe("true");
    expect(await sent()).toEqual(["odd@example.com"]);
  });

  it("says when it may not be sent: limited (429), used up, or no team email", async () => {
    await render(KNOWN, 429);
    await askButton().click();
    await page.getByRole("button", { name: "Send copy" }).click();
    await page.getByRole("alert").filter({ hasText: "You have asked for this conversation by email recently." }).waitFor();

    await render({ ...KNOWN, remaining: 0 });
    await askButton().click();
    await page.getByRole("status").filter({ hasText: "You have asked for this conversation by email recently." }).waitFor();
    expect(await page.getByRole("button", { name: "Send copy" }).count()).toBe(0);

    await render({ ...KNOWN, available: false });
    await askButton().click();
    await page.getByRole("status").filter({ hasText: "This conversation cannot be sent by email right now." }).waitFor();
    expect(await sent()).toEqual([]);
  });
});

describe("readTranscriptState and transcriptBody", () => {
  it("read the server's answer and write the request", () => {
    expect(readTranscriptState({ available: true, email: "a•••@b.test", remaining: 2 })).toEqual({ available: true, email: "a•••@b.test", remaining: 2 });
    expect(readTranscriptState({ available: "yes" })).toBeNull();
    expect(readTranscriptState("<html>")).toBeNull();
    expect(transcriptBody(null, "Europe/Berlin")).toEqual({ timeZone: "Europe/Berlin" });
    expect(transcriptBody(" a@b.test ", undefined)).toEqual({ email: "a@b.test" });
    expect(transcriptBody("", "")).toEqual({});
  });
});
