import { ValidationError } from '../errors/validation-error.js';
import type { Value } from './column-type.js';
import { stampedVersion } from './row-version.js';
import type { DeliveryId } from './delivery.js';
import type { Row, Schema } from './schema.js';
import { assertDeletable, deleteKeyColumns } from './deletable.js';
import { checkInt64, checkValue } from './value-check.js';

/**
 * What a request does: write (insert or upsert) its row, or delete the row of its key.
 * A delete carries only the key columns (and the version column, when the schema has one).
 */
export type RequestOperation = 'upsert' | 'delete';

/** Marks a column that has not been set yet (distinct from an explicit null). */
const UNSET: unique symbol = Symbol('unset');
type Slot = Value | typeof UNSET;

/**
 * One row (or Redis command) for one schema, built with typed setters and checked as it is built.
 *
 * @example
 * ```ts
 * const req = new Request(users).setInt64('id', 42n).setString('name', 'Ada').setNull('nickname');
 * await producer.submit(req);
 * ```
 */
export class Request<S extends Schema = Schema> {
  readonly schema: S;
  /** Values in column order; unset columns hold a private marker until {@link Request.values} is read. */
  readonly #slots: Slot[];
  /**
   * Where this request came from, stable across redeliveries: set by the queue layer (from the
   * job) for `exactly-once` schemas, whose drivers skip ids already in the ledger. Opaque here.
   */
  delivery: DeliveryId | undefined;
  /** `'delete'` for a delete by key (see {@link Request.deleteOf}), else `'upsert'`. */
  readonly operation: RequestOperation;

  /**
   * An empty request of `schema`. With `operation` `'delete'` the schema must be deletable: a SQL
   * schema with keys, whose partitions are chosen by key columns only (else a `invalid_row`
   * {@link ValidationError}: a delete without a key could not name its row).
   */
  constructor(schema: S, operation: RequestOperation = 'upsert') {
    this.schema = schema;
    this.operation = operation;
    this.#slots = new Array<Slot>(schema.columns.length).fill(UNSET);
    if (operation === 'delete') assertDeletable(schema);
  }

  /** True for a delete by key. */
  get isDelete(): boolean {
    return this.operation === 'delete';
  }

  /**
   * A delete of the row whose key is `key`: every key column set (never null), and nothing else but
   * the schema's version column (stamped by the producer unless `versionSource` is `'row'`).
   *
   * @example
   * ```ts
   * await producer.submit(Request.deleteOf(users, { id: 42n }));
   * ```
   */
  static deleteOf<S extends Schema>(schema: S, key: Row): Request<S> {
    if (key === null || typeof key !== 'object' || Array.isArray(key)) {
      throw new ValidationError('invalid_row', `schema "${schema.name}": a delete's key must be an object of key column values`, { schema: schema.name });
    }
    const request = new Request(schema, 'delete');
    for (const column in key) request.set(column, (key as Record<string, unknown>)[column]);
    request.assertComplete();
    return request;
  }

