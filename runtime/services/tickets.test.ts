import BetterSqlite3 from "better-sqlite3";
import { Effect } from "effect";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../sql/migrations.js";
import { migrate } from "./database.js";
import type { InvalidInput } from "./errors.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";
import { SavedReplies } from "./saved-replies.js";
import { Tickets, subjectFrom, transcriptExcerpt } from "./tickets.js";

let kit: Kit;

beforeAll(async () => {
  kit = await openKit();
});
afterAll(async () => {
  await kit.dispose();
});

describe("the transcript excerpt", () => {
  it("keeps the last twelve lines, names authors and says how many were left out", () => {
    const messages = Array.from({ length: 15 }, (_, i) => ({
      author: (i % 2 === 0 ? "visitor" : "agent") as "visitor" | "agent",
      authorName: i % 2 === 0 ? null : "Alex",
      text: `line ${i}\n  more`,
    }));
    const lines = transcriptExcerpt(messages).split("\n");
    expect(lines[0]).toBe("(3 earlier messages not shown)");
    expect(lines).toHaveLength(13);
    expect(lines[1]).toBe("Alex: line 3 more");
    expect(lines[12]).toBe("Visitor: line 14 more");
    expect(transcriptExcerpt([{ author: "bot", authorName: null, text: "x".repeat(400) }]).length).toBeLessThan(310);
  });

  it("takes a subject from the visitor's first words", () => {
    expect(subjectFrom("My order #123 arrived broken", null)).toBe("My order #123 arrived broken");
    expect(subjectFrom("hi", "Ann")).toBe("Request from Ann");
    expect(subjectFrom(undefined, null)).toBe("Request from a website visitor");
  });
});

