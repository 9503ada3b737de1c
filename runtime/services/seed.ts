/**
 * First-start seed: an admin, a "Support" inbox and team, a "Website chat" channel — and, in demo
 * mode (PARLEY_DEMO, on by default), demo users, a "Contact form" channel (the demo site's contact
 * page embeds it), four conversation labels, the example chatflows compiled and published, and a
 * handful of sample conversations and a form submission (unless PARLEY_NO_DEMO_CONVERSATIONS=1).
 *
 * Runs once: a `seeded_at` marker in `settings` is written in the same transaction as the
 * workspace, so a restart never seeds twice and never prints a second password. The demo flows
 * follow in later writes; a `seed_demo` marker ("pending" → "done") lets a start that crashed
 * half-way finish them next time. The sample conversations come last, played through the real
 * visitor, engine, inbox, contact and ticket services (so messages, events and report roll-ups
 * agree as if people had chatted); their `seed_demo_conversations` marker works the same way,
 * and each one that was started is remembered, so a second pass never starts it twice.
 *
 * Each sample conversation is played under a scripted clock (clock.ts): it opens on a past
 * business day at a planned time and its steps follow at a person's pace, so first-response
 * times, "2 days ago" in the inbox and the daily charts look like a real week. When the
 * workspace and the people who answer have no weekly hours yet, the demo gives them Monday to
 * Friday 09:00–17:30 (in the workspace zone) and keeps every conversation inside them, so the
 * business-hours figures agree with the wall-clock ones. The workspace (people, inbox, channel)
 * and the published flows are then stamped an hour before the first conversation, so nobody
 * answers a chat before their account existed and no session predates its flow's version;
 * without sample conversations they carry the real time of the first start.
 */
import { Effect, Either } from "effect";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { zonedTimeToInstant } from "../../flows/availability.js";
import { decodeFlowDocument } from "../../flows/compile.js";
import type { FlowDocument } from "../../flows/flow-document.js";
import { businessMs, type BusinessHours, type OpeningRange } from "../core/business-time.js";
import { addDays, localDay } from "../core/report-range.js";
import { nameKey } from "../sql/name-key.js";
import { putTeamHours } from "./calendar-history.js";
import { Chatflows, CONTACT_PROPERTIES_SETTING } from "./chatflows.js";
import { playScripted, type ScriptedClock } from "./clock.js";
import { AppConfig } from "./config.js";
import { Contacts } from "./contacts.js";
import { Database, type Sqlite } from "./database.js";
import { encodeTeamHours } from "./team-hours.js";
import { Engine, type ConversationStatus } from "./engine.js";
import { FormChannel } from "./form-channel.js";
import { InvalidInput } from "./errors.js";
import { newSecret } from "./ids.js";
import { Inbox } from "./inbox.js";
import { Labels, type LabelColor } from "./labels.js";
import { hashPassword } from "./password.js";
import { Ratings } from "./ratings.js";
import { Reports } from "./reports.js";
import { Tickets, type TicketPriority } from "./tickets.js";
import { Visitors } from "./visitors.js";
import { Workspace } from "./workspace.js";

/** Fixed ids of the seeded rows: the example flows name `team_support` and `user_admin`. */
export const SEED_IDS = {
  admin: "user_admin",
  agent: "user_agent",
  marketer: "user_marketer",
  analyst: "user_analyst",
  inbox: "inbox_support",
  team: "team_support",
  /** The demo's second team, which keeps its own hours (decision 048); nothing routes to it, so the demo's handoffs never wait on them. */
  salesTeam: "team_sales",
  channel: "chan_website",
  /** The demo's contact form (a form channel), which the demo site's contact page embeds. */
  form: "chan_contact_form",
} as const;

