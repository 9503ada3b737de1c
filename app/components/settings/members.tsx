/**
 * Choosing the members of an inbox or a team: the people who may be members, and the checklist
 * that posts the chosen ones as `userId` fields.
 */
import { roleLabels } from "../../roles.js";
import type { Availability, Role } from "../../runtime.server.js";

/** Someone who can be a member, as the checklist shows them. */
export interface Candidate {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly role: Role;
  readonly availability: Availability;
  /** Disabled people are offered only while they are members, so a save keeps them (enabling restores their work). */
  readonly disabled: boolean;
}

/**
 * The users who work in inboxes (agents and admins), as checklist rows: the enabled ones, and the
 * disabled ones who are among `memberIds`. Pure.
 */
export const memberCandidates = (
  users: ReadonlyArray<Omit<Candidate, "disabled"> & { readonly disabledAt: number | null }>,
  memberIds: ReadonlyArray<string>,
): Candidate[] =>
  users
    .filter((u) => (u.role === "agent" || u.role === "admin") && (u.disabledAt === null || memberIds.includes(u.id)))
    .map((u) => ({ id: u.id, name: u.name, email: u.email, role: u.role, availability: u.availability, disabled: u.disabledAt !== null }));

/** A checkbox per candidate (ticked for current members), with their role and availability. */
export function MemberChecklist({ people, memberIds }: { people: ReadonlyArray<Candidate>; memberIds: ReadonlyArray<string> }) {
  return (
    <fieldset style={{ border: "none", padding: 0, margin: 0, display: "grid", gap: "0.4rem" }}>
      <legend className="field__hint" style={{ marginBottom: "0.4rem" }}>
        Agents and admins
      </legend>
      {people.map((person) => (
        <label key={person.id} style={{ display: "flex", alignItems: "center", gap: "0.5rem" }}>
          <input type="checkbox" name="userId" value={person.id} defaultChecked={memberIds.includes(person.id)} style={{ width: "auto" }} />
          <span>
            {person.name} <span className="muted">({person.email})</span> <span className="badge">{roleLabels[person.role]}</span>{" "}
            {person.disabled ? (
              <span className="badge">Disabled · gets no conversations</span>
            ) : (
              <span className="badge">{person.availability === "available" ? "Available" : "Away"}</span>
            )}
          </span>
        </label>
      ))}
    </fieldset>
  );
}
