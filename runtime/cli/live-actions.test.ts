import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filePassed, formatFileResult, runFlowTestFile } from "./flow-test-runner.js";
import { makeLiveActions } from "./live-actions.js";

const dir = mkdtempSync(join(tmpdir(), "parley-live-"));
const live = makeLiveActions();
let server: Server;
let base = "";
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? "");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ city: "Berlin", zone: "A", baseFeeCents: 490 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await live.dispose();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** A small flow: ask a postcode, call the local server, compute a fee in the sandbox, say it. */
const writeFlow = () => {
  const node = (id: string, kind: string, y: number, data: object) => ({ id, kind, position: { x: 0, y }, data });
  const edge = (source: string, port: string, target: string) => ({ id: `${source}-${port}`, source, sourcePort: port, target });
  writeFileSync(
    join(dir, "flow.json"),
    JSON.stringify({
      id: "live",
      name: "Live",
      kind: "bot",
      startNodeId: "ask",
      nodes: [
        node("ask", "question", 0, { prompt: "Postcode?", answer: { type: "text" }, save: { variable: "postcode" } }),
        node("call", "webhook", 280, {
          method: "GET",
          url: `${base}/zones/{{postcode}}`,
          responseMappings: [{ path: "$.baseFeeCents", variable: "cents" }],
        }),
        node("fee", "code", 560, {
          source: "return { fee: (inputs.cents / 100).toFixed(2) };",
          inputs: ["cents"],
          outputs: ["fee"],
        }),
        node("say", "message", 840, { bubbles: [{ type: "text", text: "Delivery costs {{fee}} EUR." }] }),
        node("done", "end", 1120, {}),
      ],
      edges: [edge("ask", "answered", "call"), edge("call", "ok", "fee"), edge("fee", "ok", "say"), edge("say", "next", "done")],
      variables: [{ name: "postcode" }, { name: "cents", type: "number" }, { name: "fee" }],
    })
  );
  const test = join(dir, "flow.test.json");
  writeFileSync(
    test,
    JSON.stringify({
      flow: "./flow.json",
      cases: [
        {
          name: "real call and real code",
          steps: [
            { visitor: "10115" },
            { expect: { variables: { cents: 490, fee: "4.90" }, bot: ["Delivery costs 4.90 EUR."] } },
          ],
        },
      ],
    })
  );
  return test;
};

describe("live actions", () => {
  it("really calls an unstubbed webhook and runs unstubbed code with --live", async () => {
    const result = await runFlowTestFile(writeFlow(), { live: true, executors: live });
    expect(filePassed(result), formatFileResult(result)).toBe(true);
    expect(seen).toContain("/zones/10115");
  });

  it("without --live, the same case fails asking for a stub, and the server is not called", async () => {
    const before = seen.length;
    const result = await runFlowTestFile(writeFlow(), { executors: live });
    expect(filePassed(result)).toBe(false);
    expect(result.cases[0]!.failure!.mismatches[0]!.actual).toContain('has no stub for it: add "webhooks": { "call"');
    expect(seen.length).toBe(before);
  });

  it("turns a code failure into a code_error event", async () => {
    const event = await live.code({
      type: "run_code",
      nodeId: "n",
      source: "throw new Error('boom')",
      inputs: {},
      outputs: [],
      timeoutMs: 500,
    });
    expect(event).toMatchObject({ type: "code_error", nodeId: "n" });
    expect((event as { message: string }).message).toContain("boom");
  });
});
