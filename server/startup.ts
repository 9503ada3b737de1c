import { Effect } from "effect";
import type { AppRuntime } from "../runtime/services/app-layer.js";
import type { AppConfigShape } from "../runtime/services/config.js";
import { Database } from "../runtime/services/database.js";

/** Opens (and migrates) the database before the server listens; seeds demo data on first start. */
export const startup = async (runtime: AppRuntime, _config: AppConfigShape): Promise<void> => {
  await runtime.runPromise(Effect.asVoid(Database));
};
