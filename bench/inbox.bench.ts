/**
 * Inbox queries at scale: a seed script fills a fresh SQLite file with 100k conversations and 1M
 * messages (3 inboxes, 41 people, 40k contacts; realistic mixes of status, assignee, length and
 * text), then times the functions the inbox UI calls — `Inbox.listConversations` (the list with
 * its counts and unread markers) and `Inbox.getThread` — through the app's own layer, and prints
 * the median server time of each as JSON lines:
 *   {"name":"inbox.list_query_ms","unit":"ms","value":N}   {"name":"inbox.thread_query_ms",…}
 * plus the search (FTS5) query, the Overdue / Due soon views and, when it had to generate, how
 * long the seed took.
 *
 * The generated database is cached under .tmp/, keyed by GENERATOR_VERSION and the schema's
 * migration version, so later runs only time the queries. Run: `npx tsx bench/inbox.bench.ts`
 * (or `npm run bench -- inbox`). Figures, not assertions (target ≤ 150 ms each).
 */
import BetterSqlite3 from "better-sqlite3";
import { Effect } from "effect";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { makeAppRuntime } from "../runtime/services/app-layer.js";
import { configForDatabase } from "../runtime/services/app-for-database.js";
import { migrate } from "../runtime/services/database.js";
import { Inbox } from "../runtime/services/inbox.js";
import { migrations } from "../runtime/sql/migrations.js";

export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

/** Bump when the generated data changes shape, so cached databases are rebuilt. */
export const GENERATOR_VERSION = 4;
export const CONVERSATIONS = 100_000;
export const MESSAGES = 1_000_000;
const CONTACTS = 40_000;
const AGENTS = 40;
const DAY = 86_400_000;
const SPAN = 180 * DAY;
const RUNS = 25;

const root = fileURLToPath(new URL("..", import.meta.url));

/** A small fast PRNG (mulberry32): the same data on every machine. Pure given its seed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const WORDS = (
  "hello hi thanks please help order invoice refund shipping delivery package tracking number account password login reset " +
  "email address phone payment card declined charge subscription plan upgrade downgrade cancel trial billing receipt tax " +
  "price discount coupon code product size colour color return exchange warranty broken damaged missing late today tomorrow " +
  "week month yesterday morning afternoon evening still waiting again sorry issue problem question answer update status " +
  "support team agent manager sales demo meeting call schedule available time zone berlin london paris new york api " +
  "integration webhook error message page website app mobile desktop browser chrome firefox safari settings profile " +
  "export import report data file upload download attachment screenshot link could you can we will would should our " +
  "your the a an and or but not with for from to of in on at by about this that it is was be been have has do does did " +
  "check look into fixed resolved working great perfect okay sure understand apologies inconvenience follow up soon"
).split(" ");

const FIRST = "Ann Ben Carla Dev Eva Finn Gia Hugo Ines Jon Kai Lena Max Nora Omar Pia Quinn Rosa Sam Tara Umar Vera Will Xena Yuri Zoe".split(" ");
const LAST = "Smith Müller Garcia Rossi Dubois Novak Kowalski Jensen Silva Tanaka Okafor Ivanova Haddad Nguyen Schmidt Larsen".split(" ");

interface Generated {
  readonly seconds: number;
}

/** The cached database's path for this generator and schema. */
export const cachePath = (): string => {
  const schema = Math.max(...migrations.map((m) => m.version));
  return join(root, ".tmp", `inbox-bench-g${GENERATOR_VERSION}-s${schema}.sqlite`);
};

/**
 * Writes the whole data set into a new database at `path` (replacing a partial one) with bulk
 * inserts in large transactions; the FTS indexes are rebuilt once at the end instead of row by row.
 */
