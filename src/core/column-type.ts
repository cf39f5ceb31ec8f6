/**
 * Declared column types. A trailing `?` (e.g. `'string?'`) makes the column nullable.
 * Undeclared columns (seed-style schemas) accept any {@link Value}.
 */
export type BaseColumnType = 'int32' | 'int64' | 'float64' | 'string' | 'bool' | 'timestamp' | 'bytes';
/** A base type, or a nullable one with a trailing `?`. */
export type ColumnType = BaseColumnType | `${BaseColumnType}?`;

/** Every value a request can carry. */
export type Value = null | boolean | number | bigint | string | Date | Uint8Array;

/** TypeScript type of a value of the given column type. */
export type ValueOf<T extends ColumnType> = T extends `${infer B extends BaseColumnType}?`
  ? BaseValueOf<B> | null
  : T extends BaseColumnType
    ? BaseValueOf<T>
    : never;

type BaseValueOf<B extends BaseColumnType> = B extends 'int32'
  ? number
  : B extends 'int64'
    ? bigint | number
    : B extends 'float64'
      ? number
      : B extends 'string'
        ? string
        : B extends 'bool'
          ? boolean
          : B extends 'timestamp'
            ? Date
            : B extends 'bytes'
              ? Uint8Array
              : never;

/** Parsed form of a {@link ColumnType}. */
export interface ParsedColumnType {
  readonly base: BaseColumnType;
  readonly nullable: boolean;
}

const BASE_TYPES: ReadonlySet<string> = new Set(['int32', 'int64', 'float64', 'string', 'bool', 'timestamp', 'bytes']);

/** Parses `'string?'` into `{ base: 'string', nullable: true }`; undefined when not a known type. */
export function parseColumnType(type: string): ParsedColumnType | undefined {
  const nullable = type.endsWith('?');
  const base = nullable ? type.slice(0, -1) : type;
  return BASE_TYPES.has(base) ? { base: base as BaseColumnType, nullable } : undefined;
}
