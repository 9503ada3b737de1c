/**
 * The app's action-only routes inside the REAL server process, over HTTP: a GET (or HEAD) is the
 * wrong method, so it answers 405 with `Allow: POST` and the server's `method_not_allowed` body —
 * not Remix's 400 for a route without a loader — to anyone, signed in or not; a POST still reaches
 * the action. Needs `npm run build` (the server serves Remix's build).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededIds, startServer, type ServerProcess } from "../../bench/http-harness.js";

let dir: string;
let server: ServerProcess;
let flowId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "parley-action-only-"));
  const databasePath = join(dir, "parley.sqlite");
  server = await startServer({ databasePath });
  ({ leadQualificationId: flowId } = seededIds(databasePath));
}, 90_000);

afterAll(async () => {
  await server?.stop("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const paths = () => [`/flows/${flowId}/draft`, `/flows/${flowId}/preview`, `/flows/${flowId}/publish`, "/inbox/conv_any/presence"];

describe("GET on an action-only route", () => {
  it("answers 405 with Allow: POST and the method_not_allowed error body", async () => {
    for (const path of paths()) {
      const res = await fetch(`${server.base}${path}`, { redirect: "manual" });
      expect({ path, status: res.status, allow: res.headers.get("allow") }).toEqual({ path, status: 405, allow: "POST" });
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: { code: "method_not_allowed", message: "use POST" } });
    }
  });

  it("answers a HEAD the same way, without a body", async () => {
    for (const path of paths()) {
      const res = await fetch(`${server.base}${path}`, { method: "HEAD", redirect: "manual" });
      expect({ path, status: res.status, allow: res.headers.get("allow") }).toEqual({ path, status: 405, allow: "POST" });
      expect(await res.text()).toBe("");
    }
  });

  it("still sends a POST to the action, which asks for a sign-in", async () => {
    for (const path of paths()) {
      const res = await fetch(`${server.base}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
        redirect: "manual",
      });
      expect({ path, status: res.status, location: res.headers.get("location") }).toEqual({ path, status: 302, location: "/login" });
    }
  });
});

describe("a stray request", () => {
  it("is answered 404 or 405 without an error in the server's log", async () => {
    const before = server.output().length;
    const unknown = await fetch(`${server.base}/wp-admin/setup.php`, { redirect: "manual" });
    expect(unknown.status).toBe(404);
    await unknown.text();
    // The demo pricing page has no action (its layout only a loader), so a POST to it is a 405.
    const noAction = await fetch(`${server.base}/demo/pricing`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "a=1",
      redirect: "manual",
    });
    expect(noAction.status).toBe(405);
    await noAction.text();
    // The log is written by the server process: a page it renders after these is the mark that it got to them.
    expect((await fetch(`${server.base}/login`)).status).toBe(200);
    await new Promise((done) => setTimeout(done, 250));
    const logged = server.output().slice(before);
    expect(logged).not.toMatch(/No route matches|did not provide an `action`|Error:/);
  });
});
