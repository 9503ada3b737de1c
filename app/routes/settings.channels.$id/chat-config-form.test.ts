import { describe, expect, it } from "vitest";
import { chatConfigErrors, chatConfigFromForm, FOLLOW_UP_CHOICES, followUpLabel, splitOrigins } from "./chat-config-form.js";

const form = (entries: Record<string, string>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(entries)) data.append(key, value);
  return data;
};

describe("chatConfigFromForm", () => {
  it("turns the fields into the service's input, one origin per line", () => {
    const { input, values } = chatConfigFromForm(
      form({
        allowedOrigins: "https://a.example\r\n\r\n  https://b.example , *\n",
        brandName: "Acme",
        logoUrl: "",
        accentColor: "#0b7285",
        launcherPosition: "bottom_left",
        showPoweredBy: "on",
      }),
    );
    expect(input).toEqual({
      allowedOrigins: ["https://a.example", "https://b.example", "*"],
      branding: { name: "Acme", logoUrl: "", accentColor: "#0b7285", launcherPosition: "bottom_left", showPoweredBy: true },
    });
    expect(values.showPoweredBy).toBe("on");
  });

  it("reads an unticked checkbox and missing fields as off and empty", () => {
    const { input, values } = chatConfigFromForm(form({}));
    expect(input).toEqual({
      allowedOrigins: [],
      branding: { name: "", logoUrl: "", accentColor: "", launcherPosition: "", showPoweredBy: false },
    });
    expect(values.showPoweredBy).toBe("");
  });
});

describe("chatConfigErrors", () => {
  it("files each issue under its field, quoting the origin at fault, first message wins", () => {
    const origins = splitOrigins("https://ok.example\nexample.com\nftp://x");
    expect(
      chatConfigErrors(
        [
          { path: "allowedOrigins[1]", message: "expected an origin like https://example.com" },
          { path: "allowedOrigins[2]", message: "second" },
          { path: "branding.name", message: "a name is at most 100 characters" },
          { path: "branding.accentColor", message: "a colour is #rrggbb" },
          { path: "allowedOrigins", message: "at most 100 origins" },
          { path: "", message: "whole form" },
        ],
        origins,
      ),
    ).toEqual({
      allowedOrigins: "“example.com”: expected an origin like https://example.com",
      brandName: "a name is at most 100 characters",
      accentColor: "a colour is #rrggbb",
      form: "whole form",
    });
  });
});

describe("the follow-up wait", () => {
  it("is a number of minutes when given as digits, text for the schema to refuse otherwise, and absent (kept) when empty", () => {
    const form = (value: string | null) => {
      const f = new FormData();
      if (value !== null) f.set("followUpMinutes", value);
      return (chatConfigFromForm(f).input as { followUpMinutes?: unknown }).followUpMinutes;
    };
    expect(form("15")).toBe(15);
    expect(form("0")).toBe(0);
    expect(form("-5")).toBe("-5");
    expect(form("")).toBeUndefined();
    expect(form(null)).toBeUndefined();
  });

  it("files the schema's refusal under its field, and names the choices", () => {
    expect(chatConfigErrors([{ path: "followUpMinutes", message: "a whole number" }], [])).toEqual({ followUpMinutes: "a whole number" });
    expect(FOLLOW_UP_CHOICES.map(followUpLabel)).toContain("After 5 minutes");
    expect(followUpLabel(0)).toBe("Off: never email them");
    expect(followUpLabel(120)).toBe("After 2 hours");
    expect(followUpLabel(1440)).toBe("After 1 day");
  });
});
