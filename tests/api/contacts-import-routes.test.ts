/**
 * The contacts import and export routes' real modules (/contacts/import, its rejected rows'
 * CSV, /contacts/export.csv), posted as the seeded admin with a real session cookie and CSRF
 * token: an upload becomes a preview under a random id, each bad post answers its status and
 * the field it is about and stores nothing, and the downloads are CSV with defused cells.
 * Real parts: the app runtime on a fresh SQLite file, the route modules.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { action as importAction, loader as importLoader } from "../../app/routes/contacts.import.js";
import { loader as exportLoader } from "../../app/routes/contacts.export[.]csv.js";
import { loader as rejectedLoader } from "../../app/routes/contacts.import_.$importId.rejected[.]csv.js";
import type { Sqlite } from "../../runtime/services/database.js";
import { startTestApp, type TestApp } from "../support/test-app.js";
import { routeRequests, settleRoute, signInAdmin } from "../support/thread-post.js";

let app: TestApp;
let sqlite: Sqlite;
let signedIn: Awaited<ReturnType<typeof signInAdmin>>;

beforeAll(async () => {
  app = await startTestApp("contacts-import-routes");
  sqlite = app.sqlite;
  signedIn = await signInAdmin(app.runtime);
}, 60_000);
afterAll(async () => {
  await app?.dispose();
});

type Body = { step?: string; errors: Record<string, string>; result: { created: number; rejected: number; id: string } | null };
const BASE = "https://parley.example.com";
const requests = () => routeRequests(signedIn);
/** A body's text with its byte-order mark kept (Response.text() drops it). */
const textOf = async (response: Response) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(await response.arrayBuffer());
const count = () => (sqlite.prepare("SELECT COUNT(*) AS n FROM contacts").get() as { n: number }).n;

/** Posts the upload step's form: the CSRF token and a file (or an empty file input). */
const upload = (text: string | null, options: { csrf?: boolean } = {}) => {
  const body = new FormData();
  if (options.csrf !== false) body.set("csrf", signedIn.csrf);
  body.set("file", text === null ? new File([], "", { type: "application/octet-stream" }) : new File([text], "people.csv", { type: "text/csv" }));
  return importAction({ request: new Request(`${BASE}/contacts/import`, { method: "POST", headers: { Cookie: signedIn.cookie }, body }), context: signedIn.context, params: {} });
};
const uploadedId = async (text: string) => {
  const answer = (await upload(text)) as Response;
  expect(answer.status).toBe(302);
  return new URL(answer.headers.get("Location")!, BASE).searchParams.get("id")!;
};
const importing = (fields: Record<string, string>) =>
  settleRoute<Body>(importAction({ request: requests().post("/contacts/import", fields), context: signedIn.context, params: {} }), { errors: {}, result: null });

