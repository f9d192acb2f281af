/**
Section 12: the Leader's `decide` function on the fast path against the policy. One forked lead answers three kinds of
Bash call: by its policy's rule, by a `decide` function at once, and by the same function after awaiting a 1 ms timer.
One worker (a pool child) asks the three in turn, request by request (the order rotates, so no kind always follows the
same other one), so all three share one process, one directory and the machine's conditions of the same moment.
*/

import { Team } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import type { AskResult, ChildCommand } from './child-commands.js';
import { type BenchContext, stop } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median, percentile } from './stats.js';

const modes = ['policy', 'decide', 'decide-async'] as const;
type Mode = (typeof modes)[number];

/** The command prefix the lead answers each way (bench/leader-process.ts). */
const prefixes: Record<Mode, string> = { policy: 'policy', decide: 'sync', 'decide-async': 'async' };
/** Three rotations of the three kinds: each kind follows each other one. */
const order: Mode[] = [
	'policy',
	'decide',
	'decide-async',
	'decide',
	'decide-async',
	'policy',
	'decide-async',
	'policy',
	'decide',
];

const labels: Record<Mode, string> = {
	policy: 'policy allows Bash',
	decide: '`decide` allows Bash (sync)',
	'decide-async': '`decide` awaits a 1 ms timer, then allows',
};

async function timerWaits(lead: ReturnType<BenchContext['fork']>): Promise<number[]> {
	const reply = nextMessage(lead, 'timer');
	lead.send({ kind: 'timer-query' });
	return (await reply)['waits'] as number[];
}

export async function deciderRoundTrips(ctx: BenchContext): Promise<SectionResult> {
	const count = ctx.quick ? 270 : 2_700;
	const root = ctx.freshDir('decider');
	await Team.create('bench', { root, members: [{ name: 'w0' }] });
	const lead = ctx.fork(ctx.bundle.leader, [root, 'bench', '0', 'decide']);
	const samples = new Map<Mode, number[]>(modes.map((mode) => [mode, []]));
	try {
		await nextMessage(lead, 'ready');
		const command: ChildCommand = {
			role: 'ask',
			impl: 'ours',
			root,
			team: 'bench',
			name: 'w0',
			count,
			polling: false,
			commands: order.map((mode) => prefixes[mode]),
		};
		const job = ctx.pool.job<AskResult>([command]);
		await job.prepared;
		const [result] = await job.go();
		if (!result || result.samples.length !== count) {
			ctx.fail(`decider: ${result?.unanswered ?? count} unanswered, refused: ${result?.refused[0]}`);
		}
		(result?.samples ?? []).forEach((sample, index) => {
			samples.get(order[index % order.length] as Mode)?.push(sample);
		});
		const waits = await timerWaits(lead);
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
					'a `decide` function that answers at once, and by one that awaits a 1 ms timer first. One lead answers all',
					`three; the worker asks ${count} times, the three kinds in turn, request by request.`,
				].join(' '),
				headers: ['answered by', 'requests', 'p50 ms', 'p99 ms', 'p50 ÷ policy'],
				rows: modes.map(row),
				notes: [
					`The 1 ms timer's own wait inside \`decide\`, as measured there: p50 ${fixed(timerP50)} ms (${waits.length} waits).`,
					'A `decide` answer goes the policy way: journaled and claimed in one step, with no record for a person first.',
					'While an asynchronous `decide` waits, the lead writes and flushes the claim of a plain allow ahead, so an allow then costs only its links (docs/architecture.md).',
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
		await stop(lead);
	}
}
