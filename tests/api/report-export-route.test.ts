/**
 * GET /reports/export/:table as its real route module, as the seeded admin with a real session
 * cookie: a known table is a CSV; an unknown table is 404 (a page that is not there); a bad
 * parameter of a known table is 400 naming it. Real parts: the app runtime on a fresh SQLite file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loader } from "../../app/routes/reports.export.$table.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { routeRequests, signInAdmin } from "../support/thread-post.js";

let app: TestApp;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;

beforeAll(async () => {
  app = await startTestApp("report-export-route");
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
});
