import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.js";

const base = { DATABASE_PATH: ":memory:", SESSION_SECRET: "s".repeat(64) };

describe("loadConfig: TRUST_PROXY", () => {
  it("trusts no proxy by default, and the number of proxies it is given", () => {
    expect(loadConfig(base).trustedProxies).toBe(0);
    expect(loadConfig({ ...base, TRUST_PROXY: "2" }).trustedProxies).toBe(2);
  });

  it("refuses a value that is not a small count of proxies, naming the variable", () => {
    for (const bad of ["yes", "-1", "1.5", "11"]) {
      expect(() => loadConfig({ ...base, TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });
});

describe("loadConfig: WEBHOOKS_ALLOW_PRIVATE_NETWORKS", () => {
  it("leaves the webhook client's default when unset, and says yes or no when set", () => {
    expect(loadConfig(base).webhooksAllowPrivateNetworks).toBeUndefined();
    expect(loadConfig({ ...base, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "1" }).webhooksAllowPrivateNetworks).toBe(true);
    expect(loadConfig({ ...base, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "0" }).webhooksAllowPrivateNetworks).toBe(false);
    expect(() => loadConfig({ ...base, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: "yes" })).toThrow(/WEBHOOKS_ALLOW_PRIVATE_NETWORKS/);
  });
});

describe("loadConfig: SHUTDOWN_WAIT_SECONDS (and its older name WEBHOOKS_SHUTDOWN_WAIT_SECONDS)", () => {
  it("leaves the services' default when unset, and takes seconds (fractions too) up to a minute", () => {
    expect(loadConfig(base).shutdownWaitMs).toBeUndefined();
    expect(loadConfig({ ...base, SHUTDOWN_WAIT_SECONDS: "0" }).shutdownWaitMs).toBe(0);
    expect(loadConfig({ ...base, SHUTDOWN_WAIT_SECONDS: "2.5" }).shutdownWaitMs).toBe(2500);
    for (const name of ["SHUTDOWN_WAIT_SECONDS", "WEBHOOKS_SHUTDOWN_WAIT_SECONDS"]) {
      for (const bad of ["soon", "-1", "61"]) expect(() => loadConfig({ ...base, [name]: bad })).toThrow(new RegExp(`\\b${name}: `));
    }
  });

  it("still reads the older name, and the new one wins when both are set", () => {
    expect(loadConfig({ ...base, WEBHOOKS_SHUTDOWN_WAIT_SECONDS: "3" }).shutdownWaitMs).toBe(3000);
    expect(loadConfig({ ...base, WEBHOOKS_SHUTDOWN_WAIT_SECONDS: "3", SHUTDOWN_WAIT_SECONDS: "1" }).shutdownWaitMs).toBe(1000);
  });
});
