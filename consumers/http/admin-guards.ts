import type { RequestHandler } from 'express';

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * In read-only mode, refuses every state-changing request (405). Bull Board already refuses
 * per queue; this also covers board-wide routes and anything a later Bull Board version adds.
 */
export function readOnlyGuard(): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    res.setHeader('Allow', 'GET, HEAD');
    res.status(405).json({ error: 'read-only: admin actions are disabled' });
  };
}

/**
 * Refuses state-changing requests sent by another site. A browser re-sends cached Basic
 * credentials with any request to this origin, so without this a page elsewhere could make
 * the logged-in admin's browser retry or purge DLQ entries (CSRF).
 */
export function sameOriginGuard(): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const crossSite = (site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !sameHost(origin, req.headers.host));
    if (!crossSite) return next();
    res.status(403).json({ error: 'cross-origin admin requests are refused' });
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
