/**
 * Attachments: the pure rules (file names, content types, limits, download headers), and on
 * the app's real runtime with a fresh SQLite file, that files are stored in their message's
 * write (all or nothing, once per outside message id) and that only people who may open the
 * conversation get them back.
 */
import { Effect, Either } from "effect";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRuntime } from "./app-layer.js";
import {
  ATTACHMENT_CHAT_UPLOAD_MAX_BYTES,
  ATTACHMENT_FALLBACK_NAME,
  ATTACHMENT_MAX_FILE_BYTES,
  ATTACHMENT_MAX_FILES,
  ATTACHMENT_MAX_MAIL_BYTES,
  ATTACHMENT_MAX_NAME,
  ATTACHMENT_MESSENGER_MAX_FILE_BYTES,
  attachmentAssignIds,
  attachmentChatUploadRows,
  attachmentContentType,
  attachmentFilename,
  attachmentForActor,
  attachmentHeaders,
  attachmentNewId,
  attachmentPrepare,
  attachmentReplyLimits,
  attachmentReplyLimitsFor,
  attachmentReplyRefusal,
  type AttachmentRow,
} from "./attachments.js";
import { Channels } from "./channels.js";
import { Database, type Sqlite } from "./database.js";
import { OutsideConversations } from "./outside-conversations.js";
import { Workspace } from "./workspace.js";
import { startTestApp } from "../../tests/support/test-app.js";

describe("attachmentFilename", () => {
  it.each([
    ["invoice.pdf", "invoice.pdf"],
    ["../../evil.html", "evil.html"],
    ["C:\\Users\\ada\\Desktop\\report.docx", "report.docx"],
    ["/etc/passwd", "passwd"],
    ["..", ATTACHMENT_FALLBACK_NAME],
    ["../", ATTACHMENT_FALLBACK_NAME],
    ["", ATTACHMENT_FALLBACK_NAME],
    ["   ", ATTACHMENT_FALLBACK_NAME],
    [null, ATTACHMENT_FALLBACK_NAME],
    [undefined, ATTACHMENT_FALLBACK_NAME],
    ["line\r\nbreak\u0000.txt", "linebreak.txt"],
    ["tab\there.txt", "tabhere.txt"],
    // Right-to-left override: shown as "invoicexe.pdf" but really an .exe.
    ["invoice\u202Efdp.exe", "invoicefdp.exe"],
    ['what?<>:"|*.txt', "what_______.txt"],
    [" .hidden. ", "hidden"],
    ["Rechnung März 2026.pdf", "Rechnung März 2026.pdf"],
    ["e\u0301te\u0301.txt", "été.txt"],
  ])("%j → %j", (raw, expected) => {
    expect(attachmentFilename(raw)).toBe(expected);
  });

  it("cuts a long name to the limit and keeps its extension", () => {
    const name = attachmentFilename(`${"a".repeat(500)}.pdf`);
    expect(name).toHaveLength(ATTACHMENT_MAX_NAME);
    expect(name.endsWith("a.pdf")).toBe(true);
    // Counted in characters, and a character outside the BMP is never cut in half.
    const emoji = attachmentFilename("😀".repeat(300));
    expect(Array.from(emoji)).toHaveLength(ATTACHMENT_MAX_NAME);
    expect(emoji).toBe("😀".repeat(ATTACHMENT_MAX_NAME));
  });
});

describe("attachmentContentType", () => {
  it.each([
    ["image/png", "image/png"],
    ["IMAGE/PNG", "image/png"],
    ['text/plain; charset="utf-8"', "text/plain"],
    ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    ["image/svg+xml", "image/svg+xml"],
    ["text/html\r\nX-Evil: 1", "application/octet-stream"],
    ["image", "application/octet-stream"],
    ["/png", "application/octet-stream"],
    ["image/", "application/octet-stream"],
    ["image/png/x", "application/octet-stream"],
    ["ima ge/png", "application/octet-stream"],
    ["", "application/octet-stream"],
    [null, "application/octet-stream"],
  ])("%j → %j", (raw, expected) => {
    expect(attachmentContentType(raw)).toBe(expected);
  });
});