describe("tickets from conversations", () => {
  it("prefills from the transcript without internal comments", async () => {
    const id = kit.conversation({
      messages: [
        { author: "visitor", text: "The invoice total is wrong" },
        { author: "agent", text: "secret note", internal: true, userId: people.alex.id },
        { author: "agent", text: "Let me check", userId: people.alex.id },
      ],
    });
    const draft = await kit.run(Effect.flatMap(Tickets, (t) => t.draftFromConversation(people.alex, id)));
    expect(draft.subject).toBe("The invoice total is wrong");
    expect(draft.description).toBe("Visitor: The invoice total is wrong\nAlex Agent: Let me check");
  });

  it("takes the subject from the visitor's own words, not a clicked quick reply", async () => {
    const id = kit.conversation({ messages: [{ author: "bot", text: "How can I help?" }] });
    const insert = kit.db.sqlite.prepare("INSERT INTO messages (conversation_id, author, text, payload, created_at) VALUES (?, 'visitor', ?, ?, 0)");
    insert.run(id, "Talk to a person", JSON.stringify({ choiceIds: ["talk_to_person"] }));
    insert.run(id, "My parcel arrived damaged", null);
    const draft = await kit.run(Effect.flatMap(Tickets, (t) => t.draftFromConversation(people.alex, id)));
    expect(draft.subject).toBe("My parcel arrived damaged");
  });

  it("creates with validation and defaults, lists with filters and counts, and changes status", async () => {
    kit.db.sqlite.prepare("INSERT INTO contacts (id, email, name, created_at, updated_at) VALUES ('ct_t', 'tia@example.com', 'Tia', 0, 0)").run();
    const id = kit.conversation({ contactId: "ct_t" });
    const t = await kit.run(Tickets);
    const bad = (await kit.fail(t.createFromConversation(people.alex, id, { subject: "  ", priority: "asap" }))) as InvalidInput;
    expect(bad.issues.map((i) => i.path).sort()).toEqual(["priority", "subject"]);
    const ticket = await kit.run(t.createFromConversation(people.alex, id, { subject: "Wrong invoice", description: "see chat" }));
    expect(ticket).toMatchObject({ status: "new", priority: "normal", inboxName: "Support", contact: { id: "ct_t", name: "Tia" }, createdBy: { id: people.alex.id } });
    // The list is newest first, ties broken by id (random): a millisecond apart, the order is known.
    await new Promise((done) => setTimeout(done, 2));
    const urgent = await kit.run(t.createFromConversation(people.bo, id, { subject: "Refund", priority: "urgent", status: "waiting_on_us" }));

    const all = await kit.run(t.list(people.alex, {}));
    expect(all.tickets.map((x) => x.id)).toEqual([urgent.id, ticket.id]);
    expect(all.counts).toMatchObject({ new: 1, waiting_on_us: 1 });
    expect((await kit.run(t.list(people.alex, { priority: "urgent" }))).tickets.map((x) => x.id)).toEqual([urgent.id]);
    expect((await kit.run(t.list(people.alex, { search: "tia" }))).tickets).toHaveLength(2);
    expect((await kit.run(t.list(people.alex, { search: "invoice" }))).tickets.map((x) => x.id)).toEqual([ticket.id]);

    const moved = await kit.run(t.update(people.bo, ticket.id, { status: "waiting_on_contact", version: ticket.version }));
    expect(moved.status).toBe("waiting_on_contact");
    await kit.run(t.update(people.bo, urgent.id, { status: "closed", version: "1" }));
    expect((await kit.run(t.list(people.alex, { status: "open" }))).tickets.map((x) => x.id)).toEqual([ticket.id]);
    const logged = kit.db.sqlite.prepare("SELECT user_id, data FROM events WHERE type = 'ticket_updated' ORDER BY id").all() as Array<{ user_id: string; data: string }>;
    expect(logged[0]?.user_id).toBe(people.bo.id);
    expect(JSON.parse(logged[0]!.data)).toMatchObject({ from: { status: "new" }, to: { status: "waiting_on_contact" } });
    expect((await kit.fail(t.update(people.alex, ticket.id, { status: "done", version: moved.version })))._tag).toBe("InvalidInput");
  });

  it("keeps tickets to the inboxes one may open and pages with a cursor", async () => {
    const sales = kit.conversation({ inboxId: "inbox_sales" });
    const t = await kit.run(Tickets);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await kit.run(t.createFromConversation(people.sam, sales, { subject: `Sales ${i}` }))).id);
    expect((await kit.fail(t.get(people.alex, made[0]!)))._tag).toBe("Forbidden");
    expect((await kit.fail(t.get(people.alex, "tkt_none")))._tag).toBe("NotFound");
    expect((await kit.run(t.list(people.alex, {}))).tickets.some((x) => made.includes(x.id))).toBe(false);
    expect((await kit.fail(t.list(people.ana, {})))._tag).toBe("Forbidden");
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof t.list>> extends Effect.Effect<infer A, infer _E, infer _R> ? A : never = await kit.run(
        t.list(people.sam, { limit: "2", ...(cursor ? { cursor } : {}) }),
      );
      seen.push(...page.tickets.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    const whole = (await kit.run(t.list(people.sam, { limit: "100" }))).tickets.map((x) => x.id);
    expect(seen).toEqual(whole);
    expect([...seen].sort()).toEqual([...made].sort());
  });
});

/** Everything a refused change must leave alone: the ticket's row, its timeline and the events log. */
const snapshot = (ticketId: string) => ({
  row: kit.db.sqlite.prepare("SELECT status, priority, assignee_id, version, updated_at FROM tickets WHERE id = ?").get(ticketId),
  activity: kit.db.sqlite.prepare("SELECT COUNT(*) AS n FROM ticket_activity WHERE ticket_id = ?").get(ticketId),
  events: kit.db.sqlite.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'ticket_updated'").get(),
});

const messageOf = (error: unknown, path: string) => (error as InvalidInput).issues.find((i) => i.path === path)?.message;

