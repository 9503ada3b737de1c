import { Either } from "effect";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { FlowSpec } from "../../flows/flow-spec.js";
import { loadFlowValue } from "./load-flow-file.js";
import { runChat, type ChatIO } from "./terminal-chat.js";

const EXAMPLES = fileURLToPath(new URL("../../flows/examples/", import.meta.url));
const context = JSON.parse(readFileSync(`${EXAMPLES}context.json`, "utf8"));
const specOf = (name: string): FlowSpec => {
  const loaded = Either.getOrThrow(loadFlowValue(name, JSON.parse(readFileSync(`${EXAMPLES}${name}`, "utf8")), context));
  return loaded.spec!;
};

/** Plays `lines` as typed input; returns everything shown, prompts included. */
const play = async (name: string, lines: ReadonlyArray<string>, extra: { seed?: number; available?: boolean } = {}) => {
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
    },
    io
  );
  return shown.join("\n");
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
});
