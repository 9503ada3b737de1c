import { Either } from "effect";
import { describe, expect, it } from "vitest";
import { addressEntries, checkSettings, hintOf, imapDefaultPort, readStoredConfig } from "./email-settings.js";

const form = {
  addresses: "Support@Example.com\nhelp@example.com",
  fromName: "Acme Support",
  fromAddress: "support@example.com",
  signature: "Acme\r\nexample.com",
  smtpHost: "smtp.example.com",
  smtpPort: "587",
  smtpSecurity: "starttls",
  smtpUser: "postmaster@example.com",
  smtpPassword: "s3cret-pass",
};
const nobody = () => false;
const issuesOf = (result: Either.Either<unknown, ReadonlyArray<{ path: string; message: string }>>) =>
  Either.isLeft(result) ? Object.fromEntries(result.left.map((i) => [i.path, i.message])) : {};

describe("checkSettings", () => {
  it("stores a full form: addresses lower-cased, relay with its password, signature's line ends", () => {
    const result = checkSettings({ other: 1 }, form, nobody);
    expect(Either.isRight(result)).toBe(true);
    const stored = Either.getOrThrow(result);
    expect(stored.other).toBe(1);
    expect(readStoredConfig(stored)).toEqual({
      addresses: ["support@example.com", "help@example.com"],
      fromName: "Acme Support",
      fromAddress: "support@example.com",
      signature: "Acme\nexample.com",
      relay: { host: "smtp.example.com", port: 587, security: "starttls", user: "postmaster@example.com", password: "s3cret-pass" },
      incoming: "smtp",
      imap: null,
    });
  });

  it("keeps the stored password when the field is empty, and replaces it when typed", () => {
    const stored = Either.getOrThrow(checkSettings({}, form, nobody));
    const kept = Either.getOrThrow(checkSettings(stored, { ...form, smtpPassword: "" }, nobody));
    expect(readStoredConfig(kept).relay?.password).toBe("s3cret-pass");
    const replaced = Either.getOrThrow(checkSettings(stored, { ...form, smtpPassword: "new-one" }, nobody));
    expect(readStoredConfig(replaced).relay?.password).toBe("new-one");
  });

  it("stores no relay when its host is empty (replies then fail with a clear reason)", () => {
    const stored = Either.getOrThrow(checkSettings({}, { ...form, smtpHost: "", smtpPort: "", smtpUser: "", smtpPassword: "" }, nobody));
    expect(readStoredConfig(stored).relay).toBeNull();
  });

  it("reports every bad field at once with its own message", () => {
    const result = checkSettings(
      {},
      {
        addresses: "support@example.com, not-an-address, support@example.com",
        fromName: "",
        fromAddress: "nope",
        signature: "x".repeat(2001),
        smtpHost: "smtp example",
        smtpPort: "99999",
        smtpSecurity: "ssl",
        smtpUser: "a\nb",
        smtpPassword: "",
      },
      nobody,
    );
    const issues = issuesOf(result);
    expect(issues.addresses).toMatch(/“not-an-address”: expected an email address.*; “support@example.com” is listed twice/);
    expect(issues.fromName).toMatch(/enter the name replies are sent as/);
    expect(issues.fromAddress).toMatch(/expected an email address/);
    expect(issues.signature).toMatch(/at most 2,000/);
    expect(issues.smtpHost).toMatch(/host name/);
    expect(issues.smtpPort).toMatch(/1 to 65535/);
    expect(issues.smtpSecurity).toMatch(/none, STARTTLS or TLS/);
    expect(issues.smtpUser).toMatch(/one line/);
  });

  it("refuses no address, a repeated one and one another channel receives", () => {
    expect(issuesOf(checkSettings({}, { ...form, addresses: " \n " }, nobody)).addresses).toMatch(/enter the team address/);
    expect(issuesOf(checkSettings({}, { ...form, addresses: "a@x.com\nA@x.com" }, nobody)).addresses).toMatch(/listed twice/);
    expect(issuesOf(checkSettings({}, form, (a) => a === "help@example.com")).addresses).toMatch(/“help@example.com” is already received by another/);
  });

  it("asks for the port, the host, or the password the relay's settings need", () => {
    expect(issuesOf(checkSettings({}, { ...form, smtpPort: "" }, nobody)).smtpPort).toMatch(/enter the relay's port/);
    expect(issuesOf(checkSettings({}, { ...form, smtpHost: "" }, nobody)).smtpHost).toMatch(/enter the relay's host/);
    expect(issuesOf(checkSettings({}, { ...form, smtpPassword: "" }, nobody)).smtpPassword).toMatch(/enter the relay password/);
  });

  it("refuses a header injection in the send-as name", () => {
    expect(issuesOf(checkSettings({}, { ...form, fromName: "Acme\r\nBcc: x@y.z" }, nobody)).fromName).toMatch(/one line/);
  });

  it("treats a missing field as a decode error, not a crash", () => {
    expect(Either.isLeft(checkSettings({}, {}, nobody))).toBe(true);
    expect(Either.isLeft(checkSettings({}, null, nobody))).toBe(true);
  });
});

describe("helpers", () => {
  it("splits addresses by lines, commas and semicolons", () => {
    expect(addressEntries("a@x.com, b@x.com;c@x.com\n\n d@x.com ")).toEqual(["a@x.com", "b@x.com", "c@x.com", "d@x.com"]);
  });
  it("reads junk config as not set", () => {
    expect(readStoredConfig({ addresses: "x", relay: { host: "h", port: "25" } })).toEqual({
      addresses: [],
      fromName: null,
      fromAddress: null,
      signature: "",
      relay: null,
      incoming: "smtp",
      imap: null,
    });
    // A mailbox without its password (or host, user, a real port) cannot be fetched: not set.
    expect(readStoredConfig({ incoming: "imap", imap: { host: "h", port: 993, user: "u" } }).imap).toBeNull();
    expect(readStoredConfig({ incoming: "imap", imap: { host: "h", port: 0, user: "u", password: "p" } }).imap).toBeNull();
    expect(readStoredConfig({ incoming: "pop3" }).incoming).toBe("smtp");
  });
  it("hints the last four characters", () => {
    expect(hintOf("abcdefgh")).toBe("efgh");
    expect(hintOf(null)).toBeNull();
  });
});

describe("checkSettings: incoming mail by IMAP", () => {
  const imap = {
    incoming: "imap",
    imapHost: " imap.example.com ",
    imapPort: "",
    imapSecurity: "tls",
    imapUser: "support@example.com",
    imapPassword: "mailbox-pass",
    imapFolder: "",
  };

  it("stores the mailbox with the usual port and INBOX when those are left empty", () => {
    const stored = readStoredConfig(Either.getOrThrow(checkSettings({}, { ...form, ...imap }, nobody)));
    expect(stored.incoming).toBe("imap");
    expect(stored.imap).toEqual({ host: "imap.example.com", port: 993, security: "tls", user: "support@example.com", password: "mailbox-pass", folder: "INBOX" });
    expect(imapDefaultPort("starttls")).toBe(143);
    const plain = readStoredConfig(Either.getOrThrow(checkSettings({}, { ...form, ...imap, imapSecurity: "starttls", imapFolder: " Support/Incoming " }, nobody)));
    expect(plain.imap).toMatchObject({ port: 143, folder: "Support/Incoming" });
  });

  it("keeps the stored mailbox password when the field is empty, and the relay's apart from it", () => {
    const first = Either.getOrThrow(checkSettings({}, { ...form, ...imap }, nobody));
    const kept = readStoredConfig(Either.getOrThrow(checkSettings(first, { ...form, ...imap, imapPassword: "", smtpPassword: "" }, nobody)));
    expect(kept.imap?.password).toBe("mailbox-pass");
    expect(kept.relay?.password).toBe("s3cret-pass");
    const replaced = readStoredConfig(Either.getOrThrow(checkSettings(first, { ...form, ...imap, imapPassword: "new-mailbox-pass" }, nobody)));
    expect(replaced.imap?.password).toBe("new-mailbox-pass");
    expect(replaced.relay?.password).toBe("s3cret-pass");
  });

  it("keeps the mailbox (and its password) when SMTP is chosen, without judging the IMAP fields", () => {
    const first = Either.getOrThrow(checkSettings({}, { ...form, ...imap }, nobody));
    const smtp = readStoredConfig(Either.getOrThrow(checkSettings(first, { ...form, ...imap, incoming: "smtp", imapPort: "not a port" }, nobody)));
    expect(smtp.incoming).toBe("smtp");
    expect(smtp.imap).toEqual(readStoredConfig(first).imap);
  });

  it("leaves how mail comes in as it is when the form has no incoming field (an older page, an API caller)", () => {
    const first = Either.getOrThrow(checkSettings({}, { ...form, ...imap }, nobody));
    const again = readStoredConfig(Either.getOrThrow(checkSettings(first, { ...form, fromName: "Acme Help" }, nobody)));
    expect(again.incoming).toBe("imap");
    expect(again.imap).toEqual(readStoredConfig(first).imap);
    expect(again.fromName).toBe("Acme Help");
  });

  it("asks for the host, user and password IMAP needs, with the form's field names, in the page's order", () => {
    const result = checkSettings({}, { ...form, ...imap, imapHost: "", imapUser: "", imapPassword: "" }, nobody);
    expect(Either.isLeft(result) ? result.left.map((i) => i.path) : []).toEqual(["imapHost", "imapUser", "imapPassword"]);
    expect(issuesOf(result)).toEqual({
      imapHost: "enter the mailbox’s IMAP server, e.g. imap.gmail.com",
      imapUser: "enter the mailbox’s user name (usually its address)",
      imapPassword: "enter the mailbox’s password (an app password at Google and Microsoft)",
    });
  });

  it("reports bad IMAP fields with their own messages, together with the others", () => {
    const issues = issuesOf(
      checkSettings(
        {},
        { ...form, fromName: "", ...imap, incoming: "pop3" },
        nobody,
      ),
    );
    expect(issues).toEqual({
      fromName: "enter the name replies are sent as, e.g. Acme Support",
      incoming: "choose Parley’s SMTP server or fetching from a mailbox (IMAP)",
    });
    const fields = issuesOf(
      checkSettings(
        {},
        { ...form, ...imap, imapHost: "imap example", imapPort: "99999", imapSecurity: "ssl", imapUser: "a\nb", imapPassword: "x\ny", imapFolder: "A\rB" },
        nobody,
      ),
    );
    expect(fields).toEqual({
      imapHost: "expected a host name like imap.example.com",
      imapPort: "a port is a number from 1 to 65535 (usually 993 for TLS)",
      imapSecurity: "choose TLS, STARTTLS or none",
      imapUser: "the mailbox user name must be on one line",
      imapPassword: "the password must be on one line",
      imapFolder: "the folder name must be on one line",
    });
  });

  it("reports a missing IMAP field as that field's issue, not a crash", () => {
    const result = checkSettings({}, { ...form, incoming: "imap" }, nobody);
    expect(Either.isLeft(result) ? result.left.map((i) => i.path) : []).toEqual(["imapHost", "imapPort", "imapSecurity", "imapUser", "imapPassword", "imapFolder"]);
  });
});
