// Browsing a snapshot without restoring it: list one directory (paged) or stream one file.
// The API runs restic itself (`ls`, `dump`, both without a repository lock).
import type { SnapshotEntry } from '../../contract/engine';
import { InputError, NotFoundError } from '../../contract/errors';
import { normalizeAbsolute } from '../../activities/shared/restore-target';
import { openRepository } from '../../activities/server/repository-access';
import { handler } from '../context';
import { findSnapshot } from './restore';
import { contentDisposition, contentTypeFor } from './content-type';

/** Names in restic's order (Go compares bytes), so pages follow the tree's own order. */
const byName = (a: SnapshotEntry, b: SnapshotEntry) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));

/** The cursor is opaque to clients: the last name of the previous page. */
export function encodeCursor(name: string): string {
  return Buffer.from(JSON.stringify({ after: name })).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed && typeof parsed.after === 'string') return parsed.after;
  } catch {
    /* fall through */
  }
  throw new InputError('cursor is not one this API returned');
}

export function page(entries: SnapshotEntry[], limit: number, cursor?: string): { entries: SnapshotEntry[]; nextCursor: string | null } {
  const sorted = [...entries].sort(byName);
  const after = cursor === undefined ? null : Buffer.from(decodeCursor(cursor));
  const rest = after === null ? sorted : sorted.filter((e) => Buffer.compare(Buffer.from(e.name), after) > 0);
  const items = rest.slice(0, limit);
  return { entries: items, nextCursor: rest.length > limit ? encodeCursor(items.at(-1)!.name) : null };
}

export const getSnapshotTree = handler('getSnapshotTree', async (ctx, { params, query }) => {
  const snapshot = await findSnapshot(ctx, params.id);
  const path = normalizeAbsolute(query.path ?? '/', 'path');
  const repo = await openRepository(ctx.catalog, ctx.secrets, snapshot.repositoryId);
  const listing = await ctx.engine.listDirectory(repo, snapshot.id, path);
  if (!listing) throw new NotFoundError(`${path} not found in snapshot ${snapshot.id.slice(0, 8)}`);
  if (listing.node && listing.node.type !== 'dir') throw new InputError(`${path} is a ${listing.node.type}, not a directory: read files with /file`);
  const p = page(listing.children, query.limit, query.cursor);
  return { status: 200, body: { snapshotId: snapshot.id, path, ...p } };
});

export const getSnapshotFile = handler('getSnapshotFile', async (ctx, { params, query }) => {
  const snapshot = await findSnapshot(ctx, params.id);
  const path = normalizeAbsolute(query.path, 'path');
  if (path === '/') throw new InputError('/ is a directory, not a file');
  const repo = await openRepository(ctx.catalog, ctx.secrets, snapshot.repositoryId);
  // ls first: the entry gives the Content-Length, and a directory or a missing path becomes
  // a proper 400/404 before any byte is sent.
  const listing = await ctx.engine.listDirectory(repo, snapshot.id, path);
  const node = listing?.node;
  if (!node) throw new NotFoundError(`${path} not found in snapshot ${snapshot.id.slice(0, 8)}`);
  if (node.type !== 'file') throw new InputError(`${path} is a ${node.type}, not a regular file`);
  return {
    status: 200,
    body: null,
    headers: {
      'content-type': contentTypeFor(node.name),
      'content-length': String(node.size ?? 0),
      'content-disposition': contentDisposition(node.name),
      ...(node.mtime ? { 'last-modified': new Date(node.mtime).toUTCString() } : {}),
    },
    stream: (out, signal) => ctx.engine.dumpFile(repo, snapshot.id, path, out, signal),
  };
});
