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

// Playwright loads this file in its main process and again in every worker. Only the main
// process picks the port and the database; workers inherit both through the environment.
if (!process.env.PARLEY_URL) {
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
  mkdirSync(runDir, { recursive: true });
  const port = process.env.PARLEY_E2E_PORT ?? freePort();
  process.env.PARLEY_E2E_PORT = port;
  // The server's inbound SMTP, so specs can mail a team email channel as a provider's forwarder would.
  process.env.PARLEY_E2E_SMTP_PORT ??= freePort();
  process.env.PARLEY_URL = `http://127.0.0.1:${port}`;
  process.env.PARLEY_DATABASE_PATH = join(runDir, "parley.sqlite");
  process.env.PARLEY_ADMIN_EMAIL = ADMIN_EMAIL;
  process.env.PARLEY_ADMIN_PASSWORD = ADMIN_PASSWORD;
}

const url = process.env.PARLEY_URL!;

export default defineConfig({
  testDir: "tests/e2e",
  fullyParallel: false,
  workers: 1,
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
  webServer: {
    command: "node --import tsx server/index.ts",
    cwd: root,
    url: `${url}/login`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: process.env.PARLEY_E2E_PORT!,
      PUBLIC_URL: url,
      DATABASE_PATH: process.env.PARLEY_DATABASE_PATH!,
      ADMIN_EMAIL: process.env.PARLEY_ADMIN_EMAIL!,
      ADMIN_PASSWORD: process.env.PARLEY_ADMIN_PASSWORD!,
      PARLEY_DEMO: "1",
      // Specs count the conversations, tickets and report figures they make: start without the samples.
      PARLEY_NO_DEMO_CONVERSATIONS: "1",
      // The canvas render-count spec opens the test-only /dev/canvas route.
      PARLEY_DEV_ROUTES: "1",
      // The webhooks spec's receiver listens on 127.0.0.1, which production refuses by default.
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "1",
      ...(process.env.PARLEY_E2E_SMTP_PORT ? { SMTP_PORT: process.env.PARLEY_E2E_SMTP_PORT, SMTP_HOST: "127.0.0.1" } : {}),
    },
  },
});
