/**
 * Contacts in and out as CSV: what anyone moving their customer base into Parley does first.
 *
 * Import, in three steps. `upload` reads the file (UTF-8 with or without a byte-order mark,
 * comma or semicolon detected from the header line, at most 5 MB and 10,000 rows; csv-parse for
 * quotes and line breaks inside fields), keeps its rows in a file under the data folder named by
 * a random id and tied to the uploader — the browser never holds the rows — and guesses a
 * mapping from the header names. `preview` shows it again. `run` judges every row with the
 * contact form's own Schemas (email lower-cased and checked, phone to E.164 with an optional
 * default country, name and property lengths), rejects bad rows and the file's duplicates with
 * their line, column and message, and writes the rest in writes of 500 rows (the process stays
 * free for bot turns between them; each write records how far the import got, so an import
 * stopped half-way goes on from there when run again): new contacts (an owner if
 * chosen), existing ones (found by email, else by phone) skipped, filled or overwritten, and
 * every imported contact on a list if chosen — each change an event as the contact page writes
 * it, marked `via: "import"`. An import never records email consent: consent comes from the
 * person. The upload is removed after the import (or after an hour); the rejected rows stay an
 * hour for their CSV download.
 *
 * Export: `exportProperties` and `exportPage` read the contacts the /contacts filters select,
 * in pages by creation (a keyset), so the route can stream 100k contacts without one string.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { Context, Effect, Either, Layer, Schema as S } from "effect";
import { isSupportedCountry, type CountryCode } from "libphonenumber-js";
import { decodeWith, type DecodeIssue } from "../../flows/decode.js";
import * as wallClock from "./clock.js";
import { AppConfig } from "./config.js";
import { listExists } from "./contact-lists.js";
import {
  cannotOwn,
  CONTACT_ACTIVITY,
  ContactEmail,
  ContactFilter,
  contactFilterClauses,
  ContactName,
  knownContactProperties,
  MAX_PROPERTIES,
  parseProperties,
  phoneIn,
  PropertyValue,
} from "./contacts.js";
import { auditActorAs, recordAudit } from "./audit-log.js";
import { Database, type DatabaseShape } from "./database.js";
import { Forbidden, InvalidInput, NotFound, PayloadTooLarge } from "./errors.js";
import { newId } from "./ids.js";
import { decodeCursor, decodeInput, encodeCursor, invalid, worksInInboxes, type Actor } from "./inbox-access.js";

// ---------------------------------------------------------------------------------------------
// Limits and shapes

/** The largest file an import reads (bytes). */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** The most rows (under the header) an import takes. */
export const MAX_IMPORT_ROWS = 10_000;
/** The most columns a file may have. */
export const MAX_IMPORT_COLUMNS = 100;
/** How long an upload (and an import's rejected rows) is kept. */
export const IMPORT_TTL_MS = 60 * 60 * 1000;
/** Rows the preview shows. */
/**
 * Valid rows applied per write: a 10,000-row import holds the writer (and, better-sqlite3 being
 * synchronous, the process) twenty times for a moment instead of once for seconds, and bot turns
 * get in between.
 */
export const IMPORT_CHUNK_ROWS = 500;
export const PREVIEW_ROWS = 5;
/** Rejected rows an import's result lists (all of them are in its CSV). */
export const MAX_LISTED_REJECTIONS = 100;

/** What to do with a row whose email (or phone) already belongs to a contact. */
export const duplicatePolicies = ["skip", "fill", "overwrite"] as const;
export type DuplicatePolicy = (typeof duplicatePolicies)[number];

/** Where a column goes: a field, a part of the name, a contact property (`property:<name>`), or nowhere. */
export type ImportTarget = "ignore" | "name" | "first_name" | "last_name" | "email" | "phone" | `property:${string}`;
const FIELD_TARGETS = ["name", "first_name", "last_name", "email", "phone"] as const;

export interface ImportPreview {
  readonly id: string;
  readonly fileName: string;
  readonly delimiter: "," | ";";
  readonly headers: ReadonlyArray<string>;
  readonly rowCount: number;
  /** The first rows, as cells under the headers. */
  readonly sample: ReadonlyArray<{ readonly line: number; readonly cells: ReadonlyArray<string> }>;
  /** The guessed target of each column. */
  readonly guesses: ReadonlyArray<ImportTarget>;
  /** The contact properties a column may go to. */
  readonly properties: ReadonlyArray<string>;
  readonly expiresAt: number;
  /**
   * An import of this file that stopped half-way (the server stopped, or its owner or list went
   * away meanwhile): how many of its valid rows are in. Importing again goes on from there.
   */
  readonly stopped: { readonly done: number; readonly total: number } | null;
}

/** Why a row was not imported: its line in the file, the column (null: the whole row) and the message. */
export interface RowError {
  readonly line: number;
  readonly column: string | null;
  readonly message: string;
}

export interface ImportResult {
  readonly id: string;
  readonly created: number;
  readonly updated: number;
  /** Existing contacts left as they were (the policy said skip, or there was nothing to change). */
  readonly skipped: number;
  /** Rows not imported. */
  readonly rejected: number;
  /** Contacts put on the chosen list (0 when none was chosen or all were on it). */
  readonly listed: number;
  /** The first rejected rows' errors (every error of each, at most MAX_LISTED_REJECTIONS rows). */
  readonly errors: ReadonlyArray<RowError>;
}

