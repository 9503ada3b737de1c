/**
 * The public API's handler (and the REST API's before it) on its own node:http server on
 * loopback, as server/index.ts puts them in front of Remix: whatever they do not handle answers
 * 418, so a test notices a request that would have fallen through to the app.
 * `startPublicApiApp` starts them on a seeded app of its own (a fresh SQLite file, the demo
 * seeded, as the server starts).
 */
import type BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Effect } from "effect";
import { Accounts } from "../../runtime/services/accounts.js";
import { ApiTokens } from "../../runtime/services/api-tokens.js";
import { makeAppRuntime, type AppRuntime } from "../../runtime/services/app-layer.js";
import { reportMailRenderer } from "../../app/components/reports/report-mail.server.js";
import { SEED_IDS } from "../../runtime/services/seed.js";
import { loadConfig } from "../../runtime/services/config.js";
import { Database } from "../../runtime/services/database.js";
import { createPublicApi, type PublicApi, type PublicApiOptions } from "../../server/public-api.js";
import { createRestApi, type RestApi, type RestApiOptions } from "../../server/rest-api.js";
import { call } from "../../bench/http-harness.js";
import { startup } from "../../server/startup.js";

export const listenPublicApi = async (
  handler: PublicApi,
  restApi?: RestApi,
): Promise<{ readonly server: Server; readonly base: string }> => {
  const server = createServer((req, res) => {
    if (restApi?.handle(req, res)) return;
    if (!handler.handle(req, res)) {
      res.statusCode = 418;
      res.end("not the public API");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};

export interface PublicApiApp {
  readonly runtime: AppRuntime;
  readonly sqlite: BetterSqlite3.Database;
  readonly api: PublicApi;
  /** The REST API (/api/v1), served in front of the public API as server/index.ts does. */
  readonly restApi: RestApi;
  readonly server: Server;
  /** Where the API listens, e.g. http://127.0.0.1:41873. */
  readonly base: string;
  /** The seeded chat channel and its published lead-qualification chatflow. */
  readonly channelId: string;
  readonly leadFlowId: string;
  /** Closes the API and its server, disposes the runtime and removes the folder. */
  readonly close: () => Promise<void>;
}

/** A seeded app in a temp folder (`name` names it) with the public API listening on loopback. */
export const startPublicApiApp = async (name: string, options: PublicApiOptions, restOptions: RestApiOptions = {}): Promise<PublicApiApp> => {
  const dir = mkdtempSync(join(tmpdir(), `parley-${name}-`));
  const config = loadConfig({
    DATABASE_PATH: join(dir, "parley.sqlite"),
    SESSION_SECRET: "x".repeat(64),
    ADMIN_PASSWORD: "admin-password-1",
    PORT: "0",
  });
  const runtime = makeAppRuntime(config, reportMailRenderer);
  await startup(runtime, config);
  const api = createPublicApi(runtime, options);
  const restApi = createRestApi(runtime, restOptions);
  const { server, base } = await listenPublicApi(api, restApi);
  const sqlite = (await runtime.runPromise(Database)).sqlite;
  const channelId = sqlite.prepare("SELECT id FROM channels WHERE kind = 'chat' ORDER BY created_at LIMIT 1").pluck().get() as string;
  const leadFlowId = sqlite
    .prepare(
      "SELECT c.id FROM chatflows c JOIN chatflow_versions v ON v.id = c.published_version_id WHERE json_extract(v.spec, '$.id') = 'lead_qualification'",
    )
    .pluck()
    .get() as string;
  return {
    runtime,
    sqlite,
    api,
    restApi,
    server,
    base,
    channelId,
    leadFlowId,
    close: async () => {
      api.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await runtime.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/**
 * A new visitor starts a chat with `chatflowId` over the public chat API, as the widget does
 * (POST /api/visitors, then POST /api/conversations); throws with the answer when either is refused.
 */
export const startVisitorChat = async (
  app: Pick<PublicApiApp, "base" | "channelId">,
  chatflowId: string,
  pageUrl = "https://shop.example/",
): Promise<{ readonly token: string; readonly conversationId: string }> => {
  const visitor = await call(app.base, "/api/visitors", { body: { channel: app.channelId } });
  if (visitor.status !== 201) throw new Error(`POST /api/visitors answered ${visitor.status}: ${JSON.stringify(visitor.body)}`);
  const token = visitor.body.visitorToken as string;
  const started = await call(app.base, "/api/conversations", { token, body: { channel: app.channelId, chatflowId, pageUrl } });
  if (started.status !== 201) throw new Error(`POST /api/conversations answered ${started.status}: ${JSON.stringify(started.body)}`);
  return { token, conversationId: started.body.conversation.id as string };
};

export type SeededRole = "admin" | "marketer" | "agent" | "analyst";

/** A personal access token (and its id) for each seeded person, by role, as the profile page makes one. */
export const seededRoleTokens = async (runtime: AppRuntime): Promise<Record<SeededRole, { readonly token: string; readonly id: string }>> => {
  const out = {} as Record<SeededRole, { token: string; id: string }>;
  for (const role of ["admin", "marketer", "agent", "analyst"] as const) {
    const user = await runtime.runPromise(Effect.flatMap(Accounts, (a) => a.getUser(SEED_IDS[role])));
    const made = await runtime.runPromise(Effect.flatMap(ApiTokens, (t) => t.create(user, { name: `ci ${role}` })));
    out[role] = { token: made.token, id: made.summary.id };
  }
  return out;
};