describe("POST /contacts/import", () => {
  it("turns an upload into a preview under a random id, with the mapping guessed", async () => {
    const id = await uploadedId("E-mail;Full name\nann@example.com;Ann\n");
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const page = (await importLoader({ request: requests().get(`/contacts/import?id=${id}`), context: signedIn.context, params: {} })) as unknown as {
      preview: { headers: string[]; guesses: string[]; rowCount: number };
    };
    expect(page.preview).toMatchObject({ headers: ["E-mail", "Full name"], guesses: ["email", "name"], rowCount: 1 });
    const unknown = (await importLoader({ request: requests().get("/contacts/import?id=AAAAAAAAAAAAAAAAAAAAAA"), context: signedIn.context, params: {} })) as {
      preview: unknown;
      expired: boolean;
    };
    expect(unknown).toMatchObject({ preview: null, expired: true });
  });

  it("refuses an upload without its CSRF token (403), without a file (400) or that is not CSV (400), keeping nothing", async () => {
    const forged = await settleRoute(upload("email\na@b.co\n", { csrf: false }), null);
    expect(forged.status).toBe(403);
    const empty = await settleRoute<Body>(upload(null), { errors: {}, result: null });
    expect(empty).toMatchObject({ status: 400, body: { errors: { file: "choose a CSV file to upload" } } });
    const broken = await settleRoute<Body>(upload('email,name\n"ann@example.com,Ann\n'), { errors: {}, result: null });
    expect(broken).toMatchObject({ status: 400, body: { errors: { file: "line 2: a quoted field is never closed" } } });
    expect(count()).toBe(0);
  });

  it("answers bad import choices by the column or option they are about, and imports good ones", async () => {
    const id = await uploadedId("Email,Name\nann@example.com,Ann\nbad,Bo\n");
    const duplicate = await importing({ id, columns: "2", "mapping.0": "email", "mapping.1": "email", onDuplicate: "skip" });
    expect(duplicate).toMatchObject({ status: 400, body: { errors: { "mapping[1]": "“Email” already goes there: choose another field or ignore" } } });
    const policy = await importing({ id, columns: "2", "mapping.0": "email", "mapping.1": "name", onDuplicate: "merge" });
    expect(policy.status).toBe(400);
    expect(Object.keys(policy.body.errors)).toEqual(["onDuplicate"]);
    const owner = await importing({ id, columns: "2", "mapping.0": "email", "mapping.1": "name", onDuplicate: "skip", ownerId: "usr_nobody" });
    expect(owner).toMatchObject({ status: 400, body: { errors: { ownerId: "no such user" } } });
    const gone = await importing({ id: "AAAAAAAAAAAAAAAAAAAAAA", columns: "2", "mapping.0": "email", "mapping.1": "name", onDuplicate: "skip" });
    expect(gone.status).toBe(404);
    expect(gone.body.errors.form).toMatch(/upload the file again/);
    expect(count()).toBe(0);

    const done = await importing({ id, columns: "2", "mapping.0": "email", "mapping.1": "name", onDuplicate: "skip" });
    expect(done).toMatchObject({ status: 200, body: { result: { created: 1, rejected: 1 } } });
    expect(count()).toBe(1);
    const again = await importing({ id, columns: "2", "mapping.0": "email", "mapping.1": "name", onDuplicate: "skip" });
    expect(again.status).toBe(404);

    const rejected = (await rejectedLoader({ request: requests().get(`/contacts/import/${id}/rejected.csv`), context: signedIn.context, params: { importId: id } })) as Response;
    expect(rejected.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(await textOf(rejected)).toBe('\uFEFFEmail,Name,error\r\nbad,Bo,"line 3, Email: expected an email address like name@example.com"\r\n');
    const missing = await settleRoute(
      rejectedLoader({ request: requests().get("/contacts/import/nope/rejected.csv"), context: signedIn.context, params: { importId: "nope" } }),
      null,
    );
    expect(missing.status).toBe(404);
  });

  it("gives a semicolon file's rejected rows back separated by semicolons, as Excel saved it", async () => {
    const id = await uploadedId("\uFEFFEmail;Name;Notes\r\ncarla@example.com;Carla;ok\r\nnot-an-email;Dörte, Jr;a; b\r\n".replace("a; b", '"a; b"'));
    const done = await importing({ id, columns: "3", "mapping.0": "email", "mapping.1": "name", "mapping.2": "ignore", onDuplicate: "skip" });
    expect(done).toMatchObject({ status: 200, body: { result: { created: 1, rejected: 1 } } });
    const rejected = (await rejectedLoader({ request: requests().get(`/contacts/import/${id}/rejected.csv`), context: signedIn.context, params: { importId: id } })) as Response;
    expect(await textOf(rejected)).toBe('\uFEFFEmail;Name;Notes;error\r\nnot-an-email;Dörte, Jr;"a; b";line 3, Email: expected an email address like name@example.com\r\n');
  });
});

describe("GET /contacts/export.csv", () => {
  it("streams the filtered contacts with their properties, formula cells defused", async () => {
    sqlite
      .prepare("INSERT INTO contacts (id, email, name, phone, properties, created_at, updated_at) VALUES ('ct_x1', 'eve@example.com', '=HYPERLINK(\"x\")', '+4930123', '{\"plan\":\"pro\"}', 5, 5)")
      .run();
    const response = (await exportLoader({ request: requests().get("/contacts/export.csv?search=eve"), context: signedIn.context, params: {} })) as Response;
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment; filename="parley-contacts-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await textOf(response)).split("\r\n");
    expect(lines[0]).toBe("\uFEFFid,name,email,phone,owner,lists,created,last activity,plan");
    expect(lines[1]).toBe(`ct_x1,"'=HYPERLINK(""x"")",eve@example.com,'+4930123,,,1970-01-01T00:00:00.005Z,1970-01-01T00:00:00.005Z,pro`);
    expect(lines).toHaveLength(3);
    const bad = await settleRoute(exportLoader({ request: requests().get(`/contacts/export.csv?owner=${"x".repeat(101)}`), context: signedIn.context, params: {} }), null);
    expect(bad.status).toBe(400);
  });
});