describe("attachmentPrepare", () => {
  const file = (name: string, bytes: number, contentType = "application/pdf") => ({ filename: name, contentType, content: Buffer.alloc(bytes, 7) });
  const limits = { maxFileBytes: 10, maxMailBytes: 25, maxFiles: 3 };

  it("stores what fits and lists the rest with the reason, in the mail's order", () => {
    const prepared = attachmentPrepare(
      [file("a.pdf", 10), file("big.pdf", 11), file("b.pdf", 10), file("c.pdf", 6), file("d.pdf", 5), file("e.pdf", 0)],
      limits,
    );
    expect(prepared.map((p) => [p.name, p.size, p.skipped])).toEqual([
      ["a.pdf", 10, null],
      ["big.pdf", 11, "too large: over 0 MB per file"],
      ["b.pdf", 10, null],
      ["c.pdf", 6, "too large: the mail's files pass 0 MB together"],
      ["d.pdf", 5, null],
      ["e.pdf", 0, "too many files: only 3 are stored per mail"],
    ]);
    expect(prepared.filter((p) => p.data !== null)).toHaveLength(3);
    // sha256 of ten bytes of 7.
    expect(prepared[0]!.sha256).toBe("bf52943413e4b2e64c1b18f831aae28a7c3e4c2792a99500c06bf6c5a933aab5");
    expect(prepared[1]!.data).toBeNull();
  });

  it("holds real mail to 10 MB a file, 25 MB a mail and 20 files", () => {
    expect([ATTACHMENT_MAX_FILE_BYTES, ATTACHMENT_MAX_MAIL_BYTES, ATTACHMENT_MAX_FILES]).toEqual([10 * 1024 * 1024, 25 * 1024 * 1024, 20]);
    const prepared = attachmentPrepare([file("big.bin", ATTACHMENT_MAX_FILE_BYTES + 1), file("ok.bin", ATTACHMENT_MAX_FILE_BYTES)]);
    expect(prepared.map((p) => p.skipped)).toEqual(["too large: over 10 MB per file", null]);
    const many = attachmentPrepare(Array.from({ length: 22 }, (_, i) => file(`f${i}.txt`, 1)));
    expect(many.filter((p) => p.skipped === null)).toHaveLength(20);
    expect(many.slice(20).map((p) => p.skipped)).toEqual(["too many files: only 20 are stored per mail", "too many files: only 20 are stored per mail"]);
  });

  it("gives each stored file a fresh unguessable id, and lists skipped ones without one", () => {
    const prepared = attachmentPrepare([file("a.pdf", 3), file("big.pdf", 11)], limits);
    const first = attachmentAssignIds(prepared);
    const second = attachmentAssignIds(prepared);
    expect(first.entries).toEqual([
      { id: first.rows[0]!.id, name: "a.pdf", type: "application/pdf", size: 3 },
      { name: "big.pdf", type: "application/pdf", size: 11, skipped: "too large: over 0 MB per file" },
    ]);
    expect("id" in first.entries[1]!).toBe(false);
    expect(first.rows[0]!.id).toMatch(/^att_[A-Za-z0-9_-]{22}$/);
    expect(second.rows[0]!.id).not.toBe(first.rows[0]!.id);
    expect(attachmentNewId()).not.toBe(attachmentNewId());
  });
});