describe("ticket assignees, notes and history", () => {
  const support = async (subject = "Printer on fire") =>
    kit.run(Effect.flatMap(Tickets, (t) => t.createFromConversation(people.alex, kit.conversation(), { subject })));

  it("assigns to members of the ticket's inbox and admins, unassigns, and records each change", async () => {
    const t = await kit.run(Tickets);
    const ticket = await support();
    expect(ticket).toMatchObject({ assignee: null, version: 1 });
    const candidates = (await kit.run(t.assignees(people.bo, ticket.id))).map((p) => p.id);
    expect(candidates).toEqual([people.admin.id, people.alex.id, people.bo.id]);

    const mine = await kit.run(t.assign(people.bo, ticket.id, { assigneeId: people.bo.id, version: ticket.version }));
    expect(mine).toMatchObject({ assignee: { id: people.bo.id, name: "Bo Berg" }, version: 2 });
    const admin = await kit.run(t.assign(people.bo, ticket.id, { assigneeId: people.admin.id, version: "2" }));
    expect(admin.assignee?.id).toBe(people.admin.id);
    const none = await kit.run(t.assign(people.alex, ticket.id, { assigneeId: "", version: admin.version }));
    expect(none).toMatchObject({ assignee: null, version: 4 });

    const { entries, truncated } = await kit.run(t.timeline(people.alex, ticket.id));
    expect(truncated).toBe(false);
    expect(entries.map((e) => [e.kind, e.user?.id, e.from?.name ?? null, e.to?.name ?? null])).toEqual([
      ["created", people.alex.id, null, null],
      ["assignee", people.bo.id, null, "Bo Berg"],
      ["assignee", people.bo.id, "Bo Berg", "Ada Admin"],
      ["assignee", people.alex.id, "Ada Admin", null],
    ]);
    const logged = kit.db.sqlite.prepare("SELECT data FROM events WHERE type = 'ticket_updated' AND data LIKE ? ORDER BY id").all(`%${ticket.id}%`) as Array<{ data: string }>;
    expect(logged.map((e) => JSON.parse(e.data).to)).toEqual([{ assigneeId: people.bo.id }, { assigneeId: people.admin.id }, { assigneeId: null }]);
  });

  it("refuses a person outside the inbox, a disabled one, an unknown id and a stranger, changing nothing", async () => {
    const t = await kit.run(Tickets);
    const ticket = await support();
    kit.db.sqlite
      .prepare("INSERT INTO users (id, email, name, role, password_hash, created_at, disabled_at) VALUES ('usr_gone', 'gone@example.com', 'Gil Gone', 'agent', 'x', 0, 1)")
      .run();
    kit.db.sqlite.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES ('inbox_support', 'usr_gone')").run();
    const before = snapshot(ticket.id);

    const outside = await kit.fail(t.assign(people.alex, ticket.id, { assigneeId: people.sam.id, version: 1 }));
    expect(messageOf(outside, "assigneeId")).toBe("Sam Sales cannot work in the Support inbox: pick one of its members or an admin");
    const analyst = await kit.fail(t.assign(people.alex, ticket.id, { assigneeId: people.ana.id, version: 1 }));
    expect(messageOf(analyst, "assigneeId")).toBe("Ana Analyst cannot work in the Support inbox: pick one of its members or an admin");
    const disabled = await kit.fail(t.assign(people.alex, ticket.id, { assigneeId: "usr_gone", version: 1 }));
    expect(messageOf(disabled, "assigneeId")).toBe("Gil Gone's account is disabled: pick someone who can work on this ticket");
    const unknown = await kit.fail(t.assign(people.alex, ticket.id, { assigneeId: "usr_nobody", version: 1 }));
    expect(messageOf(unknown, "assigneeId")).toBe("no such user");
    const noVersion = await kit.fail(t.assign(people.alex, ticket.id, { assigneeId: people.bo.id }));
    expect(messageOf(noVersion, "version")).toBeDefined();
    const badVersion = await kit.fail(t.assign(people.alex, ticket.id, { assigneeId: people.bo.id, version: "0" }));
    expect(messageOf(badVersion, "version")).toBe("the ticket's version is a whole number from 1");
    const stranger = await kit.fail(t.assign(people.sam, ticket.id, { assigneeId: people.sam.id, version: 1 }));
    expect(stranger).toMatchObject({ _tag: "Forbidden", message: "This ticket belongs to an inbox you are not a member of." });

    expect((await kit.run(t.assignees(people.alex, ticket.id))).map((p) => p.id)).not.toContain("usr_gone");
    expect(snapshot(ticket.id)).toEqual(before);
  });

  it("adds trimmed notes of 1 to 4,000 characters and refuses others, changing nothing", async () => {
    const t = await kit.run(Tickets);
    const ticket = await support();
    const before = snapshot(ticket.id);
    const blank = await kit.fail(t.addNote(people.alex, ticket.id, { text: " \n\t " }));
    expect(messageOf(blank, "text")).toBe("write a note first");
    const long = await kit.fail(t.addNote(people.alex, ticket.id, { text: "x".repeat(4_001) }));
    expect(messageOf(long, "text")).toBe("a note is at most 4,000 characters");
    const notText = await kit.fail(t.addNote(people.alex, ticket.id, { text: 42 }));
    expect(messageOf(notText, "text")).toBeDefined();
    expect((await kit.fail(t.addNote(people.sam, ticket.id, { text: "hi" })))._tag).toBe("Forbidden");
    expect(snapshot(ticket.id)).toEqual(before);

    const note = await kit.run(t.addNote(people.bo, ticket.id, { text: "  Called the customer back.\nWaiting for the photo.  " }));
    expect(note).toMatchObject({ kind: "note", text: "Called the customer back.\nWaiting for the photo.", user: { id: people.bo.id, name: "Bo Berg" } });
    const longest = await kit.run(t.addNote(people.bo, ticket.id, { text: ` ${"y".repeat(4_000)} ` }));
    expect(longest.text).toHaveLength(4_000);
    // A note is no change of the ticket's fields: an edit made on the version before it still applies.
    const moved = await kit.run(t.update(people.alex, ticket.id, { status: "waiting_on_contact", version: ticket.version }));
    expect(moved.status).toBe("waiting_on_contact");
    const kinds = (await kit.run(t.timeline(people.alex, ticket.id))).entries.map((e) => e.kind);
    expect(kinds).toEqual(["created", "note", "note", "status"]);
  });

  it("records status and priority changes, one entry each, with the values before and after", async () => {
    const t = await kit.run(Tickets);
    const ticket = await support();
    const both = await kit.run(t.update(people.bo, ticket.id, { status: "waiting_on_us", priority: "urgent", version: 1 }));
    expect(both).toMatchObject({ status: "waiting_on_us", priority: "urgent", version: 2 });
    // The same again (a double click with the old version) changes nothing and is no conflict.
    const again = await kit.run(t.update(people.bo, ticket.id, { status: "waiting_on_us", priority: "urgent", version: 1 }));
    expect(again.version).toBe(2);
    const entries = (await kit.run(t.timeline(people.alex, ticket.id))).entries;
    expect(entries.slice(1).map((e) => [e.kind, e.user?.name, e.from?.value, e.to?.value])).toEqual([
      ["status", "Bo Berg", "new", "waiting_on_us"],
      ["priority", "Bo Berg", "normal", "urgent"],
    ]);
    expect(entries[1]!.at).toBe(both.updatedAt);
  });

  it("refuses a change made on a stale version, changing nothing", async () => {
    const t = await kit.run(Tickets);
    const ticket = await support();
    // Alex and Bo both opened version 1; Alex saves first.
    await kit.run(t.update(people.alex, ticket.id, { status: "closed", version: 1 }));
    const before = snapshot(ticket.id);
    const late = await kit.fail(t.update(people.bo, ticket.id, { priority: "high", version: 1 }));
    expect(late).toMatchObject({
      _tag: "Conflict",
      message: "Someone else changed this ticket first. The page shows it as it is now: check it, then make your change again.",
      current: { version: 2, status: "closed", priority: "normal" },
    });
    const lateAssign = await kit.fail(t.assign(people.bo, ticket.id, { assigneeId: people.bo.id, version: 1 }));
    expect(lateAssign).toMatchObject({ _tag: "Conflict", current: { version: 2, assigneeId: null } });
    expect(snapshot(ticket.id)).toEqual(before);
    // Two edits racing in the same write group: only the first lands.
    const [a, b] = await Promise.all([
      kit.runtime.runPromise(Effect.either(t.update(people.alex, ticket.id, { status: "new", version: 2 }))),
      kit.runtime.runPromise(Effect.either(t.update(people.bo, ticket.id, { status: "waiting_on_us", version: 2 }))),
    ]);
    expect([a._tag, b._tag]).toEqual(["Right", "Left"]);
    expect((await kit.run(t.get(people.alex, ticket.id))).status).toBe("new");
  });

  it("shows a ticket the bot made (no entry of its own) as created when it was, by nobody", async () => {
    const t = await kit.run(Tickets);
    const conversationId = kit.conversation();
    // As engine-commands.ts writes it.
    kit.db.sqlite
      .prepare(
        `INSERT INTO tickets (id, inbox_id, conversation_id, contact_id, subject, description, priority, created_at, updated_at)
         VALUES ('tkt_bot', 'inbox_support', ?, NULL, 'From the bot', '', 'high', 1000, 1000)`,
      )
      .run(conversationId);
    const first = await kit.run(t.timeline(people.alex, "tkt_bot"));
    expect(first.entries).toEqual([{ id: 0, at: 1000, kind: "created", user: null, text: null, from: null, to: null }]);
    await kit.run(t.addNote(people.alex, "tkt_bot", { text: "Seen" }));
    expect((await kit.run(t.timeline(people.alex, "tkt_bot"))).entries.map((e) => e.kind)).toEqual(["created", "note"]);
  });

  it("lists my tickets and unassigned ones, with counts for that slice", async () => {
    const t = await kit.run(Tickets);
    const mine = await support("Mine to do");
    const free = await support("Nobody's yet");
    await kit.run(t.assign(people.bo, mine.id, { assigneeId: people.bo.id, version: 1 }));
    const bos = await kit.run(t.list(people.bo, { assignee: "me", status: "open" }));
    expect(bos.tickets.map((x) => x.id)).toEqual([mine.id]);
    expect(bos.tickets[0]!.assignee).toEqual({ id: people.bo.id, name: "Bo Berg" });
    expect(bos.counts.new).toBe(1);
    expect((await kit.run(t.list(people.alex, { assignee: "me" }))).tickets.map((x) => x.id)).not.toContain(mine.id);
    const unassigned = (await kit.run(t.list(people.alex, { assignee: "unassigned", limit: "200" }))).tickets.map((x) => x.id);
    expect(unassigned).toContain(free.id);
    expect(unassigned).not.toContain(mine.id);
    expect((await kit.run(t.list(people.alex, { assignee: people.bo.id }))).tickets.map((x) => x.id)).toEqual([mine.id]);
  });
});

