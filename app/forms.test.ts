import { describe, expect, it } from "vitest";
import { fieldErrors, formValues } from "./forms.js";

describe("fieldErrors", () => {
  it("keeps the first message per field and files pathless issues under form", () => {
    expect(
      fieldErrors({
        code: "invalid_input",
        message: "email: bad",
        issues: [
          { path: "email", message: "expected an email address" },
          { path: "email", message: "second" },
          { path: "nodes[2].data", message: "nested" },
          { path: "", message: "whole form" },
        ],
      }),
    ).toEqual({ email: "expected an email address", nodes: "nested", form: "whole form" });
  });

  it("uses the error's message when there are no issues", () => {
    expect(fieldErrors({ code: "conflict", message: "already exists" })).toEqual({ form: "already exists" });
  });
});

describe("formValues", () => {
  it("reads only the named text fields", () => {
    const form = new FormData();
    form.set("name", "Ana");
    form.set("csrf", "secret");
    form.set("file", new Blob(["x"]));
    expect(formValues(form, ["name", "file", "missing"])).toEqual({ name: "Ana" });
  });
});
