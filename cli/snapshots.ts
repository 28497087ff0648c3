// `backstop snapshots list|ls|cat`: what the catalog holds and what is inside a snapshot.
// Restores and mounts register their own `snapshots …` commands (restore.ts, snapshot-mount.ts).
import type { Command } from 'commander';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ApiSnapshot } from '../core/api-client';
import type { components } from '../contract/generated/api-schema';
import { covers, positiveInt, printLines, showTable, type CliContext } from './command-kit';
import { formatBytes, relativeTime, shortId } from './format';

type TreeEntry = components['schemas']['SnapshotTree']['entries'][number];

/** One `ls -l`-like line of a snapshot directory. */
export function treeLine(e: TreeEntry): string {
  return `${e.permissions.padEnd(11)} ${String(e.size ?? '').padStart(12)} ${(e.mtime ?? '').padEnd(30)}  ${e.name}${e.type === 'dir' ? '/' : ''}`;
}

export function registerSnapshots(snapshots: Command, ctx: CliContext): void {
  covers(
    snapshots
      .command('list')
      .description('snapshots in the catalog, newest first')
      .option('--job <id>', 'snapshots of one job', positiveInt)
      .option('--limit <n>', 'at most n snapshots', positiveInt)
      .action(async (o: { job?: number; limit?: number }) => {
        const q = new URLSearchParams();
        if (o.job) q.set('jobId', String(o.job));
        if (o.limit) q.set('limit', String(o.limit));
        const answer = await ctx.api().request<{ items: ApiSnapshot[] }>('GET', `/v1/snapshots${q.size ? `?${q}` : ''}`);
        const now = ctx.now();
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (s) => shortId(s.id) },
          { header: 'job', value: (s) => s.jobId, right: true },
          { header: 'repo', value: (s) => s.repositoryId, right: true },
          { header: 'time', value: (s) => relativeTime(s.time, now) },
          { header: 'host', value: (s) => s.hostname },
          { header: 'paths', value: (s) => s.paths.join(' ') },
        ]);
      }),
    'listSnapshots',
  );

  covers(
    snapshots
      .command('ls')
      .description('list one directory of a snapshot')
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .argument('[path]', 'directory in the snapshot', '/')
      .action(async (id: string, path: string) => {
        const api = ctx.api();
        let cursor: string | undefined;
        const pages: Array<components['schemas']['SnapshotTree']> = [];
        do {
          const page = await api.snapshotTree(id, { path, limit: 1000, cursor });
          pages.push(page);
          if (!ctx.json()) printLines(ctx, page.entries.map(treeLine));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        // --json: the API's pages, one JSON document per page (a big directory has several).
        if (ctx.json()) for (const p of pages) ctx.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
      }),
    'getSnapshotTree',
  );

  covers(
    snapshots
      .command('cat')
      .description("write one file of a snapshot to stdout (or --output), byte for byte")
      .argument('<id>', 'snapshot id (or a unique prefix)')
      .argument('<path>', 'file in the snapshot')
      .option('--output <file>', 'write to this file instead of stdout')
      .action(async (id: string, path: string, o: { output?: string }) => {
        const res = await ctx.api().snapshotFile(id, path);
        const { createWriteStream } = await import('node:fs');
        const sink = o.output ? createWriteStream(o.output) : process.stdout;
        await pipeline(Readable.fromWeb(res.body as never), sink, { end: Boolean(o.output) });
        if (o.output && !ctx.json()) process.stderr.write(`${formatBytes(Number(res.headers.get('content-length') ?? 0))} written to ${o.output}\n`);
      }),
    'getSnapshotFile',
  );
}
