import net from 'node:net';

/** A running {@link startDelayProxy}: where to connect instead of the server, and how to stop it. */
export interface DelayProxy {
  /** The loopback port the proxy listens on. */
  readonly port: number;
  /** Closes the listener and every connection through it. */
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy in front of `host:port` that holds every chunk it reads for `delayMs`
 * before passing it on, in each direction: a database `2 × delayMs` of round trip away (a
 * managed database across a network), on one host. Chunks leave in the order they came, each
 * `delayMs` after its arrival, so a client that sends several statements without waiting pays
 * the delay once, as it would on a real link; one that waits for each reply pays it every time.
 * Bandwidth is not limited: only latency is added.
 */
export async function startDelayProxy(target: { host: string; port: number }, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    // Half-open on both sides: an end is passed on after the data before it, delayed like it.
    const upstream = net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    delayed(client, upstream, delayMs);
    delayed(upstream, client, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Copies `from` into `to`, each chunk `delayMs` after it arrived, in arrival order; ends `to` after the last. */
function delayed(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: Array<{ dueMs: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    // Every chunk whose time has come, oldest first (due times only grow, so the head decides).
    while (queue.length > 0 && (queue[0]?.dueMs ?? Infinity) <= now) {
      const { chunk } = queue.shift() as { chunk: Buffer | null };
      if (to.destroyed) continue; // an error on either side destroyed both
      if (chunk === null) to.end();
      else to.write(chunk);
    }
    schedule();
  };
  const schedule = (): void => {
    const head = queue[0];
    if (timer || !head) return;
    timer = setTimeout(flush, Math.max(0, head.dueMs - performance.now()));
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ dueMs: performance.now() + delayMs, chunk });
    schedule();
  });
  from.on('end', () => {
    queue.push({ dueMs: performance.now() + delayMs, chunk: null });
    schedule();
  });
}
