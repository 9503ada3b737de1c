import { describe, expect, it } from "vitest";
import { chatConfigErrors, chatConfigFromForm, splitOrigins } from "./chat-config-form.js";

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
