/**
 * Parley's HTTP server: one Node process, one Effect runtime, one SQLite connection.
 * The public chat API (/api/*) and the integrations' REST API (/api/v1/*) are served by lean handlers in front of Remix (Remix's own
 * request handling tops out near 2k req/s here); everything else goes to Remix.
 */
import { createRequestHandler } from "@remix-run/express";
import type { AppLoadContext, ServerBuild } from "@remix-run/node";
import compression from "compression";
import express from "express";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ConfigError, loadConfig } from "../runtime/services/config.js";
import { makeAppRuntime, type AppRuntime } from "../runtime/services/app-layer.js";
import { reportMailRenderer } from "../app/components/reports/report-mail.server.js";
import { createCalendarFeedRoutes } from "./calendar-feed.js";
import { createChannelRoutes } from "./channel-routes.js";
import { createOpsRoutes, type HandlerName } from "./ops-routes.js";
import { startEmailInbound } from "./email-inbound.js";
import { clientIp } from "./http-util.js";
import { createPublicApi } from "./public-api.js";
import { createRestApi } from "./rest-api.js";
import { startup } from "./startup.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What Remix loaders and actions receive as `context`. */
export interface ParleyLoadContext {
  readonly runtime: AppRuntime;
  /** The client's address (behind TRUST_PROXY proxies, as configured), for per-address limits such as sign-in. */
  readonly clientIp?: string;
}
declare module "@remix-run/server-runtime" {
  interface AppLoadContext extends ParleyLoadContext {}
}

const main = async () => {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const runtime = makeAppRuntime(config, reportMailRenderer);
  const started = await startup(runtime, config);

  const app = express();
  app.disable("x-powered-by");
  // Behind TRUST_PROXY reverse proxies, Remix's request URL takes https (Secure cookies) and
  // the host from the X-Forwarded-* headers those proxies set.
  if (config.trustedProxies > 0) app.set("trust proxy", config.trustedProxies);
  app.use(compression());

  const dev = process.env.NODE_ENV === "development";
  let build: ServerBuild | (() => Promise<ServerBuild>);
  if (dev) {
    const vite = await import("vite");
    const viteServer = await vite.createServer({ server: { middlewareMode: true } });
    app.use(viteServer.middlewares);
    build = () => viteServer.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
  } else {
    app.use("/assets", express.static(join(root, "build/client/assets"), { immutable: true, maxAge: "1y" }));
    app.use(express.static(join(root, "build/client"), { maxAge: "1h" }));
    build = (await import(pathToFileURL(join(root, "build/server/index.js")).href)) as ServerBuild;
  }
  // Files built after Remix (the widget) and copied at install (Monaco) live in public/.
  app.use(express.static(join(root, "public"), { maxAge: "1h" }));
  app.all(
    "*",
    createRequestHandler({
      build,
      getLoadContext: (req): AppLoadContext => ({ runtime, clientIp: clientIp(req, config.trustedProxies) }),
    }),
  );

  const publicApi = createPublicApi(runtime);
  const restApi = createRestApi(runtime);
  const channelRoutes = createChannelRoutes(runtime);
  // Subscribable calendars of closed dates: the secret URL is the key (decision 052).
  const calendarFeed = createCalendarFeedRoutes(runtime);
  let inFlight = 0;
  let shuttingDown = false;
  // /healthz, /readyz and /metrics (decision 036), and the HTTP figures /metrics reports.
  const ops = createOpsRoutes(runtime, config, { shuttingDown: () => shuttingDown });
  /** Which handler takes the request; the answer is sent by then or later. */
  const route = (req: IncomingMessage, res: ServerResponse): HandlerName => {
    if (ops.handle(req, res)) return "ops";
    if (channelRoutes.handle(req, res)) return "channels";
    if (calendarFeed.handle(req, res)) return "calendar_feed";
    // Integrations' REST API (bearer tokens, no CORS) before the public chat API, which owns the rest of /api.
    if (restApi.handle(req, res)) return "rest_api";
    if (publicApi.handle(req, res)) return "public_api";
    // Only the public API answers cross-origin preflights; Remix would log an error and render a 405 page.
    if (req.method === "OPTIONS") {
      res.writeHead(204, { Allow: "GET, HEAD, POST" });
      res.end();
      return "app";
    }
    app(req, res);
    return "app";
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    const arrived = performance.now();
    let handler: HandlerName = "app";
    res.on("close", () => {
      inFlight--;
    });
    // Counted once the whole answer is handed to the socket (before the client can ask again); a
    // live feed (Server-Sent Events) lasts as long as the page stays open: counted, not timed.
    res.on("finish", () => {
      const streamed = String(res.getHeader("Content-Type") ?? "").startsWith("text/event-stream");
      ops.requestEnded(handler, res.statusCode, streamed ? null : (performance.now() - arrived) / 1000);
    });
    if (shuttingDown) res.setHeader("Connection", "close");
    handler = route(req, res);
  });
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  // The inbound SMTP server first: whoever waits for this line (a supervisor, the tests) may mail
  // the email channels at once.
  const emailInbound = await startEmailInbound(runtime, config);
  console.log(`Parley is listening on http://localhost:${port} (database ${config.databasePath})`);

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`${signal}: shutting down — finishing ${inFlight} request(s)…`);
    // Stop accepting; idle keep-alive sockets are closed so `close` can finish.
    server.close();
    server.closeIdleConnections();
    publicApi.close();
    await emailInbound.stop();
    const deadline = Date.now() + 10_000;
    while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const socket of sockets) socket.destroy();
    started.stop();
    ops.close();
    await runtime.dispose();
    console.log("Parley stopped.");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
