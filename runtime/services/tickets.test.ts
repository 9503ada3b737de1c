import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
    const urgent = await kit.run(t.createFromConversation(people.bo, id, { subject: "Refund", priority: "urgent", status: "waiting_on_us" }));

    const all = await kit.run(t.list(people.alex, {}));
    expect(all.tickets.map((x) => x.id)).toEqual([urgent.id, ticket.id]);
    expect(all.counts).toMatchObject({ new: 1, waiting_on_us: 1 });
    expect((await kit.run(t.list(people.alex, { priority: "urgent" }))).tickets.map((x) => x.id)).toEqual([urgent.id]);
    expect((await kit.run(t.list(people.alex, { search: "tia" }))).tickets).toHaveLength(2);
    expect((await kit.run(t.list(people.alex, { search: "invoice" }))).tickets.map((x) => x.id)).toEqual([ticket.id]);

    const moved = await kit.run(t.update(people.bo, ticket.id, { status: "waiting_on_contact" }));
    expect(moved.status).toBe("waiting_on_contact");
    await kit.run(t.update(people.bo, urgent.id, { status: "closed" }));
    expect((await kit.run(t.list(people.alex, { status: "open" }))).tickets.map((x) => x.id)).toEqual([ticket.id]);
    const logged = kit.db.sqlite.prepare("SELECT user_id, data FROM events WHERE type = 'ticket_updated' ORDER BY id").all() as Array<{ user_id: string; data: string }>;
    expect(logged[0]?.user_id).toBe(people.bo.id);
    expect(JSON.parse(logged[0]!.data)).toMatchObject({ from: { status: "new" }, to: { status: "waiting_on_contact" } });
    expect((await kit.fail(t.update(people.alex, ticket.id, { status: "done" })))._tag).toBe("InvalidInput");
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
