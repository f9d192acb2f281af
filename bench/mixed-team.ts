/**
A mixed team: Claude Code-style writers and ours sending into one inbox at once. Claude Code's writers try the lock 10
times over about 655 ms (5, 10, 20, 40, 80, then 100 ms: the older path's schedule, unchanged in 2.1.330) and then
drop the message, so a neighbour that grabs the lock more eagerly than they do costs them messages. Each level runs a
team of 2N Claude Code-style writers ("among themselves") and a team of N of theirs plus N of ours, interleaved, and
compares the Claude Code-style writers' loss rate in the two. Every writer process is started and prepared before
the clock starts; each writer sends its messages one after another.
*/

import path from 'node:path';
import type { ChildCommand, Implementation, WriteResult } from './child-commands.js';
import { landedTexts } from './contention.js';
import type { BenchContext } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median } from './stats.js';

interface MixedRun {
	/** Claude Code-style messages that are not in the file, and how many were sent. */
	theirsLost: number;
	theirsSent: number;
	/** Ours that are not in the file, or that rejected (neither may happen). */
	oursLost: number;
	oursFailed: number;
	/** Messages found ÷ wall time, per second. */
	rate: number;
}

async function runTeam(ctx: BenchContext, team: Implementation[], count: number, tag: string): Promise<MixedRun> {
	const file = path.join(ctx.freshDir(`mixed-${tag}`), 'team-lead.json');
	const commands = team.map((impl, writerId): ChildCommand => ({ role: 'write', impl, file, writerId, count }));
	const job = ctx.pool.job<WriteResult>(commands);
	await job.prepared;
	const started = performance.now();
	const results = await job.go();
	const elapsedMs = performance.now() - started;
	const { texts } = landedTexts(file);
	const run: MixedRun = {
		theirsLost: 0,
		theirsSent: 0,
		oursLost: 0,
		oursFailed: 0,
		rate: (texts.size / elapsedMs) * 1000,
	};
	team.forEach((impl, writerId) => {
		for (let index = 0; index < count; index++) {
			const missing = !texts.has(`${writerId}:${index}`);
			if (impl === 'baseline') {
				run.theirsSent++;
				if (missing) run.theirsLost++;
			} else if (missing) run.oursLost++;
		}
		if (impl === 'ours') run.oursFailed += results[writerId]?.failed.length ?? 0;
	});
	return run;
}

const percent = (lost: number, sent: number) => (sent === 0 ? 0 : (lost / sent) * 100);

export async function mixedTeam(ctx: BenchContext): Promise<SectionResult> {
	const levels = ctx.quick ? [16] : [8, 16];
	const rounds = ctx.quick ? 1 : 5;
	const count = ctx.quick ? 20 : 30;
	const among: Map<number, MixedRun[]> = new Map();
	const mixed: Map<number, MixedRun[]> = new Map();
	for (let round = 0; round < rounds; round++) {
		for (const n of levels) {
			const theirs = Array.from({ length: 2 * n }, (): Implementation => 'baseline');
			// Alternate who starts first, so neither team always gets the machine's calmer moment.
			const teams: [Map<number, MixedRun[]>, Implementation[]][] = [
				[among, theirs],
				[mixed, theirs.map((impl, i) => (i % 2 === 0 ? impl : 'ours'))],
			];
			if (round % 2 === 1) teams.reverse();
			for (const [runs, team] of teams) {
				const run = await runTeam(ctx, team, count, `${n}-${round}`);
				runs.set(n, [...(runs.get(n) ?? []), run]);
				if (run.oursLost || run.oursFailed) {
					ctx.fail(
						`mixed team, ${n}+${n} writers, round ${round + 1}: ours lost ${run.oursLost}, failed ${run.oursFailed}`,
					);
				}
			}
		}
	}
	const lossOf = (runs: MixedRun[]) =>
		percent(
			runs.reduce((sum, run) => sum + run.theirsLost, 0),
			runs.reduce((sum, run) => sum + run.theirsSent, 0),
		);
	const cell = (runs: MixedRun[]) =>
		`${fixed(lossOf(runs), 1)} % (${runs.map((run) => run.theirsLost).join(' / ')} of ${runs[0]?.theirsSent ?? 0})`;
	const rows = levels.map((n) => {
		const a = among.get(n) ?? [];
		const m = mixed.get(n) ?? [];
		return [
			`${2 * n} theirs vs ${n} + ${n}`,
			cell(a),
			cell(m),
			m.reduce((sum, run) => sum + run.oursLost + run.oursFailed, 0),
			fixed(median(a.map((run) => run.rate)), 0),
			fixed(median(m.map((run) => run.rate)), 0),
		];
	});
	const worst = Math.max(...levels.map((n) => lossOf(mixed.get(n) ?? []) - lossOf(among.get(n) ?? [])));
	const oursLost = levels.flatMap((n) => mixed.get(n) ?? []).reduce((sum, run) => sum + run.oursLost, 0);
	return {
		section: {
			title: '13. Mixed team: Claude Code-style writers with and without ours',
			intro: [
				`Each writer process sends ${count} messages one after another into one inbox. "Among themselves": 2N`,
				'Claude Code-style writers (the lock schedule of 2.1.330: 10 retries, 5..100 ms, then the message is',
				'dropped). "With ours": N of theirs and N of ours. Their loss is the share of their messages missing from',
				`the file afterwards, over ${rounds} interleaved round(s) (per-round counts in brackets).`,
			].join(' '),
			headers: [
				'writers',
				'their loss among themselves',
				'their loss with ours',
				'ours lost',
				'msg/s among themselves',
				'msg/s with ours',
			],
			rows,
			notes: [
				'Ours never drop: a sender that cannot get the lock leaves its batch in the spool for the next of ours holding the lock, and waits up to its lock timeout.',
			],
		},
		goals: [
			{
				goal: 'mixed team: Claude Code-style writers lose no more with ours present than among themselves',
				measured: `${worst <= 0 ? '' : '+'}${fixed(worst, 1)} percentage points (worst level)`,
				met: worst <= 0,
			},
			{ goal: 'mixed team: no message of ours lost', measured: `${oursLost} lost`, met: oursLost === 0 },
		],
	};
}
