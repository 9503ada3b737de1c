/**
 * First-start seed: an admin, a "Support" inbox and team, a "Website chat" channel — and, in demo
 * mode (PARLEY_DEMO, on by default), demo users and the example chatflows compiled and published.
 *
 * Runs once: a `seeded_at` marker in `settings` is written in the same transaction as the
 * workspace, so a restart never seeds twice and never prints a second password. The demo flows
 * follow in later writes; a `seed_demo` marker ("pending" → "done") lets a start that crashed
 * half-way finish them next time.
 */
import { Effect, Either } from "effect";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeFlowDocument } from "../../flows/compile.js";
import type { FlowDocument } from "../../flows/flow-document.js";
import { Chatflows, CONTACT_PROPERTIES_SETTING } from "./chatflows.js";
import { AppConfig } from "./config.js";
import { Database, type Sqlite } from "./database.js";
import { InvalidInput } from "./errors.js";
import { newSecret } from "./ids.js";
import { hashPassword } from "./password.js";

/** Fixed ids of the seeded rows: the example flows name `team_support` and `user_admin`. */
export const SEED_IDS = {
  admin: "user_admin",
  agent: "user_agent",
  marketer: "user_marketer",
  analyst: "user_analyst",
  inbox: "inbox_support",
  team: "team_support",
  channel: "chan_website",
} as const;

export const DEMO_USERS = [
  { id: SEED_IDS.agent, email: "agent@parley.local", name: "Alex Agent", role: "agent", meetingLink: "https://cal.example.com/alex-agent" },
  { id: SEED_IDS.marketer, email: "marketer@parley.local", name: "Mia Marketer", role: "marketer", meetingLink: null },
  { id: SEED_IDS.analyst, email: "analyst@parley.local", name: "Ana Analyst", role: "analyst", meetingLink: null },
] as const;

/**
 * How each example is set up on the demo channel (by the document's id). Lower priority wins:
 * the support bot on help pages, lead qualification everywhere else except /pricing, where the
 * live chat (last resort everywhere) takes over. The delivery quote calls an example API that
 * does not exist, so it is published but left off.
 */
export const DEMO_FLOWS: Readonly<Record<string, { readonly priority?: number; readonly enabled: boolean; readonly hide?: ReadonlyArray<string> }>> = {
  support_triage: { priority: 5, enabled: true },
  lead_qualification: { priority: 10, enabled: true, hide: ["/pricing"] },
  live_chat_hours: { priority: 200, enabled: true },
  delivery_quote: { enabled: false },
};

const SEEDED_AT = "seeded_at";
const SEED_DEMO = "seed_demo";

export interface SeedOptions {
  /** Folder of example FlowDocuments (default flows/examples). */
  readonly examplesDir?: string;
  /** Where the login line goes (default console.log). */
  readonly print?: (line: string) => void;
}

export interface SeedResult {
  /** False when the workspace already existed (nothing was written or printed). */
  readonly seeded: boolean;
  readonly adminEmail: string;
  /** The generated password, when ADMIN_PASSWORD was not set (printed once). */
  readonly generatedPassword?: string;
  /** Chatflow ids published from the examples, by document id. */
  readonly flows: Readonly<Record<string, string>>;
  /** Examples that could not be published, with why. */
  readonly skipped: ReadonlyArray<{ readonly file: string; readonly reason: string }>;
}

const defaultExamplesDir = (): string => fileURLToPath(new URL("../../flows/examples/", import.meta.url));

/** Example documents of a folder: every `*.json` except tests and the compile context. */
export const readExamples = (dir: string): Array<{ file: string; document: unknown }> => {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".json") && !f.endsWith(".test.json") && f !== "context.json").sort();
  } catch {
    return [];
  }
  return files.map((file) => ({ file, document: JSON.parse(readFileSync(join(dir, file), "utf8")) as unknown }));
};

