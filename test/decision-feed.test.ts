import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecord, auditLogPath } from '../src/journal/audit-log.js';
import { DecisionFeed } from '../src/leader/decision-feed.js';
import { Team } from '../src/team/team.js';
import { until } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const line = (index: number) =>
	`${JSON.stringify({ requestId: `perm-${index}`, msgId: `msg-${index}`, worker: 'ann', decision: 'allow' })}\n`;

async function followed(rescanIntervalMs = 50) {
	const team = await Team.create('alpha', { root: tempDir(), members: [{ name: 'ann' }] });
	const file = auditLogPath(team.directory);
	mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
	const seen: string[] = [];
	const feed = await DecisionFeed.start(team, (record: AuditRecord) => seen.push(record.msgId), { rescanIntervalMs });
	return { file, seen, feed };
}

describe('DecisionFeed', () => {
	it('reports the lines appended to a log right before it was rotated away, then the new file', async () => {
		const { file, seen, feed } = await followed();
		try {
			appendFileSync(file, line(0));
			await until(() => seen.length === 1, 'the first line');
			// In one turn, so the feed cannot read in between: a line lands, the log is rotated, a new one starts.
			appendFileSync(file, line(1));
			renameSync(file, `${file}.1700000000000-1-ab`);
			writeFileSync(file, line(2), { mode: 0o600 });
			await until(() => seen.length === 3, 'the line before the rotation and the one after');
			appendFileSync(file, line(3));
			await until(() => seen.length === 4, 'a line appended to the new file');
			expect(seen).toEqual(['msg-0', 'msg-1', 'msg-2', 'msg-3']);
		} finally {
			await feed.close();
		}
	});

	it('reports each line once across rotations made by AuditLog itself', async () => {
		const { file, seen, feed } = await followed();
		try {
			const log = new AuditLog(file, { maxBytes: 400, fsync: false });
			const count = 40;
			for (let index = 0; index < count; index++) {
				const record: AuditRecord = {
					time: new Date().toISOString(),
					requestId: `perm-${index}`,
					kind: 'permission',
					worker: 'ann',
					decision: 'allow',
					decidedBy: 'person',
					msgId: `msg-${index}`,
				};
				await log.append(record);
			}
			expect(log.rotatedFiles().length).toBeGreaterThan(3);
			await until(() => seen.length >= count, `${count} lines`);
			await new Promise((resolve) => setTimeout(resolve, 200)); // a few more rescans: nothing is reported twice
			// Rotations within one millisecond have names that do not sort by time, so only the set is certain.
			const byIndex = (a: string, b: string) => Number(a.slice(4)) - Number(b.slice(4));
			expect([...seen].sort(byIndex)).toEqual(Array.from({ length: count }, (_, index) => `msg-${index}`));
		} finally {
			await feed.close();
		}
	});

	it('reports nothing that was in the log before start()', async () => {
		const team = await Team.create('alpha', { root: tempDir(), members: [{ name: 'ann' }] });
		const file = auditLogPath(team.directory);
		mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
		writeFileSync(file, line(0) + line(1), { mode: 0o600 });
		const seen: string[] = [];
		const feed = await DecisionFeed.start(team, (record) => seen.push(record.msgId), { rescanIntervalMs: 50 });
		try {
			appendFileSync(file, line(2));
			await until(() => seen.length === 1, 'the line appended after start');
			expect(seen).toEqual(['msg-2']);
		} finally {
			await feed.close();
		}
	});
});