/** The rejected rows of an import as a table: the file's header plus "error", then the rows as they were. */
export interface RejectedRows {
  /** The uploaded file's: Excel in a locale with decimal commas saves semicolons, and opens them back. */
  readonly delimiter: "," | ";";
  readonly headers: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<ReadonlyArray<string>>;
}

/** One contact as the export writes it. */
export interface ExportRow {
  readonly id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly owner: string | null;
  readonly lists: ReadonlyArray<string>;
  readonly createdAt: number;
  readonly lastActivityAt: number;
  readonly properties: Readonly<Record<string, string>>;
}

export interface ExportPage {
  readonly rows: ReadonlyArray<ExportRow>;
  /** Pass as `after` for the next page; null on the last. */
  readonly next: string | null;
}

/** The import step's choices (form fields). */
/** An upload's id as Parley gives it out (22 characters of base64url): nothing else names a file. */
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export const ImportOptions = S.Struct({
  id: S.String.pipe(S.pattern(ID_PATTERN, { message: () => "this upload is not one Parley gave out: upload the file again" })),
  mapping: S.Array(S.String.pipe(S.maxLength(100))).pipe(S.maxItems(MAX_IMPORT_COLUMNS)),
  onDuplicate: S.Literal(...duplicatePolicies).annotations({ message: () => ({ message: "choose skip, fill empty fields or overwrite", override: true }) }),
  ownerId: S.optional(S.String.pipe(S.maxLength(100, { message: () => "an owner is a user id" }))),
  listId: S.optional(S.String.pipe(S.maxLength(100, { message: () => "a list is a list id" }))),
  defaultCountry: S.optional(
    S.String.pipe(S.filter((c) => c === "" || isSupportedCountry(c) || "choose a country from the list, or none")),
  ),
});
export type ImportOptions = typeof ImportOptions.Type;

export interface ContactCsvShape {
  /** Reads an uploaded file and keeps its rows for the import; the preview of it. Nothing is stored in the database. */
  readonly upload: (
    actor: Actor,
    file: { readonly name: string; readonly bytes: Uint8Array },
  ) => Effect.Effect<ImportPreview, InvalidInput | PayloadTooLarge | Forbidden>;
  /** The preview of the actor's upload; NotFound when it is someone else's, expired or imported. */
  readonly preview: (actor: Actor, id: string) => Effect.Effect<ImportPreview, NotFound | Forbidden>;
  /**
   * Imports the upload's rows (decoded by `ImportOptions`): the valid ones in writes of
   * IMPORT_CHUNK_ROWS, each with the import's progress; the upload is then removed. A stopped
   * import goes on from its progress, with the columns, country and duplicate choice it began with.
   */
  readonly run: (actor: Actor, input: unknown) => Effect.Effect<ImportResult, InvalidInput | NotFound | Forbidden>;
  /** The rejected rows of the actor's import, for their CSV download (kept an hour). */
  readonly rejected: (actor: Actor, id: string) => Effect.Effect<RejectedRows, NotFound | Forbidden>;
  /** The property names of the contacts the filter (`ContactFilter`: search, owner, list) selects, sorted. */
  readonly exportProperties: (actor: Actor, filter: unknown) => Effect.Effect<ReadonlyArray<string>, InvalidInput | Forbidden>;
  /** A page of those contacts, oldest first, after the cursor `after` (at most `limit`, ≤ 1,000). */
  readonly exportPage: (
    actor: Actor,
    filter: unknown,
    after: string | null,
    limit?: number,
  ) => Effect.Effect<ExportPage, InvalidInput | Forbidden>;
}

export class ContactCsv extends Context.Tag("ContactCsv")<ContactCsv, ContactCsvShape>() {}

// ---------------------------------------------------------------------------------------------
// Reading a file (pure)

/** A file read into rows: the header, and each row with the line it starts on. */
export interface ParsedFile {
  readonly delimiter: "," | ";";
  readonly headers: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<{ readonly line: number; readonly cells: ReadonlyArray<string> }>;
}

/** The delimiter of a CSV text: the one of "," and ";" found more often in its first line outside quotes. Pure. */
export const detectDelimiter = (text: string): "," | ";" => {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === "\n") break;
    else if (!quoted && ch === ",") commas++;
    else if (!quoted && ch === ";") semicolons++;
  }
  return semicolons > commas ? ";" : ",";
};

const CSV_MESSAGES: Readonly<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: "a quoted field is never closed",
  CSV_INVALID_OPENING_QUOTE: "a quote appears inside a field that did not start with one",
  INVALID_OPENING_QUOTE: "a quote appears inside a field that did not start with one",
  CSV_INVALID_CLOSING_QUOTE: "a closing quote is followed by more text in the same field",
  INVALID_CLOSING_QUOTE: "a closing quote is followed by more text in the same field",
};

/**
 * Reads an uploaded CSV file: UTF-8 (a byte-order mark is dropped), comma or semicolon,
 * quotes and line breaks inside quoted fields, blank lines skipped; the first row is the
 * header. Refuses (under `file`) a file that is not UTF-8, cannot be read as CSV, has no rows,
 * more than MAX_IMPORT_ROWS rows or more than MAX_IMPORT_COLUMNS columns. Pure.
 */