/** The contact properties an examples folder declares in its context.json. */
const exampleContactProperties = (dir: string): string[] => {
  try {
    const context = JSON.parse(readFileSync(join(dir, "context.json"), "utf8")) as { contactProperties?: unknown };
    return Array.isArray(context.contactProperties) ? context.contactProperties.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return [];
  }
};

/** The example with the demo's priority and hide rules written into its settings. Pure. */
export const demoDocument = (document: FlowDocument): FlowDocument => {
  const plan = DEMO_FLOWS[document.id];
  if (!plan) return document;
  const settings = { ...((document.settings ?? {}) as Record<string, unknown>) };
  if (plan.priority !== undefined) settings.priority = plan.priority;
  if (plan.hide && plan.hide.length > 0) {
    const targeting = { ...((settings.targeting ?? { show: [{ type: "url", operator: "all" }] }) as Record<string, unknown>) };
    const hide = Array.isArray(targeting.hide) ? [...(targeting.hide as Array<Record<string, unknown>>)] : [];
    for (const path of plan.hide) {
      if (!hide.some((r) => r.type === "url" && r.operator === "contains" && r.value === path)) {
        hide.push({ type: "url", operator: "contains", value: path });
      }
    }
    targeting.hide = hide;
    settings.targeting = targeting;
  }
  return { ...document, settings };
};

const setting = (s: Sqlite, key: string): string | undefined =>
  (s.prepare("SELECT value FROM settings WHERE key = ?").get(key) as { value: string } | undefined)?.value;

const putSetting = (s: Sqlite, key: string, value: string) =>
  s.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);

/** A password for the admin when none is configured: 16 URL-safe characters (96 bits). */
const generatePassword = (): string => randomBytes(12).toString("base64url");

