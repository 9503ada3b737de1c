import { describe, expect, it } from "vitest";
import * as de from "../i18n/de.js";
import * as en from "../i18n/en.js";
import { format, pickLanguage } from "./i18n.js";

describe("pickLanguage", () => {
  it("prefers the flow's language when the widget speaks it", () => {
    expect(pickLanguage("de", ["en-US"])).toBe("de");
    expect(pickLanguage("de-AT", ["en-US"])).toBe("de");
    expect(pickLanguage("EN", ["de-DE"])).toBe("en");
  });

  it("falls back to the browser's languages in order, then English", () => {
    expect(pickLanguage("fr", ["fr-FR", "de-CH", "en"])).toBe("de");
    expect(pickLanguage(undefined, ["de_DE"])).toBe("de");
    expect(pickLanguage("", [])).toBe("en");
    expect(pickLanguage(42, ["ja", "pt-BR"])).toBe("en");
  });
});

describe("format", () => {
  it("fills known slots and leaves unknown ones visible", () => {
    expect(format("Chat with {name}", { name: "Parley Sales" })).toBe("Chat with Parley Sales");
    expect(format("{count} unread, {other}", { count: 3 })).toBe("3 unread, {other}");
  });
});

describe("string files", () => {
  it("have the same keys and no empty string in every language", () => {
    for (const [group, english, german] of [
      ["launcher", en.launcher, de.launcher],
      ["chat", en.chat, de.chat],
    ] as const) {
      expect(Object.keys(german).sort(), group).toEqual(Object.keys(english).sort());
      for (const value of [...Object.values(english), ...Object.values(german)]) expect(value.trim()).not.toBe("");
    }
  });

  it("keep the same slots in translations", () => {
    const slots = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
    for (const key of Object.keys(en.chat) as Array<keyof typeof en.chat>) expect(slots(de.chat[key]), key).toEqual(slots(en.chat[key]));
    for (const key of Object.keys(en.launcher) as Array<keyof typeof en.launcher>) expect(slots(de.launcher[key]), key).toEqual(slots(en.launcher[key]));
  });
});