export const readCsv = (bytes: Uint8Array): Either.Either<ParsedFile, InvalidInput> => {
  let text: string;
  try {
    // `fatal`: bytes that are not UTF-8 (a file saved as Latin-1 or UTF-16) are refused, not garbled.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return Either.left(invalid("file", "the file is not UTF-8 text: save it as “CSV UTF-8” and upload it again"));
  }
  // Line numbers are counted on \n; a line break inside a field becomes \n as well.
  text = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (text.trim() === "") return Either.left(invalid("file", "the file is empty"));
  const delimiter = detectDelimiter(text);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    // With `info`, each record comes with where it was read (the types only know plain records).
    records = parse(text, { delimiter, info: true, relax_column_count: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (error) {
    const e = error as { code?: string; lines?: number; message?: string };
    const what = CSV_MESSAGES[e.code ?? ""] ?? "it cannot be read as CSV";
    return Either.left(invalid("file", `line ${e.lines ?? "?"}: ${what}`));
  }
  const [head, ...body] = records;
  if (head === undefined) return Either.left(invalid("file", "the file is empty"));
  if (head.record.length > MAX_IMPORT_COLUMNS) {
    return Either.left(invalid("file", `the file has ${head.record.length} columns; an import takes at most ${MAX_IMPORT_COLUMNS}`));
  }
  // A row of empty cells (a spreadsheet's trailing ";;;") is no data.
  const rows = body
    .filter((r) => r.record.some((cell) => cell.trim() !== ""))
    .map((r) => ({
      // csv-parse counts the line a record ends on; its fields' own line breaks say where it began.
      line: r.info.lines - r.record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0),
      cells: r.record,
    }));
  if (rows.length === 0) return Either.left(invalid("file", "the file has no rows under its header"));
  if (rows.length > MAX_IMPORT_ROWS) {
    return Either.left(
      invalid("file", `the file has ${rows.length.toLocaleString("en")} rows; an import takes at most ${MAX_IMPORT_ROWS.toLocaleString("en")}: split it into smaller files`),
    );
  }
  const headers = head.record.map((h, i) => (h.trim() === "" ? `Column ${i + 1}` : h.trim()));
  return Either.right({ delimiter, headers, rows });
};

// ---------------------------------------------------------------------------------------------
// Guessing the mapping (pure)

const squash = (header: string) => header.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]/g, "");