describe("attachmentReplyLimitsFor", () => {
  const MB = 1024 * 1024;
  it("holds an email or chat reply to the reply limits, and a Messenger reply also to the Send API's 25 MB a file", () => {
    expect(attachmentReplyLimitsFor("email")).toBe(attachmentReplyLimits);
    expect(attachmentReplyLimitsFor("messenger")).toEqual({ ...attachmentReplyLimits, maxFileBytes: Math.min(attachmentReplyLimits.maxFileBytes, 25 * MB) });
    expect(attachmentReplyLimitsFor("chat")).toBe(attachmentReplyLimits);
    expect(ATTACHMENT_MESSENGER_MAX_FILE_BYTES).toBe(25 * MB);
  });

  it("keeps Messenger's per-file cap should the reply limits grow past it, and names the file over it", () => {
    const wide = { maxFiles: 10, maxFileBytes: 100 * MB, maxMailBytes: 200 * MB };
    expect(attachmentReplyLimitsFor("email", wide)).toEqual(wide);
    const messenger = attachmentReplyLimitsFor("messenger", wide)!;
    expect(messenger).toEqual({ maxFiles: 10, maxFileBytes: 25 * MB, maxMailBytes: 200 * MB });
    const files = [
      { name: "small.jpg", size: MB },
      { name: "video.mp4", size: 25 * MB + 1 },
    ];
    expect(attachmentReplyRefusal(files, wide)).toBeNull();
    expect(attachmentReplyRefusal(files, messenger)).toEqual({
      status: 413,
      path: "files[1]",
      message: "“video.mp4” is over 25 MB; a reply's files are at most 25 MB each",
    });
  });
});

describe("attachmentChatUploadRows", () => {
  it("names, types, hashes and ids the visitor's one file, and refuses one over 10 MB", () => {
    const ready = attachmentChatUploadRows({ filename: "../shot.PNG", contentType: "IMAGE/PNG; x=1", content: Buffer.from("png!") }, () => "att_1");
    expect(ready?.entry).toEqual({ id: "att_1", name: "shot.PNG", type: "image/png", size: 4 });
    expect(ready?.row).toMatchObject({ id: "att_1", filename: "shot.PNG", contentType: "image/png", size: 4 });
    expect(ready?.row.sha256).toBe(createHash("sha256").update("png!").digest("hex"));
    expect(ATTACHMENT_CHAT_UPLOAD_MAX_BYTES).toBe(10 * 1024 * 1024);
    expect(attachmentChatUploadRows({ filename: "at-limit.bin", content: Buffer.alloc(ATTACHMENT_CHAT_UPLOAD_MAX_BYTES) })).not.toBeNull();
    expect(attachmentChatUploadRows({ filename: "big.bin", content: Buffer.alloc(ATTACHMENT_CHAT_UPLOAD_MAX_BYTES + 1) })).toBeNull();
  });
});

describe("attachmentHeaders", () => {
  const headers = (contentType: string, filename = "file") => attachmentHeaders({ filename, contentType, size: 42 });

  it("serves only the allow-list as itself, shows only raster images inline", () => {
    for (const type of ["image/png", "image/jpeg", "image/gif", "image/webp"]) {
      expect(headers(type)).toMatchObject({ "Content-Type": type, "Content-Disposition": "inline; filename*=UTF-8''file" });
    }
    for (const type of ["application/pdf", "text/plain"]) {
      expect(headers(type)).toMatchObject({ "Content-Type": type, "Content-Disposition": "attachment; filename*=UTF-8''file" });
    }
    for (const type of ["text/html", "image/svg+xml", "application/xml", "text/xml", "application/javascript", "text/javascript", "application/zip", "nonsense"]) {
      expect(headers(type)).toMatchObject({ "Content-Type": "application/octet-stream", "Content-Disposition": "attachment; filename*=UTF-8''file" });
    }
  });

  it("always forbids sniffing, sandboxes the response and keeps it out of shared caches", () => {
    expect(headers("image/png")).toEqual({
      "Content-Type": "image/png",
      "Content-Disposition": "inline; filename*=UTF-8''file",
      "Content-Length": "42",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "sandbox; default-src 'none'",
      "Cache-Control": "private, max-age=0",
      "Cross-Origin-Resource-Policy": "same-origin",
    });
  });

  it("encodes the file name per RFC 8187, so quotes, semicolons and line breaks cannot end the header value", () => {
    expect(headers("application/pdf", "Rechnung März (1).pdf")["Content-Disposition"]).toBe(
      "attachment; filename*=UTF-8''Rechnung%20M%C3%A4rz%20%281%29.pdf",
    );
    expect(headers("application/pdf", 'a";b\r\nX: y.pdf')["Content-Disposition"]).toBe("attachment; filename*=UTF-8''a_%3BbX_%20y.pdf");
    expect(headers("application/pdf", "it's*.pdf")["Content-Disposition"]).toBe("attachment; filename*=UTF-8''it%27s_.pdf");
  });
});

