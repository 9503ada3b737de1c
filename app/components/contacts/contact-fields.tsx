/**
 * A contact's form pieces, shared by the inbox's contact panel and the contact page: a labelled
 * text field, the fields that edit a contact (name, email, phone, properties, a new property)
 * and the owner picker. Error messages come from the Contacts service's Schemas.
 */
import { useId } from "react";
import type { Contact, OwnerOption } from "../../runtime.server.js";

/** A labelled input with its hint and error, wired for screen readers. */
export function TextField({
  label,
  name,
  defaultValue,
  error,
  type = "text",
  hint,
  autoComplete = "off",
}: {
  label: string;
  name: string;
  defaultValue?: string | undefined;
  error?: string | undefined;
  type?: string;
  hint?: string;
  autoComplete?: string;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={error ? "field field--invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      <input id={id} name={name} type={type} defaultValue={defaultValue ?? ""} autoComplete={autoComplete} aria-invalid={error ? true : undefined} aria-describedby={described} />
      {hint ? (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field__error">
          {error.charAt(0).toUpperCase() + error.slice(1)}
        </p>
      ) : null}
    </div>
  );
}

export const PHONE_HINT = "With the country code, e.g. +49 30 1234567";

/** The name, email and phone fields of a new contact. */
export function NewContactFields({
  errors,
  suggested = {},
}: {
  errors: Readonly<Record<string, string>> | undefined;
  suggested?: { readonly email?: string; readonly name?: string; readonly phone?: string };
}) {
  return (
    <>
      <TextField label="Name" name="name" defaultValue={suggested.name} error={errors?.name} />
      <TextField label="Email" name="email" type="email" defaultValue={suggested.email} error={errors?.email} />
      <TextField label="Phone" name="phone" type="tel" defaultValue={suggested.phone} error={errors?.phone} hint={PHONE_HINT} />
    </>
  );
}

/** The fields that edit a contact: name, email, phone, each property ("" removes it) and a new one. */
export function ContactEditFields({ contact, errors }: { contact: Contact; errors: Readonly<Record<string, string>> | undefined }) {
  return (
    <>
      <TextField label="Name" name="name" defaultValue={contact.name ?? ""} error={errors?.name} />
      <TextField label="Email" name="email" type="email" defaultValue={contact.email ?? ""} error={errors?.email} />
      <TextField label="Phone" name="phone" type="tel" defaultValue={contact.phone ?? ""} error={errors?.phone} hint={PHONE_HINT} />
      {Object.entries(contact.properties).map(([key, value]) => (
        <TextField key={key} label={key} name={`property.${key}`} defaultValue={value} error={errors?.[`properties.${key}`]} hint="Empty removes it" />
      ))}
      <fieldset className="new-property">
        <legend>Add a property</legend>
        <TextField label="Property name" name="newPropertyName" error={errors?.newPropertyName ?? errors?.properties} hint="e.g. plan, company, order_id" />
        <TextField label="Value" name="newPropertyValue" />
      </fieldset>
    </>
  );
}

/**
 * The owner picker (`ownerId`): no owner, or someone who may own contacts. A disabled owner
 * stays shown, marked, until someone picks another.
 */
export function OwnerSelect({
  owner,
  owners,
  viewerId,
  error,
}: {
  owner: Contact["owner"];
  owners: ReadonlyArray<OwnerOption>;
  viewerId: string;
  error?: string | undefined;
}) {
  const id = useId();
  const listed = owner === null || owners.some((o) => o.id === owner.id);
  return (
    <div className={error ? "field field--invalid" : "field"}>
      <label htmlFor={id}>Owner</label>
      {/* Re-mounted when the stored owner changes, so a refused pick shows what is stored. */}
      <select id={id} name="ownerId" defaultValue={owner?.id ?? ""} key={owner?.id ?? ""} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined}>
        <option value="">No owner</option>
        {listed ? null : (
          <option value={owner!.id} disabled>
            {owner!.name} ({owner!.disabled ? "disabled" : "cannot own contacts"})
          </option>
        )}
        {owners.map((o) => (
          <option key={o.id} value={o.id}>
            {o.id === viewerId ? `${o.name} (you)` : o.name}
          </option>
        ))}
      </select>
      {error ? (
        <p id={`${id}-error`} className="field__error">
          {error.charAt(0).toUpperCase() + error.slice(1)}
        </p>
      ) : null}
    </div>
  );
}

/** How a contact is named in lists: name, else email, else phone. Pure. */
export const contactLabel = (contact: Pick<Contact, "name" | "email" | "phone">): string => contact.name ?? contact.email ?? contact.phone ?? "(no name)";
