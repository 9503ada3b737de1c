import { describe, expect, it } from "vitest";
import { bulkInputOf, bulkNotice, pruned, selectAllState, toggled } from "./bulk-logic.js";

const skipped = (title: string | null, message: string) => ({ id: `conv_${title ?? "x"}`, title, reason: "changed" as const, message });

describe("bulkNotice", () => {
  it("says what was done, then the skipped ones by reason, named", () => {
    const applied = Array.from({ length: 8 }, (_, i) => ({ id: `c${i}`, title: `T${i}` }));
    expect(bulkNotice({ action: "close", applied, skipped: [skipped("Ana", "changed by someone else"), skipped("Bo", "changed by someone else")] })).toBe(
      "8 closed; 2 skipped: changed by someone else (Ana, Bo)",
    );
    expect(bulkNotice({ action: "mark-pending", applied: applied.slice(0, 1), skipped: [] })).toBe("1 marked pending.");
    expect(bulkNotice({ action: "assign", applied: applied.slice(0, 2), skipped: [] }, "Bo Berg")).toBe("2 assigned to Bo Berg.");
  });

  it("counts the ones the agent may not see, and names at most five per reason", () => {
    const hidden = [skipped(null, "not in your inboxes"), skipped(null, "not in your inboxes")];
    const many = ["A", "B", "C", "D", "E", "F", "G"].map((t) => skipped(t, "with a bot"));
    expect(bulkNotice({ action: "reopen", applied: [], skipped: [...hidden, ...many] })).toBe(
      "0 reopened; 9 skipped: not in your inboxes (2); with a bot (A, B, C, D, E, 2 more)",
    );
  });
});

describe("bulkInputOf", () => {
  it("reads each row's id and version, and the action with its target", () => {
    const read = bulkInputOf({ intent: "assign:team:team_a:b", conversations: ["conv_1:3", "conv:2:x", "nocolon"], timeZone: "UTC" }, 0);
    expect(read).toEqual({
      ok: true,
      input: { action: "assign", teamId: "team_a:b", conversations: [{ id: "conv_1", version: 3 }, { id: "conv:2", version: Number.NaN }, { id: "nocolon", version: Number.NaN }] },
    });
    expect(bulkInputOf({ intent: "assign:none", conversations: [], timeZone: "UTC" }, 0)).toEqual({ ok: true, input: { action: "assign", userId: null, conversations: [] } });
  });
});

describe("the selection", () => {
  it("toggles, forgets rows that left the list, and says Select all's state", () => {
    const one = toggled(new Set(), "a");
    expect([...one]).toEqual(["a"]);
    expect([...toggled(one, "a")]).toEqual([]);
    const two = toggled(one, "b");
    expect([...pruned(two, ["b", "c"])]).toEqual(["b"]);
    expect(pruned(two, ["a", "b"])).toBe(two);
    expect(selectAllState(two, ["a", "b"])).toBe("all");
    expect(selectAllState(two, ["a", "b", "c"])).toBe("some");
    expect(selectAllState(new Set(), ["a"])).toBe("none");
  });
});
