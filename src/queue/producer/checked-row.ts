import type { Row, Schema } from '../../core/schema.js';

/** The row type a schema declares (`Row` for an untyped one). */
export type RowOfSchema<S extends Schema> = NonNullable<S['__row']>;

/** The columns a row must have. */
type RequiredKeys<R> = { [K in keyof R]-?: undefined extends R[K] ? never : K }[keyof R];

/** What a column takes, in words, for compile errors. */
type Expected<V> = `${ValueName<Exclude<V, null | undefined>>}${null extends V ? ' or null' : ''}`;
type ValueName<V> = [V] extends [never]
  ? 'nothing'
  : [bigint] extends [V]
    ? 'a number or bigint (int64)'
    : [V] extends [number]
      ? 'a number'
      : [V] extends [string]
        ? 'a string'
        : [V] extends [boolean]
          ? 'a boolean'
          : [V] extends [Date]
            ? 'a Date'
            : [V] extends [Uint8Array]
              ? 'a Uint8Array'
              : 'its declared type';

/**
 * A row `T` checked column by column against the schema's row type `R`, so that a compile
 * error names the column: a value of the wrong type must also be `{ "column 'id' expects a
 * number or bigint (int64)": never }`, an unknown column `{ "unknown column 'nick'": never }`,
 * and a missing one is a property `"missing column 'name'"`. A column that fits adds nothing.
 * An untyped schema (`Row`) is checked as before: any column, any value.
 */
export type CheckedRow<R, T> = string extends keyof R
  ? Row
  : {
      // `keyof T & string`, not `keyof T`: a homomorphic mapping would distribute over a union of
      // row shapes (an array of rows), letting one good shape vouch for a bad one.
      [K in keyof T & string]: K extends keyof R
        ? T[K] extends R[K]
          ? unknown
          : { readonly [M in `column '${K}' expects ${Expected<R[K]>}`]: never }
        : { readonly [M in `unknown column '${K}'`]: never };
    } & { readonly [K in Exclude<RequiredKeys<R>, keyof T>]: `missing column '${K & string}'` };

/**
 * The type of `submit()`'s row for schema `S`: the row as written (`T`, inferred from the call),
 * which must also pass {@link CheckedRow}; `NoInfer` keeps the check from steering the inference.
 */
export type SubmittedRow<S extends Schema, T> = T & NoInfer<CheckedRow<RowOfSchema<S>, T>>;
