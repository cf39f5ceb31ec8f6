// TLS failures are the sink's, never the rows': a PostgreSQL endpoint whose certificate the client
// must reject (self-signed, for another host, or expired) holds the batch with reason `auth` and the TLS
// code, dead-letters nothing, and opens the breaker. The endpoint is a real TLS server on loopback
// that answers PostgreSQL's SSLRequest ('S') and then presents the certificate.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * A CA and a leaf for localhost signed by it that expired in January 2020 (`openssl ca` with
 * explicit dates: `openssl req` cannot backdate a certificate).
 */
function expiredCertificate(): { key: string; cert: string; ca: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bf-tls-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  try {
    mkdirSync(join(dir, 'newcerts'));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), [
      '[ ca ]', 'default_ca = CA_default', '[ CA_default ]', 'dir = .', 'database = ./index.txt', 'new_certs_dir = ./newcerts',
      'serial = ./serial', 'default_md = sha256', 'policy = policy_any', 'copy_extensions = copy', '[ policy_any ]', 'commonName = supplied', '',
    ].join('\n'));
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=BatchFlow test CA');
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost');
    run('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'leaf.csr', '-out', 'leaf.pem', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z');
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    return { key: read('leaf.key'), cert: read('leaf.pem'), ca: read('ca.pem') };
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

  it('a self-signed, a wrong-host and an expired certificate are auth failures with their TLS code', async () => {
    const self = certificate('localhost');
    const selfPort = await tlsEndpoint(self.key, self.cert);
    const selfSigned = new PostgresDriver({ pool: tlsPool(selfPort, { rejectUnauthorized: true }) });
    expect(await driverError(selfSigned, schema)).toMatchObject({ reason: 'auth', sinkCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });

    const other = certificate('db.example.test');
    const otherPort = await tlsEndpoint(other.key, other.cert);
    // The CA is trusted, but the certificate names another host.
    const wrongHost = new PostgresDriver({ pool: tlsPool(otherPort, { ca: other.cert, rejectUnauthorized: true }) });
    expect(await driverError(wrongHost, schema)).toMatchObject({ reason: 'auth', sinkCode: 'ERR_TLS_CERT_ALTNAME_INVALID' });

    // Signed by a trusted CA, for the right host, but expired.
    const expired = expiredCertificate();
    const expiredPort = await tlsEndpoint(expired.key, expired.cert);
    const lapsed = new PostgresDriver({ pool: tlsPool(expiredPort, { ca: expired.ca, rejectUnauthorized: true }) });
    expect(await driverError(lapsed, schema)).toMatchObject({ reason: 'auth', sinkCode: 'CERT_HAS_EXPIRED' });
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
