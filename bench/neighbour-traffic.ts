/**
What a watching lead pays for traffic it does not receive: one teammate process sends messages into another
teammate's inbox, in the same `inboxes/` directory as the lead's, while a forked lead watches; a lead of another team
watches over the same window as a control. Every Worker and Leader of a team watches that one directory, so this
cost is paid by each of them for each write next door.
*/

import { Team } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import type { ChildCommand, WriteResult } from './child-commands.js';
import { type BenchContext, stop } from './context.js';
import { queryUsage } from './process-usage.js';
import type { SectionResult } from './results.js';
import { fixed } from './stats.js';

async function startLeader(ctx: BenchContext) {
	const root = ctx.freshDir('neighbour-team');
	const team = await Team.create('bench', { root, members: [{ name: 'w0' }, { name: 'w1' }] });
	const child = ctx.fork(ctx.bundle.leader, [root, 'bench', '0']);
	await nextMessage(child, 'ready');
	return { team, child };
}

export async function neighbourTraffic(ctx: BenchContext): Promise<SectionResult> {
	const sends = ctx.sizes.neighbourSends;
	const same = await startLeader(ctx);
	const other = await startLeader(ctx);
	try {
		const command: ChildCommand = {
			role: 'write',
			impl: 'ours',
			file: same.team.inbox('w1').path,
			writerId: 0,
			count: sends,
		};
		const job = ctx.pool.job<WriteResult>([command]);
		await job.prepared;
		const before = await Promise.all([queryUsage(same.child), queryUsage(other.child)]);
		const started = performance.now();
		const [result] = await job.go();
		const elapsedMs = performance.now() - started;
		const after = await Promise.all([queryUsage(same.child), queryUsage(other.child)]);
		if (result?.failed.length) ctx.fail(`neighbour traffic: ${result.failed.length} sends failed`);
		const row = (label: string, index: number) => {
			const cpuMs = (after[index]?.cpuMs ?? Number.NaN) - (before[index]?.cpuMs ?? Number.NaN);
			return [label, sends, fixed(elapsedMs / 1000, 1), fixed(cpuMs, 0), fixed(cpuMs / sends, 2)];
		};
		return {
			section: {
				title: '7. A watching lead, while teammates exchange messages',
				intro: [
					`A teammate process sends ${sends} messages one after another to another teammate; the lead receives none`,
					'of them. CPU (user + system) of a forked Leader over that window: one in the same team, whose inbox sits in',
					'the same `inboxes/` directory, and one of another team as a control.',
				].join(' '),
				headers: ['lead', 'sends next door', 'window s', 'lead CPU ms', 'lead CPU ms per send'],
				rows: [row('Leader, same team', 0), row('Leader, another team (control)', 1)],
				notes: [
					'Every Worker watches the same directory too, so with N teammates busy at once this cost is paid N times per write: it grows as N² (compare section 1 with 16 workers).',
				],
			},
			goals: [],
		};
	} finally {
		await stop(same.child);
		await stop(other.child);
	}
}
