import BetterSqlite3 from "better-sqlite3";
import { Either } from "effect";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { FlowSpec } from "../../flows/flow-spec.js";
import { migrate } from "../services/database.js";
import type { ActionExecutor } from "./conversation.js";
import { main } from "./flow-cli.js";
import { openKnowledgeBase } from "./live-actions.js";
import { loadFlowValue } from "./load-flow-file.js";
import { runChat, type ChatIO } from "./terminal-chat.js";
import { writeHandoffFlow } from "./test-flows.js";

const EXAMPLES = fileURLToPath(new URL("../../flows/examples/", import.meta.url));
const context = JSON.parse(readFileSync(`${EXAMPLES}context.json`, "utf8"));
const specOf = (name: string): FlowSpec => {
  const loaded = Either.getOrThrow(loadFlowValue(name, JSON.parse(readFileSync(`${EXAMPLES}${name}`, "utf8")), context));
  return loaded.spec!;
};

/** Plays `lines` as typed input; returns everything shown, prompts included. */
const play = async (
  name: string,
  lines: ReadonlyArray<string>,
  extra: { seed?: number; available?: boolean; knowledge?: ActionExecutor["knowledge"] } = {}
) => {
  const queue = [...lines];
  const shown: string[] = [];
  const io: ChatIO = {
    read: async (prompt) => {
      const line = queue.shift();
      shown.push(`${prompt}${line ?? "<eof>"}`);
      return line;
    },
    write: (text) => shown.push(text),
  };
  await runChat(
    {
      spec: specOf(name),
      compileContext: context,
      seed: extra.seed ?? 1,
      now: Date.parse("2025-01-06T10:00:00Z"),
      available: extra.available,
      live: { knowledge: extra.knowledge },
    },
    io
  );
  return shown.join("\n");
};

