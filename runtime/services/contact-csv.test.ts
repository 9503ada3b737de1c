import { Either } from "effect";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CONTACT_PROPERTIES_SETTING } from "./contacts.js";
import {
  guessMapping,
  IMPORT_CHUNK_ROWS,
  IMPORT_TTL_MS,
  makeContactCsv,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROWS,
  readCsv,
  type ContactCsvShape,
  type ImportTarget,
} from "./contact-csv.js";
import type { Forbidden, InvalidInput, NotFound, PayloadTooLarge } from "./errors.js";
import { openKit, people, type Kit } from "./inbox-test-kit.js";

let kit: Kit;
let dir: string;
let clock = 1_000_000;
let csv: ContactCsvShape;
const alex = people.alex;

beforeAll(async () => {
  kit = await openKit();
  dir = mkdtempSync(join(tmpdir(), "parley-imports-"));
  csv = makeContactCsv({ db: kit.db, dir, now: () => clock });
  kit.db.sqlite.prepare("INSERT INTO settings (key, value) VALUES (?, ?)").run(CONTACT_PROPERTIES_SETTING, JSON.stringify(["company", "plan"]));
  kit.db.sqlite.prepare("INSERT INTO contact_lists (id, name, created_at) VALUES ('list_news', 'Newsletter', 0)").run();
});
afterAll(async () => {
  await kit.dispose();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  kit.db.sqlite.exec("DELETE FROM contact_list_members; DELETE FROM contact_email_consent; UPDATE conversations SET contact_id = NULL; UPDATE visitors SET contact_id = NULL; DELETE FROM contacts");
});

const bytes = (text: string) => new TextEncoder().encode(text);
const upload = (text: string, actor = alex) => kit.run(csv.upload(actor, { name: "people.csv", bytes: bytes(text) }));
const contacts = () =>
  kit.db.sqlite.prepare("SELECT email, name, phone, properties, owner_id FROM contacts ORDER BY COALESCE(email, name)").all() as Array<{
    email: string | null;
    name: string | null;
    phone: string | null;
    properties: string;
    owner_id: string | null;
  }>;
