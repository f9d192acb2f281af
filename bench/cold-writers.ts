/**
The cold send path: N writer processes, each started fresh for the run, each having sent two messages (into a private
inbox) before the clock starts, then sending `count` messages one after another into one shared inbox, through this
library and through the older path. Unlike section 2's pool (processes that have sent hundreds of messages), the code
here runs before V8 has optimised it, as in a real teammate that sends now and then. Rounds interleave the two paths;
each figure is the median over rounds. Also: the first send of a fresh process against its next ones, uncontended.
*/

import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Implementation } from './child-commands.js';
import { landedTexts } from './contention.js';
import type { BenchContext } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median, ratio } from './stats.js';

interface Prepared {
	kind: 'prepared';
	loadMs: number;
	warmupMs: number[];
}
interface Result {
	kind: 'result';
	failed: string[];
	sendMs: number[];
	cpuMs: number;
}

interface ColdRun {
	rate: number;
	lost: number;
	failed: number;
	duplicates: number;
	cpuPerMessage: number;
	firstSendMs: number[];
	secondSendMs: number[];
	laterSendMs: number[];
}

function message<T>(child: ChildProcess, kind: string): Promise<T> {
	return new Promise((resolve, reject) => {
		const onMessage = (value: { kind?: string }) => {
			if (value.kind !== kind) return;
			child.off('exit', onExit);
			child.off('message', onMessage);
			resolve(value as T);
		};
		const onExit = (code: number | null) => reject(new Error(`cold writer exited (code ${code}) before ${kind}`));
		child.on('message', onMessage);
		child.once('exit', onExit);
	});
}

async function runOnce(ctx: BenchContext, impl: Implementation, writers: number, count: number): Promise<ColdRun> {
	const dir = ctx.freshDir(`cold-${impl}`);
	const file = path.join(dir, 'team-lead.json');
	const children = Array.from({ length: writers }, (_, writerId) =>
		fork(
			ctx.bundle.coldWriter,
			[impl, file, path.join(dir, `warmup-${writerId}.json`), String(writerId), String(count)],
			{
				stdio: 'inherit',
			},
		),
	);
	try {
		const prepared = await Promise.all(children.map((child) => message<Prepared>(child, 'prepared')));
		const results = children.map((child) => message<Result>(child, 'result'));
		const started = performance.now();
		for (const child of children) child.send({ go: true });
		const done = await Promise.all(results);
		const elapsedMs = performance.now() - started;
		const { count: landedCount, texts } = landedTexts(file);
		return {
			rate: (texts.size / elapsedMs) * 1000,
			lost: writers * count - texts.size,
			failed: done.reduce((sum, result) => sum + result.failed.length, 0),
			duplicates: landedCount - texts.size,
			cpuPerMessage: done.reduce((sum, result) => sum + result.cpuMs, 0) / Math.max(1, texts.size),
			firstSendMs: prepared.map((item) => item.warmupMs[0] ?? Number.NaN),
			secondSendMs: prepared.map((item) => item.warmupMs[1] ?? Number.NaN),
			laterSendMs: done.flatMap((result) => result.sendMs),
		};
	} finally {
		for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
	}
}

export async function coldWriters(ctx: BenchContext): Promise<SectionResult> {
	const writers = 32;
	const count = ctx.sizes.messagesPerWriter;
	const rounds = ctx.quick ? 2 : 5;
	const runs = new Map<string, ColdRun[]>();
	const add = (key: string, run: ColdRun) => runs.set(key, [...(runs.get(key) ?? []), run]);
	for (let round = 0; round < rounds; round++) {
		for (const impl of ['ours', 'baseline'] as const) {
			const run = await runOnce(ctx, impl, writers, count);
			add(`${impl}|${writers}`, run);
			if (impl === 'ours' && (run.lost || run.failed || run.duplicates)) {
				ctx.fail(
					`cold writers, round ${round + 1}: lost ${run.lost}, failed ${run.failed}, duplicated ${run.duplicates}`,
				);
			}
			// One fresh writer alone: its first send against its next ones.
			add(`${impl}|1`, await runOnce(ctx, impl, 1, count));
		}
	}
	const of = (impl: Implementation, level: number) => runs.get(`${impl}|${level}`) ?? [];
	const med = (impl: Implementation, level: number, pick: (run: ColdRun) => number) =>
		median(of(impl, level).map(pick));
	const pooled = (impl: Implementation, pick: (run: ColdRun) => number[]) => median(of(impl, 1).flatMap(pick));
	const oursRate = med('ours', writers, (run) => run.rate);
	const olderRate = med('baseline', writers, (run) => run.rate);
	const lost = of('ours', writers).reduce((sum, run) => sum + run.lost, 0);
	return {
		section: {
			title: '11. The cold send path (fresh writer processes)',
			intro:
				`${writers} writer processes × ${count} sends into one inbox, each process started for the run and having ` +
				`sent 2 messages (into a private inbox) before the clock starts; ${rounds} interleaved rounds, medians. ` +
				'Then one fresh writer alone: its first send, its second, and its later ones (uncontended).',
			headers: [
				'path',
				'msgs/s at 32',
				'lost',
				'CPU ms per msg',
				'first send, ms',
				'second send, ms',
				'later sends, ms',
			],
			rows: (['ours', 'baseline'] as const).map((impl) => [
				impl === 'ours' ? 'swarm-mailbox' : 'older Claude Code path',
				fixed(
					med(impl, writers, (run) => run.rate),
					0,
				),
				String(of(impl, writers).reduce((sum, run) => sum + run.lost, 0)),
				fixed(med(impl, writers, (run) => run.cpuPerMessage)),
				fixed(pooled(impl, (run) => run.firstSendMs)),
				fixed(pooled(impl, (run) => run.secondSendMs)),
				fixed(pooled(impl, (run) => run.laterSendMs)),
			]),
			notes: [
				`Ours against the older path at ${writers} fresh writers: ${ratio(oursRate, olderRate)}.`,
				'The older path swallows its errors: its "lost" are messages it dropped while telling the sender they went out.',
			],
		},
		goals: [
			{
				goal: `cold writers: ≥ 2× the older path at ${writers} fresh writers, 0 lost`,
				measured: `${fixed(oursRate / olderRate)}×, lost ${lost}`,
				met: oursRate / olderRate >= 2 && lost === 0,
			},
		],
	};
}
