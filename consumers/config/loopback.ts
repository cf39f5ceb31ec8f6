import { isIP } from 'node:net';

/**
 * True when `host` only accepts connections from this machine: `localhost`, 127.0.0.0/8 or
 * `::1`. Wildcards (`0.0.0.0`, `::`) and every other address are reachable from elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}
