/**
A leader with a long history: start-up and one recovery sweep of a Leader whose team has answered 100,000 requests
(their tombstones, all within the retention, and their audit lines, rotated), against the same team fresh. Both
states hold the same three claimed-but-undelivered answers (a leader that died mid-answer), so each start looks up the
audit log for them and delivers them. Rounds interleave the two states; each figure is the median.
*/

import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Leader, Team, Worker } from '../src/index.js';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { type AnswerClaim, PendingStore, pendingDirectoryOf } from '../src/journal/pending-store.js';
import type { BenchContext } from './context.js';
import type { SectionResult } from './results.js';
import { fixed, median } from './stats.js';

const answered = 100_000;
const hourMs = 3_600_000;

interface State {
	label: string;
	team: Team;
	/** The three claimed answers' journal files, rewritten before each round with fresh msg_ids. */
	claimed: { key: string; record: Buffer; claim: AnswerClaim }[];
}

/** A team whose lead has journaled three requests of `worker` and claimed their answers without delivering them. */
async function prepare(ctx: BenchContext, label: string): Promise<State> {
	const root = ctx.freshDir(`history-${label}`);
	const team = await Team.create('bench', { root, members: [{ name: 'worker' }] });
	const leader = new Leader(team, { recoveryIntervalMs: 0 });
	await leader.start();
	const worker = new Worker(team, { name: 'worker' });
	const asks = [0, 1, 2].map((index) =>
		worker.requestPermission({ toolName: 'Bash', toolUseId: `toolu_${index}`, input: { command: `ls ${index}` } }),
	);
	for (const ask of asks) ask.catch(() => {});
	const store = new PendingStore(team);
	while ((await store.list()).length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
	await leader.close();
	await worker.close();
	const claimed = [];
	for (const { record } of await store.list()) {
		const claim: AnswerClaim = {
			version: 1,
			requestId: record.requestId,
			worker: record.worker,
			decision: 'allow',
			decidedBy: 'bench',
			msgId: randomUUID(),
			timestamp: new Date().toISOString(),
			text: JSON.stringify({ type: 'permission_response', request_id: record.requestId, subtype: 'success' }),
			claimedAt: Date.now(),
		} as AnswerClaim;
		const file = path.join(pendingDirectoryOf(team), `${record.key}.json`);
		claimed.push({ key: record.key, record: readFileSync(file), claim });
	}
	return { label, team, claimed };
}

/** 100,000 answered requests: tombstones spread over the last 23 hours, and their audit lines (rotated as they go). */
function addHistory(state: State): void {
	const directory = pendingDirectoryOf(state.team);
	const hour = Math.floor(Date.now() / hourMs);
	const template = state.claimed[0]?.claim as AnswerClaim;
	for (let bucket = 0; bucket < 23; bucket++) {
		mkdirSync(path.join(directory, 'answered', String(hour - bucket)), { recursive: true });
	}
	const lines: string[] = [];
	for (let index = 0; index < answered; index++) {
		const requestId = `perm-${index}-history`;
		const msgId = randomUUID();
		const claim = { ...template, requestId, msgId };
		const file = path.join(directory, 'answered', String(hour - (index % 23)), `${requestId}.${index}.answer`);
		writeFileSync(file, JSON.stringify(claim), { mode: 0o600 });
		lines.push(
			JSON.stringify({
				time: new Date().toISOString(),
				requestId,
				kind: 'permission',
				worker: 'worker',
				toolName: 'Bash',
				inputDigest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
				decision: 'allow',
				decidedBy: 'policy',
				message: 'allowed by rule Bash(ls:*)',
				msgId,
			}),
		);
	}
	// Written as the log writes them: rotated files of about maxBytes, named by the (past) time of their rotation.
	const log = auditLogPath(state.team.directory);
	const maxBytes = 1_048_576;
	let chunk: string[] = [];
	let bytes = 0;
	let rotations = 0;
	const started = Date.now() - 23 * hourMs;
	for (const line of lines) {
		chunk.push(line);
		bytes += line.length + 1;
		if (bytes < maxBytes) continue;
		const stamp = String(started + rotations++ * 60_000).padStart(13, '0');
		writeFileSync(`${log}.${stamp}-1-00000000`, `${chunk.join('\n')}\n`, { mode: 0o600 });
		chunk = [];
		bytes = 0;
	}
	writeFileSync(log, chunk.length > 0 ? `${chunk.join('\n')}\n` : '', { mode: 0o600 });
}

/** Put the three claimed answers back (fresh msg_ids), as a leader that died after claiming them left them. */
function resetClaims(state: State): void {
	const directory = pendingDirectoryOf(state.team);
	for (const item of state.claimed) {
		item.claim = { ...item.claim, msgId: randomUUID(), claimedAt: Date.now() };
		writeFileSync(path.join(directory, `${item.key}.json`), item.record, { mode: 0o600 });
		writeFileSync(path.join(directory, `${item.key}.answer`), JSON.stringify(item.claim), { mode: 0o600 });
	}
}

async function round(state: State): Promise<{ startMs: number; sweepMs: number; delivered: boolean }> {
	resetClaims(state);
	const leader = new Leader(state.team, { recoveryIntervalMs: 0 });
	let started = performance.now();
	await leader.start();
	const startMs = performance.now() - started;
	// One sweep as the Leader runs it every recoveryIntervalMs: prune, then a recovery pass over older entries.
	started = performance.now();
	await new PendingStore(state.team).prune(86_400_000);
	await leader.recover({ olderThanMs: 30_000 });
	const sweepMs = performance.now() - started;
	await leader.close();
	const logged = new AuditLog(auditLogPath(state.team.directory));
	const delivered = (await Promise.all(state.claimed.map((item) => logged.has(item.claim.msgId)))).every(Boolean);
	return { startMs, sweepMs, delivered };
}

export async function history(ctx: BenchContext): Promise<SectionResult> {
	const fresh = await prepare(ctx, 'fresh');
	const long = await prepare(ctx, 'answered');
	addHistory(long);
	const rounds = ctx.quick ? 5 : 15;
	const figures = new Map<string, { startMs: number[]; sweepMs: number[] }>();
	for (let index = 0; index < rounds; index++) {
		for (const state of [fresh, long]) {
			const result = await round(state);
			if (!result.delivered) ctx.fail(`history (${state.label}): a claimed answer was not delivered and logged`);
			const entry = figures.get(state.label) ?? { startMs: [], sweepMs: [] };
			entry.startMs.push(result.startMs);
			entry.sweepMs.push(result.sweepMs);
			figures.set(state.label, entry);
		}
	}
	const of = (label: string, key: 'startMs' | 'sweepMs') => median(figures.get(label)?.[key] ?? []);
	const startRatio = of('answered', 'startMs') / of('fresh', 'startMs');
	const sweepRatio = of('answered', 'sweepMs') / of('fresh', 'sweepMs');
	return {
		section: {
			title: '10. A leader with a long history',
			intro:
				`Start-up (\`Leader.start()\`: prune, recovery, watcher ready) and one sweep (prune and a recovery pass) ` +
				`of a lead that has answered ${answered.toLocaleString('en')} requests, against a fresh one; both ` +
				`recover three claimed, undelivered answers at start. Medians of ${rounds} interleaved rounds.`,
			headers: ['answered before', 'start-up, ms', 'sweep, ms'],
			rows: [
				['0', fixed(of('fresh', 'startMs')), fixed(of('fresh', 'sweepMs'))],
				[answered.toLocaleString('en'), fixed(of('answered', 'startMs')), fixed(of('answered', 'sweepMs'))],
				['ratio', fixed(startRatio), fixed(sweepRatio)],
			],
			notes: [
				'The history: one tombstone per answer in the hourly directories of finished requests (all within the ' +
					'24 h retention) and one audit line each, in 1 MiB rotated files.',
			],
		},
		goals: [
			{
				goal: `start-up and sweep with ${answered.toLocaleString('en')} answered ≤ 1.5× a fresh leader`,
				measured: `start ${fixed(startRatio)}×, sweep ${fixed(sweepRatio)}×`,
				met: startRatio <= 1.5 && sweepRatio <= 1.5,
			},
		],
	};
}
