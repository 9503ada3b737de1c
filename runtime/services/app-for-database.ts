/**
 * The whole app's runtime against a given database file, for tests, benches and tools: the same
 * layer the server builds (runtime/services/app-layer.ts), with a configuration made for the path.
 */
import { Effect } from "effect";
import { makeAppLayer, makeAppRuntime, type AppRuntime } from "./app-layer.js";
import { loadConfig, type AppConfigShape } from "./config.js";
import { seed, type SeedOptions } from "./seed.js";

/**
 * The configuration the server would load with DATABASE_PATH = `databasePath` and `env` on top
 * (a fixed SESSION_SECRET unless given, so nothing is written beside the database). Throws
 * ConfigError on a bad `env` value.
 */
export const configForDatabase = (databasePath: string, env: Readonly<Record<string, string>> = {}): AppConfigShape =>
  loadConfig({ SESSION_SECRET: "parley-local-session-secret-".padEnd(64, "0"), ...env, DATABASE_PATH: databasePath });

/** The app's layer on `databasePath` (see `configForDatabase`). */
export const appLayerForDatabase = (databasePath: string, env?: Readonly<Record<string, string>>) =>
  makeAppLayer(configForDatabase(databasePath, env));

/**
 * The app's runtime on `databasePath`, migrated and — unless `seed: false` — seeded like a first
 * start (printing nothing unless `print` is given). Dispose it to close the database.
 */
export const openAppForDatabase = async (
  databasePath: string,
  options: { readonly env?: Readonly<Record<string, string>>; readonly seed?: boolean } & SeedOptions = {},
): Promise<{ readonly runtime: AppRuntime; readonly config: AppConfigShape }> => {
  const config = configForDatabase(databasePath, options.env);
  const runtime = makeAppRuntime(config);
  if (options.seed !== false) {
    await runtime.runPromise(
      Effect.asVoid(seed({ print: options.print ?? (() => {}), ...(options.examplesDir ? { examplesDir: options.examplesDir } : {}) })),
    );
  }
  return { runtime, config };
};
