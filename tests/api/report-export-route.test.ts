/**
 * GET /reports/export/:table as its real route module, as the seeded admin with a real session
 * cookie: a known table is a CSV; an unknown table is 404 (a page that is not there); a bad
 * parameter of a known table is 400 naming it; the missed-target list downloads in the page's
 * order. Real parts: the app runtime on a fresh SQLite file with the demo's conversations.
 */
import { Effect } from "effect";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NONE } from "../../app/components/reports/format.js";
import { loader } from "../../app/routes/reports.export.$table.js";
import { Reports } from "../../runtime/services/reports.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { routeRequests, signInAdmin } from "../support/thread-post.js";

let app: TestApp;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;

beforeAll(async () => {
  // With the demo's conversations: the missed-target download needs answers to list.
  app = await startTestApp("report-export-route", { PARLEY_DEMO: "1", PARLEY_NO_DEMO_CONVERSATIONS: "0" });
  signedIn = await signInAdmin(app.runtime);
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

/** The loader's answer (or thrown Response) for `/reports/export/<table><query>`: status, type and body. */
const exportOf = async (table: string, query = "") => {
  const request = routeRequests(signedIn).get(`/reports/export/${table}${query}`);
  const response = await loader({ request, context: signedIn.context, params: { table } }).catch((thrown: unknown) => thrown as Response);
  return { status: response.status, type: response.headers.get("Content-Type"), body: await response.text() };
};

describe("GET /reports/export/:table", () => {
  it("downloads a known table as CSV", async () => {
    const answer = await exportOf("bot-flows", "?range=custom&from=2026-03-01&to=2026-03-07");
    expect(answer.status).toBe(200);
    expect(answer.type).toBe("text/csv; charset=utf-8");
  });

  it("answers 404 for an unknown table", async () => {
    const answer = await exportOf("nope");
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: "not_found", message: "report table nope was not found" } });
  });

  it("answers 400 naming the parameter for a bad query on a known table", async () => {
    const answer = await exportOf("bot-flows", "?range=custom&from=yesterday&to=2026-03-07");
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error).toMatchObject({ code: "invalid_input", path: "from" });
  });

  it("downloads the missed-target list in the order the page asks for, every row, and refuses a bad sort", async () => {
    const before = app.sqlite.prepare("SELECT response_targets FROM inboxes WHERE id = 'inbox_support'").pluck().get() as string | null;
    // One minute each: the demo's answers take one to a few minutes, so several miss.
    app.sqlite
      .prepare("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_support'")
      .run(JSON.stringify({ firstResponseMinutes: 1, nextReplyMinutes: 1, businessHours: false }));
    try {
      const listed = (sort: string) =>
        app.runtime.runPromise(
          Effect.flatMap(Reports, (r) =>
            Effect.flatMap(r.parseBreachQuery(new URLSearchParams(`range=30d&sort=${sort}`)), (q) => r.breaches({ ...q, limit: null })),
          ),
        );
      for (const sort of ["agent", "-answered", "-over"]) {
        const expected = await listed(sort);
        expect(expected.total, "the demo has answers over a minute").toBeGreaterThan(2);
        const answer = await exportOf("team-breaches", `?range=30d&sort=${sort}&limit=1`);
        expect(answer.status, sort).toBe(200);
        const rows = parse(answer.body.replace(/^\uFEFF/, ""), { columns: true }) as Array<Record<string, string>>;
        // Every row (the page's limit is not the download's), in the list's order: conversation and agent row by row.
        expect(rows.map((r) => [r["Conversation"], r["Agent"]]), sort).toEqual(expected.breaches.map((b) => [b.conversationId, b.agentName ?? NONE]));
      }
      const refused = await exportOf("team-breaches", "?range=30d&sort=slowest");
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.body).error).toMatchObject({ code: "invalid_input", path: "sort" });
    } finally {
      app.sqlite.prepare("UPDATE inboxes SET response_targets = ? WHERE id = 'inbox_support'").run(before);
    }
  });
});
