import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ErrorNotice } from "./notices.js";

describe("ErrorNotice", () => {
  it("shows a runtime message with a capital first letter, as an alert", () => {
    const html = renderToString(<ErrorNotice message="write a note first" />);
    expect(html).toContain('role="alert"');
    expect(html).toContain(">Write a note first<");
    expect(html).not.toContain("write a note first");
  });

  it("leaves a message that already starts with a capital as it is", () => {
    expect(renderToString(<ErrorNotice message="Add at least one action" />)).toContain(">Add at least one action<");
  });

  it("renders nothing when there is no message", () => {
    expect(renderToString(<ErrorNotice message={null} />)).toBe("");
    expect(renderToString(<ErrorNotice message="" />)).toBe("");
    expect(renderToString(<ErrorNotice message={undefined} />)).toBe("");
  });
});
