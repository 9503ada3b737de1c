/**
 * An email's attachments inside the REAL server process (`node --import tsx server/index.ts`,
 * Remix's build behind express and its compression): a mail sent to Parley's SMTP server over
 * loopback, then downloaded over HTTP after signing in through the login form — so the
 * download's headers are proven as a browser receives them, not only as the loader returns
 * them. Needs `npm run build` (like server-process.test.ts).
 */
import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type ServerProcess } from "../../bench/http-harness.js";

const PASSWORD = "test-admin-password";
const HTML = "<html><body><script>alert(document.cookie)</script></body></html>";
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");

let dir: string;
let databasePath: string;
let server: ServerProcess;
let smtpPort: number;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const cookiesOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0]!)
    .join("; ");

/** Signs in through the login form (its CSRF cookie and token) and returns the session cookie. */
const signIn = async (email: string) => {
  const page = await fetch(`${server.base}/login`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  expect(csrf, "the login page's CSRF token").toBeDefined();
  const login = await fetch(`${server.base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { Cookie: cookiesOf(page), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, password: PASSWORD, csrf: csrf!, redirectTo: "" }),
  });
  expect(login.status).toBe(302);
  return cookiesOf(login);
};

const withDatabase = <T>(f: (db: BetterSqlite3.Database) => T): T => {
  const db = new BetterSqlite3(databasePath);
  try {
    db.pragma("busy_timeout = 5000");
    return f(db);
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-attachments-server-"));
  databasePath = join(dir, "parley.sqlite");
  smtpPort = await freePort();
  server = await startServer({ databasePath, env: { SMTP_PORT: String(smtpPort), SMTP_HOST: "127.0.0.1" } });
  // The channel is set up in the database directly: its settings page is tested in email-channel.test.ts.
  withDatabase((db) => {
    const inboxId = (db.prepare("SELECT id FROM inboxes ORDER BY created_at LIMIT 1").get() as { id: string }).id;
    db.prepare("INSERT INTO channels (id, inbox_id, kind, name, config, created_at) VALUES ('chan_mail_test', ?, 'email', 'Support mail', ?, ?)").run(
      inboxId,
      JSON.stringify({ addresses: ["support@acme.test"] }),
      Date.now(),
    );
  });
  await nodemailer
    .createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true })
    .sendMail({
      from: "ada@customer.test",
      to: "support@acme.test",
      subject: "Files",
      text: "See the files.",
      attachments: [
        { filename: "../../evil.html", content: HTML, contentType: "text/html" },
        { filename: "Bild ä.png", content: PNG, contentType: "image/png" },
      ],
    });
}, 90_000);

afterAll(async () => {
  await server?.stop("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const stored = () =>
  withDatabase((db) => db.prepare("SELECT id, filename FROM attachments ORDER BY rowid").all() as Array<{ id: string; filename: string }>);

describe("downloading an email's attachment from the server", () => {
  it("serves the HTML file as an octet-stream attachment and the image inline, with the protective headers", async () => {
    const files = new Map(stored().map((f) => [f.filename, f.id]));
    expect([...files.keys()].sort()).toEqual(["Bild ä.png", "evil.html"]);
    const cookie = await signIn("admin@parley.local");

    const html = await fetch(`${server.base}/inbox/attachments/${files.get("evil.html")}`, { headers: { Cookie: cookie } });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toBe("application/octet-stream");
    expect(html.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''evil.html");
    expect(html.headers.get("x-content-type-options")).toBe("nosniff");
    expect(html.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect(html.headers.get("cache-control")).toBe("private, max-age=0");
    expect(await html.text()).toBe(HTML);

    const png = await fetch(`${server.base}/inbox/attachments/${files.get("Bild ä.png")}`, { headers: { Cookie: cookie } });
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(png.headers.get("content-disposition")).toBe("inline; filename*=UTF-8''Bild%20%C3%A4.png");
    expect(png.headers.get("content-length")).toBe(String(PNG.length));
    expect(Buffer.from(await png.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it("answers 404 to an agent outside the inbox as for an unknown id, and sends a signed-out browser to the login", async () => {
    const id = stored()[0]!.id;
    withDatabase((db) => db.prepare("DELETE FROM inbox_members WHERE user_id = (SELECT id FROM users WHERE email = 'agent@parley.local')").run());
    const agent = await signIn("agent@parley.local");
    const outside = await fetch(`${server.base}/inbox/attachments/${id}`, { headers: { Cookie: agent } });
    const unknown = await fetch(`${server.base}/inbox/attachments/att_unknown`, { headers: { Cookie: agent } });
    expect([outside.status, unknown.status]).toEqual([404, 404]);
    expect(outside.headers.get("content-disposition")).toBeNull();

    const signedOut = await fetch(`${server.base}/inbox/attachments/${id}`, { redirect: "manual" });
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get("location")).toBe(`/login?redirectTo=${encodeURIComponent(`/inbox/attachments/${id}`)}`);
  });
});
