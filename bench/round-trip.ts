/**
Permission round trips, worker → lead (a policy in its own process) → worker, through this library and through the
older Claude Code path: one worker asking one request after another, and 16 worker processes asking at once (each
one after another). Every process is started and prepared (watching or polling, warmed up) before the clock starts.
*/

import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Team } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import { BASELINE_POLL_MS } from './baseline-reader.js';
import type { AskResult, ChildCommand } from './child-commands.js';
import { type BenchContext, stop } from './context.js';
import { queryUsage } from './process-usage.js';
import type { SectionResult } from './results.js';
import { fixed, median, percentile, ratio } from './stats.js';

export interface RoundTripRun {
	workers: number;
	requests: number;
	samples: number[];
	unanswered: number;
	refused: string[];
	/** Answers per second, summed over workers, each over the time it spent waiting on asks. */
	perSecond: number;
	/** CPU of the worker processes and of the lead per answered request, ms. */
	workerCpuMs: number;
	leadCpuMs: number;
}

const p50 = (run: RoundTripRun) => median(run.samples);
const p99 = (run: RoundTripRun) => percentile(run.samples, 0.99);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

async function runJob(ctx: BenchContext, lead: ChildProcess, commands: ChildCommand[]): Promise<RoundTripRun> {
	const job = ctx.pool.job<AskResult>(commands);
	await job.prepared;
	const leadBefore = await queryUsage(lead);
	const results = await job.go();
	const leadAfter = await queryUsage(lead);
	const answered = sum(results.map((result) => result.samples.length));
	return {
		workers: commands.length,
		requests: sum(commands.map((command) => (command.role === 'ask' ? command.count : 0))),
		samples: results.flatMap((result) => result.samples),
		unanswered: sum(results.map((result) => result.unanswered)),
		refused: results.flatMap((result) => result.refused),
		perSecond: sum(results.map((result) => (result.samples.length / result.busyMs) * 1000)),
		workerCpuMs: sum(results.map((result) => result.cpuMs)) / answered,
		leadCpuMs: (leadAfter.cpuMs - leadBefore.cpuMs) / answered,
	};
}

/** Round trips through this library: a forked Leader, and `workers` pool children each with a Worker. */
export async function oursRoundTrips(
	ctx: BenchContext,
	workers: number,
	perWorker: number,
	polling: boolean,
): Promise<RoundTripRun> {
	const root = ctx.freshDir('team');
	const names = Array.from({ length: workers }, (_, index) => `w${index}`);
	await Team.create('bench', { root, members: names.map((name) => ({ name })) });
	const leader = ctx.fork(ctx.bundle.leader, [root, 'bench', polling ? '1' : '0']);
	try {
		await nextMessage(leader, 'ready');
		const commands = names.map(
			(name): ChildCommand => ({ role: 'ask', impl: 'ours', root, team: 'bench', name, count: perWorker, polling }),
		);
		const run = await runJob(ctx, leader, commands);
		const mode = polling ? 'polling' : 'notifications';
		if (run.unanswered > 0) ctx.fail(`round trip (${workers} workers, ${mode}): ${run.unanswered} unanswered`);
		if (run.refused.length > 0) ctx.fail(`round trip (${workers} workers, ${mode}): refused: ${run.refused[0]}`);
		return run;
	} finally {
		await stop(leader);
	}
}

/** The same through the older path: a forked polling lead and `workers` pool children polling their inboxes. */
export async function baselineRoundTrips(ctx: BenchContext, workers: number, perWorker: number): Promise<RoundTripRun> {
	const inboxes = path.join(ctx.freshDir('baseline-team'), 'inboxes');
	mkdirSync(inboxes);
	const leader = ctx.fork(ctx.bundle.baselineLeader, [inboxes]);
	try {
		await nextMessage(leader, 'ready');
		const deadlineMs = ctx.sizes.baselineDeadlineMs;
		const commands = Array.from(
			{ length: workers },
			(_, index): ChildCommand => ({
				role: 'ask',
				impl: 'baseline',
				inboxes,
				name: `w${index}`,
				count: perWorker,
				deadlineMs,
			}),
		);
		return await runJob(ctx, leader, commands);
	} finally {
		await stop(leader);
	}
}

export interface PermissionFigures {
	result: SectionResult;
	/** One worker, sequential: the reference rows of the network file system section. */
	oursSequential: RoundTripRun;
	baselineSequential: RoundTripRun;
}

