// TLS failures are the sink's, never the rows': a PostgreSQL endpoint whose certificate the client
// must reject (self-signed, or for another host) holds the batch with reason `auth` and the TLS
// code, dead-letters nothing, and opens the breaker. The endpoint is a real TLS server on loopback
// that answers PostgreSQL's SSLRequest ('S') and then presents the certificate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { BatchConsumer, PostgresDriver, Producer, SQLSchema, SinkError } from '../../src/index.js';
import { useCleanups } from '../helpers/cleanups.js';
import { REDIS_URL, deletePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const defer = useCleanups();

/** A certificate made with the openssl CLI: self-signed for `cn`. */
function certificate(cn: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bf-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Answers the SSLRequest with 'S', then speaks TLS with `key`/`cert` (and nothing else). */
async function tlsEndpoint(key: string, cert: string): Promise<number> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write('S');
      const tls = new TLSSocket(socket, { isServer: true, key, cert });
      tls.on('error', () => {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

/** A user's pool over TLS to `port`; ended after the test. */
function tlsPool(port: number, ssl: { rejectUnauthorized: boolean; ca?: string }): pg.Pool {
  const pool = new pg.Pool({ host: 'localhost', port, user: 'u', database: 'd', ssl, connectionTimeoutMillis: 3000 });
  pool.on('error', () => {});
  defer(() => pool.end());
  return pool;
}

async function driverError(driver: PostgresDriver, schema: ReturnType<typeof SQLSchema>): Promise<SinkError> {
  const { Request } = await import('../../src/index.js');
  const err = await driver.execute(schema, [Request.fromRow(schema, { id: 1n, name: 'x' })]).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SinkError);
  return err as SinkError;
}

describe('TLS faults (real TLS handshakes)', () => {
  const schema = SQLSchema('tls_events', 'update', { id: 'int64', name: 'string' });

  it('a self-signed certificate and a certificate for another host are auth failures with their TLS code', async () => {
    const self = certificate('localhost');
    const selfPort = await tlsEndpoint(self.key, self.cert);
    const selfSigned = new PostgresDriver({ pool: tlsPool(selfPort, { rejectUnauthorized: true }) });
    expect(await driverError(selfSigned, schema)).toMatchObject({ reason: 'auth', sinkCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });

    const other = certificate('db.example.test');
    const otherPort = await tlsEndpoint(other.key, other.cert);
    // The CA is trusted, but the certificate names another host.
    const wrongHost = new PostgresDriver({ pool: tlsPool(otherPort, { ca: other.cert, rejectUnauthorized: true }) });
    expect(await driverError(wrongHost, schema)).toMatchObject({ reason: 'auth', sinkCode: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('through a consumer: the rows are held with the breaker open (auth), nothing is dead-lettered', async () => {
    const self = certificate('localhost');
    const port = await tlsEndpoint(self.key, self.cert);
    const driver = new PostgresDriver({ pool: tlsPool(port, { rejectUnauthorized: true }) });
    const prefix = uniquePrefix('tls');
    const producer = new Producer({ connection: REDIS_URL, schemas: [schema], prefix });
    const consumer = new BatchConsumer({ connection: REDIS_URL, schema, executor: driver, prefix, flushSize: 50, flushIntervalMs: 50, retryBaseMs: 10, retryMaxMs: 50 });
    defer(async () => {
      await producer.close();
      await consumer.close();
      await deletePrefix(prefix);
    });
    const states: string[] = [];
    consumer.on('breaker', ({ state, reason, errorCode }) => states.push(`${state}:${reason}:${errorCode}`));
    await producer.submitMany(schema, Array.from({ length: 20 }, (_, i) => ({ id: BigInt(i), name: `r${i}` })));
    expect(await waitFor(() => states.includes('open:auth:DEPTH_ZERO_SELF_SIGNED_CERT'), 20_000)).toBe(true);
    expect(await consumer.dlq.count()).toBe(0);
  });
});
