import { describe, expect, it } from "vitest";
import { checkAttributes, checkAwayForm, checkIdentify } from "./validate.js";

const hash = "a".repeat(64);

describe("checkIdentify", () => {
  it("accepts email, optional name and a hex HMAC, trimming and lower-casing", () => {
    expect(checkIdentify({ email: " ada@example.com ", name: "Ada", hash: hash.toUpperCase() })).toEqual({
      ok: true,
      value: { email: "ada@example.com", name: "Ada", hash },
    });
    expect(checkIdentify({ email: "ada@example.com", hash })).toEqual({ ok: true, value: { email: "ada@example.com", hash } });
  });

  it("names the field that is wrong", () => {
    expect(checkIdentify("ada@example.com")).toMatchObject({ ok: false, path: "identify" });
    expect(checkIdentify({ hash })).toMatchObject({ ok: false, path: "identify.email" });
    expect(checkIdentify({ email: "not an email", hash })).toMatchObject({ ok: false, path: "identify.email" });
    expect(checkIdentify({ email: "ada@example.com", name: 7, hash })).toMatchObject({ ok: false, path: "identify.name" });
    expect(checkIdentify({ email: "ada@example.com" })).toMatchObject({ ok: false, path: "identify.hash" });
    expect(checkIdentify({ email: "ada@example.com", hash: "secret" })).toMatchObject({ ok: false, path: "identify.hash" });
  });
});

describe("checkAttributes", () => {
  it("accepts strings, finite numbers and booleans", () => {
    expect(checkAttributes({ plan: "pro", seats: 12, trial: false })).toEqual({ ok: true, value: { plan: "pro", seats: 12, trial: false } });
  });

  it("refuses other values, naming the key", () => {
    expect(checkAttributes({ plan: { nested: true } })).toMatchObject({ ok: false, path: "setAttributes.plan" });
    expect(checkAttributes({ seats: Number.NaN })).toMatchObject({ ok: false, path: "setAttributes.seats" });
    expect(checkAttributes({ at: null })).toMatchObject({ ok: false, path: "setAttributes.at" });
    expect(checkAttributes([1, 2])).toMatchObject({ ok: false, path: "setAttributes" });
    expect(checkAttributes({})).toMatchObject({ ok: false, path: "setAttributes" });
  });
});

describe("checkAwayForm", () => {
  it("asks for a valid email and a message", () => {
    expect(checkAwayForm("ada@example.com", "Hello")).toEqual({});
    expect(checkAwayForm("ada@", "  ")).toEqual({ email: "invalidEmail", text: "emptyMessage" });
  });
});