/** Seeds a new workspace (see the module doc); does nothing on an already seeded database. */
export const seed = (options: SeedOptions = {}) =>
  Effect.gen(function* () {
    const db = yield* Database;
    const config = yield* AppConfig;
    const chatflows = yield* Chatflows;
    const print = options.print ?? ((line: string) => console.log(line));
    const examplesDir = options.examplesDir ?? defaultExamplesDir();
    const flows: Record<string, string> = {};
    const skipped: Array<{ file: string; reason: string }> = [];

    let generatedPassword: string | undefined;
    let seededNow = false;
    if (setting(db.sqlite, SEEDED_AT) === undefined) {
      const password = config.adminPassword ?? (generatedPassword = generatePassword());
      // Each user gets its own salt; hashing happens before the write (it is async and slow on purpose).
      const adminHash = yield* Effect.promise(() => hashPassword(password));
      const demoHashes = config.demo ? yield* Effect.promise(() => Promise.all(DEMO_USERS.map(() => hashPassword(password)))) : [];
      const now = Date.now();
      seededNow = yield* db
        .writeEffect((s) => {
          if (setting(s, SEEDED_AT) !== undefined) return false;
          const insertUser = s.prepare(
            `INSERT OR IGNORE INTO users (id, email, name, role, password_hash, meeting_link, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          );
          insertUser.run(SEED_IDS.admin, config.adminEmail, "Admin", "admin", adminHash, config.demo ? "https://cal.example.com/parley-demo" : null, now);
          // An admin with this email may exist under another id (a hand-made database): use it.
          const adminId = (s.prepare("SELECT id FROM users WHERE email = ?").get(config.adminEmail) as { id: string }).id;
          const memberIds = [adminId];
          if (config.demo) {
            DEMO_USERS.forEach((u, i) => insertUser.run(u.id, u.email, u.name, u.role, demoHashes[i], u.meetingLink, now));
            const agent = s.prepare("SELECT id FROM users WHERE email = ?").get(DEMO_USERS[0].email) as { id: string } | undefined;
            if (agent) memberIds.push(agent.id);
          }
          s.prepare("INSERT OR IGNORE INTO inboxes (id, name, created_at) VALUES (?, 'Support', ?)").run(SEED_IDS.inbox, now);
          const inboxId = (s.prepare("SELECT id FROM inboxes WHERE name = 'Support'").get() as { id: string }).id;
          s.prepare("INSERT OR IGNORE INTO teams (id, name, created_at) VALUES (?, 'Support', ?)").run(SEED_IDS.team, now);
          const teamId = (s.prepare("SELECT id FROM teams WHERE name = 'Support'").get() as { id: string }).id;
          for (const userId of memberIds) {
            s.prepare("INSERT OR IGNORE INTO inbox_members (inbox_id, user_id) VALUES (?, ?)").run(inboxId, userId);
            s.prepare("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)").run(teamId, userId);
          }
          s.prepare(
            `INSERT OR IGNORE INTO channels (id, inbox_id, kind, name, config, identity_secret, created_at)
             VALUES (?, ?, 'chat', 'Website chat', ?, ?, ?)`,
          ).run(SEED_IDS.channel, inboxId, JSON.stringify({ allowedOrigins: ["*"], branding: {} }), newSecret(), now);
          if (config.demo) {
            const known = new Set<string>(JSON.parse(setting(s, CONTACT_PROPERTIES_SETTING) ?? "[]") as string[]);
            for (const p of exampleContactProperties(examplesDir)) known.add(p);
            putSetting(s, CONTACT_PROPERTIES_SETTING, JSON.stringify([...known].sort()));
            putSetting(s, SEED_DEMO, "pending");
          }
          putSetting(s, SEEDED_AT, String(now));
          return true;
        })
        .pipe(Effect.orDie);
      if (seededNow) {
        print(
          generatedPassword !== undefined
            ? `Admin login: ${config.adminEmail} / ${generatedPassword}`
            : `Admin login: ${config.adminEmail} / (the password in ADMIN_PASSWORD)`,
        );
        if (config.demo) {
          print(`Demo users ${DEMO_USERS.map((u) => u.email).join(", ")} have the same password as the admin.`);
        }
      }
    }

    if (setting(db.sqlite, SEED_DEMO) === "pending") {
      const adminId = (db.sqlite.prepare("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").get() as { id: string } | undefined)?.id;
      const channelId = (db.sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as { id: string } | undefined)?.id;
      for (const { file, document } of readExamples(examplesDir)) {
        const decoded = decodeFlowDocument(document);
        if (Either.isLeft(decoded)) {
          skipped.push({ file, reason: decoded.left.map((i) => `${i.path}: ${i.message}`).join("; ") });
          continue;
        }
        const doc = demoDocument(decoded.right);
        const id = `flow_${doc.id}`;
        const plan = DEMO_FLOWS[doc.id] ?? { enabled: false };
        const outcome = yield* Effect.either(
          Effect.gen(function* () {
            const existing = yield* Effect.either(chatflows.get(id));
            if (Either.isLeft(existing)) {
              // Stored as the example file has it (plus the demo's settings), so the canvas shows it as written.
              yield* chatflows.create({
                id,
                name: doc.name,
                kind: doc.kind,
                document: { ...(document as FlowDocument), settings: doc.settings },
                ...(channelId ? { channelId } : {}),
                ...(adminId ? { createdBy: adminId } : {}),
              });
            }
            yield* chatflows.publish(id, adminId);
            yield* chatflows.setEnabled(id, plan.enabled);
            return id;
          }),
        );
        if (Either.isRight(outcome)) flows[doc.id] = outcome.right;
        else {
          const error = outcome.left;
          skipped.push({
            file,
            reason: error instanceof InvalidInput ? diagnosticsReason(error) : `${error._tag}`,
          });
        }
      }
      yield* db.writeEffect((s) => putSetting(s, SEED_DEMO, "done")).pipe(Effect.orDie);
      for (const s of skipped) console.warn(`Seed: the example ${s.file} was not published: ${s.reason}`);
    }

    return {
      seeded: seededNow,
      adminEmail: config.adminEmail,
      ...(generatedPassword !== undefined && seededNow ? { generatedPassword } : {}),
      flows,
      skipped,
    } satisfies SeedResult;
  });

const diagnosticsReason = (error: InvalidInput): string =>
  error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
