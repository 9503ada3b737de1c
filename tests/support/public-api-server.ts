/**
 * The public API's handler on its own node:http server on loopback, as server/index.ts puts it
 * in front of Remix: whatever it does not handle answers 418, so a test notices a request that
 * would have fallen through to the app.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PublicApi } from "../../server/public-api.js";

export const listenPublicApi = async (handler: PublicApi): Promise<{ readonly server: Server; readonly base: string }> => {
  const server = createServer((req, res) => {
    if (!handler.handle(req, res)) {
      res.statusCode = 418;
      res.end("not the public API");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};
