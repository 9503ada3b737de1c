/**
 * The application's Effect layer: every service the server and the Remix app use, built
 * once at start into one ManagedRuntime (server/index.ts) and disposed on shutdown.
 * Add a service here when it joins the app.
 */
import { Layer, ManagedRuntime } from "effect";
import * as Accounts from "./accounts.js";
import * as ChannelDirectory from "./channel-directory.js";
import * as Config from "./config.js";
import * as Db from "./database.js";

export const makeAppLayer = (config: Config.AppConfigShape) => {
  const base = Layer.mergeAll(
    Config.layer(config),
    Db.layer({ path: config.databasePath, synchronous: "FULL" }),
  );
  const accounts = Accounts.layer;
  return Layer.mergeAll(accounts, ChannelDirectory.layer).pipe(Layer.provideMerge(base));
};

export type AppLayer = ReturnType<typeof makeAppLayer>;
export type AppServices = Layer.Layer.Success<AppLayer>;
export type AppRuntime = ManagedRuntime.ManagedRuntime<AppServices, never>;

/** Builds the app's runtime; dispose it on shutdown to close the database. */
export const makeAppRuntime = (config: Config.AppConfigShape): AppRuntime =>
  ManagedRuntime.make(makeAppLayer(config)) as AppRuntime;
