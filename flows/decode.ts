/**
 * Decoding of outside input against a Schema into either a value or a list of
 * `{ path, message }` issues — the shape every API error and CLI diagnostic uses.
 */
import { Either, ParseResult, Schema as S } from "effect";

export interface DecodeIssue {
  /** Dotted path into the input, e.g. `nodes[2].data.answer.type`; "" for the root. */
  readonly path: string;
  readonly message: string;
}

/** Formats a property-key path as `a.b[2].c`. Pure. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path
    .map((key, i) =>
      typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`,
    )
    .join("");

/** Decodes `input` with every error collected. Pure. */
export const decodeWith =
  <A, I>(schema: S.Schema<A, I, never>) =>
  (input: unknown): Either.Either<A, ReadonlyArray<DecodeIssue>> =>
    S.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "ignore" })(input).pipe(
      Either.mapLeft((error) =>
        ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
          path: formatPath(issue.path),
          message: issue.message,
        })),
      ),
    );
