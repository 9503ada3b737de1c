/**
 * A contact's forms read into the Contacts service's input, the same way in the inbox's contact
 * panel and on the contact page: the service's Schemas (NewContact, ContactUpdate) then judge
 * the values, so both places show the same messages. Pure.
 */

/** A form field's text, or undefined when absent. */
const text = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
};

/** The new contact's fields that were filled in ("" means not given). */
export const newContactInput = (form: FormData): Record<string, string> =>
  Object.fromEntries(
    (["email", "name", "phone"] as const).flatMap((k) => {
      const value = text(form, k);
      return value !== undefined && value.trim() !== "" ? [[k, value]] : [];
    }),
  );

/**
 * An edit: an emptied name, email or phone clears it (null); `property.<name>` fields set a
 * property ("" removes it); `newPropertyName` / `newPropertyValue` add one. A new property
 * without a value is refused here, at `newPropertyName`.
 */
export const contactUpdateInput = (
  form: FormData,
): { readonly ok: true; readonly input: Record<string, unknown> } | { readonly ok: false; readonly field: string; readonly message: string } => {
  const input: Record<string, unknown> = {};
  for (const key of ["email", "name", "phone"] as const) {
    const value = text(form, key);
    if (value !== undefined) input[key] = value.trim() === "" ? null : value;
  }
  const properties: Record<string, string> = {};
  for (const [key, value] of form.entries()) {
    if (key.startsWith("property.") && typeof value === "string") properties[key.slice("property.".length)] = value;
  }
  const newName = text(form, "newPropertyName")?.trim() ?? "";
  if (newName !== "") {
    const value = text(form, "newPropertyValue") ?? "";
    if (value.trim() === "") return { ok: false, field: "newPropertyName", message: "enter a value for the new property" };
    properties[newName] = value;
  }
  if (Object.keys(properties).length > 0) input.properties = properties;
  return { ok: true, input };
};

/** A change of owner: "" (no owner) or a user id; undefined when the form has no `ownerId`. */
export const ownerInput = (form: FormData): { readonly ownerId: string | null } | undefined => {
  const value = text(form, "ownerId");
  return value === undefined ? undefined : { ownerId: value.trim() === "" ? null : value.trim() };
};
