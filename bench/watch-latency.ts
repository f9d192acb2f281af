/**
Send → watcher latency across processes: a forked pinger sends messages 3 ms apart, and a watcher in this process
notes when each arrives, with OS notifications and with polling. Ours only: the older path has no watcher (its
readers poll every 500 or 1000 ms).
*/

import path from 'node:path';
import { Inbox, type InboxEntry } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import { type BenchContext, stop } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median, percentile } from './stats.js';

async function watcherLatency(ctx: BenchContext, polling: boolean) {
	const count = ctx.sizes.watcherMessages;
	const file = path.join(ctx.freshDir('watch'), 'team-lead.json');
	const inbox = new Inbox(file);
	const watcher = inbox.watch({ polling, rescanIntervalMs: 0 });
	await watcher.ready();
	const child = ctx.fork(ctx.bundle.pinger, [file, String(count), '3']);
	const sent = new Map<number, { started: number; resolved: number }>();
	child.on('message', (message: { kind: string; index: number; started: number; resolved: number }) => {
		if (message.kind === 'sent') sent.set(message.index, message);
	});
	try {
		await nextMessage(child, 'ready');
		const done = nextMessage(child, 'done', 120_000);
		child.send('go');
		const yielded = new Map<number, number>();
		let unacked: InboxEntry[] = [];
		for await (const entry of watcher) {
			yielded.set(Number(entry.text), performance.timeOrigin + performance.now());
			unacked.push(entry);
			// Ack only what was yielded: acking all that `read()` returns would remove entries the watcher has not seen.
			if (unacked.length === 20) {
				await inbox.ack(unacked);
				unacked = [];
			}
			if (yielded.size === count) break;
		}
		await done;
		const fromResolve: number[] = [];
		const fromStart: number[] = [];
		for (const [index, at] of yielded) {
			const times = sent.get(index);
			if (!times) continue;
			fromResolve.push(at - times.resolved);
			fromStart.push(at - times.started);
		}
		if (yielded.size !== count)
			ctx.fail(`watcher (${polling ? 'polling' : 'notifications'}): ${yielded.size}/${count}`);
		return { fromResolve, fromStart };
	} finally {
		await watcher.close();
		await stop(child);
	}
}

export async function watchLatency(ctx: BenchContext): Promise<SectionResult> {
	const rows = [];
	for (const polling of [false, true]) {
		const { fromResolve, fromStart } = await watcherLatency(ctx, polling);
		rows.push([
			polling ? 'polling (network fs mode)' : 'OS notifications',
			fromStart.length,
			fixed(median(fromStart)),
			fixed(percentile(fromStart, 0.99)),
			fixed(median(fromResolve)),
			fixed(percentile(fromResolve, 0.99)),
		]);
	}
	return {
		section: {
			title: '6. Send → watcher latency across processes',
			intro: [
				'A forked process sends messages 3 ms apart into one inbox; a watcher in another process yields each.',
				'Ms from the moment `send()` was called ("from start") and from the moment it resolved ("from resolve").',
			].join(' '),
			headers: ['watcher', 'messages', 'from start p50', 'from start p99', 'from resolve p50', 'from resolve p99'],
			rows,
			notes: [
				'"From resolve" can be negative: the watcher sees the rename before `send()` finishes its directory fsync.',
			],
		},
		goals: [],
	};
}
