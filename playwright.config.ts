import { defineConfig } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * End-to-end tests drive the BUILT app (`npm run build` first) in Debian's Chromium, against a
 * fresh database per run. Specs read where the server is and how to sign in from process.env:
 * PARLEY_URL, PARLEY_ADMIN_EMAIL, PARLEY_ADMIN_PASSWORD (and PARLEY_DATABASE_PATH).
 */
const root = fileURLToPath(new URL(".", import.meta.url));

const ADMIN_EMAIL = "admin@parley.local";
const ADMIN_PASSWORD = "e2e-admin-password";
// Other runs on this machine may still be using theirs; only folders older than this go.
const STALE_RUN_MS = 60 * 60 * 1000;

/**
 * A free loopback port, as the OS hands it out. Not a fixed favourite: between this check and the
 * server's start another run on the machine could take it, and its specs would then test the
 * other run's server.
 */
const freePort = (): string =>
  execFileSync(
    process.execPath,
    [
      "-e",
      `const server = require("node:net").createServer();
       server.listen(0, "127.0.0.1", () => { process.stdout.write(String(server.address().port)); server.close(); });`,
    ],
    { encoding: "utf8" },
  ).trim();

/**
 * Each Playwright worker drives a server of its own, with its own database, data folder and
 * inbound SMTP port: many specs change what every page shows (hours, closed dates, routing,
 * presence, users), so two specs may run at once only against two servers. Within one worker the
 * specs run one after another, as they did when the suite had one worker. PARLEY_E2E_WORKERS sets
 * how many (default 2, for the 2-core machines this runs on); against a server started by hand
 * (PARLEY_URL set) there is one.
 */
const byHand = process.env.PARLEY_URL !== undefined && process.env.PARLEY_E2E_SERVERS === undefined;
const workerCount = byHand ? 1 : Math.max(1, Math.min(8, Number(process.env.PARLEY_E2E_WORKERS ?? "2") || 2));

// Playwright loads this file in its main process and again in every worker. Only the main
// process picks the ports and the databases; workers inherit them through the environment.
if (!byHand && process.env.PARLEY_E2E_SERVERS === undefined) {
  if (!existsSync(join(root, "build/server/index.js"))) {
    throw new Error("The app is not built: run `npm run build` before the end-to-end tests.");
  }
  const tmp = join(root, ".tmp");
  mkdirSync(tmp, { recursive: true });
  for (const entry of readdirSync(tmp)) {
    const path = join(tmp, entry);
    if (entry.startsWith("e2e-") && Date.now() - statSync(path).mtimeMs > STALE_RUN_MS) rmSync(path, { recursive: true, force: true });
  }
  const runDir = join(tmp, `e2e-${Date.now()}-${process.pid}`);
  const servers: Array<E2eServer> = [];
  for (let index = 0; index < workerCount; index++) {
    // The data folder (session secret, uploaded files) is the database's folder: one per server.
    const dataDir = join(runDir, `server-${index}`);
    mkdirSync(dataDir, { recursive: true });
    const port = freePort();
    // The server's inbound SMTP, so specs can mail a team email channel as a provider's forwarder would.
    servers.push({ url: `http://127.0.0.1:${port}`, port, smtpPort: freePort(), databasePath: join(dataDir, "parley.sqlite") });
  }
  process.env.PARLEY_E2E_SERVERS = JSON.stringify(servers);
  process.env.PARLEY_ADMIN_EMAIL = ADMIN_EMAIL;
  process.env.PARLEY_ADMIN_PASSWORD = ADMIN_PASSWORD;
}

interface E2eServer {
  readonly url: string;
  readonly port: string;
  readonly smtpPort: string;
  readonly databasePath: string;
}

const servers: ReadonlyArray<E2eServer> = byHand ? [] : (JSON.parse(process.env.PARLEY_E2E_SERVERS!) as Array<E2eServer>);

// In a worker (TEST_PARALLEL_INDEX is its slot, 0 … workers − 1, kept by the worker that replaces
// one after a failure), the specs' PARLEY_URL, PARLEY_DATABASE_PATH and PARLEY_E2E_SMTP_PORT are
// its own server's.
const slot = process.env.TEST_PARALLEL_INDEX;
if (!byHand && slot !== undefined) {
  const own = servers[Number(slot) % servers.length]!;
  process.env.PARLEY_URL = own.url;
  process.env.PARLEY_DATABASE_PATH = own.databasePath;
  process.env.PARLEY_E2E_SMTP_PORT = own.smtpPort;
}

const url = process.env.PARLEY_URL ?? servers[0]!.url;

export default defineConfig({
  testDir: "tests/e2e",
  // Whole spec files go to the workers; the tests of one file run in order, in one worker.
  fullyParallel: false,
  workers: workerCount,
  // One retry: the suite shares a 2-core machine with other work, and a spec that failed once
  // for time (a keypress racing a navigation, a slow fsync) would otherwise fail the whole run.
  // A test that passes only on its retry is listed as "flaky" at the end, and its first failure,
  // with the page as it stood, is printed by the error-context reporter, so it is seen, not hidden.
  retries: 1,
  reporter: [["list"], ["./tests/support/error-context-reporter.ts"]],
  use: {
    baseURL: url,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  webServer: servers.map((server) => ({
    command: "node --import tsx server/index.ts",
    cwd: root,
    url: `${server.url}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore" as const,
    stderr: "pipe" as const,
    env: {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: server.port,
      PUBLIC_URL: server.url,
      DATABASE_PATH: server.databasePath,
      ADMIN_EMAIL: process.env.PARLEY_ADMIN_EMAIL!,
      ADMIN_PASSWORD: process.env.PARLEY_ADMIN_PASSWORD!,
      PARLEY_DEMO: "1",
      // Specs count the conversations, tickets and report figures they make: start without the samples.
      PARLEY_NO_DEMO_CONVERSATIONS: "1",
      // The canvas render-count spec opens the test-only /dev/canvas route.
      PARLEY_DEV_ROUTES: "1",
      // The webhooks spec's receiver listens on 127.0.0.1, which production refuses by default.
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "1",
      SMTP_PORT: server.smtpPort,
      SMTP_HOST: "127.0.0.1",
    },
  })),
});
