/**
Send cost against undelivered entries: one process sends into an inbox that already holds N unread entries, through
this library and through the older write path. The backlog is kept at exactly N: ours acks each timed entry, the
older file is rewritten to its N entries before each timed send (both untimed).
*/

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Inbox } from '../src/index.js';
import { baselineWrite } from './baseline-writer.js';
import type { BenchContext } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median, percentile, ratio } from './stats.js';

const fillBatch = 1_000;
const filler = (index: number) => `backlog entry ${index}: an undelivered message of ordinary length`;

async function oursSamples(ctx: BenchContext, backlog: number): Promise<number[]> {
	const inbox = new Inbox(path.join(ctx.freshDir('backlog-ours'), 'team-lead.json'));
	// Concurrent sends in one process share a rewrite, so the fill is quick; it is not timed.
	for (let start = 0; start < backlog; start += fillBatch) {
		const size = Math.min(fillBatch, backlog - start);
		await Promise.all(
			Array.from({ length: size }, (_, index) => inbox.send({ from: 'fill', text: filler(start + index) })),
		);
	}
	const samples: number[] = [];
	for (let index = 0; index < ctx.sizes.backlogSends; index++) {
		const started = performance.now();
		const id = await inbox.send({ from: 'bench', text: `message ${index}` });
		samples.push(performance.now() - started);
		await inbox.ack([id]);
	}
	return samples;
}

async function baselineSamples(ctx: BenchContext, backlog: number): Promise<number[]> {
	const file = path.join(ctx.freshDir('backlog-older'), 'team-lead.json');
	const timestamp = new Date().toISOString();
	const initial = JSON.stringify(
		Array.from({ length: backlog }, (_, index) => ({ from: 'fill', text: filler(index), timestamp, read: false })),
		null,
		2,
	);
	const samples: number[] = [];
	for (let index = 0; index < ctx.sizes.backlogSends; index++) {
		writeFileSync(file, initial);
		const started = performance.now();
		await baselineWrite(file, { from: 'bench', text: `message ${index}`, timestamp: new Date().toISOString() });
		samples.push(performance.now() - started);
	}
	return samples;
}

export async function backlog(ctx: BenchContext): Promise<SectionResult> {
	const { backlogLevels, backlogRounds, backlogSends } = ctx.sizes;
	const roundP50 = new Map<string, number[]>();
	const pooled = new Map<string, number[]>();
	for (let round = 0; round < backlogRounds; round++) {
		for (const level of backlogLevels) {
			for (const [impl, measure] of [
				['ours', oursSamples],
				['older', baselineSamples],
			] as const) {
				const samples = await measure(ctx, level);
				const key = `${impl}|${level}`;
				roundP50.set(key, [...(roundP50.get(key) ?? []), median(samples)]);
				pooled.set(key, [...(pooled.get(key) ?? []), ...samples]);
			}
		}
	}
	const p50 = (impl: string, level: number) => median(roundP50.get(`${impl}|${level}`) ?? []);
	const p99 = (impl: string, level: number) => percentile(pooled.get(`${impl}|${level}`) ?? [], 0.99);
	const growth = p50('ours', 1_000) / p50('ours', 0);
	return {
		section: {
			title: '3. Send cost against undelivered entries',
			intro: [
				`One process, ${backlogSends} sends one after another into an inbox holding N unread entries; p50 is the median`,
				`of ${backlogRounds} interleaved round(s)' medians, p99 over all sends.`,
			].join(' '),
			headers: [
				'undelivered',
				'ours p50 ms',
				'ours p99 ms',
				'ours vs empty',
				'older p50 ms',
				'older p99 ms',
				'older vs empty',
				'p50 older ÷ ours',
			],
			rows: backlogLevels.map((level) => [
				level,
				fixed(p50('ours', level)),
				fixed(p99('ours', level)),
				ratio(p50('ours', level), p50('ours', 0)),
				fixed(p50('older', level)),
				fixed(p99('older', level)),
				ratio(p50('older', level), p50('older', 0)),
				ratio(p50('older', level), p50('ours', level)),
			]),
			notes: [
				'Ours includes two fsyncs per send (file and directory) and a temp file plus rename; the older path rewrites in place without fsync, so it is cheaper per send and is not crash safe (W1 in the reference).',
			],
		},
		goals: [
			{
				goal: 'send p50 with 1,000 undelivered ≤ 3× empty',
				measured: Number.isFinite(growth) ? `${growth.toFixed(2)}×` : 'n/a',
				met: growth <= 3,
			},
		],
	};
}