const dir = mkdtempSync(join(tmpdir(), "parley-chat-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Parley database (every migration) holding two published articles and a draft. */
let databases = 0;
const knowledgeDatabase = (): string => {
  const path = join(dir, `parley-${++databases}.sqlite`);
  const db = new BetterSqlite3(path);
  migrate(db);
  const insert = db.prepare(
    "INSERT INTO knowledge_articles (id, title, body, status, created_at, updated_at) VALUES (?, ?, ?, ?, 0, 0)"
  );
  insert.run("art_export", "Export your launch data", "Open **Launches**, pick a launch and choose Export: CSV or PDF.", "published");
  insert.run("art_hours", "Support hours", "We answer Monday to Friday.", "published");
  insert.run("art_draft", "Export to Excel (draft)", "Not ready.", "draft");
  db.close();
  return path;
};

describe("runChat", () => {
  it("numbers quick replies, takes an answer by number, and ends the conversation", async () => {
    const out = await play("lead-qualification.json", ["Ann", "ann@example.com", "3"]);
    expect(out).toContain("bot › First things first: what's your name?");
    expect(out).toMatch(/1\) 1–10\n\s+2\) 11–50\n\s+3\) 51–200\n\s+4\) 201\+/);
    expect(out).toContain("→ 51–200");
    expect(out).toContain("bot › 📅 [book a meeting with Admin]");
    expect(out).toContain("── conversation ended: completed ──");
    expect(out.endsWith("(over) › <eof>")).toBe(true);
  });

  it("names the labels a handoff adds", async () => {
    const out = await play("lead-qualification.json", ["Ann", "ann@example.com", "1"]);
    expect(out).toContain("── handed off to team Support (labels Sales lead) ──");
  });

  it("shows variables with /vars, starts over with /restart, and stops at /quit", async () => {
    const out = await play("lead-qualification.json", ["Ann", "/vars", "/restart", "Bo", "/vars", "/quit", "never read"]);
    expect(out).toContain('name = "Ann"');
    expect(out).toContain("── restarted ──");
    expect(out).toContain('name = "Bo"');
    expect(out).not.toContain("never read");
  });

  it("says the conversation is over when the visitor types after the end", async () => {
    const out = await play("live-chat-hours.json", ["hello?"]);
    expect(out).toContain("── handed off to the inbox routing ──");
    expect(out).toContain("The conversation is over. Type /restart");
  });

  it("asks for a stubbed webhook's response and code's outputs, re-asking on bad JSON", async () => {
    const out = await play(
      "webhook-code-split.json",
      [
        "10115",
        "{not json",
        '{"city":"Berlin","zone":"A","baseFeeCents":490}',
        "[1]",
        '{"fee_text":"4.90 EUR","express_available":"yes"}',
      ],
      { seed: 7 }
    );
    expect(out).toContain("⚙ webhook lookup_zone: GET https://api.example.com/delivery-zones/10115");
    expect(out).toContain("That is not JSON");
    expect(out).toContain('⚙ code compute_fee: inputs {"base_fee_cents":490,"zone":"A"}');
    expect(out).toContain("The outputs must be a JSON object; try again.");
    expect(out).toContain("bot › Good news — we deliver to Berlin! Standard delivery costs 4.90 EUR.");
  });

  it("lets a stubbed webhook fail with !reason, which takes the error port", async () => {
    const out = await play("webhook-code-split.json", ["10115", "!timeout"]);
    expect(out).toContain("bot › Sorry, I couldn't look up delivery for 10115 right now.");
  });

  it("runs the away path when nobody is available", async () => {
    const out = await play("support-triage.json", ["3"], { available: false });
    expect(out).toContain("Everyone is busy right now");
    expect(out).toContain("── handed off to the inbox routing (nobody available; a ticket is created) ──");
  });

  it("without a database, says there is none and takes the articles found as typed titles", async () => {
    const out = await play("support-triage.json", ["4", "How do I export my data?", "Export your launch data | Support hours", "1"]);
    expect(out).toContain('⚙ knowledge find_articles: search "How do I export my data?" (up to 3)');
    expect(out).toContain("There is no Parley database to search here");
    expect(out).toContain("bot › 🔗 Export your launch data (/help/articles/article_1)");
    expect(out).toContain("bot › 🔗 Support hours (/help/articles/article_2)");
    expect(out).toContain("bot › Did “Export your launch data” answer your question?");
    expect(out).toContain("bot › Glad it helped!");
  });

  it("without a database, Enter at the articles prompt means nothing was found", async () => {
    const out = await play("support-triage.json", ["4", "Do you launch from the Moon?", ""]);
    expect(out).toContain("articles › ");
    expect(out).toContain("bot › I couldn't find an article about that");
    expect(out).toContain("── handed off to the inbox routing ──");
  });

  it("with a database, searches its published articles and links them under the public URL", async () => {
    const base = openKnowledgeBase(knowledgeDatabase(), "https://chat.example.com/");
    try {
      const out = await play("support-triage.json", ["4", "export launch data", "/quit"], { knowledge: base.knowledge });
      expect(out).toContain('⚙ knowledge find_articles: searched "export launch data", 1 found');
      expect(out).toContain("bot › 🔗 Export your launch data (https://chat.example.com/help/articles/art_export)");
      expect(out).not.toContain("art_draft");
      expect(out).not.toContain("articles › ");
    } finally {
      base.close();
    }
  });

  it("refuses a file that is no Parley database with a knowledge base, and a missing one", () => {
    const other = join(dir, "other.sqlite");
    new BetterSqlite3(other).close();
    expect(() => openKnowledgeBase(other, "http://localhost:3000")).toThrow(/has no knowledge base/);
    expect(() => openKnowledgeBase(join(dir, "missing.sqlite"), "http://localhost:3000")).toThrow(/cannot open the database/);
  });

  it("flow chat --database opens the named database, and exits 1 when it cannot", async () => {
    const run = async (args: ReadonlyArray<string>, lines: ReadonlyArray<string>) => {
      const out: string[] = [];
      const err: string[] = [];
      const queue = [...lines];
      const code = await main(args, {
        out: (l) => out.push(l),
        err: (l) => err.push(l),
        chatIO: () => ({ read: async () => queue.shift(), write: (text) => out.push(text) }),
      });
      return { code, out: out.join("\n"), err: err.join("\n") };
    };
    const flow = `${EXAMPLES}support-triage.json`;
    const missing = await run(["chat", flow, "--database", join(dir, "nope.sqlite")], []);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("cannot open the database");
    const found = await run(["chat", flow, "--database", knowledgeDatabase()], ["4", "export launch data"]);
    expect(found.code).toBe(0);
    expect(found.out).toContain("Knowledge nodes search the published articles of");
    expect(found.out).toMatch(/🔗 Export your launch data \(http:\/\/localhost:\d+\/help\/articles\/art_export\)/);
  });

  it("flow chat reads a followed team's hours from the context at --now: away on Saturday, open on Monday", async () => {
    const flow = writeHandoffFlow(join(dir, "follows-sales.json"), "follows-sales", { availability: { mode: "team", teamId: "team_sales" } });
    const contextFile = join(dir, "sales-context.json");
    const hours = { source: "own", timezone: "Europe/Berlin", hours: [{ day: "mon", from: "09:00", to: "17:00" }] };
    writeFileSync(contextFile, JSON.stringify({ teams: [{ id: "team_sales", name: "Sales", hours }] }));
    const chat = async (now: string) => {
      const out: string[] = [];
      const code = await main(["chat", flow, "--context", contextFile, "--now", now], {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        chatIO: () => ({ read: async () => undefined, write: (text) => out.push(text) }),
      });
      expect(code).toBe(0);
      return out.join("\n");
    };
    expect(await chat("2026-11-28T09:00:00Z")).toContain("── handed off to the inbox routing (nobody available) ──");
    const monday = await chat("2026-11-30T09:00:00Z");
    expect(monday).toContain("── handed off to the inbox routing");
    expect(monday).not.toContain("nobody available");
  });
});