export async function permissionRoundTrips(ctx: BenchContext): Promise<PermissionFigures> {
	const { roundTrips, concurrentWorkers, roundTripsPerWorker, baselineRoundTrips: baselineCount } = ctx.sizes;
	const oursSequential = await oursRoundTrips(ctx, 1, roundTrips, false);
	const baselineSequential = await baselineRoundTrips(ctx, 1, baselineCount);
	const oursConcurrent = await oursRoundTrips(ctx, concurrentWorkers, roundTripsPerWorker, false);
	const baselineConcurrent = await baselineRoundTrips(ctx, concurrentWorkers, ctx.sizes.baselineRoundTripsPerWorker);
	const row = (run: RoundTripRun, label: string, against?: RoundTripRun) => [
		run.workers,
		label,
		run.requests,
		fixed(p50(run)),
		fixed(p99(run)),
		fixed(run.perSecond, 1),
		run.unanswered,
		`${fixed(run.workerCpuMs, 1)} + ${fixed(run.leadCpuMs, 1)}`,
		against ? ratio(p50(against), p50(run)) : '',
		against ? ratio(run.perSecond, against.perSecond) : '',
	];
	const older = `older path (${BASELINE_POLL_MS} ms polls)`;
	const result: SectionResult = {
		section: {
			title: '1. Permission round trip',
			intro: [
				'Worker → lead → worker: the lead runs in its own process with a policy that allows Bash at once; each',
				`worker asks one request after another. Ours: a \`Worker\` and a forked \`Leader\`, push-driven (2 untimed`,
				`warm-up asks first). Older path: the request and the answer go through the baseline writer; the lead and the`,
				`worker each poll their inbox every ${BASELINE_POLL_MS} ms and mark it all read after each poll that found`,
				`something; each ask starts at a random point of the poll cycle; an answer not back within`,
				`${ctx.sizes.baselineDeadlineMs} ms counts as unanswered (the older worker would wait forever).`,
			].join(' '),
			headers: [
				'workers',
				'path',
				'requests',
				'p50 ms',
				'p99 ms',
				'answered/s',
				'unanswered',
				'CPU ms/answer: workers + lead',
				'p50 older ÷ ours',
				'answered/s ours ÷ older',
			],
			rows: [
				row(oursSequential, 'swarm-mailbox', baselineSequential),
				row(baselineSequential, older),
				row(oursConcurrent, 'swarm-mailbox', baselineConcurrent),
				row(baselineConcurrent, older),
			],
			notes: [
				'Ours writes durably: the request resolves only after fsync of the file and its directory; the answer is fsynced and renamed in only once its claim in the journal is durable, and its directory entry is flushed before its decision is logged (one directory flush and one log fsync per group of answers); acks fsync the file (a removal needs no directory flush). The older path never fsyncs.',
				'"answered/s" is summed over workers, each answered ÷ the time it spent waiting on its asks (so the older path\'s random start delays do not count against it).',
				'CPU is that of all worker processes and of the lead process over the run (polling included), per answered request.',
				'The older interactive lead (REPL) polls every 1000 ms, not 500: its real round trips are slower than shown.',
				'The older path makes fewer requests because each costs hundreds of ms; its percentiles come from fewer samples.',
			],
		},
		goals: [
			{
				goal: 'round trip p50 ≤ 3 ms (1 worker, sequential)',
				measured: `${fixed(p50(oursSequential))} ms`,
				met: p50(oursSequential) <= 3,
			},
			{
				goal: 'round trip p99 ≤ 15 ms (1 worker, sequential)',
				measured: `${fixed(p99(oursSequential))} ms`,
				met: p99(oursSequential) <= 15,
			},
			{
				goal: `every request answered (1 and ${concurrentWorkers} workers)`,
				measured: `${oursSequential.unanswered + oursConcurrent.unanswered} unanswered`,
				met: oursSequential.unanswered + oursConcurrent.unanswered === 0,
			},
		],
	};
	return { result, oursSequential, baselineSequential };
}

/** Network file system mode: both sides watch by polling (`polling: true`); section 1's rows for comparison. */
export async function networkFileSystemRoundTrips(
	ctx: BenchContext,
	reference: PermissionFigures | undefined,
): Promise<SectionResult> {
	const polling = await oursRoundTrips(ctx, 1, ctx.sizes.pollingRoundTrips, true);
	const baseline = reference?.baselineSequential;
	const row = (run: RoundTripRun, label: string) => [
		label,
		run.requests,
		fixed(p50(run)),
		fixed(p99(run)),
		baseline && run !== baseline ? ratio(p50(baseline), p50(run)) : '',
	];
	const rows = [row(polling, 'swarm-mailbox, polling (network fs mode)')];
	if (reference) {
		rows.push(row(reference.oursSequential, 'swarm-mailbox, OS notifications (section 1)'));
		rows.push(row(reference.baselineSequential, `older path, ${BASELINE_POLL_MS} ms polls (section 1)`));
	}
	return {
		section: {
			title: '5. Network file system mode',
			intro: [
				'The sequential round trip of section 1 (1 worker) with `polling: true` on both the Worker and the Leader, as',
				"on a network file system where OS notifications miss remote writes: the watchers read the inbox file's tail",
				'every 100 ms instead (here on a local directory; section 15 measures two sshfs mounts).',
			].join(' '),
			headers: ['watching', 'requests', 'p50 ms', 'p99 ms', 'p50 older ÷ this'],
			rows,
			notes: ['Section 4 has the idle CPU of a polling Leader.'],
		},
		goals: [],
	};
}
