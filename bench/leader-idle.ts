/**
The lead at rest: CPU used by an idle, watching lead over a window (ours with OS notifications and with polling; the
older lead's 500 ms polls of an empty inbox and of one holding 1,000 read entries, as its inboxes are never pruned),
and the memory of our Leader before and after 1,000 requests left to a person (journaled and held).
*/

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Team, Worker } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import type { BenchContext } from './context.js';
import { stop } from './context.js';
import { queryUsage, type Usage } from './process-usage.js';
import type { SectionResult } from './results.js';
import { fixed } from './stats.js';

const MiB = 2 ** 20;

async function startOurs(ctx: BenchContext, polling: boolean) {
	const root = ctx.freshDir('idle-team');
	const team = await Team.create('bench', { root, members: [{ name: 'worker' }] });
	const child = ctx.fork(ctx.bundle.leader, [root, 'bench', polling ? '1' : '0']);
	await nextMessage(child, 'ready');
	return { team, child };
}

async function startOlder(ctx: BenchContext, readEntries: number) {
	const inboxes = path.join(ctx.freshDir('idle-older'), 'inboxes');
	mkdirSync(inboxes);
	const timestamp = new Date().toISOString();
	const history = Array.from({ length: readEntries }, (_, index) => ({
		from: 'worker',
		text: `an old message ${index}`,
		timestamp,
		read: true,
	}));
	writeFileSync(path.join(inboxes, 'team-lead.json'), JSON.stringify(history, null, 2));
	const child = ctx.fork(ctx.bundle.baselineLeader, [inboxes]);
	await nextMessage(child, 'ready');
	return child;
}

export async function leaderIdle(ctx: BenchContext): Promise<SectionResult> {
	const { idleMs, pendingRequests } = ctx.sizes;
	const ours = await startOurs(ctx, false);
	const polling = await startOurs(ctx, true);
	const idle = [
		{ label: 'swarm-mailbox Leader, OS notifications', child: ours.child },
		{ label: 'swarm-mailbox Leader, polling (network fs mode)', child: polling.child },
		{ label: 'older lead, 500 ms polls, empty inbox', child: await startOlder(ctx, 0) },
		{ label: 'older lead, 500 ms polls, 1,000 read entries', child: await startOlder(ctx, 1_000) },
	];
	const worker = new Worker(ours.team, { name: 'worker', timeoutMs: 600_000 });
	try {
		// Let start-up work (journal recovery, first scans, JIT) finish before the window opens.
		await sleep(1_000);
		const before = await Promise.all(idle.map(({ child }) => queryUsage(child)));
		await sleep(idleMs);
		const after = await Promise.all(idle.map(({ child }) => queryUsage(child)));
		for (const { child } of idle.slice(1)) await stop(child);

		await worker.ready();
		const reached = nextMessage(
			ours.child,
			(message) => message.kind === 'pending' && Number(message['count']) >= pendingRequests,
			300_000,
		);
		const asks = Array.from({ length: pendingRequests }, (_, index) =>
			worker.requestPermission({
				toolName: 'Write',
				toolUseId: `toolu_pending_${index}`,
				input: { file_path: `/tmp/bench/file-${index}.txt`, content: `line ${index}\n`.repeat(20) },
				description: `Write /tmp/bench/file-${index}.txt`,
			}),
		);
		await reached;
		const loaded = await queryUsage(ours.child);
		await worker.close();
		await Promise.all(asks);

		const idleRow = (index: number) => {
			const { label } = idle[index] as (typeof idle)[number];
			const start = before[index] as Usage;
			const end = after[index] as Usage;
			const perMinute = ((end.cpuMs - start.cpuMs) / idleMs) * 60_000;
			return [label, 'idle', fixed(perMinute, 1), fixed(end.rssBytes / MiB, 1), fixed(end.heapUsedBytes / MiB, 1)];
		};
		const idleOurs = after[0] as Usage;
		const delta = (bytes: number) => `${bytes >= 0 ? '+' : ''}${fixed(bytes / MiB, 1)}`;
		return {
			section: {
				title: '4. The lead at rest',
				intro: [
					`CPU (user + system) of each lead process over ${idleMs / 1000} s with nothing arriving, as ms of CPU per`,
					`minute; memory after a full collection. Then ${pendingRequests.toLocaleString('en')} requests for a tool the`,
					'policy leaves to a person are sent to our Leader, which journals each durably and holds it as a UI would.',
				].join(' '),
				headers: ['lead', 'state', 'CPU ms per minute', 'RSS MiB', 'heap used MiB'],
				rows: [
					...idle.map((_, index) => idleRow(index)),
					[
						'swarm-mailbox Leader, OS notifications',
						`${pendingRequests.toLocaleString('en')} pending`,
						'',
						`${fixed(loaded.rssBytes / MiB, 1)} (${delta(loaded.rssBytes - idleOurs.rssBytes)})`,
						`${fixed(loaded.heapUsedBytes / MiB, 1)} (${delta(loaded.heapUsedBytes - idleOurs.heapUsedBytes)})`,
					],
				],
				notes: [
					'Our idle lead still rescans its inbox every 5 s (a guard against missed notifications); the older lead reads and parses its whole inbox every 500 ms, so its idle cost grows with the inbox, which it never prunes.',
					'The older lead keeps pending requests in its UI queue, which this bench does not reproduce: no memory row for it.',
				],
			},
			goals: [],
		};
	} finally {
		await worker.close();
		for (const { child } of idle) await stop(child);
	}
}