  /**
   * Builds a request from a row object. Unknown and missing columns, wrong types and
   * out-of-range numbers are rejected with a {@link ValidationError}.
   */
  static fromRow<S extends Schema>(schema: S, row: NonNullable<S['__row']> | Row): Request<S> {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new ValidationError('invalid_row', `schema "${schema.name}": a row must be an object of column values`, { schema: schema.name });
    }
    const request = new Request(schema);
    for (const column in row) {
      request.set(column, (row as Record<string, unknown>)[column]);
    }
    request.assertComplete(); // fail now on missing columns, not after enqueue
    return request;
  }

  /** Sets a column to any value allowed by its declared type (or any {@link Value} when untyped). */
  set(column: string, value: unknown): this {
    const index = this.#index(column);
    this.#assertDeleteColumn(column);
    this.#slots[index] = checkValue(this.schema, column, this.schema.types?.[index], value);
    return this;
  }

  /** Sets a 32-bit signed integer. */
  setInt32(column: string, value: number): this {
    return this.#setAs(column, 'int32', value);
  }
  /** Sets a 64-bit signed integer: a bigint, or a number that is a safe integer. */
  setInt64(column: string, value: bigint | number): this {
    const index = this.#index(column);
    this.#assertDeleteColumn(column);
    this.#expect(index, column, 'int64');
    this.#slots[index] = checkInt64(this.schema, column, value);
    return this;
  }
  /** Sets a finite double. */
  setFloat64(column: string, value: number): this {
    return this.#setAs(column, 'float64', value);
  }
  /** Sets a string. */
  setString(column: string, value: string): this {
    return this.#setAs(column, 'string', value);
  }
  /** Sets a boolean. */
  setBool(column: string, value: boolean): this {
    return this.#setAs(column, 'bool', value);
  }
  /** Sets a timestamp (millisecond precision survives the queue). */
  setTime(column: string, value: Date): this {
    return this.#setAs(column, 'timestamp', value);
  }
  /** Sets raw bytes. */
  setBytes(column: string, value: Uint8Array): this {
    return this.#setAs(column, 'bytes', value);
  }
  /** Sets SQL NULL; rejected for columns declared non-nullable. */
  setNull(column: string): this {
    const index = this.#index(column);
    this.#slots[index] = checkValue(this.schema, column, this.schema.types?.[index], null);
    return this;
  }

  /** The value of a column (undefined when unset). */
  get(column: string): Value | undefined {
    const slot = this.#slots[this.#index(column)];
    return slot === UNSET ? undefined : slot;
  }
  getInt32(column: string): number {
    return this.#getAs(column, (v): v is number => typeof v === 'number' && Number.isInteger(v), 'an int32');
  }
  getInt64(column: string): bigint {
    const value = this.#getAs(column, (v): v is bigint | number => typeof v === 'bigint' || Number.isSafeInteger(v), 'an int64');
    return BigInt(value);
  }
  getFloat64(column: string): number {
    return this.#getAs(column, (v): v is number => typeof v === 'number', 'a float64');
  }
  getString(column: string): string {
    return this.#getAs(column, (v): v is string => typeof v === 'string', 'a string');
  }
  getBool(column: string): boolean {
    return this.#getAs(column, (v): v is boolean => typeof v === 'boolean', 'a boolean');
  }
  getTime(column: string): Date {
    return this.#getAs(column, (v): v is Date => v instanceof Date, 'a Date');
  }
  getBytes(column: string): Uint8Array {
    return this.#getAs(column, (v): v is Uint8Array => v instanceof Uint8Array, 'a Uint8Array');
  }
  /** True when the column was set to null. */
  isNull(column: string): boolean {
    return this.#slots[this.#index(column)] === null;
  }

  /**
   * All values in column order. Nullable typed columns (and a version column the producer stamps) left unset read as null;
   * any other unset column is a `missing_column` {@link ValidationError}.
   */
  get values(): readonly Value[] {
    return this.#complete();
  }

  #complete(): readonly Value[] {
    const slots = this.#slots;
    if (this.operation === 'delete') return this.#completeDelete();
    // The producer stamps this one at submit, so a request is complete without it.
    const stamped = stampedVersion(this.schema)?.index;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] !== UNSET) continue;
      const column = this.schema.columns[i] as string;
      if (this.schema.types?.[i]?.nullable || i === stamped) {
        slots[i] = null;
        continue;
      }
      throw new ValidationError('missing_column', `schema "${this.schema.name}": column "${column}" is missing`, {
        schema: this.schema.name,
        column,
      });
    }
    return slots as Value[];
  }

  /** A delete needs every key column, non-null (a null key names no row); the other columns read as null. */
  #completeDelete(): readonly Value[] {
    const slots = this.#slots;
    for (const column of deleteKeyColumns(this.schema)) {
      const slot = slots[this.schema.columnIndex.get(column) as number];
      if (slot === UNSET || slot === null) {
        throw new ValidationError('missing_column', `schema "${this.schema.name}": a delete needs key column "${column}"${slot === null ? ', not null' : ''}`, {
          schema: this.schema.name,
          column,
        });
      }
    }
    // A row-sourced version orders this delete against the key's writes: without it the delete could not be placed.
    const version = (this.schema as { readonly version?: { readonly column: string; readonly index: number; readonly source: string } }).version;
    if (version?.source === 'row') {
      const slot = slots[version.index];
      if (slot === UNSET || slot === null) {
        throw new ValidationError('missing_column', `schema "${this.schema.name}": a delete needs its version column "${version.column}" (versionSource 'row')`, {
          schema: this.schema.name,
          column: version.column,
        });
      }
    }
    for (let i = 0; i < slots.length; i++) if (slots[i] === UNSET) slots[i] = null;
    return slots as Value[];
  }

  /** A delete holds only key columns and the version column: anything else would be silently dropped, so it is refused. */
  #assertDeleteColumn(column: string): void {
    if (this.operation !== 'delete') return;
    const version = (this.schema as { readonly version?: { readonly column: string } }).version?.column;
    if (deleteKeyColumns(this.schema).includes(column) || column === version) return;
    throw new ValidationError('unknown_column', `schema "${this.schema.name}": a delete sets only key columns, not "${column}"`, {
      schema: this.schema.name,
      column,
    });
  }

  /** Throws a `missing_column` {@link ValidationError} unless every required column is set. */
  assertComplete(): void {
    this.#complete();
  }

  /** The request as a row object (column name to value). */
  toRow(): Record<string, Value> {
    const values = this.values;
    const row: Record<string, Value> = {};
    // A delete's row is its key (and version): its other columns were never set.
    this.schema.columns.forEach((column, i) => {
      if (this.operation !== 'delete' || values[i] !== null) row[column] = values[i] as Value;
    });
    return row;
  }

  #index(column: string): number {
    const index = this.schema.columnIndex.get(column);
    if (index === undefined) {
      throw new ValidationError('unknown_column', `schema "${this.schema.name}" has no column "${column}"`, {
        schema: this.schema.name,
        column,
      });
    }
    return index;
  }

  /** A typed setter on a column declared with another type is a wrong_type error. */
  #expect(index: number, column: string, base: string): void {
    const declared = this.schema.types?.[index];
    if (declared && declared.base !== base) {
      throw new ValidationError('wrong_type', `schema "${this.schema.name}", column "${column}": declared ${declared.base}, set as ${base}`, {
        schema: this.schema.name,
        column,
      });
    }
  }

  #setAs(column: string, base: 'int32' | 'float64' | 'string' | 'bool' | 'timestamp' | 'bytes', value: unknown): this {
    const index = this.#index(column);
    this.#assertDeleteColumn(column);
    this.#expect(index, column, base);
    this.#slots[index] = checkValue(this.schema, column, { base, nullable: false }, value);
    return this;
  }

  #getAs<T extends Value>(column: string, is: (v: Value) => v is T, expected: string): T {
    const value = this.get(column);
    if (value === undefined || !is(value)) {
      throw new ValidationError('wrong_type', `schema "${this.schema.name}", column "${column}": is not ${expected}`, {
        schema: this.schema.name,
        column,
      });
    }
    return value;
  }
}

