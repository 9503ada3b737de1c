/**
 * A contact's pieces, shared by the inbox's contact panel and the contact page: a labelled text
 * field, the fields that edit a contact (name, email, phone, properties, a new property), the
 * owner picker and the list of their tickets. Error messages come from the Contacts service's
 * Schemas.
 */
import { Link } from "@remix-run/react";
import { useId } from "react";
import type { Contact, ContactHistory, OwnerOption } from "../../runtime.server.js";
import { Field } from "../field.js";
import { ticketStatusLabels } from "../inbox/labels.js";

/** A labelled input with its hint and error (the app's Field), named for the form. */
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
  return (
    <Field id={useId()} label={label} {...(error ? { error } : {})} {...(hint ? { hint } : {})}>
      {(props) => <input {...props} name={name} type={type} defaultValue={defaultValue ?? ""} autoComplete={autoComplete} />}
    </Field>
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
  const listed = owner === null || owners.some((o) => o.id === owner.id);
  return (
    <Field id={useId()} label="Owner" {...(error ? { error } : {})}>
      {(props) => (
        // Re-mounted when the stored owner changes, so a refused pick shows what is stored.
        <select {...props} name="ownerId" defaultValue={owner?.id ?? ""} key={owner?.id ?? ""}>
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
      )}
    </Field>
  );
}

/** How a contact is named in lists: name, else email, else phone. Pure. */
export const contactLabel = (contact: Pick<Contact, "name" | "email" | "phone">): string => contact.name ?? contact.email ?? contact.phone ?? "(no name)";

/** The contact's tickets, each linked with its status; `empty` when there are none. */
export function ContactTickets({ tickets, empty }: { tickets: ContactHistory["tickets"]; empty: string }) {
  return tickets.length === 0 ? (
    <p className="muted">{empty}</p>
  ) : (
    <ul className="history-list">
      {tickets.map((t) => (
        <li key={t.id}>
          <Link to={`/tickets/${encodeURIComponent(t.id)}`}>
            <span className="history-list__line">
              <span className="tag">{ticketStatusLabels[t.status]}</span> {t.subject}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
