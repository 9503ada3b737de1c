/**
 * The POST of a settings page that keeps a list of things (saved replies, labels): `intent`
 * create | update | delete, `id` for the last two, and the item's fields. One shape of answer the
 * page reads: the errors by field (a name or shortcut already taken — a Conflict — on its own
 * field), the values sent back for the form, or `saved`.
 */
import { data, type AppLoadContext } from "@remix-run/node";
import { fieldErrors, formValues } from "../../forms.js";
import { attempt } from "../../runtime.server.js";

/** An effect the app's runtime runs. */
type AppEffect = Parameters<typeof attempt>[1];

/** What the service does for each intent; each effect's failures are the service's expected ones. */
export interface ListActions {
  readonly create: (values: Record<string, string>) => AppEffect;
  readonly update: (id: string, values: Record<string, string>) => AppEffect;
  readonly remove: (id: string) => AppEffect;
}

/** Runs the form's intent; a Conflict is reported on `conflictField`. */
export const listAction = async (
  context: AppLoadContext,
  form: FormData,
  fields: ReadonlyArray<string>,
  actions: ListActions,
  conflictField: string,
) => {
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  const values = formValues(form, fields);
  const result =
    intent === "create"
      ? await attempt(context, actions.create(values))
      : intent === "update"
        ? await attempt(context, actions.update(id, values))
        : intent === "delete"
          ? await attempt(context, actions.remove(id))
          : null;
  if (result === null) {
    return data({ intent, id, errors: { form: `unknown intent “${intent}”: expected create, update or delete` }, values, saved: false }, { status: 400 });
  }
  if (!result.ok) {
    const errors = fieldErrors(result.error);
    if (result.cause._tag === "Conflict") {
      errors[conflictField] = result.error.message;
      delete errors.form;
    }
    return data({ intent, id, errors, values, saved: false }, { status: result.status });
  }
  return { intent, id, errors: {} as Record<string, string>, values: null, saved: true };
};