/** The demo's Sales team's own hours: Berlin office hours on weekdays, closed on Christmas and New Year's Day. */
export const DEMO_SALES_HOURS = {
  source: "own",
  timezone: "Europe/Berlin",
  hours: (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" })),
  closedDates: [
    { date: "2026-12-25", name: "Christmas Day", yearly: true },
    { date: "2026-01-01", name: "New Year's Day", yearly: true },
  ],
  workspaceClosedDates: false,
} as const;

/**
 * The demo's conversation labels. Their ids are fixed: the lead-qualification example's handoff
 * names `label_sales_lead` (flows/examples/context.json lists them for the flow checks).
 */
export const DEMO_LABELS = [
  { id: "label_billing", name: "Billing", color: "blue", description: "Invoices, refunds and payments" },
  { id: "label_bug", name: "Bug", color: "red", description: "Something in the product does not work" },
  { id: "label_sales_lead", name: "Sales lead", color: "green", description: "A prospect to follow up (the lead qualification bot adds it)" },
  { id: "label_vip", name: "VIP", color: "purple", description: "A customer who gets priority" },
] as const satisfies ReadonlyArray<{ id: string; name: string; color: LabelColor; description: string }>;

export const DEMO_USERS = [
  { id: SEED_IDS.agent, email: "agent@parley.local", name: "Alex Agent", role: "agent", meetingLink: "https://cal.example.com/alex-agent", languages: ["en", "de"] },
  { id: SEED_IDS.marketer, email: "marketer@parley.local", name: "Mia Marketer", role: "marketer", meetingLink: null, languages: null },
  { id: SEED_IDS.analyst, email: "analyst@parley.local", name: "Ana Analyst", role: "analyst", meetingLink: null, languages: null },
] as const;

/** The demo's help articles: short answers to what Acme Rockets' customers ask most. */
export const DEMO_ARTICLES: ReadonlyArray<{ readonly id: string; readonly title: string; readonly body: string }> = [
  {
    id: "art_demo_reset_password",
    title: "Reset your password",
    body: `Forgot the password of your Acme Rockets account? No problem.

1. Open the [sign-in page](https://acme-rockets.example/login).
2. Choose **Forgot password** and enter the email address of your account.
3. We email you a link. It works for **one hour**; open it and choose a new password.

No email after ten minutes? Look in your spam folder, or [write to us](/demo/contact) and we reset it for you.`,
  },
  {
    id: "art_demo_plans_pricing",
    title: "Plans and pricing",
    body: `Acme Rockets has three plans:

- **Hobby** — one launch a quarter, payload up to 5 kg. From €490 per launch.
- **Team** — monthly launches, payload up to 50 kg, a launch report with telemetry.
- **Enterprise** — your own launch window and a named flight engineer.

Prices are per launch and include insurance. You can change plans at any time; the new price applies from your next launch. See the [pricing page](/demo/pricing) for details.`,
  },
  {
    id: "art_demo_export_data",
    title: "Export your launch data",
    body: `Every launch report can be downloaded. In your account, open **Launches**, pick a launch and choose **Export**:

- **CSV** — telemetry, one row per second of flight.
- **PDF** — the launch report with its invoice.

Exporting a long flight can take a few minutes; we email you when the file is ready.`,
  },
  {
    id: "art_demo_support_hours",
    title: "Support hours and how to reach us",
    body: `Our support team answers **Monday to Friday, 9:00–17:30** (Central European Time).

- Chat with us on this site: the bubble in the corner.
- Use the [contact form](/demo/contact); we answer by email.

Outside these hours, leave a message: we answer it first thing the next working day.`,
  },
  {
    id: "art_demo_change_launch_date",
    title: "Change your launch date",
    body: `You can move a launch free of charge **up to 48 hours before the countdown starts**. Open **Launches**, pick the launch and choose **Reschedule**.

Later than that, the launch pad is already booked: ask our support team, and we find the next free window.`,
  },
];

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

/** What the visitor or the agent does in one step of a sample conversation. */
export type DemoAction =
  | { readonly do: "say"; readonly text: string }
  | { readonly do: "choose"; readonly choice: string }
  | { readonly do: "assign" }
  | { readonly do: "reply"; readonly text: string }
  | { readonly do: "comment"; readonly text: string }
  | { readonly do: "contact"; readonly email: string; readonly name: string }
  | { readonly do: "ticket"; readonly subject: string; readonly description: string; readonly priority: TicketPriority }
  | { readonly do: "close" }
  /** The visitor rates the closed conversation in the widget. */
  | { readonly do: "rate"; readonly score: number; readonly comment?: string }
  /** The visitor has gone quiet: the session-timeout sweep runs now, as the server's would. */
  | { readonly do: "leave" }
  /** The agent puts labels on the conversation (ids of DEMO_LABELS). */
  | { readonly do: "label"; readonly labels: ReadonlyArray<string> };

/** One step of a sample conversation, taken `after` seconds after the step before (the first: after the chat opened). */
export type DemoStep = DemoAction & { readonly after: number };

/**
 * When a sample conversation opens: on the `businessDaysAgo`-th day before the seed's day whose
 * business hours (and the answering people's working hours) hold the whole conversation, at `at`
 * (HH:MM) on the workspace's wall clock.
 */
export interface DemoStart {
  readonly businessDaysAgo: number;
  readonly at: string;
}

export interface DemoConversation {
  /** Names the conversation in the seed's markers and result. */
  readonly key: string;
  /** The example chatflow it runs on (document id). */
  readonly chatflow: string;
  readonly pageUrl: string;
  readonly device: "desktop" | "mobile";
  readonly languages: ReadonlyArray<string>;
  readonly start: DemoStart;
  readonly steps: ReadonlyArray<DemoStep>;
  /** Where it must end up; anything else means the example flows changed, and is reported. */
  readonly status: ConversationStatus;
}

/**
 * The sample conversations, oldest first, over the last four business days: two the bot finished
 * alone, one a visitor left half-way (closed by the session timeout, so the reports show an
 * abandoned session), one the agent answered and closed, one with a contact and a ticket, and one
 * handed off and still waiting in the Support inbox. Visitors answer within seconds to a minute,
 * people within minutes. Agent steps are taken by whoever the conversation is assigned to, else by
 * the demo agent (Alex, a member of the Support inbox); `assign` gives it to the demo agent.
 */
export const DEMO_CONVERSATIONS: ReadonlyArray<DemoConversation> = [
  {
    key: "password_reset",
    chatflow: "support_triage",
    pageUrl: "https://app.example.com/help/account",
    device: "mobile",
    languages: ["en-GB", "en"],
    start: { businessDaysAgo: 4, at: "09:42" },
    steps: [{ do: "choose", choice: "reset_password", after: 9 }],
    status: "closed",
  },
  {
    key: "lead_meeting",
    chatflow: "lead_qualification",
    pageUrl: "https://www.example.com/",
    device: "desktop",
    languages: ["de-DE", "en"],
    start: { businessDaysAgo: 4, at: "14:07" },
    steps: [
      { do: "say", text: "Jonas Weber", after: 14 },
      { do: "say", text: "jonas.weber@northwind.example", after: 21 },
      { do: "choose", choice: "size_51_200", after: 6 },
    ],
    status: "bot",
  },
  {
    key: "answered_closed",
    chatflow: "lead_qualification",
    pageUrl: "https://www.example.com/features/inbox",
    device: "desktop",
    languages: ["en-US", "en"],
    start: { businessDaysAgo: 3, at: "10:18" },
    steps: [
      { do: "say", text: "Priya Shah", after: 11 },
      { do: "say", text: "priya@tinyroast.example", after: 17 },
      { do: "choose", choice: "size_1_10", after: 5 },
      { do: "say", text: "Does the free plan include the shared inbox, or only the bot builder?", after: 38 },
      { do: "reply", text: "Hi Priya! Yes — the shared inbox is in every plan, including free, for up to 3 agents.", after: 154 },
      { do: "say", text: "Perfect, that's all I needed. Thanks!", after: 47 },
      { do: "reply", text: "You're welcome. Have a great day!", after: 62 },
      { do: "close", after: 115 },
      { do: "rate", score: 5, comment: "Quick and clear, thanks!", after: 24 },
    ],
    status: "closed",
  },
  {
    key: "left_midway",
    chatflow: "lead_qualification",
    pageUrl: "https://www.example.com/features/bots",
    device: "mobile",
    languages: ["fr-FR", "fr", "en"],
    start: { businessDaysAgo: 3, at: "15:31" },
    // The flow's session timeout is 30 minutes; the sweep runs a minute later, as the server's does.
    steps: [
      { do: "say", text: "Camille", after: 19 },
      { do: "leave", after: 31 * 60 },
    ],
    status: "closed",
  },
  {
    key: "ticket_contact",
    chatflow: "support_triage",
    pageUrl: "https://app.example.com/help/exports",
    device: "desktop",
    languages: ["es-ES", "en"],
    start: { businessDaysAgo: 2, at: "11:04" },
    steps: [
      { do: "choose", choice: "talk_to_person", after: 7 },
      { do: "assign", after: 48 },
      { do: "say", text: "Our CSV export has been stuck at “Preparing…” since this morning. We need it for payroll today.", after: 26 },
      { do: "reply", text: "Sorry about that! Could you tell me your email, so I can keep you posted while we look into it?", after: 133 },
      { do: "say", text: "maria.lopez@brightlane.example — thanks!", after: 41 },
      { do: "contact", email: "maria.lopez@brightlane.example", name: "María López", after: 35 },
      {
        do: "ticket",
        subject: "CSV export stuck at “Preparing…”",
        description: "Brightlane's CSV export has not finished since this morning; they need it for payroll today.",
        priority: "high",
        after: 96,
      },
      { do: "comment", text: "Ticket filed for the export queue. Whoever is on call: please check Brightlane's export job first.", after: 52 },
      { do: "label", labels: ["label_bug", "label_vip"], after: 9 },
      { do: "reply", text: "I've opened a ticket with high priority; we'll email you as soon as the export is through.", after: 38 },
    ],
    status: "open",
  },
  {
    key: "waiting_handoff",
    chatflow: "support_triage",
    pageUrl: "https://app.example.com/help/billing",
    device: "desktop",
    languages: ["en-US", "en"],
    start: { businessDaysAgo: 1, at: "16:12" },
    steps: [
      { do: "choose", choice: "talk_to_person", after: 6 },
      { do: "say", text: "Hi, I was charged twice for November (invoice INV-2291). Can someone refund one of them?", after: 44 },
      { do: "label", labels: ["label_billing"], after: 70 },
    ],
    status: "open",
  },
];

/** A sample submission of the demo's contact form: a conversation and a ticket, answered by email. */
export interface DemoFormSubmission {
  readonly key: string;
  readonly start: DemoStart;
  readonly pageUrl: string;
  /** Field key → value, as the form's default fields (name, email, message) ask. */
  readonly fields: Readonly<Record<string, string>>;
}

/** The demo's form submissions, played after the chats; each waits, unassigned, for a reply by email. */
export const DEMO_FORM_SUBMISSIONS: ReadonlyArray<DemoFormSubmission> = [
  {
    key: "form_quote",
    start: { businessDaysAgo: 1, at: "10:36" },
    pageUrl: "https://www.example.com/contact",
    fields: {
      name: "Tom Becker",
      email: "tom.becker@lunarfreight.example",
      message: "We'd like a quote for 40 small-satellite launches next year, spread over four quarters. Who can we talk to?",
    },
  },
];

/** The demo contact form's settings: the default fields, a subject naming the sender, back to the demo page after sending. */
const demoFormConfig = (publicUrl: string) => ({
  subject: "Contact form: {name}",
  priority: "normal",
  successMessage: "Thanks! We got your message and will reply by email within one business day.",
  redirectUrl: `${publicUrl}/demo/contact?sent=1`,
  allowedOrigins: [],
});

/** The weekly hours the demo gives the workspace and the people who answer, when they have none: Monday to Friday, 09:00–17:30. */
export const DEMO_HOURS: ReadonlyArray<OpeningRange> = (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:30" }));

const SEEDED_AT = "seeded_at";
const SEED_DEMO = "seed_demo";
const SEED_CONVERSATIONS = "seed_demo_conversations";
/** Per sample conversation: the id it was started as (written right after the start). */
const seedConversationKey = (key: string) => `seed_demo_conversation:${key}`;

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
  /** Sample conversations started by this run, by their key. */
  readonly conversations: Readonly<Record<string, string>>;
  /** Sample conversations that failed or ended up elsewhere than planned, with why. */
  readonly skippedConversations: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
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
    const reports = yield* Reports;
    const print = options.print ?? ((line: string) => console.log(line));
    const examplesDir = options.examplesDir ?? defaultExamplesDir();
    const flows: Record<string, string> = {};
    const skipped: Array<{ file: string; reason: string }> = [];

    // The real now, read once: the demo's history is played, and over, before it.
    const realNow = Date.now();
    let generatedPassword: string | undefined;
    let seededNow = false;
    if (setting(db.sqlite, SEEDED_AT) === undefined) {
      const password = config.adminPassword ?? (generatedPassword = generatePassword());
      // Each user gets its own salt; hashing happens before the write (it is async and slow on purpose).
      const adminHash = yield* Effect.promise(() => hashPassword(password));
      const demoHashes = config.demo ? yield* Effect.promise(() => Promise.all(DEMO_USERS.map(() => hashPassword(password)))) : [];
      // With sample conversations the workspace is set up before the first of them (with the hours
      // the demo will give it), so no one answered a chat before their account existed.
      const timezone = yield* reports.timezone();
      const now =
        config.demo && config.demoConversations ? demoTimetable(realNow, timezone, [{ timezone, hours: DEMO_HOURS }]).setUpAt : realNow;
      seededNow = yield* db
        .writeEffect((s) => {
          if (setting(s, SEEDED_AT) !== undefined) return false;
          const insertUser = s.prepare(
            `INSERT OR IGNORE INTO users (id, email, name, role, password_hash, meeting_link, languages, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          );
          // The demo's people say which languages they answer in (decision 055), so the routing preference has someone to prefer.
          insertUser.run(SEED_IDS.admin, config.adminEmail, "Admin", "admin", adminHash, config.demo ? "https://cal.example.com/parley-demo" : null, config.demo ? '["en"]' : null, now);
          // An admin with this email may exist under another id (a hand-made database): use it.
          const adminId = (s.prepare("SELECT id FROM users WHERE email = ?").get(config.adminEmail) as { id: string }).id;
          const memberIds = [adminId];
          if (config.demo) {
            DEMO_USERS.forEach((u, i) =>
              insertUser.run(u.id, u.email, u.name, u.role, demoHashes[i], u.meetingLink, u.languages === null ? null : JSON.stringify(u.languages), now),
            );
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
            s.prepare(
              `INSERT OR IGNORE INTO channels (id, inbox_id, kind, name, config, created_at) VALUES (?, ?, 'form', 'Contact form', ?, ?)`,
            ).run(SEED_IDS.form, inboxId, JSON.stringify(demoFormConfig(config.publicUrl)), now);
            const known = new Set<string>(JSON.parse(setting(s, CONTACT_PROPERTIES_SETTING) ?? "[]") as string[]);
            for (const p of exampleContactProperties(examplesDir)) known.add(p);
            putSetting(s, CONTACT_PROPERTIES_SETTING, JSON.stringify([...known].sort()));
            putSetting(s, SEED_DEMO, "pending");
            if (config.demoConversations) putSetting(s, SEED_CONVERSATIONS, "pending");
            // The demo's help center (and its bots' knowledge step) answers from these, published.
            const insertArticle = s.prepare(
              `INSERT OR IGNORE INTO knowledge_articles (id, title, body, status, author_id, updated_by, created_at, updated_at, published_at)
               VALUES (?, ?, ?, 'published', ?, ?, ?, ?, ?)`,
            );
            const authorId = (s.prepare("SELECT id FROM users WHERE email = ?").get(DEMO_USERS[1].email) as { id: string } | undefined)?.id ?? adminId;
            for (const article of DEMO_ARTICLES) insertArticle.run(article.id, article.title, article.body, authorId, authorId, now, now, now);
            const insertLabel = s.prepare("INSERT OR IGNORE INTO labels (id, name, name_key, color, description, created_at) VALUES (?, ?, ?, ?, ?, ?)");
            for (const label of DEMO_LABELS) insertLabel.run(label.id, label.name, nameKey(label.name), label.color, label.description, now);
            // A team with hours of its own, so Settings → Teams shows one open or closed by them.
            const salesAdded = s.prepare("INSERT OR IGNORE INTO teams (id, name, created_at) VALUES (?, 'Sales', ?)").run(SEED_IDS.salesTeam, now).changes === 1;
            // Its hours hold since it was set up (their history, decision 058).
            if (salesAdded) putTeamHours(s, now, SEED_IDS.salesTeam, encodeTeamHours(DEMO_SALES_HOURS));
            const salesId = (s.prepare("SELECT id FROM teams WHERE name = 'Sales'").get() as { id: string }).id;
            if (memberIds[1] !== undefined) s.prepare("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)").run(salesId, memberIds[1]);
          }
          putSetting(s, SEEDED_AT, String(realNow));
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

    // While sample conversations are still to play, the demo's flows are published, and the
    // conversations played, on their timetable (scripted clocks in the past).
    let timetable: DemoTimetable | undefined;
    const timetableNow = Effect.gen(function* () {
      if (timetable === undefined) {
        const { timezone, schedules } = yield* demoSchedules(realNow);
        timetable = demoTimetable(realNow, timezone, schedules);
      }
      return timetable;
    });

    if (setting(db.sqlite, SEED_DEMO) === "pending") {
      const adminId = (db.sqlite.prepare("SELECT id FROM users WHERE role = 'admin' ORDER BY created_at LIMIT 1").get() as { id: string } | undefined)?.id;
      const channelId = (db.sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").get() as { id: string } | undefined)?.id;
      const publishAll = Effect.gen(function* () {
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
      });
      if (setting(db.sqlite, SEED_CONVERSATIONS) === "pending") {
        const { setUpAt } = yield* timetableNow;
        yield* playScripted(setUpAt, () => publishAll);
      } else yield* publishAll;
      yield* db.writeEffect((s) => putSetting(s, SEED_DEMO, "done")).pipe(Effect.orDie);
      for (const s of skipped) console.warn(`Seed: the example ${s.file} was not published: ${s.reason}`);
    }

    // After the flows: the conversations run on them. A start that crashed before the flows were
    // done leaves this pending too, and the next start does both in order.
    const conversations: Record<string, string> = {};
    const skippedConversations: Array<{ key: string; reason: string }> = [];
    if (setting(db.sqlite, SEED_DEMO) !== "pending" && setting(db.sqlite, SEED_CONVERSATIONS) === "pending") {
      const { starts } = yield* timetableNow;
      for (const script of DEMO_CONVERSATIONS) {
        if (setting(db.sqlite, seedConversationKey(script.key)) !== undefined) continue;
        const startAt = starts.get(script.key)!;
        const outcome = yield* Effect.either(playScripted(startAt, (clock) => playDemoConversation(script, clock)));
        if (Either.isLeft(outcome)) {
          skippedConversations.push({ key: script.key, reason: outcome.left });
          continue;
        }
        conversations[script.key] = outcome.right.conversationId;
        if (outcome.right.status !== script.status) {
          skippedConversations.push({ key: script.key, reason: `ended ${outcome.right.status}, planned ${script.status}` });
        }
      }
      for (const script of DEMO_FORM_SUBMISSIONS) {
        if (setting(db.sqlite, seedConversationKey(script.key)) !== undefined) continue;
        const outcome = yield* Effect.either(playScripted(starts.get(script.key)!, () => playDemoSubmission(script)));
        if (Either.isLeft(outcome)) skippedConversations.push({ key: script.key, reason: outcome.left });
        else conversations[script.key] = outcome.right;
      }
      yield* db.writeEffect((s) => putSetting(s, SEED_CONVERSATIONS, "done")).pipe(Effect.orDie);
      for (const s of skippedConversations) console.warn(`Seed: the sample conversation ${s.key} did not go as planned: ${s.reason}`);
    }

    return {
      seeded: seededNow,
      adminEmail: config.adminEmail,
      ...(generatedPassword !== undefined && seededNow ? { generatedPassword } : {}),
      flows,
      skipped,
      conversations,
      skippedConversations,
    } satisfies SeedResult;
  });

/** What an expected failure of a service says, for the seed's warning. Pure. */
const reasonOf = (error: { readonly _tag: string }): string => {
  if (error instanceof InvalidInput) return diagnosticsReason(error);
  if ("message" in error && typeof error.message === "string" && error.message !== "") return `${error._tag}: ${error.message}`;
  if ("entity" in error) return `${error._tag}: ${String(error.entity)} ${String((error as { id?: unknown }).id ?? "")}`.trim();
  return error._tag;
};

/** How long a sample conversation lasts from the chat opening to its last step, in ms. Pure. */
export const demoDurationMs = (script: DemoConversation): number => script.steps.reduce((sum, step) => sum + step.after * 1000, 0);

/** How many days back `demoStartAt` looks for a day that fits before it settles for the calendar. */
const MAX_DAYS_BACK = 62;

/**
 * When a sample conversation that lasts `durationMs` opens (epoch ms): at `start.at` on the wall
 * clock of `timezone`, on the `start.businessDaysAgo`-th day before `realNow`'s local day on
 * which the whole conversation lies inside every schedule that has hours (schedules without
 * ranges do not constrain). Never today, and always over before `realNow`. When no day of the
 * last two months fits (hours that never hold that time), the calendar day that many days back.
 * Pure apart from reading the platform's time-zone data.
 */
export const demoStartAt = (
  start: DemoStart,
  durationMs: number,
  realNow: number,
  timezone: string,
  schedules: ReadonlyArray<BusinessHours>,
): number => {
  const [hour, minute] = start.at.split(":").map(Number) as [number, number];
  const minutes = hour * 60 + minute;
  const today = localDay(timezone, realNow);
  const openingOn = (daysBack: number) => {
    const [y, m, d] = addDays(today, -daysBack).split("-").map(Number) as [number, number, number];
    return zonedTimeToInstant(timezone, y, m, d, minutes);
  };
  // At least a millisecond, so a conversation of no length still has to open inside the hours.
  const span = Math.max(durationMs, 1);
  const fits = (at: number) =>
    at + span <= realNow && schedules.every((hours) => hours.hours.length === 0 || businessMs(hours, at, at + span) === span);
  let found = 0;
  for (let daysBack = 1; daysBack <= MAX_DAYS_BACK; daysBack++) {
    const at = openingOn(daysBack);
    if (fits(at) && ++found >= start.businessDaysAgo) return at;
  }
  return Math.min(openingOn(Math.max(1, start.businessDaysAgo)), realNow - span);
};

/** When the sample conversations open (by key), and when the demo workspace and its flows were set up. */
export interface DemoTimetable {
  readonly starts: ReadonlyMap<string, number>;
  /** An hour before the first sample conversation opens (epoch ms). */
  readonly setUpAt: number;
}

/** The sample conversations' timetable for a seed running at `realNow` (see `demoStartAt`). Pure apart from reading time-zone data. */
export const demoTimetable = (realNow: number, timezone: string, schedules: ReadonlyArray<BusinessHours>): DemoTimetable => {
  const starts = new Map([
    ...DEMO_CONVERSATIONS.map((c) => [c.key, demoStartAt(c.start, demoDurationMs(c), realNow, timezone, schedules)] as const),
    ...DEMO_FORM_SUBMISSIONS.map((f) => [f.key, demoStartAt(f.start, 0, realNow, timezone, schedules)] as const),
  ]);
  return { starts, setUpAt: Math.min(realNow, ...starts.values()) - 3_600_000 };
};

/**
 * Gives the workspace, and the people who answer the demo channel's inbox, the demo's weekly
 * hours where they have none (so the business-hours report has hours to count in), and returns
 * the workspace time zone and the schedules a sample conversation has to fit. The workspace's
 * hours hold from when the seed set it up (as the seed's first write reckoned it, before the
 * first sample conversation), so the conversations are judged by them (decision 058).
 */
const demoSchedules = (realNow: number) =>
  Effect.gen(function* () {
    const db = yield* Database;
    const reports = yield* Reports;
    const workspace = yield* Workspace;
    let business = yield* reports.businessHours();
    if (business.hours.length === 0) {
      const { setUpAt } = demoTimetable(realNow, business.timezone, [{ timezone: business.timezone, hours: DEMO_HOURS }]);
      business = yield* Effect.orDie(playScripted(setUpAt, () => reports.setBusinessHours(DEMO_HOURS)));
    }
    const schedules: BusinessHours[] = [business];
    const people = db.sqlite
      .prepare(
        `SELECT u.id FROM inbox_members m JOIN users u ON u.id = m.user_id
         WHERE m.inbox_id = (SELECT inbox_id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1)
           AND u.role IN ('admin', 'agent') AND u.disabled_at IS NULL
         ORDER BY u.id`,
      )
      .all() as Array<{ id: string }>;
    for (const { id } of people) {
      let hours = (yield* Effect.orDie(workspace.getProfile(id))).workingHours;
      if (hours.hours.length === 0) {
        hours = (yield* Effect.orDie(workspace.updateProfile(id, { workingHours: { timezone: business.timezone, hours: DEMO_HOURS } })))
          .workingHours;
      }
      schedules.push(hours);
    }
    return { timezone: business.timezone, schedules };
  });

/** What the sample visitors' browsers said they were (shown in the inbox's visitor facts). */
const DEMO_USER_AGENTS = {
  desktop: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
  mobile: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
} as const;

const diagnosticsReason = (error: InvalidInput): string =>
  error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");

/**
 * Plays one sample conversation through the services a visitor and an agent would use: a new
 * visitor on the demo channel starts the chatflow, answers it, and the demo agent acts in the
 * inbox, each step `after` seconds on `clock` (the scripted clock the services read). Fails with
 * a sentence when a service or the clock refuses a step; succeeds with the conversation and the
 * status it ended in.
 */
/** Sends one sample submission through the real form service (conversation, contact, ticket, routing). */
const playDemoSubmission = (script: DemoFormSubmission) =>
  Effect.gen(function* () {
    const db = yield* Database;
    const forms = yield* FormChannel;
    const submitted = yield* forms
      .submit(SEED_IDS.form, { fields: script.fields, pageUrl: script.pageUrl, idempotencyKey: `seed-${script.key}` })
      .pipe(Effect.mapError((error) => `submit the form: ${reasonOf(error)}`));
    if (submitted.conversationId === null) return yield* Effect.fail("submit the form: nothing was stored");
    const conversationId = submitted.conversationId;
    yield* db.writeEffect((s) => putSetting(s, seedConversationKey(script.key), conversationId)).pipe(Effect.orDie);
    return conversationId;
  });

const playDemoConversation = (script: DemoConversation, clock: ScriptedClock) =>
  Effect.gen(function* () {
    const db = yield* Database;
    const visitors = yield* Visitors;
    const engine = yield* Engine;
    const inbox = yield* Inbox;
    const contacts = yield* Contacts;
    const tickets = yield* Tickets;
    const ratings = yield* Ratings;
    const labels = yield* Labels;
    const one = <T>(sql: string, ...args: unknown[]) => db.sqlite.prepare(sql).get(...args) as T | undefined;
    const channelId = one<{ id: string }>("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1")?.id;
    if (channelId === undefined) return yield* Effect.fail("no chat channel");
    const chatflowId = `flow_${script.chatflow}`;
    if (one("SELECT 1 FROM chatflows WHERE id = ? AND published_version_id IS NOT NULL", chatflowId) === undefined) {
      return yield* Effect.fail(`the chatflow ${chatflowId} is not published`);
    }
    const agentId =
      one<{ id: string }>("SELECT id FROM users WHERE email = ? AND disabled_at IS NULL", DEMO_USERS[0].email)?.id ??
      one<{ id: string }>("SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY created_at LIMIT 1")?.id;
    if (agentId === undefined) return yield* Effect.fail("no agent or admin to answer");
    const actorOf = (id: string) => ({ id, role: one<{ role: string }>("SELECT role FROM users WHERE id = ?", id)?.role ?? "agent" });
    const failWith = (step: string) => Effect.mapError((error: { readonly _tag: string }) => `${step}: ${reasonOf(error)}`);

    const { visitorId } = yield* visitors
      .create({
        channelId,
        device: script.device,
        languages: script.languages,
        pageUrl: script.pageUrl,
        userAgent: script.device === "mobile" ? DEMO_USER_AGENTS.mobile : DEMO_USER_AGENTS.desktop,
      })
      .pipe(failWith("create the visitor"));
    const started = yield* engine
      .startConversation({ visitorId, channelId, chatflowId, pageUrl: script.pageUrl })
      .pipe(failWith("start the conversation"));
    const conversationId = started.conversation.id;
    // Remembered at once: a crash in a later step must not make the next start open a second copy.
    yield* db.writeEffect((s) => putSetting(s, seedConversationKey(script.key), conversationId)).pipe(Effect.orDie);

    const current = () =>
      one<{ version: number; assignee_id: string | null }>("SELECT version, assignee_id FROM conversations WHERE id = ?", conversationId) ?? {
        version: 0,
        assignee_id: null,
      };
    const version = () => current().version;
    for (const [i, step] of script.steps.entries()) {
      const clientMessageId = `seed-${script.key}-${i}`;
      const at = `step ${i + 1} (${step.do})`;
      yield* Effect.try({
        try: () => clock.advance(step.after * 1000),
        catch: (error) => `${at}: ${error instanceof Error ? error.message : String(error)}`,
      });
      // The person the routing gave it to answers, as in a real inbox; an unassigned one, the demo agent.
      const agent = actorOf(current().assignee_id ?? agentId);
      switch (step.do) {
        case "assign":
          yield* inbox.assign(conversationId, { userId: agentId }, version(), agent).pipe(failWith(at));
          break;
        case "say":
        case "choose":
          yield* engine
            .handleVisitorMessage({
              conversationId,
              visitorId,
              clientMessageId,
              ...(step.do === "say" ? { text: step.text } : { choiceIds: [step.choice] }),
            })
            .pipe(failWith(at));
          break;
        case "reply":
          yield* inbox.reply({ conversationId, text: step.text, clientMessageId }, agent).pipe(failWith(at));
          break;
        case "comment":
          yield* inbox.comment({ conversationId, text: step.text, clientMessageId }, agent).pipe(failWith(at));
          break;
        case "contact":
          yield* contacts.createFromConversation(agent, conversationId, { email: step.email, name: step.name }).pipe(failWith(at));
          break;
        case "ticket":
          yield* tickets
            .createFromConversation(agent, conversationId, { subject: step.subject, description: step.description, priority: step.priority })
            .pipe(failWith(at));
          break;
        case "close":
          yield* inbox.close(conversationId, version(), agent).pipe(failWith(at));
          break;
        case "leave":
          yield* engine.expireIdleConversations(clock.now());
          break;
        case "label":
          for (const labelId of step.labels) yield* labels.addToConversation(agent, conversationId, { labelId }).pipe(failWith(at));
          break;
        case "rate":
          yield* ratings
            .rate({ conversationId, visitorId, body: { score: step.score, ...(step.comment !== undefined ? { comment: step.comment } : {}) } })
            .pipe(failWith(at));
          break;
      }
    }
    // The demo's visitors read what they were answered (they were in the chat): their widget
    // marked it seen, so no follow-up email is due for them.
    const newest = one<{ id: number | null }>("SELECT max(id) AS id FROM messages WHERE conversation_id = ? AND is_internal = 0", conversationId)?.id;
    if (newest != null) yield* engine.markSeen({ conversationId, visitorId, through: String(newest) }).pipe(failWith("mark it seen"));
    const status = one<{ status: ConversationStatus }>("SELECT status FROM conversations WHERE id = ?", conversationId)?.status ?? "bot";
    return { conversationId, status };
  });
