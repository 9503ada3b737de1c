import { describe, expect, it } from "vitest";
import * as de from "../i18n/de.js";
import * as en from "../i18n/en.js";
import { contactLine, isContactAddress, mailtoHref } from "./contact-email.js";

describe("contactLine", () => {
  it("splits the English and German sentences around the address", () => {
    expect(contactLine(en.chat.awayContact, "help@acme.test")).toEqual({
      before: "Or email us at ",
      address: "help@acme.test",
      href: "mailto:help@acme.test",
      after: "",
    });
    const german = contactLine(de.chat.awayContact, "hilfe@acme.test");
    expect(german?.before).toBe("Oder schreiben Sie uns an ");
    expect(german?.href).toBe("mailto:hilfe@acme.test");
    // Joined, the parts are the sentence with the address in its slot.
    expect(`${german?.before}${german?.address}${german?.after}`).toBe("Oder schreiben Sie uns an hilfe@acme.test");
  });

  it("keeps text after the slot, and puts the address at the end of a sentence without one", () => {
    expect(contactLine("Write to {email}, we answer daily.", "a@b.io")).toMatchObject({ before: "Write to ", after: ", we answer daily." });
    expect(contactLine("Write to us", "a@b.io")).toMatchObject({ before: "Write to us ", address: "a@b.io", after: "" });
  });

  it("offers nothing when the server sends no address, an older server sends no field, or the value is not one address", () => {
    for (const value of [null, undefined, "", 42, {}, ["a@b.io"]]) expect(contactLine(en.chat.awayContact, value)).toBeNull();
    for (const value of [
      "support",
      "support@acme",
      "@acme.test",
      "two words@acme.test",
      "a@b.io, c@d.io",
      "a@b.io;c@d.io",
      "Help <help@acme.test>",
      "<img src=x onerror=alert(1)>@acme.test",
      'x"@acme.test',
      "help@acme.test\r\nBcc: spy@evil.test",
      "help@acme.test\u0000",
      `${"x".repeat(250)}@acme.test`,
    ]) {
      expect(isContactAddress(value), JSON.stringify(value)).toBe(false);
      expect(contactLine(en.chat.awayContact, value)).toBeNull();
    }
  });
});

describe("mailtoHref", () => {
  it("encodes what a mailto URL would read as syntax, so an address cannot add a cc, a subject or a body", () => {
    expect(mailtoHref("sales+web@acme.test")).toBe("mailto:sales%2Bweb@acme.test");
    const tricky = "a?cc=spy@evil.test&body=hi#x@acme.test";
    expect(isContactAddress(tricky)).toBe(false); // two @: not one address
    const odd = "a?cc=spy&body=hi#x%@acme.test";
    expect(isContactAddress(odd)).toBe(true); // the server accepts this shape, so the widget must cope
    const href = mailtoHref(odd);
    expect(href).toBe("mailto:a%3Fcc%3Dspy%26body%3Dhi%23x%25@acme.test");
    const url = new URL(href);
    expect(url.search).toBe("");
    expect(url.hash).toBe("");
    expect(decodeURIComponent(url.pathname)).toBe(odd);
  });

  it("keeps an international domain readable by mail programs (UTF-8, percent-encoded)", () => {
    expect(mailtoHref("info@müller.de")).toBe("mailto:info@m%C3%BCller.de");
  });
});