describe("migration 16 on a database with tickets", () => {
  it("adds the assignee and version, and a 'created' entry for every existing ticket", () => {
    const dir = mkdtempSync(join(tmpdir(), "parley-tickets-migration-"));
    const db = new BetterSqlite3(join(dir, "old.sqlite"));
    try {
      db.pragma("foreign_keys = ON");
      db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
      for (const m of migrations.filter((m) => m.version <= 15)) {
        db.exec(m.sql);
        db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
      }
      db.exec(`
        INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ('usr_a', 'a@example.com', 'A', 'agent', 'x', 1);
        INSERT INTO inboxes (id, name, created_at) VALUES ('inbox_a', 'A', 1);
        INSERT INTO tickets (id, inbox_id, subject, status, created_by, created_at, updated_at) VALUES
          ('tkt_1', 'inbox_a', 'By an agent', 'closed', 'usr_a', 100, 500),
          ('tkt_2', 'inbox_a', 'By the bot', 'new', NULL, 200, 200);
      `);
      expect(migrate(db)).toEqual(migrations.filter((m) => m.version >= 16).map((m) => m.version));
      expect(db.prepare("SELECT id, assignee_id, version, status FROM tickets ORDER BY id").all()).toEqual([
        { id: "tkt_1", assignee_id: null, version: 1, status: "closed" },
        { id: "tkt_2", assignee_id: null, version: 1, status: "new" },
      ]);
      expect(db.prepare("SELECT ticket_id, at, user_id, kind, text, from_value, to_value FROM ticket_activity ORDER BY id").all()).toEqual([
        { ticket_id: "tkt_1", at: 100, user_id: "usr_a", kind: "created", text: null, from_value: null, to_value: null },
        { ticket_id: "tkt_2", at: 200, user_id: null, kind: "created", text: null, from_value: null, to_value: null },
      ]);
      // The table's checks hold: a note has text, other kinds none; an assignee is a user.
      expect(() => db.prepare("INSERT INTO ticket_activity (ticket_id, at, kind) VALUES ('tkt_1', 1, 'note')").run()).toThrow(/CHECK/);
      expect(() => db.prepare("INSERT INTO ticket_activity (ticket_id, at, kind) VALUES ('tkt_1', 1, 'closed')").run()).toThrow(/CHECK/);
      expect(() => db.prepare("UPDATE tickets SET assignee_id = 'usr_none' WHERE id = 'tkt_1'").run()).toThrow(/FOREIGN KEY/);
      const plan = db.prepare("EXPLAIN QUERY PLAN SELECT id FROM tickets WHERE assignee_id = ? AND status = 'new'").all("usr_a") as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(" ")).toContain("tickets_assignee");
      expect(migrate(db)).toEqual([]);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("saved replies", () => {
  it("are kept by admins, unique by shortcut whatever the case, and readable by agents", async () => {
    const s = await kit.run(SavedReplies);
    expect((await kit.fail(s.create(people.alex, { shortcut: "hi", title: "Hi", text: "Hello!" })))._tag).toBe("Forbidden");
    const bad = (await kit.fail(s.create(people.admin, { shortcut: "two words", title: "", text: " " }))) as InvalidInput;
    expect(bad.issues.map((i) => i.path).sort()).toEqual(["shortcut", "text", "title"]);
    const thanks = await kit.run(s.create(people.admin, { shortcut: "Thanks", title: "Thank you", text: "Thanks for reaching out!" }));
    expect(thanks.shortcut).toBe("thanks");
    expect((await kit.fail(s.create(people.admin, { shortcut: "THANKS", title: "Again", text: "x" })))._tag).toBe("Conflict");
    await kit.run(s.create(people.admin, { shortcut: "refund", title: "Refund policy", text: "Refunds take 5 days." }));
    expect((await kit.run(s.list(people.alex))).map((r) => r.shortcut)).toEqual(["refund", "thanks"]);
    const edited = await kit.run(s.update(people.admin, thanks.id, { shortcut: "ty", title: "Thank you", text: "Thanks!" }));
    expect(edited.shortcut).toBe("ty");
    await kit.run(s.remove(people.admin, thanks.id));
    expect((await kit.fail(s.remove(people.admin, thanks.id)))._tag).toBe("NotFound");
    expect((await kit.fail(s.list(people.ana)))._tag).toBe("Forbidden");
  });
});
