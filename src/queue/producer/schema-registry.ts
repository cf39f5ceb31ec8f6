import type { Schema } from '../../core/schema.js';
import { SchemaDefinitionError } from '../../errors/schema-definition-error.js';
import { ValidationError } from '../../errors/validation-error.js';

/** Schemas by name; rejects duplicates at construction and unknown names at lookup. */
export class SchemaRegistry {
  readonly #byName = new Map<string, Schema>();
  /** Schema objects already found equal to a registered one: the column comparison runs once per object, not per submit. */
  readonly #lookAlikes = new WeakSet<Schema>();

  constructor(schemas: readonly Schema[]) {
    for (const schema of schemas) {
      if (this.#byName.has(schema.name)) throw new SchemaDefinitionError(`schema "${schema.name}" is registered twice`);
      this.#byName.set(schema.name, schema);
    }
  }

  /** Every registered schema. */
  get all(): Schema[] {
    return [...this.#byName.values()];
  }

  /**
   * Resolves a schema object or name to the registered schema. A schema object must be the
   * registered one (same name and columns): submitting a look-alike is an error, not a guess.
   */
  resolve(schema: Schema | string): Schema {
    const name = typeof schema === 'string' ? schema : schema.name;
    const found = this.#byName.get(name);
    if (!found || (typeof schema !== 'string' && found !== schema && !this.#isLookAlike(found, schema))) {
      throw new ValidationError('unknown_schema', `unknown schema ${JSON.stringify(name)}; registered: ${[...this.#byName.keys()].join(', ') || 'none'}`, {
        schema: name,
      });
    }
    return found;
  }

  #isLookAlike(found: Schema, schema: Schema): boolean {
    if (this.#lookAlikes.has(schema)) return true;
    if (found.columns.join() !== schema.columns.join()) return false;
    this.#lookAlikes.add(schema);
    return true;
  }
}
