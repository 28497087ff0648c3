// Serves the built web console (dist/console, made by scripts/build-console.ts) under /ui/.
// The console is static files calling /v1 on the same origin; hash routes (#/runs/…) mean
// every page is index.html and the server needs no fallback route.
import express, { type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Nothing but our own files: no inline script, no other origin (the console makes no request
 * to the internet), not framable (clickjacking of the approve and restore buttons).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export function consoleStatic(dir: string): express.Handler {
  if (!existsSync(join(dir, 'index.html'))) throw new Error(`the web console is not built in ${dir}: run scripts/build.sh`);
  return express.static(dir, {
    index: 'index.html',
    fallthrough: true,
    setHeaders(res: Response, path: string) {
      res.set('content-security-policy', CONSOLE_CSP);
      res.set('x-content-type-options', 'nosniff');
      res.set('referrer-policy', 'no-referrer');
      // Assets carry a content hash in their names: cached for good. index.html is asked
      // again each time so a new build is picked up at the next load.
      res.set('cache-control', /\/assets\//.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