const count = (table: string) => (kit.db.sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const events = (type: string) =>
  (kit.db.sqlite.prepare("SELECT data FROM events WHERE type = ? ORDER BY id").all(type) as Array<{ data: string }>).map((e) => JSON.parse(e.data) as Record<string, unknown>);
const fileIssue = (error: InvalidInput) => `${error.issues[0]?.path}: ${error.issues[0]?.message}`;
const options = (id: string, mapping: ReadonlyArray<ImportTarget>, extra: Record<string, string> = {}) => ({ id, mapping, onDuplicate: "skip", ...extra });

describe("reading a file", () => {
  it("drops a byte-order mark, detects semicolons and numbers lines across a quoted line break", () => {
    const parsed = readCsv(bytes('\uFEFFName;Email;Notes\r\nAnn;ann@example.com;"two\r\nlines; and a semicolon"\r\n\r\nBo;bo@example.com;x\r\n'));
    expect(Either.isRight(parsed)).toBe(true);
    const file = Either.getOrThrow(parsed);
    expect(file.delimiter).toBe(";");
    expect(file.headers).toEqual(["Name", "Email", "Notes"]);
    expect(file.rows).toEqual([
      { line: 2, cells: ["Ann", "ann@example.com", "two\nlines; and a semicolon"] },
      { line: 5, cells: ["Bo", "bo@example.com", "x"] },
    ]);
  });

  it("reads commas when the header has more of them, and names blank headers", () => {
    const file = Either.getOrThrow(readCsv(bytes('email,,"Last; First"\na@example.com,1,2\n')));
    expect(file.delimiter).toBe(",");
    expect(file.headers).toEqual(["email", "Column 2", "Last; First"]);
  });

  it("refuses what is not a readable CSV file, with the line where it breaks", () => {
    const refusal = (input: Uint8Array) => fileIssue(Either.getLeft(readCsv(input)).pipe((o) => (o._tag === "Some" ? o.value : (null as never))));
    expect(refusal(new Uint8Array([0x4e, 0x61, 0x6d, 0x65, 0x0a, 0xe9, 0x0a]))).toBe(
      "file: the file is not UTF-8 text: save it as “CSV UTF-8” and upload it again",
    );
    expect(refusal(bytes('name,email\nAnn,"ann@example.com\n'))).toBe("file: line 2: a quoted field is never closed");
    expect(refusal(bytes("name,email\n"))).toBe("file: the file has no rows under its header");
    expect(refusal(bytes("  \n"))).toBe("file: the file is empty");
    expect(refusal(bytes(`${Array.from({ length: 101 }, (_, i) => `c${i}`).join(",")}\n1\n`))).toBe("file: the file has 101 columns; an import takes at most 100");
  });

  it("takes 10,000 rows and refuses 10,001", () => {
    const rows = (n: number) => `email\n${Array.from({ length: n }, (_, i) => `p${i}@example.com`).join("\n")}\n`;
    expect(Either.getOrThrow(readCsv(bytes(rows(MAX_IMPORT_ROWS)))).rows).toHaveLength(MAX_IMPORT_ROWS);
    const over = Either.getLeft(readCsv(bytes(rows(MAX_IMPORT_ROWS + 1))));
    expect(over._tag === "Some" && fileIssue(over.value)).toBe("file: the file has 10,001 rows; an import takes at most 10,000: split it into smaller files");
  });
});

describe("guessing the mapping", () => {
  it("knows the usual header names, joins first and last names, finds known properties and guesses each target once", () => {
    expect(
      guessMapping(["E-mail", "Email address", "Mobile", "Full name", "First name", "Last name", "Company", "Favourite colour", "Telefon"], ["company", "plan"]),
    ).toEqual(["email", "ignore", "phone", "name", "first_name", "last_name", "property:company", "ignore", "ignore"]);
    expect(guessMapping(["Email Address", "Phone number", "Name", "PLAN"], ["company", "plan"])).toEqual(["email", "phone", "name", "property:plan"]);
  });
});

describe("importing", () => {
  it("keeps the upload for its uploader only, guesses the mapping, and forgets it after an hour", async () => {
    const preview = await upload("Full name,E-mail,Company\nAnn Lee,ann@example.com,Acme\n");
    expect(preview).toMatchObject({ fileName: "people.csv", headers: ["Full name", "E-mail", "Company"], rowCount: 1, guesses: ["name", "email", "property:company"] });
    expect(preview.properties).toEqual(["company", "plan"]);
    expect(await kit.run(csv.preview(alex, preview.id))).toMatchObject({ rowCount: 1 });
    expect(((await kit.fail(csv.preview(people.bo, preview.id))) as NotFound)._tag).toBe("NotFound");
    expect(((await kit.fail(csv.preview(alex, "../../etc/passwd"))) as NotFound)._tag).toBe("NotFound");
    clock += IMPORT_TTL_MS + 1;
    expect(((await kit.fail(csv.preview(alex, preview.id))) as NotFound)._tag).toBe("NotFound");
    expect(readdirSync(dir).some((name) => name.startsWith(preview.id))).toBe(false);
  });

  it("refuses other roles, a file over 5 MB, and stores nothing for a bad file", async () => {
    expect(((await kit.fail(csv.upload(people.ana, { name: "x.csv", bytes: bytes("email\na@b.co\n") }))) as Forbidden)._tag).toBe("Forbidden");
    const big = (await kit.fail(csv.upload(alex, { name: "x.csv", bytes: new Uint8Array(MAX_IMPORT_BYTES + 1) }))) as PayloadTooLarge;
    expect(big).toMatchObject({ _tag: "PayloadTooLarge", limitBytes: MAX_IMPORT_BYTES });
    const before = readdirSync(dir).length;
    const bad = (await kit.fail(csv.upload(alex, { name: "x.csv", bytes: bytes('email\n"open\n') }))) as InvalidInput;
    expect(bad.issues[0]?.path).toBe("file");
    expect(readdirSync(dir).length).toBe(before);
    expect(count("contacts")).toBe(0);
  });

  it("rejects each bad row with its line, column and message, imports the rest in one go and keeps the rejected rows", async () => {
    const preview = await upload(
      [
        "First name,Last name,Email,Phone,Plan",
        "Ann,Lee,ANN@Example.com,030 1234567,pro",
        "Bo,,not-an-email,,",
        "Cy,,cy@example.com,12,",
        ",,,,pro",
        "Di,,ann@example.com,,",
        "Ed,,ed@example.com,+49 30 1234567,",
        `"Fay\nFox",,fay@example.com,,${"x".repeat(501)}`,
        `${"G".repeat(201)},,,,`,
        "Hal,,=cmd@example.com,,",
        "Ivy,,ivy@example.com,,,extra",
        "Jo,,jo@example.com,+1 415 555 2671,basic",
      ].join("\n"),
    );
    const result = await kit.run(csv.run(alex, options(preview.id, ["first_name", "last_name", "email", "phone", "property:plan"], { defaultCountry: "DE" })));
    // "=cmd@example.com" is an address like any other; the export defuses it for spreadsheets.
    expect(result).toMatchObject({ created: 3, updated: 0, skipped: 0, rejected: 8, listed: 0 });
    expect(result.errors).toEqual([
      { line: 3, column: "Email", message: "expected an email address like name@example.com" },
      { line: 4, column: "Phone", message: "this is not a valid phone number" },
      { line: 5, column: null, message: "enter an email, a name or a phone number" },
      { line: 6, column: "Email", message: "line 2 has the same email" },
      { line: 7, column: "Phone", message: "line 2 has the same phone number" },
      { line: 8, column: "Plan", message: "a property value is at most 500 characters" },
      { line: 10, column: "First name", message: "a name is at most 200 characters" },
      { line: 12, column: null, message: "this row has 6 fields; the header has 5" },
    ]);
    expect(contacts()).toEqual([
      { email: "=cmd@example.com", name: "Hal", phone: null, properties: "{}", owner_id: null },
      { email: "ann@example.com", name: "Ann Lee", phone: "+49301234567", properties: '{"plan":"pro"}', owner_id: null },
      { email: "jo@example.com", name: "Jo", phone: "+14155552671", properties: '{"plan":"basic"}', owner_id: null },
    ]);
    expect(events("contact_created")).toHaveLength(3);
    expect(events("contact_created")[0]).toMatchObject({ via: "import", importId: preview.id });
    // An import never records consent: it comes from the person.
    expect(count("contact_email_consent")).toBe(0);
    // The upload is gone; the rejected rows stay for their download, as they were, with why.
    expect(((await kit.fail(csv.preview(alex, preview.id))) as NotFound)._tag).toBe("NotFound");
    const rejected = await kit.run(csv.rejected(alex, preview.id));
    expect(rejected.headers).toEqual(["First name", "Last name", "Email", "Phone", "Plan", "error"]);
    expect(rejected.rows[0]).toEqual(["Bo", "", "not-an-email", "", "", "line 3, Email: expected an email address like name@example.com"]);
    expect(rejected.rows[5]?.[0]).toBe("Fay\nFox");
    expect(rejected.rows).toHaveLength(8);
    expect(((await kit.fail(csv.rejected(people.bo, preview.id))) as NotFound)._tag).toBe("NotFound");
  });

  it("imports a file of 10,000 rows in writes of 500", async () => {
    const rows = Array.from({ length: MAX_IMPORT_ROWS }, (_, i) => `Person ${i},p${i}@example.com,+49 30 ${String(1_000_000 + i)}`);
    const preview = await upload(`Name,Email,Phone\n${rows.join("\n")}\n`);
    const commits = kit.db.stats().commits;
    const result = await kit.run(csv.run(alex, options(preview.id, ["name", "email", "phone"], { listId: "list_news" })));
    expect(result).toMatchObject({ created: MAX_IMPORT_ROWS, rejected: 0, listed: MAX_IMPORT_ROWS });
    expect(kit.db.stats().commits - commits).toBe(MAX_IMPORT_ROWS / IMPORT_CHUNK_ROWS);
    expect(count("contacts")).toBe(MAX_IMPORT_ROWS);
    expect(count("settings WHERE key LIKE 'contact_import:%'")).toBe(0);
  });

  it("imports 2,000 rows chunk by chunk with the same contacts and summary as in one go, and other writes get in between the chunks", async () => {
    // Contacts already there: one to fill, one found by phone, one shared phone (ambiguous).
    const seed = kit.db.sqlite.prepare("INSERT INTO contacts (id, email, name, phone, properties, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', 0, 0)");
    seed.run("contact_fill", "p10@example.com", null, null);
    seed.run("contact_byphone", null, null, "+4930555000");
    seed.run("contact_twin1", null, "Twin one", "+4930555111");
    seed.run("contact_twin2", null, "Twin two", "+4930555111");
    const before = count("contacts");
    const rows = Array.from({ length: 2_000 }, (_, i) =>
      i === 1_500
        ? "Phone Match,,+49 30 555000"
        : i === 1_501
          ? "Ambiguous,,+49 30 555111"
          : i === 1_502
            ? "Bad Email,not-an-email,"
            : i % 7 === 0
              ? `Only A Name ${i},,`
              : `Person ${i},p${i}@example.com,+49 30 ${String(2_000_000 + i)}`,
    );
    const preview = await upload(`Name,Email,Phone\n${rows.join("\n")}\n`);
    // Another writer (a bot turn, say) keeps asking for a write meanwhile and notes how many contacts it sees.
    const seen: number[] = [];
    let importing = true;
    const other = (async () => {
      while (importing) {
        await kit.run(kit.db.writeEffect((sqlite) => seen.push((sqlite.prepare("SELECT COUNT(*) AS n FROM contacts").get() as { n: number }).n)));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const result = await kit.run(csv.run(alex, options(preview.id, ["name", "email", "phone"], { onDuplicate: "fill", listId: "list_news", ownerId: alex.id })));
    importing = false;
    await other;

    // Two rows rejected (a phone two contacts share, a bad email), two filled in, the rest new; every valid row's contact on the list.
    expect(result).toMatchObject({ created: 1_996, updated: 2, skipped: 0, rejected: 2, listed: 1_998 });
    expect(result.errors.map((e) => [e.line, e.message])).toEqual([
      [1_503, "2 contacts have this phone number: add an email to tell them apart"],
      [1_504, expect.stringMatching(/email/)],
    ]);
    expect(count("contacts")).toBe(before + result.created);
    expect(count("contacts WHERE name LIKE 'Only A Name %'")).toBe(286);
    expect(kit.db.sqlite.prepare("SELECT name, phone FROM contacts WHERE id = 'contact_fill'").get()).toEqual({ name: "Person 10", phone: "+49302000010" });
    expect(kit.db.sqlite.prepare("SELECT name FROM contacts WHERE id = 'contact_byphone'").get()).toEqual({ name: "Phone Match" });
    expect(count(`contacts WHERE owner_id = '${alex.id}'`)).toBe(result.created);
    expect(events("contact_created").filter((e) => e.importId === preview.id)).toHaveLength(result.created);
    // Some of the other writer's writes ran between two chunks: they saw part of the import in.
    expect(seen.some((n) => n > before && n < before + result.created), `seen: ${[...new Set(seen)].join(", ")}`).toBe(true);
  });

  it("an import stopped half-way says how far it got; importing again finishes it, with no second copy of any contact", async () => {
    const rows = Array.from({ length: 1_200 }, (_, i) => (i % 3 === 0 ? `Name Only ${i},` : `Person ${i},p${i}@example.com`));
    const preview = await upload(`Name,Email\n${rows.join("\n")}\n`);
    // The second chunk's write fails as a process that stops mid-write would: nothing of it is in.
    kit.db.sqlite.exec("CREATE TEMP TRIGGER stop_import BEFORE INSERT ON contacts WHEN NEW.name = 'Person 700' BEGIN SELECT RAISE(ABORT, 'the process stopped'); END");
    const stopped = await kit.runtime.runPromiseExit(csv.run(alex, options(preview.id, ["name", "email"], { listId: "list_news" })));
    kit.db.sqlite.exec("DROP TRIGGER stop_import");
    expect(stopped._tag).toBe("Failure");
    expect(count("contacts")).toBe(IMPORT_CHUNK_ROWS);
    const progress = JSON.parse((kit.db.sqlite.prepare("SELECT value FROM settings WHERE key = ?").get(`contact_import:${preview.id}`) as { value: string }).value);
    expect(progress).toMatchObject({ userId: alex.id, total: 1_200, done: IMPORT_CHUNK_ROWS, created: IMPORT_CHUNK_ROWS, listed: IMPORT_CHUNK_ROWS, mapping: ["name", "email"] });
    // The page shows how far it got, to its uploader only.
    expect(await kit.run(csv.preview(alex, preview.id))).toMatchObject({ rowCount: 1_200, stopped: { done: IMPORT_CHUNK_ROWS, total: 1_200 } });
    expect(((await kit.fail(csv.preview(people.bo, preview.id))) as NotFound)._tag).toBe("NotFound");
    expect(((await kit.fail(csv.run(people.bo, options(preview.id, ["name", "email"])))) as NotFound)._tag).toBe("NotFound");

    // Again (another mapping sent is not taken: it goes on as it began), from row 501 on.
    const result = await kit.run(csv.run(alex, options(preview.id, ["ignore", "name"], { listId: "list_news" })));
    expect(result).toMatchObject({ created: 1_200, updated: 0, skipped: 0, rejected: 0, listed: 1_200 });
    expect(count("contacts")).toBe(1_200);
    expect(count("contacts WHERE name LIKE 'Name Only %'")).toBe(400);
    expect((kit.db.sqlite.prepare("SELECT COUNT(DISTINCT name) AS n FROM contacts").get() as { n: number }).n).toBe(1_200);
    expect(count("contact_list_members WHERE list_id = 'list_news'")).toBe(1_200);
    expect(count("settings WHERE key LIKE 'contact_import:%'")).toBe(0);
    expect(((await kit.fail(csv.preview(alex, preview.id))) as NotFound)._tag).toBe("NotFound");
  });

  it("imports a form sent twice only once", async () => {
    const preview = await upload("Name\nNo Email Person\n");
    const input = options(preview.id, ["name"]);
    const [first, second] = await Promise.all([kit.runtime.runPromiseExit(csv.run(alex, input)), kit.runtime.runPromiseExit(csv.run(alex, input))]);
    expect([first._tag, second._tag].sort()).toEqual(["Failure", "Success"]);
    expect(count("contacts")).toBe(1);
  });

  it("needs the national numbers' country, and reads them without one only with a country code", async () => {
    const preview = await upload("Phone,Name\n030 1234567,Ann\n");
    const result = await kit.run(csv.run(alex, options(preview.id, ["phone", "name"])));
    expect(result.errors).toEqual([{ line: 2, column: "Phone", message: "enter the phone number with its country code, like +49 30 1234567" }]);
  });

  it("checks the mapping and the options before anything is read", async () => {
    const preview = await upload("Email,Name,Notes\nann@example.com,Ann,x\n");
    const issues = async (input: unknown) => ((await kit.fail(csv.run(alex, input))) as InvalidInput).issues;
    expect(await issues(options(preview.id, ["email", "email", "ignore"]))).toEqual([
      { path: "mapping[1]", message: "“Email” already goes there: choose another field or ignore" },
    ]);
    expect(await issues(options(preview.id, ["email", "name", "property:notes"]))).toEqual([
      { path: "mapping[2]", message: "choose a field, a contact property that exists, or ignore" },
    ]);
    expect(await issues(options(preview.id, ["email"]))).toEqual([{ path: "mapping", message: "map each of the file's 3 columns (or ignore it)" }]);
    expect(await issues(options(preview.id, ["ignore", "ignore", "property:plan"]))).toEqual([
      { path: "mapping", message: "map at least one column to the email, the name or the phone" },
    ]);
    expect((await issues({ ...options(preview.id, ["email", "name", "ignore"]), onDuplicate: "merge" }))[0]).toEqual({
      path: "onDuplicate",
      message: "choose skip, fill empty fields or overwrite",
    });
    expect((await issues(options(preview.id, ["email", "name", "ignore"], { defaultCountry: "XX" })))[0]).toEqual({
      path: "defaultCountry",
      message: "choose a country from the list, or none",
    });
    // A refused owner or list refuses the whole import: nothing is stored, and the upload stays for another try.
    expect(await issues(options(preview.id, ["email", "name", "ignore"], { ownerId: people.ana.id }))).toEqual([
      { path: "ownerId", message: "Ana Analyst does not work in the inbox: pick an agent or an admin" },
    ]);
    expect(await issues(options(preview.id, ["email", "name", "ignore"], { listId: "list_gone" }))).toEqual([
      { path: "listId", message: "this list does not exist (any more)" },
    ]);
    expect(count("contacts")).toBe(0);
    expect(await kit.run(csv.run(alex, options(preview.id, ["email", "name", "ignore"], { ownerId: people.bo.id })))).toMatchObject({ created: 1 });
    expect(contacts()[0]?.owner_id).toBe(people.bo.id);
    expect(events("contact_owner_changed").at(-1)).toMatchObject({ to: people.bo.id, via: "import" });
  });

  const existing = () =>
    kit.db.sqlite
      .prepare("INSERT INTO contacts (id, email, name, phone, properties, created_at, updated_at) VALUES ('ct_ann', 'ann@example.com', NULL, '+49301234567', '{\"plan\":\"free\"}', 0, 0)")
      .run();
  const duplicateFile = "Email,Name,Phone,Plan\nann@example.com,Ann Lee,+49 30 7654321,pro\n";

  it("skips a contact that exists, leaving it as it was, but still puts it on the list", async () => {
    existing();
    const preview = await upload(duplicateFile);
    const result = await kit.run(csv.run(alex, options(preview.id, ["email", "name", "phone", "property:plan"], { listId: "list_news" })));
    expect(result).toMatchObject({ created: 0, updated: 0, skipped: 1, rejected: 0, listed: 1 });
    expect(contacts()).toEqual([{ email: "ann@example.com", name: null, phone: "+49301234567", properties: '{"plan":"free"}', owner_id: null }]);
    expect(kit.db.sqlite.prepare("SELECT source, added_by FROM contact_list_members WHERE contact_id = 'ct_ann'").get()).toEqual({ source: "import", added_by: alex.id });
    expect(events("contact_list_added").at(-1)).toMatchObject({ listId: "list_news", contactId: "ct_ann", source: "import" });
  });

  it("fills only the empty fields of a contact that exists", async () => {
    existing();
    const preview = await upload(duplicateFile);
    const result = await kit.run(csv.run(alex, { ...options(preview.id, ["email", "name", "phone", "property:plan"]), onDuplicate: "fill" }));
    expect(result).toMatchObject({ created: 0, updated: 1, skipped: 0 });
    expect(contacts()).toEqual([{ email: "ann@example.com", name: "Ann Lee", phone: "+49301234567", properties: '{"plan":"free"}', owner_id: null }]);
    expect(events("contact_updated").at(-1)).toMatchObject({ contactId: "ct_ann", fields: ["name"], via: "import" });
  });

  it("overwrites a contact that exists with every value the row has, found by its phone when there is no email", async () => {
    existing();
    const preview = await upload("Phone,Name,Plan,Email\n+49 30 1234567,Ann Lee,pro,\n");
    const result = await kit.run(csv.run(alex, { ...options(preview.id, ["phone", "name", "property:plan", "ignore"]), onDuplicate: "overwrite" }));
    expect(result).toMatchObject({ created: 0, updated: 1, skipped: 0 });
    expect(contacts()).toEqual([{ email: "ann@example.com", name: "Ann Lee", phone: "+49301234567", properties: '{"plan":"pro"}', owner_id: null }]);
  });

  it("refuses a row whose phone two contacts share, and two rows that land on one contact", async () => {
    kit.db.sqlite
      .prepare("INSERT INTO contacts (id, email, phone, created_at, updated_at) VALUES ('ct_a', 'a@example.com', '+49301234567', 0, 0), ('ct_b', 'b@example.com', '+49301234567', 0, 0)")
      .run();
    const preview = await upload("Phone,Email,Name\n+49 30 1234567,,Who\n,a@example.com,A\n+49 30 9999999,,Other\n");
    const result = await kit.run(csv.run(alex, { ...options(preview.id, ["phone", "email", "name"]), onDuplicate: "overwrite" }));
    expect(result).toMatchObject({ created: 1, updated: 1, rejected: 1 });
    expect(result.errors).toEqual([{ line: 2, column: "Phone", message: "2 contacts have this phone number: add an email to tell them apart" }]);

    const again = await upload("Email,Phone\nnew@example.com,+49 30 9999999\n");
    // The phone belongs to the contact line 4 created: it is found, and its email is set (nothing was there).
    expect(await kit.run(csv.run(alex, { ...options(again.id, ["email", "phone"]), onDuplicate: "fill" }))).toMatchObject({ updated: 1 });
  });
});

describe("exporting", () => {
  it("pages through the contacts the filters select, with their lists and properties", async () => {
    const insert = kit.db.sqlite.prepare(
      "INSERT INTO contacts (id, email, name, properties, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    insert.run("ct_1", "one@example.com", "One", '{"plan":"pro"}', alex.id, 10, 10);
    insert.run("ct_2", "two@example.com", "Two", '{"company":"Acme"}', null, 20, 25);
    insert.run("ct_3", "three@example.com", "Three", "{}", null, 30, 30);
    kit.db.sqlite.prepare("INSERT INTO contact_list_members (list_id, contact_id, added_at, source) VALUES ('list_news', 'ct_2', 0, 'agent')").run();
    expect(await kit.run(csv.exportProperties(alex, {}))).toEqual(["company", "plan"]);
    const first = await kit.run(csv.exportPage(alex, {}, null, 2));
    expect(first.rows.map((r) => r.id)).toEqual(["ct_1", "ct_2"]);
    expect(first.rows[0]).toMatchObject({ owner: "Alex Agent", lists: [], properties: { plan: "pro" }, createdAt: 10 });
    expect(first.rows[1]).toMatchObject({ lists: ["Newsletter"], lastActivityAt: 25 });
    const second = await kit.run(csv.exportPage(alex, {}, first.next, 2));
    expect(second).toMatchObject({ rows: [{ id: "ct_3" }], next: null });
    expect((await kit.run(csv.exportPage(alex, { list: "list_news" }, null))).rows.map((r) => r.id)).toEqual(["ct_2"]);
    expect((await kit.run(csv.exportPage(alex, { owner: "me" }, null))).rows.map((r) => r.id)).toEqual(["ct_1"]);
    expect((await kit.run(csv.exportPage(alex, { search: "three" }, null))).rows.map((r) => r.id)).toEqual(["ct_3"]);
    expect(await kit.run(csv.exportProperties(alex, { list: "list_news" }))).toEqual(["company"]);
    expect(((await kit.fail(csv.exportPage(alex, {}, "nonsense"))) as InvalidInput).issues[0]?.path).toBe("after");
    expect(((await kit.fail(csv.exportPage(people.ana, {}, null))) as Forbidden)._tag).toBe("Forbidden");
  });
});