// ---- stored with the message, served by access ----

let dir: string;
let runtime: AppRuntime;
let sqlite: Sqlite;
let channelId: string;
let otherChannelId: string;
let admin: { id: string; role: string };
let agent: { id: string; role: string };

const outside = <A, E>(f: (o: Effect.Effect.Success<typeof OutsideConversations>) => Effect.Effect<A, E>) =>
  runtime.runPromise(Effect.flatMap(OutsideConversations, f));
const rowsOf = (files: ReadonlyArray<{ name: string; type: string; content: string }>) =>
  attachmentAssignIds(attachmentPrepare(files.map((f) => ({ filename: f.name, contentType: f.type, content: Buffer.from(f.content) })))).rows;
let mailCount = 0;
const openWith = async (channel: string, attachments: ReadonlyArray<AttachmentRow>, externalMessageId = `<m${++mailCount}@customer.test>`) => {
  const { visitorId } = await outside((o) => o.visitorFor({ channelId: channel, externalId: `v${mailCount}@customer.test` }));
  return outside((o) => o.open({ channelId: channel, visitorId, contactId: null, text: "see the file", via: "email", externalMessageId, attachments }));
};
const counts = () =>
  Object.fromEntries(
    ["messages", "conversations", "attachments", "external_messages", "events"].map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
  );
const read = (actor: { id: string; role: string }, id: string) =>
  runtime.runPromise(Effect.either(Effect.flatMap(Database, (db) => attachmentForActor(db.prepare, actor, id))));

