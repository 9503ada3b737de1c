/**
 * The suite's own set-up (playwright.config.ts): each Playwright worker drives a server of its
 * own. Many specs change what every page shows (hours, routing, users), so two specs running at
 * once against one server would race each other. This spec checks the split itself: the
 * servers' addresses, databases and SMTP ports all differ; this worker's pages, API calls,
 * database reads and mail go to its own server; and what that server stores lands in its own
 * database file and in no other server's. Against a server started by hand, that there is one
 * worker, driving it.
 */
import { expect, test } from "@playwright/test";
import BetterSqlite3 from "better-sqlite3";
import { createConnection } from "node:net";
import { apiVisitorAsksForAPerson, getChatChannelId, parleyUrl, readServerDatabase } from "./helpers.js";

interface E2eServer {
  readonly url: string;
  readonly port: string;
  readonly smtpPort: string;
  readonly databasePath: string;
}

/** Whether the database at `path` holds the conversation (read as a spec reads its own). */
const holdsConversation = (path: string, conversationId: string): boolean => {
  const db = new BetterSqlite3(path, { fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    return db.prepare("SELECT count(*) FROM conversations WHERE id = ?").pluck().get(conversationId) === 1;
  } finally {
    db.close();
  }
};

/** The first line an SMTP server at `port` greets with. */
const smtpGreeting = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.setEncoding("utf8");
    socket.setTimeout(5000, () => socket.destroy(new Error(`no SMTP greeting on port ${port}`)));
    socket.once("data", (line: string) => {
      socket.end("QUIT\r\n");
      resolve(line.trim());
    });
    socket.on("error", reject);
  });

test("each worker drives a server of its own, with its own database and SMTP port", async ({ request, baseURL }) => {
  const listed = process.env.PARLEY_E2E_SERVERS;
  if (listed === undefined) {
    // Against a server started by hand (PARLEY_URL) there is that one, and one worker drives it.
    expect(test.info().config.workers).toBe(1);
    expect(baseURL).toBe(parleyUrl());
    return;
  }
  const servers = JSON.parse(listed) as ReadonlyArray<E2eServer>;
  for (const key of ["url", "port", "smtpPort", "databasePath"] as const) {
    expect(new Set(servers.map((server) => server[key])).size, `every server's ${key} is its own`).toBe(servers.length);
  }
  const ports = servers.flatMap((server) => [server.port, server.smtpPort]);
  expect(new Set(ports).size, "no HTTP port is another server's SMTP port").toBe(ports.length);

  // This worker's slot names its server, and every way a spec reaches a server points there.
  const own = servers[Number(process.env.TEST_PARALLEL_INDEX) % servers.length]!;
  expect(baseURL).toBe(own.url);
  expect(parleyUrl()).toBe(own.url);
  expect(process.env.PARLEY_DATABASE_PATH).toBe(own.databasePath);
  expect(process.env.PARLEY_E2E_SMTP_PORT).toBe(own.smtpPort);
  expect(await smtpGreeting(Number(own.smtpPort))).toMatch(/^220 /);

  // What this worker's server stores is in its database only.
  const channelId = await getChatChannelId(request);
  const { conversationId } = await apiVisitorAsksForAPerson(request, channelId, "Which server am I talking to?");
  expect(readServerDatabase<{ n: number }>("SELECT count(*) AS n FROM conversations WHERE id = ?", conversationId).n).toBe(1);
  expect(holdsConversation(own.databasePath, conversationId)).toBe(true);
  for (const other of servers.filter((server) => server !== own)) {
    expect(holdsConversation(other.databasePath, conversationId), `${other.url}'s database`).toBe(false);
  }
});
