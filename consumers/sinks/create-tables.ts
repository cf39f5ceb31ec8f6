import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SinkConfig } from '../../src/config/config-schema.js';
import { isSQLSchema, type Schema } from '../../src/core/schema.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { buildCreateTable } from './table-ddl.js';

/**
 * Creates the tables of `schemas` on one sink if they are missing, over a short-lived
 * connection of its own (the driver's pool is for batches). Also creates a SQLite file's
 * directory, so the demo's `./data/batchflow.sqlite` works in an empty working directory.
 */
export async function createTables(sinkName: string, sink: SinkConfig, schemas: readonly Schema[]): Promise<void> {
  if (sink.type === 'sqlite' && sink.filename !== ':memory:') mkdirSync(dirname(sink.filename), { recursive: true });
  if (schemas.length === 0) return;
  const statements = schemas.map((schema) => {
    if (!isSQLSchema(schema) || sink.type === 'redis') throw new ConfigError(`sinks.${sinkName}`, `cannot create a table for schema "${schema.name}" on a ${sink.type} sink`);
    return buildCreateTable(schema, sink.type, sink.type === 'sqlite' ? { sqliteTimestamp: sink.timestampFormat ?? 'iso' } : {});
  });
  switch (sink.type) {
    case 'sqlite': {
      const db = new Database(sink.filename);
      try {
        for (const sql of statements) db.exec(sql);
      } finally {
        db.close();
      }
      return;
    }
    case 'postgres': {
      const client = new pg.Client({ connectionString: sink.url });
      await client.connect();
      try {
        for (const sql of statements) await client.query(sql);
      } finally {
        await client.end();
      }
      return;
    }
    case 'mysql': {
      const connection = await mysql.createConnection(sink.url);
      try {
        for (const sql of statements) await connection.query(sql);
      } finally {
        await connection.end();
      }
      return;
    }
  }
}
