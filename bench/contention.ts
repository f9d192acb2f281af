/**
Contention: N writer processes, each sending messages one after another, all into one inbox, through this library
and through the older write path. Every writer is started and prepared before the clock starts; rounds interleave
the two paths (ours, older, ours, older…) at each level, and each figure is the median over rounds.
*/

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildCommand, Implementation, WriteResult } from './child-commands.js';
import type { BenchContext } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median, ratio } from './stats.js';

interface ContentionRun {
	rate: number;
	lost: number;
	/** Sends that said "failed" (ours rejects; the older path swallows the error). */
	failed: number;
	/** Sends that resolved but whose message is not in the file. */
	missingResolved: number;
	duplicates: number;
	/** CPU of all writers per message that landed, ms. */
	cpuPerMessage: number;
}

async function runOnce(ctx: BenchContext, impl: Implementation, writers: number): Promise<ContentionRun> {
	const count = ctx.sizes.messagesPerWriter;
	const file = path.join(ctx.freshDir(`contention-${impl}`), 'team-lead.json');
	const commands = Array.from(
		{ length: writers },
		(_, writerId): ChildCommand => ({ role: 'write', impl, file, writerId, count }),
	);
	const job = ctx.pool.job<WriteResult>(commands);
	await job.prepared;
	const started = performance.now();
	const results = await job.go();
	const elapsedMs = performance.now() - started;
	const { count: landedCount, texts } = landedTexts(file);
	const failedTexts = new Set(results.flatMap((result) => result.failed.map((failure) => failure.text)));
	let missingResolved = 0;
	for (let writer = 0; writer < writers; writer++) {
		for (let index = 0; index < count; index++) {
			const text = `${writer}:${index}`;
			if (!texts.has(text) && !failedTexts.has(text)) missingResolved++;
		}
	}
	return {
		rate: (texts.size / elapsedMs) * 1000,
		lost: writers * count - texts.size,
		failed: failedTexts.size,
		missingResolved,
		duplicates: landedCount - texts.size,
		cpuPerMessage: results.reduce((sum, result) => sum + result.cpuMs, 0) / texts.size,
	};
}

export async function contention(ctx: BenchContext): Promise<SectionResult> {
	const { writerLevels, contentionRounds, messagesPerWriter } = ctx.sizes;
	const runs = new Map<string, ContentionRun[]>();
	for (let round = 0; round < contentionRounds; round++) {
		for (const writers of writerLevels) {
			for (const impl of ['ours', 'baseline'] as const) {
				const run = await runOnce(ctx, impl, writers);
				runs.set(`${impl}|${writers}`, [...(runs.get(`${impl}|${writers}`) ?? []), run]);
				if (impl === 'ours' && (run.lost || run.failed || run.missingResolved || run.duplicates)) {
					ctx.fail(
						`contention, ${writers} writers, round ${round + 1}: lost ${run.lost}, failed ${run.failed}, ` +
							`resolved but missing ${run.missingResolved}, duplicated ${run.duplicates}`,
					);
				}
			}
		}
	}
	const of = (impl: Implementation, writers: number) => runs.get(`${impl}|${writers}`) ?? [];
	const rate = (impl: Implementation, writers: number) => median(of(impl, writers).map((run) => run.rate));
	const cpu = (impl: Implementation, writers: number) => median(of(impl, writers).map((run) => run.cpuPerMessage));
	const lost = (impl: Implementation, writers: number) => of(impl, writers).map((run) => run.lost);
	const lostCell = (impl: Implementation, writers: number) => lost(impl, writers).join(' / ');
	const oursLost = writerLevels.flatMap((writers) => lost('ours', writers)).reduce((a, b) => a + b, 0);
	const at32 = rate('ours', 32) / rate('baseline', 32);
	return {
		section: {
			title: '2. Contention: N writer processes into one inbox',
			intro: [
				`Each writer process sends ${messagesPerWriter} messages one after another into the same inbox. Throughput`,
				'is messages found in the file afterwards ÷ wall time from go to the last writer done; "lost" is messages',
				'sent but not in the file, per round; CPU is that of all writer processes while sending, per message that',
				`landed. Median of ${contentionRounds} interleaved round(s).`,
			].join(' '),
			headers: [
				'writers',
				'messages',
				'ours msg/s',
				'ours lost',
				'ours CPU ms/msg',
				'older msg/s',
				'older lost',
				'older CPU ms/msg',
				'msg/s ours ÷ older',
			],
			rows: writerLevels.map((writers) => [
				writers,
				writers * messagesPerWriter,
				fixed(rate('ours', writers), 0),
				lostCell('ours', writers),
				fixed(cpu('ours', writers)),
				fixed(rate('baseline', writers), 0),
				lostCell('baseline', writers),
				fixed(cpu('baseline', writers)),
				ratio(rate('ours', writers), rate('baseline', writers)),
			]),
			notes: [
				'Ours resolves a send only once the entry is durable (temp file, fsync, rename, directory fsync); the older path rewrites the file in place with no fsync.',
				'The older path drops a message when its lock retries (10, 5..100 ms, about 655 ms in all) run out and tells the sender it was sent; those are its "lost".',
			],
		},
		goals: [
			{ goal: 'no message lost at any level (ours)', measured: `${oursLost} lost`, met: oursLost === 0 },
			{
				goal: '32 writers: throughput ≥ 2× the older path',
				measured: Number.isFinite(at32) ? `${at32.toFixed(2)}×` : 'n/a',
				met: at32 >= 2,
			},
		],
	};
}

/** The entries that reached `file` (counted) and their texts; a missing or unreadable inbox counts as nothing delivered. */
export function landedTexts(file: string): { count: number; texts: Set<string> } {
	try {
		const landed = JSON.parse(readFileSync(file, 'utf8')) as { text?: unknown }[];
		return { count: landed.length, texts: new Set(landed.map((entry) => String(entry.text))) };
	} catch {
		return { count: 0, texts: new Set() };
	}
}