const HEADER_GUESSES: ReadonlyArray<readonly [ImportTarget, ReadonlyArray<string>]> = [
  ["email", ["email", "emailaddress", "mail", "mailaddress", "emailadresse", "courriel", "correo"]],
  ["phone", ["phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "cell", "cellphone", "telephone", "tel", "telefon", "telefonnummer", "handy", "mobil"]],
  ["name", ["name", "fullname", "contactname", "contact", "displayname", "person"]],
  ["first_name", ["firstname", "givenname", "forename", "first", "vorname", "prenom"]],
  ["last_name", ["lastname", "surname", "familyname", "last", "nachname", "nom"]],
];

/**
 * The likely target of each column from its header: email, phone and name by their usual names
 * ("E-mail", "Email address", "Mobile", "Full name", "First name" + "Last name"), a known
 * contact property by its name, else ignore; each target guessed at most once. Pure.
 */
export const guessMapping = (headers: ReadonlyArray<string>, properties: ReadonlyArray<string>): ImportTarget[] => {
  const taken = new Set<string>();
  const byProperty = new Map(properties.map((p) => [squash(p), p]));
  return headers.map((header) => {
    const key = squash(header);
    const field = HEADER_GUESSES.find(([, names]) => names.includes(key))?.[0];
    const property = byProperty.get(key);
    const target: ImportTarget = field ?? (property !== undefined ? `property:${property}` : "ignore");
    if (target === "ignore" || taken.has(target)) return "ignore";
    taken.add(target);
    return target;
  });
};

// ---------------------------------------------------------------------------------------------
// Judging rows (pure)

/** A row that passed: the contact's values, and the line it came from. */
interface ValidRow {
  readonly line: number;
  readonly index: number;
  readonly email?: string;
  readonly name?: string;
  readonly phone?: string;
  readonly properties: Readonly<Record<string, string>>;
}

const decodeEmail = decodeWith(ContactEmail);
const decodeName = decodeWith(ContactName);
const decodeProperty = decodeWith(PropertyValue);
const firstMessage = (issues: ReadonlyArray<DecodeIssue>) => issues[0]?.message ?? "this value is not valid";

/**
 * Checks a mapping against the file's headers and the known properties: one target per column,
 * each target (but ignore) at most once, and at least an email, a name or a phone. Pure.
 */
export const checkMapping = (
  mapping: ReadonlyArray<string>,
  headers: ReadonlyArray<string>,
  properties: ReadonlyArray<string>,
): ReadonlyArray<DecodeIssue> => {
  if (mapping.length !== headers.length) return [{ path: "mapping", message: `map each of the file's ${headers.length} columns (or ignore it)` }];
  const issues: DecodeIssue[] = [];
  const seen = new Map<string, number>();
  mapping.forEach((target, i) => {
    const known =
      target === "ignore" ||
      (FIELD_TARGETS as ReadonlyArray<string>).includes(target) ||
      (target.startsWith("property:") && properties.includes(target.slice("property:".length)));
    if (!known) issues.push({ path: `mapping[${i}]`, message: "choose a field, a contact property that exists, or ignore" });
    else if (target !== "ignore") {
      const earlier = seen.get(target);
      if (earlier !== undefined) issues.push({ path: `mapping[${i}]`, message: `“${headers[earlier]}” already goes there: choose another field or ignore` });
      else seen.set(target, i);
    }
  });
  if (issues.length === 0 && !FIELD_TARGETS.some((t) => seen.has(t))) {
    issues.push({ path: "mapping", message: "map at least one column to the email, the name or the phone" });
  }
  return issues;
};

/**
 * Every row judged with the contact form's rules: the valid ones, and the errors of the rest
 * (by row index). A second row with an email or phone an earlier row has is a duplicate. Pure.
 */
export const judgeRows = (
  file: ParsedFile,
  mapping: ReadonlyArray<ImportTarget>,
  defaultCountry: CountryCode | undefined,
): { readonly valid: ValidRow[]; readonly errors: Map<number, RowError[]> } => {
  const decodePhone = decodeWith(phoneIn(defaultCountry));
  const column = (target: ImportTarget) => mapping.indexOf(target);
  const at = { email: column("email"), phone: column("phone"), name: column("name"), first: column("first_name"), last: column("last_name") };
  const propertyColumns = mapping.flatMap((t, i) => (t.startsWith("property:") ? [[i, t.slice("property:".length)] as const] : []));
  const valid: ValidRow[] = [];
  const errors = new Map<number, RowError[]>();
  const emails = new Map<string, number>();
  const phones = new Map<string, number>();
  file.rows.forEach((row, index) => {
    const problems: RowError[] = [];
    const fail = (col: number | null, message: string) => problems.push({ line: row.line, column: col === null ? null : (file.headers[col] ?? null), message });
    const cell = (i: number) => (i < 0 ? "" : (row.cells[i] ?? "").trim());
    if (row.cells.slice(file.headers.length).some((c) => c.trim() !== "")) {
      fail(null, `this row has ${row.cells.length} fields; the header has ${file.headers.length}`);
    }
    const value = <A>(i: number, decode: (input: unknown) => Either.Either<A, ReadonlyArray<DecodeIssue>>): A | undefined => {
      const text = cell(i);
      if (text === "") return undefined;
      return Either.match(decode(text), {
        onLeft: (issues) => {
          fail(i, firstMessage(issues));
          return undefined;
        },
        onRight: (a) => a,
      });
    };
    const email = value(at.email, decodeEmail);
    const phone = value(at.phone, decodePhone);
    const whole = cell(at.name);
    const joined = [cell(at.first), cell(at.last)].filter((p) => p !== "").join(" ");
    const nameColumn = whole !== "" ? at.name : cell(at.first) !== "" ? at.first : at.last;
    const name = whole !== "" || joined !== "" ? value(nameColumn, () => decodeName(whole !== "" ? whole : joined)) : undefined;
    const properties: Record<string, string> = {};
    for (const [i, key] of propertyColumns) {
      const v = value(i, decodeProperty);
      if (v !== undefined) properties[key] = v;
    }
    const hadValue = [at.email, at.phone].some((i) => cell(i) !== "") || whole !== "" || joined !== "";
    if (!hadValue) fail(null, "enter an email, a name or a phone number");
    if (email !== undefined) {
      const earlier = emails.get(email);
      if (earlier !== undefined) fail(at.email, `line ${earlier} has the same email`);
      else emails.set(email, row.line);
    }
    if (phone !== undefined) {
      const earlier = phones.get(phone);
      if (earlier !== undefined) fail(at.phone, `line ${earlier} has the same phone number`);
      else phones.set(phone, row.line);
    }
    if (problems.length > 0) errors.set(index, problems);
    else valid.push({ line: row.line, index, ...(email !== undefined ? { email } : {}), ...(name !== undefined ? { name } : {}), ...(phone !== undefined ? { phone } : {}), properties });
  });
  return { valid, errors };
};

// ---------------------------------------------------------------------------------------------
// The service

interface StoredUpload extends ParsedFile {
  readonly userId: string;
  readonly fileName: string;
  readonly createdAt: number;
}

/**
 * How far an import got, in the settings table under `contact_import:<id>`, written in the same
 * write as each chunk (so it is never behind or ahead of what is in) and deleted with the last.
 */
interface ImportProgress {
  readonly userId: string;
  /** The choices that decide which rows are valid and how they apply: a resumed import keeps them. */
  readonly mapping: ReadonlyArray<ImportTarget>;
  readonly defaultCountry: string | null;
  readonly onDuplicate: DuplicatePolicy;
  /** Valid rows in the file, and how many of them are in. */
  readonly total: number;
  readonly done: number;
  readonly created: number;
  readonly updated: number;
  readonly skipped: number;
  readonly listed: number;
  /** Rows the writes turned away so far, by their index in the file. */
  readonly refused: ReadonlyArray<readonly [number, ReadonlyArray<RowError>]>;
}
const progressKey = (id: string) => `contact_import:${id}`;

interface StoredRejections extends RejectedRows {
  readonly userId: string;
  readonly createdAt: number;
}

interface ExistingContact {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly phone: string | null;
  readonly properties: string;
}


/** A row the write turned away (an ambiguous phone, too many properties), as the judged rows' errors are. */
class RowRefused {
  constructor(readonly error: RowError) {}
}

/** The ContactCsv service over an open database, keeping uploads in `dir` (exported for tests; `now` is real time). */
export const makeContactCsv = (deps: { readonly db: DatabaseShape; readonly dir: string; readonly now?: () => number }): ContactCsvShape => {
  const { db, dir } = deps;
  const prepare = db.prepare;
  const now = deps.now ?? Date.now;
  const mayWork = (actor: Actor, what: string) =>
    worksInInboxes(actor) ? Effect.void : Effect.fail(new Forbidden({ message: `Your role cannot ${what}.` }));

  const uploadPath = (id: string) => join(dir, `${id}.upload.json`);
  const rejectedPath = (id: string) => join(dir, `${id}.rejected.json`);
  const runningPath = (id: string) => join(dir, `${id}.running.json`);

  /** Removes kept files older than the TTL (by their modification time). */
  const sweep = () => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        if (now() - statSync(path).mtimeMs > IMPORT_TTL_MS) rmSync(path, { force: true });
      } catch {
        // Removed by another request meanwhile.
      }
    }
  };

  /** A kept file of the actor's, or undefined when it is missing, expired, unreadable or someone else's. */
  const readKept = <T extends { readonly userId: string; readonly createdAt: number }>(path: string, actor: Actor): T | undefined => {
    try {
      const kept = JSON.parse(readFileSync(path, "utf8")) as T;
      if (kept.userId !== actor.id) return undefined;
      if (now() - kept.createdAt > IMPORT_TTL_MS) {
        rmSync(path, { force: true });
        return undefined;
      }
      return kept;
    } catch {
      return undefined;
    }
  };

  const keep = (path: string, value: unknown) => {
    mkdirSync(dir, { recursive: true });
    // Only the server reads these: they hold the customer list.
    writeFileSync(path, JSON.stringify(value), { mode: 0o600 });
  };

  /** Imports running in this process: their claimed upload is theirs, not a stopped import's. */
  const active = new Set<string>();
  const readProgress = (id: string) => {
    const row = prepare("SELECT value FROM settings WHERE key = ?").get(progressKey(id)) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as ImportProgress);
  };
  /** The actor's import that stopped half-way (its claimed upload and its progress), if `id` is one. */
  const stoppedImport = (id: string, actor: Actor): { kept: StoredUpload; progress: ImportProgress } | undefined => {
    if (!ID_PATTERN.test(id) || active.has(id)) return undefined;
    const progress = readProgress(id);
    if (progress === undefined || progress.userId !== actor.id) return undefined;
    const kept = readKept<StoredUpload>(runningPath(id), actor);
    return kept === undefined ? undefined : { kept, progress };
  };

  const previewOf = (id: string, kept: StoredUpload, progress?: ImportProgress): ImportPreview => {
    const properties = knownContactProperties(prepare);
    return {
      id,
      fileName: kept.fileName,
      delimiter: kept.delimiter,
      headers: kept.headers,
      rowCount: kept.rows.length,
      sample: kept.rows.slice(0, PREVIEW_ROWS),
      guesses: guessMapping(kept.headers, properties),
      properties,
      expiresAt: kept.createdAt + IMPORT_TTL_MS,
      stopped: progress === undefined ? null : { done: progress.done, total: progress.total },
    };
  };

  const gone = (id: string) => new NotFound({ entity: "upload", id });

  const upload: ContactCsvShape["upload"] = Effect.fn("ContactCsv.upload")(function* (actor, file) {
    yield* mayWork(actor, "import contacts");
    if (file.bytes.byteLength > MAX_IMPORT_BYTES) return yield* Effect.fail(new PayloadTooLarge({ limitBytes: MAX_IMPORT_BYTES }));
    if (file.bytes.byteLength === 0) return yield* Effect.fail(invalid("file", "choose a CSV file to upload"));
    const parsed = readCsv(file.bytes);
    if (Either.isLeft(parsed)) return yield* Effect.fail(parsed.left);
    sweep();
    // The progress of stopped imports whose upload has expired: nothing can go on from it any more.
    const stale = (prepare("SELECT key FROM settings WHERE key >= 'contact_import:' AND key < 'contact_import;'").all() as Array<{ key: string }>)
      .map((r) => r.key.slice(progressKey("").length))
      .filter((id) => !active.has(id) && !existsSync(runningPath(id)));
    if (stale.length > 0) yield* Effect.orDie(db.writeEffect(() => stale.forEach((id) => prepare("DELETE FROM settings WHERE key = ?").run(progressKey(id)))));
    const id = randomBytes(16).toString("base64url");
    const kept: StoredUpload = {
      ...parsed.right,
      userId: actor.id,
      fileName: file.name.replace(/[\\/]/g, "_").slice(0, 200) || "contacts.csv",
      createdAt: now(),
    };
    keep(uploadPath(id), kept);
    return previewOf(id, kept);
  });

  const preview: ContactCsvShape["preview"] = Effect.fn("ContactCsv.preview")(function* (actor, id) {
    yield* mayWork(actor, "import contacts");
    const kept = ID_PATTERN.test(id) ? readKept<StoredUpload>(uploadPath(id), actor) : undefined;
    if (kept) return previewOf(id, kept);
    const stopped = stoppedImport(id, actor);
    if (!stopped) return yield* Effect.fail(gone(id));
    return previewOf(id, stopped.kept, stopped.progress);
  });

  const run: ContactCsvShape["run"] = Effect.fn("ContactCsv.run")(function* (actor, input) {
    yield* mayWork(actor, "import contacts");
    const posted = yield* decodeInput(ImportOptions, input);
    const fresh = readKept<StoredUpload>(uploadPath(posted.id), actor);
    // Not an upload waiting: perhaps an import that stopped half-way, which goes on where it stopped.
    const stopped = fresh ? undefined : stoppedImport(posted.id, actor);
    const kept = fresh ?? stopped?.kept;
    if (!kept) return yield* Effect.fail(gone(posted.id));
    const resumed = stopped?.progress;
    const audit = yield* auditActorAs(actor.id);
    const options = resumed === undefined ? posted : { ...posted, mapping: resumed.mapping, defaultCountry: resumed.defaultCountry ?? undefined, onDuplicate: resumed.onDuplicate };
    const properties = knownContactProperties(prepare);
    const mappingIssues = checkMapping(options.mapping, kept.headers, properties);
    if (mappingIssues.length > 0) return yield* Effect.fail(new InvalidInput({ issues: mappingIssues }));
    const mapping = options.mapping as ReadonlyArray<ImportTarget>;
    const ownerId = options.ownerId?.trim() || null;
    const listId = options.listId?.trim() || null;
    const country = options.defaultCountry && isSupportedCountry(options.defaultCountry) ? options.defaultCountry : undefined;
    const importId = options.id;
    const running = runningPath(importId);
    if (active.has(importId)) return yield* Effect.fail(gone(importId));
    if (resumed === undefined) {
      // Claimed by a rename (atomic): the same form sent twice imports once; the second finds nothing.
      try {
        renameSync(uploadPath(importId), running);
      } catch {
        return yield* Effect.fail(gone(importId));
      }
    }
    active.add(importId);
    const { valid, errors } = judgeRows(kept, mapping, country);
    const policy = options.onDuplicate;
    // Carried from chunk to chunk (and from the stopped run, for a resumed one).
    const totals = {
      created: resumed?.created ?? 0,
      updated: resumed?.updated ?? 0,
      skipped: resumed?.skipped ?? 0,
      listed: resumed?.listed ?? 0,
      refusedRows: new Map<number, ReadonlyArray<RowError>>(resumed?.refused ?? []),
    };
    // Which row went into which contact, to refuse a second row landing on the same one. A resumed
    // import starts it afresh: its file's emails and phones are unique, so only a row matching by
    // phone a contact an earlier row matched by email could go in twice (as an update).
    const matchedBy = new Map<string, number>();

    /** Applies valid rows [from, from + IMPORT_CHUNK_ROWS) in one write, with the progress; how many. */
    const applyChunk = (from: number) =>
      db.writeEffect(() => {
        // Checked in the write itself: an owner disabled or a list deleted a moment ago refuses the whole import.
        const ownerRefusal = ownerId === null ? undefined : cannotOwn(prepare, ownerId);
        if (ownerRefusal !== undefined) throw invalid("ownerId", ownerRefusal);
        if (listId !== null && !listExists(prepare, listId)) throw invalid("listId", "this list does not exist (any more)");
        const at = wallClock.now();
        const log = (type: string, data: Record<string, unknown>) =>
          prepare("INSERT INTO events (type, at, user_id, data) VALUES (?, ?, ?, ?)").run(type, at, actor.id, JSON.stringify({ ...data, via: "import", importId }));
        // Phones are not indexed: one read of them serves every row (none when no column is a phone).
        const byPhone = new Map<string, string[]>();
        const phoneRows = mapping.includes("phone") ? (prepare("SELECT id, phone FROM contacts WHERE phone IS NOT NULL").all() as Array<{ id: string; phone: string }>) : [];
        for (const r of phoneRows) byPhone.set(r.phone, [...(byPhone.get(r.phone) ?? []), r.id]);
        const readById = (id: string) => prepare("SELECT id, email, name, phone, properties FROM contacts WHERE id = ?").get(id) as ExistingContact;
        // Counted here and added to the totals only once the chunk is in (a failed write counts nothing).
        const refusedRows = new Map<number, RowError[]>();
        const matched = new Map<string, number>();
        let created = 0;
        let updated = 0;
        let skipped = 0;
        let listed = 0;
        /** Creates or updates the row's contact; its id. Throws RowRefused for a row that cannot go in. */
        const applyRow = (row: ValidRow): string => {
          const column = (target: ImportTarget) => kept.headers[mapping.indexOf(target)] ?? null;
          let existing: ExistingContact | undefined =
            row.email !== undefined ? (prepare("SELECT id, email, name, phone, properties FROM contacts WHERE email = ?").get(row.email) as ExistingContact | undefined) : undefined;
          if (existing === undefined && row.phone !== undefined) {
            const ids = byPhone.get(row.phone) ?? [];
            if (ids.length > 1) {
              throw new RowRefused({ line: row.line, column: column("phone"), message: `${ids.length} contacts have this phone number: add an email to tell them apart` });
            }
            if (ids[0] !== undefined) existing = readById(ids[0]);
          }
          if (existing === undefined) {
            const id = newId("contact");
            if (Object.keys(row.properties).length > MAX_PROPERTIES) {
              throw new RowRefused({ line: row.line, column: null, message: `a contact has at most ${MAX_PROPERTIES} properties` });
            }
            prepare("INSERT INTO contacts (id, email, name, phone, properties, owner_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
              id,
              row.email ?? null,
              row.name ?? null,
              row.phone ?? null,
              JSON.stringify(row.properties),
              ownerId,
              at,
              at,
            );
            if (row.phone !== undefined) byPhone.set(row.phone, [id]);
            matched.set(id, row.line);
            log("contact_created", { contactId: id });
            if (ownerId !== null) log("contact_owner_changed", { contactId: id, from: null, to: ownerId });
            created++;
            return id;
          }
          const earlier = matched.get(existing.id) ?? matchedBy.get(existing.id);
          if (earlier !== undefined) {
            throw new RowRefused({ line: row.line, column: null, message: `line ${earlier} already imports into the same contact` });
          }
          matched.set(existing.id, row.line);
          if (policy === "skip") {
            skipped++;
            return existing.id;
          }
          // fill: only what the contact lacks; overwrite: every value the row has (an empty cell clears nothing).
          const take = (current: string | null, incoming: string | undefined) =>
            incoming !== undefined && incoming !== current && (policy === "overwrite" || current === null || current === "");
          const columns: Array<[string, string]> = [];
          if (take(existing.email, row.email)) columns.push(["email", row.email!]);
          if (take(existing.name, row.name)) columns.push(["name", row.name!]);
          if (take(existing.phone, row.phone)) columns.push(["phone", row.phone!]);
          const current = parseProperties(existing.properties);
          let changedProperties = false;
          for (const [key, value] of Object.entries(row.properties)) {
            if (take(current[key] ?? null, value)) {
              current[key] = value;
              changedProperties = true;
            }
          }
          if (changedProperties) {
            if (Object.keys(current).length > MAX_PROPERTIES) {
              throw new RowRefused({ line: row.line, column: null, message: `a contact has at most ${MAX_PROPERTIES} properties` });
            }
            columns.push(["properties", JSON.stringify(current)]);
          }
          if (columns.length === 0) {
            skipped++;
            return existing.id;
          }
          prepare(`UPDATE contacts SET ${columns.map(([c]) => `${c} = ?`).join(", ")}, updated_at = ? WHERE id = ?`).run(
            ...columns.map(([, v]) => v),
            at,
            existing.id,
          );
          if (columns.some(([c]) => c === "phone")) {
            if (existing.phone !== null) byPhone.set(existing.phone, (byPhone.get(existing.phone) ?? []).filter((id) => id !== existing!.id));
            byPhone.set(row.phone!, [...(byPhone.get(row.phone!) ?? []), existing.id]);
          }
          log("contact_updated", { contactId: existing.id, fields: columns.map(([c]) => c) });
          updated++;
          return existing.id;
        };
        const chunk = valid.slice(from, from + IMPORT_CHUNK_ROWS);
        for (const row of chunk) {
          try {
            const contactId = applyRow(row);
            if (listId !== null) {
              const added = prepare(
                `INSERT INTO contact_list_members (list_id, contact_id, added_at, source, added_by) VALUES (?, ?, ?, 'import', ?) ON CONFLICT DO NOTHING`,
              ).run(listId, contactId, at, actor.id).changes;
              if (added > 0) {
                listed++;
                log("contact_list_added", { listId, contactId, source: "import" });
              }
            }
          } catch (error) {
            if (error instanceof RowRefused) refusedRows.set(row.index, [error.error]);
            else throw error;
          }
        }
        const done = from + chunk.length;
        if (done >= valid.length) {
          prepare("DELETE FROM settings WHERE key = ?").run(progressKey(importId));
          recordAudit({ prepare }, at, audit, {
            action: "contacts.imported",
            target: { type: "import", id: importId, label: kept.fileName },
            data: {
              created: totals.created + created,
              updated: totals.updated + updated,
              skipped: totals.skipped + skipped,
              refused: totals.refusedRows.size + refusedRows.size,
              ...(listId !== null ? { listId } : {}),
            },
          });
        } else {
          const progress: ImportProgress = {
            userId: actor.id,
            mapping,
            defaultCountry: country ?? null,
            onDuplicate: policy,
            total: valid.length,
            done,
            created: totals.created + created,
            updated: totals.updated + updated,
            skipped: totals.skipped + skipped,
            listed: totals.listed + listed,
            refused: [...totals.refusedRows, ...refusedRows],
          };
          prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
            progressKey(importId),
            JSON.stringify(progress),
          );
        }
        return { done, created, updated, skipped, listed, refusedRows, matched };
      });

    /** Between chunks: a turn of the event loop, so requests that arrived meanwhile (a bot turn) are served. */
    const breathe = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)));

    yield* Effect.gen(function* () {
      let from = resumed?.done ?? 0;
      // At least one write, even with no valid row: it checks the owner and the list.
      do {
        if (from > (resumed?.done ?? 0)) yield* breathe;
        const chunk = yield* applyChunk(from).pipe(
          Effect.catchTag("WriteFailed", (failed) => (failed.cause instanceof InvalidInput ? Effect.fail(failed.cause) : Effect.die(failed.cause))),
        );
        totals.created += chunk.created;
        totals.updated += chunk.updated;
        totals.skipped += chunk.skipped;
        totals.listed += chunk.listed;
        for (const [index, rowErrors] of chunk.refusedRows) totals.refusedRows.set(index, rowErrors);
        for (const [id, line] of chunk.matched) matchedBy.set(id, line);
        from = chunk.done;
      } while (from < valid.length);
    }).pipe(
      Effect.ensuring(Effect.sync(() => active.delete(importId))),
      // Refused or failed before anything was in (an owner, a list, a fault of the store): the
      // upload is back for another try, not claimed and stuck. Once a chunk is in, the upload
      // stays claimed beside the progress: importing again goes on from there.
      Effect.onError(() =>
        Effect.sync(() => {
          if (readProgress(importId) === undefined) renameSync(running, uploadPath(importId));
        }),
      ),
    );
    const outcome = totals;

    const allErrors = new Map([...errors, ...outcome.refusedRows].sort(([a], [b]) => a - b));
    rmSync(running, { force: true });
    if (allErrors.size > 0) {
      const rows = [...allErrors].map(([index, rowErrors]) => {
        const cells = kept.rows[index]!.cells;
        const padded = kept.headers.map((_, i) => cells[i] ?? "");
        return [...padded, rowErrors.map((e) => `line ${e.line}${e.column !== null ? `, ${e.column}` : ""}: ${e.message}`).join("; ")];
      });
      const stored: StoredRejections = { userId: actor.id, createdAt: now(), delimiter: kept.delimiter, headers: [...kept.headers, "error"], rows };
      keep(rejectedPath(importId), stored);
    }
    return {
      id: importId,
      created: outcome.created,
      updated: outcome.updated,
      skipped: outcome.skipped,
      rejected: allErrors.size,
      listed: outcome.listed,
      errors: [...allErrors.values()].slice(0, MAX_LISTED_REJECTIONS).flat(),
    };
  });

  const rejected: ContactCsvShape["rejected"] = Effect.fn("ContactCsv.rejected")(function* (actor, id) {
    yield* mayWork(actor, "import contacts");
    const kept = ID_PATTERN.test(id) ? readKept<StoredRejections>(rejectedPath(id), actor) : undefined;
    if (!kept) return yield* Effect.fail(gone(id));
    return { delimiter: kept.delimiter, headers: kept.headers, rows: kept.rows };
  });

  const filtered = (actor: Actor, input: unknown) =>
    Effect.gen(function* () {
      yield* mayWork(actor, "export contacts");
      const filter = yield* decodeInput(ContactFilter, input);
      return contactFilterClauses(actor, filter);
    });

  const exportProperties: ContactCsvShape["exportProperties"] = Effect.fn("ContactCsv.exportProperties")(function* (actor, input) {
    const { where, args } = yield* filtered(actor, input);
    return (
      prepare(
        `SELECT DISTINCT j.key AS key FROM contacts c, json_each(c.properties) j ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY j.key`,
      ).all(...args) as Array<{ key: string }>
    ).map((r) => r.key);
  });

  const exportPage: ContactCsvShape["exportPage"] = Effect.fn("ContactCsv.exportPage")(function* (actor, input, after, limit = 500) {
    const { where, args } = yield* filtered(actor, input);
    if (after === null) {
      // The export's first page is the export: one line, naming the filters used (not their values, which can be a person's name).
      const audit = yield* auditActorAs(actor.id);
      const filters = typeof input === "object" && input !== null ? Object.keys(input).filter((key) => (input as Record<string, unknown>)[key] !== "") : [];
      yield* Effect.orDie(db.writeEffect((sqlite) => recordAudit(sqlite, wallClock.now(), audit, { action: "contacts.exported", data: { filters } })));
    }
    if (after !== null) {
      const cursor = decodeCursor(after);
      if (!cursor || typeof cursor.key !== "number") return yield* Effect.fail(invalid("after", "this cursor is not one the export gave out"));
      where.push("(c.created_at > ? OR (c.created_at = ? AND c.id > ?))");
      args.push(cursor.key, cursor.key, cursor.id);
    }
    const size = Math.max(1, Math.min(1000, Math.floor(limit)));
    // Last activity as the list reads it (contacts.ts), for this page's contacts only.
    const rows = prepare(
      `SELECT c.id, c.name, c.email, c.phone, c.properties, c.created_at,
         COALESCE(u.display_name, u.name) AS owner_name,
         ${CONTACT_ACTIVITY} AS activity,
         (SELECT json_group_array(l.name) FROM (SELECT l.name FROM contact_list_members m JOIN contact_lists l ON l.id = m.list_id
            WHERE m.contact_id = c.id ORDER BY l.name COLLATE NOCASE) l) AS lists
       FROM contacts c LEFT JOIN users u ON u.id = c.owner_id
       ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY c.created_at, c.id LIMIT ?`,
    ).all(...args, size + 1) as Array<{
      id: string;
      name: string | null;
      email: string | null;
      phone: string | null;
      properties: string;
      created_at: number;
      owner_name: string | null;
      activity: number;
      lists: string;
    }>;
    const page = rows.slice(0, size);
    const last = page[page.length - 1];
    return {
      rows: page.map((r) => ({
        id: r.id,
        name: r.name,
        email: r.email,
        phone: r.phone,
        owner: r.owner_name,
        lists: JSON.parse(r.lists) as string[],
        createdAt: r.created_at,
        lastActivityAt: r.activity,
        properties: parseProperties(r.properties),
      })),
      next: rows.length > size && last ? encodeCursor(last.created_at, last.id) : null,
    };
  });

  return { upload, preview, run, rejected, exportProperties, exportPage };
};

/** The ContactCsv service over the app's Database, keeping uploads under `<data folder>/imports`. */
export const layer: Layer.Layer<ContactCsv, never, Database | AppConfig> = Layer.effect(
  ContactCsv,
  Effect.gen(function* () {
    const config = yield* AppConfig;
    return makeContactCsv({ db: yield* Database, dir: join(config.dataDir, "imports") });
  }),
);
