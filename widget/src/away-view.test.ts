/**
 * The away view's contact line in a real DOM: vitest runs widget tests in Node (no DOM), so the
 * panel (view.ts, bundled by esbuild as the widget build does) is rendered in Debian's Chromium,
 * headless, on a blank page — no server, no network. What a visitor would notice is asserted:
 * the sentence, the mailto link, where it sits, and that the server's text is never markup.
 */
import type { Browser, Page } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHarness } from "./test-harness.js";
import type { Chatflow } from "./types.js";

const HARNESS = `
import { createPanelView } from "./view.ts";
import { chat as en } from "../i18n/en.ts";
import { chat as de } from "../i18n/de.ts";
window.renderAway = (language, chatflow, collectEmail) => {
  document.body.replaceChildren();
  const host = document.createElement("div");
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  const view = createPanelView(root, language === "de" ? de : en, { onClose() {}, onSend() {}, onChoose() {} });
  view.showAway(chatflow, collectEmail, async () => null);
  view.show();
  window.away = root.querySelector(".aw");
};
`;

let browser: Browser;
let page: Page;

beforeAll(async () => {
  ({ browser, page } = await openHarness(HARNESS));
});

afterAll(async () => {
  await browser?.close();
});

const chatflow = (contactEmail: unknown): Chatflow =>
  ({
    id: "flow",
    kind: "live_chat",
    versionId: "v1",
    language: "en",
    display: {
      welcomeMessage: "",
      popOpen: { mode: "never" },
      heading: { name: "Acme", avatars: [] },
      accentColor: "#0b7285",
      launcherPosition: "bottom_right",
    },
    available: false,
    awayMessage: "We're away right now.",
    awayBehaviour: "away_message",
    branding: { showPoweredBy: true },
    ...(contactEmail === undefined ? {} : { contactEmail }),
  }) as Chatflow;

interface Rendered {
  /** The away view's children: tag and text, in order. */
  readonly parts: ReadonlyArray<{ readonly tag: string; readonly text: string }>;
  readonly links: ReadonlyArray<{ readonly href: string; readonly text: string; readonly target: string | null }>;
  /** Elements anywhere in the away view other than the ones the view itself builds. */
  readonly foreign: ReadonlyArray<string>;
}

const render = (language: "en" | "de", flow: Chatflow, collectEmail: boolean): Promise<Rendered> =>
  page.evaluate(
    ([language, flow, collectEmail]) => {
      const w = window as unknown as { renderAway: (l: string, f: unknown, c: boolean) => void; away: HTMLElement };
      w.renderAway(language, flow, collectEmail);
      const own = new Set(["P", "A", "FORM", "LABEL", "INPUT", "TEXTAREA", "BUTTON"]);
      return {
        parts: Array.from(w.away.children, (el) => ({ tag: el.tagName.toLowerCase(), text: el.textContent ?? "" })),
        links: Array.from(w.away.querySelectorAll("a"), (a) => ({ href: a.getAttribute("href") ?? "", text: a.textContent ?? "", target: a.getAttribute("target") })),
        foreign: Array.from(w.away.querySelectorAll("*"), (el) => el.tagName).filter((tag) => !own.has(tag)),
      };
    },
    [language, flow, collectEmail] as const,
  );

describe("the away view's contact line", () => {
  it("says 'Or email us at' under the away message, the address a mailto link", async () => {
    const shown = await render("en", chatflow("help@acme.test"), false);
    expect(shown.parts).toEqual([
      { tag: "p", text: "We're away right now." },
      { tag: "p", text: "Or email us at help@acme.test" },
    ]);
    expect(shown.links).toEqual([{ href: "mailto:help@acme.test", text: "help@acme.test", target: null }]);
  });

  it("speaks German when the flow does", async () => {
    const shown = await render("de", { ...chatflow("hilfe@acme.test"), language: "de" }, false);
    expect(shown.parts[1]).toEqual({ tag: "p", text: "Oder schreiben Sie uns an hilfe@acme.test" });
    expect(shown.links).toEqual([{ href: "mailto:hilfe@acme.test", text: "hilfe@acme.test", target: null }]);
  });

  it("sits under the email form when the flow collects an email", async () => {
    const shown = await render("en", { ...chatflow("help@acme.test"), awayBehaviour: "collect_email" }, true);
    expect(shown.parts.map((p) => p.tag)).toEqual(["p", "form", "p"]);
    expect(shown.parts[2]!.text).toBe("Or email us at help@acme.test");

    // After sending, the thank-you takes the form's place and the line stays under it.
    await page.getByLabel("Your email").fill("ann@example.com");
    await page.getByLabel("Your message").fill("Do you ship to Austria?");
    await page.getByRole("button", { name: "Send message" }).click();
    await page.getByRole("status").waitFor();
    const after = await page.evaluate(() => Array.from((window as unknown as { away: HTMLElement }).away.children, (el) => el.textContent));
    expect(after).toEqual(["We're away right now.", "Thanks! We got your message and will reply by email.", "Or email us at help@acme.test"]);
  });

  it("is left out when the inbox has no address, the server is older, or the value is not one address", async () => {
    for (const value of [null, undefined, "support", "<img src=x onerror=alert(1)>@acme.test", "help@acme.test\r\nBcc: spy@evil.test"]) {
      const shown = await render("en", chatflow(value), false);
      expect(shown.parts, String(value)).toEqual([{ tag: "p", text: "We're away right now." }]);
      expect(shown.links).toEqual([]);
      expect(shown.foreign).toEqual([]);
    }
  });

  it("says when the team is back, between the away message and the contact line, when the server knows", async () => {
    const opensAt = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const shown = await render("en", { ...chatflow("help@acme.test"), opensAt }, false);
    expect(shown.parts.map((p) => p.text)).toEqual(["We're away right now.", expect.stringMatching(/^We're back on \w+day, \w+ \d+ at \d{1,2}:\d\d [AP]M\.$/), "Or email us at help@acme.test"]);
    const form = await render("de", { ...chatflow(null), language: "de", awayBehaviour: "collect_email", opensAt }, true);
    expect(form.parts.map((p) => p.tag)).toEqual(["p", "p", "form"]);
    expect(form.parts[1]!.text).toMatch(/^Wir sind ab \w+, \d+\. \w+ um \d{1,2}:\d\d wieder da\.$/);
    // A named holiday comes first, in the same line; its name is text, never markup.
    const holiday = await render("en", { ...chatflow(null), opensAt, closedFor: "<b>Christmas</b> Day" }, false);
    expect(holiday.parts[1]!.text).toMatch(/^We're closed today for <b>Christmas<\/b> Day\. We're back on /);
    expect(holiday.foreign).toEqual([]);
    // Null (not known) or in the past: no line.
    for (const value of [null, new Date(Date.now() - 60_000).toISOString()]) {
      expect((await render("en", { ...chatflow(null), opensAt: value }, false)).parts).toEqual([{ tag: "p", text: "We're away right now." }]);
    }
  });

  it("shows an odd but valid address as text, its mailto unable to add a cc or a body", async () => {
    const shown = await render("en", chatflow("a?cc=spy&body=hi#x%@acme.test"), false);
    expect(shown.parts[1]!.text).toBe("Or email us at a?cc=spy&body=hi#x%@acme.test");
    expect(shown.links).toEqual([{ href: "mailto:a%3Fcc%3Dspy%26body%3Dhi%23x%25@acme.test", text: "a?cc=spy&body=hi#x%@acme.test", target: null }]);
    expect(shown.foreign).toEqual([]);
  });
});
