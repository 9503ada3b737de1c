import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { FieldError } from "../field.js";
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

describe("ErrorNotice's tone and id", () => {
  it("shows a refusal that is not a fault (a conflict) as a warning, still capitalised and announced", () => {
    const html = renderToString(<ErrorNotice message="someone else changed this ticket first" tone="warning" />);
    expect(html).toContain('class="notice notice--warning"');
    expect(html).toContain('role="alert"');
    expect(html).toContain(">Someone else changed this ticket first<");
  });

  it("carries the id a form's aria-describedby names", () => {
    expect(renderToString(<ErrorNotice id="login-error" message="the email or password is incorrect" />)).toContain('id="login-error"');
  });
});

describe("FieldError", () => {
  it("capitalises a field's runtime message and renders nothing without one", () => {
    expect(renderToString(<FieldError message="enter a subject" />)).toBe('<p class="field__error">Enter a subject</p>');
    expect(renderToString(<FieldError message={undefined} />)).toBe("");
  });
});