export const generate = (path: string): Generated => {
  const started = performance.now();
  const partial = `${path}.partial`;
  mkdirSync(dirname(path), { recursive: true });
  // Data sets of other generator or schema versions (~400 MB each) and interrupted runs go.
  for (const file of readdirSync(dirname(path))) {
    if (file.startsWith("inbox-bench-")) rmSync(join(dirname(path), file), { force: true });
  }
  const db = new BetterSqlite3(partial);
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("foreign_keys = OFF");
  db.pragma("cache_size = -262144");
  migrate(db);

  // Row-by-row insert triggers would dominate the load; they come back after it, their work done
  // once in bulk (the FTS indexes, the conversations' newest message id).
  const rowTriggers = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('messages_fts_insert', 'contacts_fts_insert', 'messages_last_id')")
    .all() as Array<{ name: string; sql: string }>;
  for (const t of rowTriggers) db.exec(`DROP TRIGGER ${t.name}`);

  const random = prng(20260504);
  const pick = <T>(items: ReadonlyArray<T>): T => items[Math.floor(random() * items.length)]!;
  const randomId = (prefix: string) => {
    let id = `${prefix}_`;
    for (let i = 0; i < 22; i++) id += ID_ALPHABET[Math.floor(random() * 64)];
    return id;
  };
  const sentence = (min: number, max: number) => {
    const n = min + Math.floor(random() * (max - min + 1));
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(pick(WORDS));
    const text = words.join(" ");
    return text.charAt(0).toUpperCase() + text.slice(1) + (random() < 0.3 ? "?" : ".");
  };
  const now = Date.now();

  // ---- the workspace
  const inboxes = [
    // Response targets (decision 037) for the Overdue view's scan: two inboxes with, one without.
    { id: "inbox_support", name: "Support", weight: 0.6, members: [0, 25] as const, targets: { firstResponseMinutes: 60, nextReplyMinutes: 240, businessHours: false } },
    { id: "inbox_sales", name: "Sales", weight: 0.3, members: [20, 35] as const, targets: { firstResponseMinutes: 30, nextReplyMinutes: null, businessHours: true } },
    { id: "inbox_billing", name: "Billing", weight: 0.1, members: [30, 40] as const, targets: null },
  ];
  const agentId = (i: number) => `user_agent_${String(i).padStart(2, "0")}`;
  db.transaction(() => {
    const user = db.prepare("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, 'x', ?)");
    user.run("user_admin", "admin@bench.example", "Admin", "admin", now - SPAN);
    for (let i = 0; i < AGENTS; i++) user.run(agentId(i), `agent${i}@bench.example`, `${pick(FIRST)} ${pick(LAST)} ${i}`, "agent", now - SPAN);
    for (const inbox of inboxes) {
      db.prepare("INSERT INTO inboxes (id, name, created_at, response_targets) VALUES (?, ?, ?, ?)").run(
        inbox.id,
        inbox.name,
        now - SPAN,
        inbox.targets === null ? null : JSON.stringify(inbox.targets),
      );
      db.prepare("INSERT INTO channels (id, inbox_id, kind, name, created_at) VALUES (?, ?, 'chat', ?, ?)").run(
        `chan_${inbox.id}`,
        inbox.id,
        `${inbox.name} chat`,
        now - SPAN,
      );
      for (let i = inbox.members[0]; i < inbox.members[1]; i++) {
        db.prepare("INSERT INTO inbox_members (inbox_id, user_id) VALUES (?, ?)").run(inbox.id, agentId(i));
      }
    }
    for (let t = 0; t < 4; t++) {
      db.prepare("INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)").run(`team_${t}`, `Team ${t}`, now - SPAN);
      for (let i = t * 10; i < t * 10 + 10; i++) db.prepare("INSERT INTO team_members (team_id, user_id) VALUES (?, ?)").run(`team_${t}`, agentId(i));
    }
    const contact = db.prepare("INSERT INTO contacts (id, email, name, phone, properties, created_at, updated_at) VALUES (?, ?, ?, ?, '{}', ?, ?)");
    for (let i = 0; i < CONTACTS; i++) {
      const first = pick(FIRST);
      const last = pick(LAST);
      const at = now - Math.floor(random() * SPAN);
      contact.run(`contact_${i}`, `${first}.${last}.${i}@example.com`.toLowerCase(), `${first} ${last}`, random() < 0.4 ? `+4915${i}` : null, at, at);
    }
  })();

  // ---- conversations: created over 180 days, oldest first
  const created = new Float64Array(CONVERSATIONS);
  for (let i = 0; i < CONVERSATIONS; i++) created[i] = now - Math.floor(random() * SPAN);
  created.sort();
  const counts = new Int32Array(CONVERSATIONS);
  const status: string[] = new Array(CONVERSATIONS);
  let total = 0;
  for (let i = 0; i < CONVERSATIONS; i++) {
    const recent = now - created[i]! < 3 * DAY;
    const r = random();
    // Recent conversations are still going; old ones are mostly closed.
    status[i] = recent ? (r < 0.5 ? "open" : r < 0.6 ? "pending" : r < 0.85 ? "bot" : "closed") : r < 0.8 ? "closed" : r < 0.9 ? "bot" : r < 0.97 ? "open" : "pending";
    // Lengths: a few messages with a bot, roughly exponential (mean ~10) with people, capped at 400.
    counts[i] = status[i] === "bot" ? 2 + Math.floor(random() * 5) : Math.min(400, 2 + Math.floor(-Math.log(1 - random()) * 8.5));
    total += counts[i]!;
  }
  // Exactly MESSAGES in all: spread the difference over random conversations.
  while (total !== MESSAGES) {
    const i = Math.floor(random() * CONVERSATIONS);
    if (total < MESSAGES && counts[i]! < 400) (counts[i]!++, total++);
    else if (total > MESSAGES && counts[i]! > 2) (counts[i]!--, total--);
  }

  // Messages of all conversations interleave in time, as they do in production (ids follow time).
  const msgConv = new Int32Array(MESSAGES);
  const msgSeq = new Int32Array(MESSAGES);
  const msgAt = new Float64Array(MESSAGES);
  const lastAt = new Float64Array(CONVERSATIONS);
  let m = 0;
  for (let i = 0; i < CONVERSATIONS; i++) {
    let at = created[i]!;
    for (let k = 0; k < counts[i]!; k++) {
      msgConv[m] = i;
      msgSeq[m] = k;
      msgAt[m] = at;
      m++;
      at += 2_000 + Math.floor(random() * (status[i] === "bot" ? 20_000 : 600_000));
    }
    lastAt[i] = Math.min(now, at);
  }
  const order = new Uint32Array(MESSAGES);
  for (let i = 0; i < MESSAGES; i++) order[i] = i;
  order.sort((a, b) => msgAt[a]! - msgAt[b]!);

  const convIds: string[] = new Array(CONVERSATIONS);
  const inboxOf: number[] = new Array(CONVERSATIONS);
  const assigneeOf: Array<string | null> = new Array(CONVERSATIONS);
  for (let i = 0; i < CONVERSATIONS; i++) {
    convIds[i] = randomId("conv");
    const r = random();
    inboxOf[i] = r < inboxes[0]!.weight ? 0 : r < inboxes[0]!.weight + inboxes[1]!.weight ? 1 : 2;
    const inbox = inboxes[inboxOf[i]!]!;
    const member = agentId(inbox.members[0] + Math.floor(random() * (inbox.members[1] - inbox.members[0])));
    assigneeOf[i] =
      status[i] === "bot" ? null : status[i] === "closed" ? (random() < 0.92 ? member : null) : random() < 0.8 ? member : null;
  }

  db.transaction(() => {
    const visitor = db.prepare(
      `INSERT INTO visitors (id, channel_id, contact_id, attributes, device, language, user_agent, last_page_url, first_seen_at, last_seen_at)
       VALUES (?, ?, ?, '{}', ?, ?, 'Mozilla/5.0 (bench)', ?, ?, ?)`,
    );
    const conversation = db.prepare(
      `INSERT INTO conversations (id, channel_id, inbox_id, visitor_id, contact_id, status, assignee_id, team_id, page_url, version,
         created_at, updated_at, last_activity_at, handed_off_at, closed_at, waiting_since, last_message_at, last_message_preview)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (let i = 0; i < CONVERSATIONS; i++) {
      const inbox = inboxes[inboxOf[i]!]!;
      const visitorId = `vis_${convIds[i]!.slice(5)}`;
      const contactId = random() < 0.6 ? `contact_${Math.floor(random() * CONTACTS)}` : null;
      const page = `https://shop.example/${pick(["pricing", "help/billing", "products/42", "checkout", "account"])}`;
      visitor.run(visitorId, `chan_${inbox.id}`, contactId, pick(["desktop", "mobile", "tablet"]), pick(["en", "de", "fr"]), page, created[i], lastAt[i]);
      const s = status[i]!;
      const waiting = (s === "open" && random() < 0.6) || s === "pending" ? lastAt[i]! : null;
      conversation.run(
        convIds[i],
        `chan_${inbox.id}`,
        inbox.id,
        visitorId,
        contactId,
        s,
        assigneeOf[i],
        random() < 0.3 ? `team_${Math.floor(random() * 4)}` : null,
        page,
        1 + Math.floor(random() * 6),
        created[i],
        lastAt[i],
        lastAt[i],
        s === "bot" ? null : created[i]! + 30_000,
        s === "closed" ? lastAt[i]! + 60_000 : null,
        waiting,
        lastAt[i],
        sentence(4, 14).slice(0, 140),
      );
    }
  })();

  const insertMessage = db.prepare(
    "INSERT INTO messages (conversation_id, author, user_id, text, payload, is_internal, client_message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const BATCH = 100_000;
  for (let start = 0; start < MESSAGES; start += BATCH) {
    db.transaction(() => {
      for (let j = start; j < Math.min(MESSAGES, start + BATCH); j++) {
        const at = order[j]!;
        const i = msgConv[at]!;
        const seq = msgSeq[at]!;
        const s = status[i]!;
        let author: string;
        let userId: string | null = null;
        let internal = 0;
        let text: string;
        if (seq === 0 || (s === "bot" && seq % 2 === 0)) {
          author = "bot";
          text = sentence(5, 18);
        } else if (seq === 2 && s !== "bot") {
          // The handoff marker: internal, with what the bot collected.
          author = "system";
          internal = 1;
          text = "The bot handed this conversation over.\nemail: someone@example.com";
        } else if (seq % 2 === 1) {
          author = "visitor";
          text = sentence(3, 25);
        } else {
          author = "agent";
          userId = assigneeOf[i] ?? agentId(0);
          internal = random() < 0.06 ? 1 : 0;
          text = sentence(6, 30);
        }
        insertMessage.run(convIds[i], author, userId, text, null, internal, author === "visitor" ? `c-${j}` : null, msgAt[at]);
      }
    })();
  }

  // Read marks: the admin and the first agents have read most of their conversations.
  db.exec(`
    INSERT INTO conversation_reads (user_id, conversation_id, last_read_message_id, read_at)
    SELECT c.assignee_id, c.id, (SELECT MAX(id) FROM messages m WHERE m.conversation_id = c.id), c.last_activity_at
    FROM conversations c WHERE c.assignee_id IS NOT NULL AND (abs(random()) % 10) < 7;
    INSERT INTO conversation_reads (user_id, conversation_id, last_read_message_id, read_at)
    SELECT 'user_admin', c.id, (SELECT MAX(id) FROM messages m WHERE m.conversation_id = c.id), c.last_activity_at
    FROM conversations c WHERE (abs(random()) % 10) < 3;
  `);

  db.transaction(() => {
    // The same rule as the trigger: what visitors and agents wrote.
    db.exec("INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE author IN ('visitor', 'agent')");
    db.exec(`
      INSERT INTO contact_search_rows (contact_id) SELECT id FROM contacts;
      INSERT INTO contacts_fts (rowid, contact_id, name, email, phone)
        SELECT r.rowid, c.id, c.name, c.email, c.phone FROM contacts c JOIN contact_search_rows r ON r.contact_id = c.id;
    `);
    db.exec("UPDATE conversations SET last_message_id = (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = conversations.id)");
    for (const t of rowTriggers) db.exec(t.sql);
  })();
  // No ANALYZE: a running Parley has no sqlite_stat1 either, and plans should match production's.
  db.close();
  renameSync(partial, path);
  return { seconds: (performance.now() - started) / 1000 };
};

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Generates the data set when it is not cached, then times the list, search and thread queries. */
export const run = async (): Promise<ReadonlyArray<Figure>> => {
  const path = cachePath();
  const figures: Figure[] = [];
  if (!existsSync(path)) {
    const { seconds } = generate(path);
    figures.push({ name: "inbox.seed_s", unit: "s", value: Math.round(seconds * 10) / 10 });
  }

  // Reads only: the app's layer on the cached file (migrated already; nothing queued to drain).
  const runtime = makeAppRuntime(configForDatabase(path));
  try {
    const inbox = await runtime.runPromise(Inbox);
    const admin = { id: "user_admin", role: "admin" };
    const agent = { id: "user_agent_03", role: "agent" };
    const sample = new BetterSqlite3(path, { readonly: true });
    // Threads of every length: a spread over the conversations, longest included.
    const threadIds = (
      sample
        .prepare(
          `SELECT id FROM conversations WHERE rowid % (SELECT COUNT(*) / ${RUNS - 5} FROM conversations) = 0
           UNION ALL SELECT * FROM (SELECT conversation_id FROM messages GROUP BY conversation_id ORDER BY COUNT(*) DESC LIMIT 5)`,
        )
        .all() as Array<{ id: string }>
    ).map((r) => r.id);
    sample.close();

    // Wall time is the figure; CPU time beside it says how much of it was the query when other
    // processes share the machine's cores (the queries are synchronous, so CPU ≈ wall when idle).
    interface Sample {
      readonly wall: number;
      readonly cpu: number;
    }
    const time = async <A, E>(effect: Effect.Effect<A, E>): Promise<Sample> => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Effect.runPromise(effect);
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      return { wall, cpu: (cpu.user + cpu.system) / 1000 };
    };
    // One warm-up each: the page cache and prepared statements are warm on a running server too.
    await Effect.runPromise(inbox.listConversations({}, admin));
    await Effect.runPromise(inbox.getThread(threadIds[0]!, admin));

    const views = ["all_open", "unassigned", "mine", "bot", "closed"] as const;
    const list: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const actor = i % 2 === 0 ? admin : agent;
      list.push(await time(inbox.listConversations({ view: views[i % views.length] }, actor)));
    }
    const search: Sample[] = [];
    const terms = ["refund", "invoice declined", "password reset", "müller", "shipping late", "berlin"];
    for (let i = 0; i < RUNS; i++) search.push(await time(inbox.listConversations({ view: "all_open", search: terms[i % terms.length] }, admin)));
    // The Overdue and Due soon views: the bounded scan of waits past their wall-time due (decision 039).
    const overdue: Sample[] = [];
    for (let i = 0; i < RUNS; i++) overdue.push(await time(inbox.listConversations({ view: i % 2 === 0 ? "overdue" : "due_soon" }, i % 4 < 2 ? admin : agent)));
    const thread: Sample[] = [];
    for (let i = 0; i < RUNS; i++) thread.push(await time(inbox.getThread(threadIds[i % threadIds.length]!, admin)));

    const wall = (samples: ReadonlyArray<Sample>) => round(median(samples.map((x) => x.wall)));
    const cpu = (samples: ReadonlyArray<Sample>) => round(median(samples.map((x) => x.cpu)));
    figures.push(
      { name: "inbox.list_query_ms", unit: "ms", value: wall(list) },
      { name: "inbox.thread_query_ms", unit: "ms", value: wall(thread) },
      { name: "inbox.search_query_ms", unit: "ms", value: wall(search) },
      { name: "inbox.overdue_query_ms", unit: "ms", value: wall(overdue) },
      { name: "inbox.list_query_cpu_ms", unit: "ms", value: cpu(list) },
      { name: "inbox.thread_query_cpu_ms", unit: "ms", value: cpu(thread) },
      { name: "inbox.search_query_cpu_ms", unit: "ms", value: cpu(search) },
    );
  } finally {
    await runtime.dispose();
  }
  return figures;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const figure of await run()) console.log(JSON.stringify(figure));
}
