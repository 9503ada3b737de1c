/**
 * A seeded Parley for a test: the app's real runtime on a fresh SQLite file in its own temp
 * folder, started as the server starts it (migrations, the seed without sample conversations),
 * with the background loops stopped so each test runs the outbox's passes itself.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeAppRuntime, type AppRuntime } from "../../runtime/services/app-layer.js";
import { reportMailRenderer } from "../../app/components/reports/report-mail.server.js";
import { loadConfig, type AppConfigShape } from "../../runtime/services/config.js";
import { Database, type Sqlite } from "../../runtime/services/database.js";
import { startup } from "../../server/startup.js";

export interface TestApp {
  readonly dir: string;
  readonly config: AppConfigShape;
  readonly runtime: AppRuntime;
  readonly sqlite: Sqlite;
  /** Disposes the runtime (closing the database) and removes the folder. */
  readonly dispose: () => Promise<void>;
}

/** The admin's password in every test app. */
export const TEST_ADMIN_PASSWORD = "admin-password-1";

/** Starts one; `env` adds to (or overrides) the configuration's environment. */
export const startTestApp = async (name: string, env: Record<string, string> = {}): Promise<TestApp> => {
  const dir = mkdtempSync(join(tmpdir(), `parley-${name}-`));
  const config = loadConfig({
    DATABASE_PATH: join(dir, "parley.sqlite"),
    SESSION_SECRET: "x".repeat(64),
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    PARLEY_NO_DEMO_CONVERSATIONS: "1",
    ...env,
  });
  const runtime = makeAppRuntime(config, reportMailRenderer);
  const started = await startup(runtime, config, { print: () => undefined });
  started.stop();
  const sqlite = (await runtime.runPromise(Database)).sqlite;
  return {
    dir,
    config,
    runtime,
    sqlite,
    dispose: async () => {
      await runtime.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