beforeAll(async () => {
  const app = await startTestApp("attachments");
  ({ dir, runtime, sqlite } = app);
  admin = sqlite.prepare("SELECT id, role FROM users WHERE role = 'admin' LIMIT 1").get() as typeof admin;
  agent = sqlite.prepare("SELECT id, role FROM users WHERE role = 'agent' LIMIT 1").get() as typeof agent;
  const workspace = await runtime.runPromise(Workspace);
  const inboxId = (sqlite.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
  await workspace.setInboxMembers(inboxId, [admin.id, agent.id]).pipe(Effect.runPromise);
  const other = await workspace.createInbox({ name: "Billing" }).pipe(Effect.runPromise);
  await workspace.setInboxMembers(other.id, [admin.id]).pipe(Effect.runPromise);
  channelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Support mail", inboxId })))).id;
  otherChannelId = (await runtime.runPromise(Effect.flatMap(Channels, (c) => c.create({ kind: "email", name: "Billing mail", inboxId: other.id })))).id;
});

afterAll(async () => {
  await runtime?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("OutsideConversations with attachments", () => {
  it("stores the files in the message's write, and a redelivery stores none again but answers the same ids", async () => {
    const rows = rowsOf([
      { name: "a.txt", type: "text/plain", content: "hello" },
      { name: "b.png", type: "image/png", content: "png!" },
    ]);
    const opened = await openWith(channelId, rows, "<twice@customer.test>");
    expect(opened.attachmentIds).toEqual(rows.map((r) => r.id));
    const stored = sqlite
      .prepare("SELECT id, conversation_id, message_id, filename, content_type, size, sha256, data FROM attachments WHERE message_id = ? ORDER BY rowid")
      .all(opened.messageId) as Array<Record<string, unknown>>;
    expect(stored).toEqual([
      { id: rows[0]!.id, conversation_id: opened.conversationId, message_id: opened.messageId, filename: "a.txt", content_type: "text/plain", size: 5, sha256: rows[0]!.sha256, data: Buffer.from("hello") },
      { id: rows[1]!.id, conversation_id: opened.conversationId, message_id: opened.messageId, filename: "b.png", content_type: "image/png", size: 4, sha256: rows[1]!.sha256, data: Buffer.from("png!") },
    ]);

    const before = counts();
    const again = await openWith(channelId, rowsOf([{ name: "a.txt", type: "text/plain", content: "hello" }]), "<twice@customer.test>");
    expect(again).toMatchObject({ duplicate: true, conversationId: opened.conversationId, attachmentIds: opened.attachmentIds });
    expect(counts()).toEqual(before);

    const appendedRows = rowsOf([{ name: "c.txt", type: "text/plain", content: "more" }]);
    const appended = await outside((o) =>
      o.append({ conversationId: opened.conversationId, text: "one more", externalMessageId: "<append@customer.test>", attachments: appendedRows }),
    );
    expect(appended.attachmentIds).toEqual([appendedRows[0]!.id]);
    const appendedAgain = await outside((o) =>
      o.append({ conversationId: opened.conversationId, text: "one more", externalMessageId: "<append@customer.test>", attachments: rowsOf([{ name: "c.txt", type: "text/plain", content: "more" }]) }),
    );
    expect(appendedAgain).toMatchObject({ duplicate: true, attachmentIds: [appendedRows[0]!.id] });
    expect((sqlite.prepare("SELECT count(*) AS n FROM attachments WHERE conversation_id = ?").get(opened.conversationId) as { n: number }).n).toBe(3);
  });

  it("stores neither the message nor any file when one file cannot be stored", async () => {
    const [good] = rowsOf([{ name: "a.txt", type: "text/plain", content: "hello" }]);
    // A row the table refuses (its size does not match its bytes) fails the whole write.
    const bad: AttachmentRow = { ...good!, id: attachmentNewId(), size: 999 };
    const before = counts();
    const { visitorId } = await outside((o) => o.visitorFor({ channelId, externalId: "atomic@customer.test" }));
    const visitors = counts();
    const exit = await runtime.runPromiseExit(
      Effect.flatMap(OutsideConversations, (o) =>
        o.open({ channelId, visitorId, contactId: null, text: "x", via: "email", externalMessageId: "<atomic@customer.test>", attachments: [good!, bad] }),
      ),
    );
    expect(exit._tag).toBe("Failure");
    expect(counts()).toEqual(visitors);
    expect(counts()).toEqual(before);
    // Not recorded as seen: the sender's retry is stored whole.
    const retried = await openWith(channelId, rowsOf([{ name: "a.txt", type: "text/plain", content: "hello" }]), "<atomic@customer.test>");
    expect(retried.duplicate).toBe(false);
    expect(retried.attachmentIds).toHaveLength(1);
  });
});

describe("attachmentForActor", () => {
  it("gives the file to admins and to agents of the conversation's inbox; NotFound to others and for unknown ids alike", async () => {
    const mine = await openWith(channelId, rowsOf([{ name: "a.txt", type: "text/plain", content: "support" }]));
    const billing = await openWith(otherChannelId, rowsOf([{ name: "b.txt", type: "text/plain", content: "billing" }]));
    const supportFile = mine.attachmentIds[0]!;
    const billingFile = billing.attachmentIds[0]!;

    const asAdmin = await read(admin, billingFile);
    expect(Either.isRight(asAdmin) && asAdmin.right.data.toString()).toBe("billing");
    const asAgent = await read(agent, supportFile);
    expect(Either.isRight(asAgent) && { name: asAgent.right.filename, data: asAgent.right.data.toString() }).toEqual({ name: "a.txt", data: "support" });

    const outsideInbox = await read(agent, billingFile);
    const unknown = await read(agent, attachmentNewId());
    expect(Either.isLeft(outsideInbox) && outsideInbox.left).toEqual(expect.objectContaining({ _tag: "NotFound", entity: "attachment", id: billingFile }));
    expect(Either.isLeft(unknown) && unknown.left._tag).toBe("NotFound");

    // Roles that do not work in inboxes get nothing, even from an inbox they were listed in.
    expect(Either.isLeft(await read({ id: agent.id, role: "marketer" }, supportFile))).toBe(true);
    expect(Either.isLeft(await read({ id: agent.id, role: "analyst" }, supportFile))).toBe(true);
  });
});
