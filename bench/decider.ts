/**
Section 12: the Leader's `decide` function on the fast path against the policy. Three forked leads, each on its own
team: one whose policy allows Bash, one whose `decide` allows it at once, one whose `decide` awaits a 1 ms timer
first. One worker (a pool child) asks each in turn, a block of round trips at a time, the three interleaved over
several rounds, so all three share the machine's conditions.
*/

import type { ChildProcess } from 'node:child_process';
import { Team } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import type { AskResult, ChildCommand } from './child-commands.js';
import { type BenchContext, stop } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median, percentile } from './stats.js';

const modes = ['policy', 'decide', 'decide-async'] as const;
type Mode = (typeof modes)[number];

const labels: Record<Mode, string> = {
	policy: 'policy allows Bash',
	decide: '`decide` allows Bash (sync)',
	'decide-async': '`decide` awaits a 1 ms timer, then allows',
};

async function timerWaits(lead: ChildProcess): Promise<number[]> {
	const reply = nextMessage(lead, 'timer');
	lead.send({ kind: 'timer-query' });
	return (await reply)['waits'] as number[];
}

export async function deciderRoundTrips(ctx: BenchContext): Promise<SectionResult> {
	const rounds = ctx.quick ? 3 : 10;
	const perBlock = ctx.quick ? 30 : 100;
	const leads = new Map<Mode, { root: string; child: ChildProcess }>();
	const samples = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
	try {
		for (const mode of modes) {
			const root = ctx.freshDir(`decider-${mode}`);
			await Team.create('bench', { root, members: [{ name: 'w0' }] });
			const child = ctx.fork(ctx.bundle.leader, [root, 'bench', '0', mode]);
			await nextMessage(child, 'ready');
			leads.set(mode, { root, child });
		}
		for (let round = 0; round < rounds; round++) {
			// A different order each round, so no mode always runs right after the same other one.
			const order = modes.map((_, index) => modes[(index + round) % modes.length] as Mode);
			for (const mode of order) {
				const { root } = leads.get(mode) as { root: string };
				const command: ChildCommand = {
					role: 'ask',
					impl: 'ours',
					root,
					team: 'bench',
					name: 'w0',
					count: perBlock,
					polling: false,
				};
				const job = ctx.pool.job<AskResult>([command]);
				await job.prepared;
				const [result] = await job.go();
				if (!result || result.unanswered > 0 || result.refused.length > 0) {
					ctx.fail(`decider (${mode}): ${result?.unanswered ?? perBlock} unanswered, refused: ${result?.refused[0]}`);
				}
				samples.get(mode)?.push(...(result?.samples ?? []));
			}
		}
		const waits = await timerWaits((leads.get('decide-async') as { child: ChildProcess }).child);
		const p50 = (mode: Mode) => median(samples.get(mode) ?? []);
		const decideRatio = p50('decide') / p50('policy');
		const asyncExtra = p50('decide-async') - p50('decide');
		const timerP50 = median(waits);
		const row = (mode: Mode) => [
			labels[mode],
			samples.get(mode)?.length ?? 0,
			fixed(p50(mode)),
			fixed(percentile(samples.get(mode) ?? [], 0.99)),
			mode === 'policy' ? '' : `${fixed(p50(mode) / p50('policy'))}×`,
		];
		return {
			section: {
				title: '12. Decide in code on the fast path',
				intro: [
					'Permission round trips (1 worker, one ask after another) answered by a forked Leader: by its policy, by',
					'a `decide` function that answers at once, and by one that awaits a 1 ms timer first. The three leads run',
					`side by side; the worker asks each in blocks of ${perBlock}, interleaved over ${rounds} rounds.`,
				].join(' '),
				headers: ['answered by', 'requests', 'p50 ms', 'p99 ms', 'p50 ÷ policy'],
				rows: modes.map(row),
				notes: [
					`The 1 ms timer's own wait inside \`decide\`, as measured there: p50 ${fixed(timerP50)} ms (${waits.length} waits).`,
					'A `decide` answer goes the policy way: journaled and claimed in one step, with no record for a person first.',
				],
			},
			goals: [
				{
					goal: 'round trip through `decide` within 1.2× of the policy path (p50, interleaved)',
					measured: `${fixed(decideRatio)}×`,
					met: decideRatio <= 1.2,
				},
				{
					goal: 'an async `decide` awaiting a 1 ms timer adds no more than that timer (p50 vs sync `decide`)',
					measured: `${asyncExtra < 0 ? '−' : '+'}${fixed(Math.abs(asyncExtra))} ms (timer p50 ${fixed(timerP50)} ms)`,
					met: asyncExtra <= Math.max(1, timerP50),
				},
			],
		};
	} finally {
		for (const { child } of leads.values()) await stop(child);
	}
}
