/**
Nothing a long-running leader or sender keeps grows without bound: answer tombstones are kept apart from the open
journal and pruned by the periodic sweep, the audit log is rotated by size and looked up without re-reading it, the
per-path write queues of a process go when idle, and closed streams drop their abort listeners.
*/
import { getEventListeners } from 'node:events';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeQueueCount } from '../src/inbox/write-queue.js';
import { Inbox } from '../src/index.js';
import { AuditLog, type AuditRecord } from '../src/journal/audit-log.js';
import { pendingDirectoryOf } from '../src/journal/pending-store.js';
import { traceCalls } from './helpers/faults.js';
import { bash, startSwarm, until } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const record = (index: number): AuditRecord => ({
	time: new Date().toISOString(),
	requestId: `perm-${index}`,
	kind: 'permission',
	worker: 'ann',
	toolName: 'Bash',
	decision: 'allow',
	decidedBy: 'policy',
	message: `a "quoted" note ${index}`,
	msgId: `msg-${index}`,
});

describe('the pending journal', () => {
	it('keeps finished answers out of the listing of open requests, and the sweep prunes old tombstones', async () => {
		const { team, leader, worker } = await startSwarm(async () => ({
			recoveryIntervalMs: 50,
			answeredRetentionMs: 3_600_000,
			policy: undefined,
		}));
		const requests = leader.requests();
		const asked = worker.requestPermission(bash('ls'));
		const next = await requests.next();
		await next.value?.approve();
		expect(await asked).toMatchObject({ behavior: 'allow' });
		const directory = pendingDirectoryOf(team);
		await until(() => !readdirSync(directory).some((name) => name.endsWith('.json')), 'the record removed');
		// The tombstone is kept, but not among the open requests a recovery lists.
		expect(readdirSync(directory).filter((name) => name.endsWith('.answer'))).toEqual([]);
		expect(await leader.pending()).toEqual([]);

		// Made after the leader started: only the sweep can remove them.
		const oldHour = path.join(directory, 'answered', String(Math.floor(Date.now() / 3_600_000) - 48));
		mkdirSync(oldHour, { recursive: true });
		writeFileSync(path.join(oldHour, 'old.abc.answer'), '{}');
		const stray = path.join(directory, 'stray.abc.answer');
		writeFileSync(stray, '{}');
		const old = new Date(Date.now() - 48 * 3_600_000);
		const { utimesSync } = await import('node:fs');
		utimesSync(stray, old, old);
		await until(() => statSync(oldHour, { throwIfNoEntry: false }) === undefined, 'the old hour pruned by the sweep');
		await until(() => statSync(stray, { throwIfNoEntry: false }) === undefined, 'the stray tombstone pruned');
		// This hour's tombstone stays: a late second answer is still refused.
		expect(readdirSync(path.join(directory, 'answered')).length).toBe(1);
	});
});

describe('the audit log', () => {
	it('rotates by size and keeps the last keepFiles files; has() finds lines in the current and rotated files', async () => {
		const file = path.join(tempDir(), 'audit.jsonl');
		const log = new AuditLog(file, { fsync: false, maxBytes: 2_000, keepFiles: 2 });
		for (let index = 0; index < 60; index++) await log.append(record(index));
		const rotated = log.rotatedFiles();
		expect(rotated).toHaveLength(2);
		for (const name of [file, ...rotated]) expect(statSync(name).size).toBeLessThan(2_000 + 400);
		expect(await log.has('msg-59')).toBe(true);
		const inRotated = (await new AuditLog(rotated[1] as string).read()).at(0)?.msgId as string;
		expect(await log.has(inRotated)).toBe(true);
		expect(await log.has('msg-0')).toBe(false); // in a rotated file removed since
		expect(await log.has('msg-nope')).toBe(false);
		// A claim made after the rotations: its line can only be in the current file.
		const current = new Set((await log.read()).map((line) => line.msgId));
		expect(current.has(inRotated)).toBe(false);
		expect(await log.has(inRotated, { since: Date.now() + 3_600_000 })).toBe(false);
	});

	it('looks answers up without re-reading the log: lines are read once, also those other processes append', async () => {
		const file = path.join(tempDir(), 'audit.jsonl');
		const log = new AuditLog(file, { fsync: false });
		for (let index = 0; index < 500; index++) await log.append(record(index));
		await log.has('msg-0');
		const reads = await traceCalls(async () => {
			for (let index = 0; index < 100; index++) expect(await log.has(`msg-${index * 5}`)).toBe(true);
		});
		expect(reads.filter((call) => call.op === 'read')).toEqual([]);
		// Another writer (another process's log object) appends: only that is read.
		await new AuditLog(file, { fsync: false }).append(record(1_000));
		const more = await traceCalls(async () => expect(await log.has('msg-1000')).toBe(true));
		expect(more.filter((call) => call.op === 'read')).toHaveLength(1);
	});
});

describe('per-process state', () => {
	it('drops the write queue of an inbox once its sends are done', async () => {
		const dir = tempDir();
		const before = activeQueueCount();
		await Promise.all(
			Array.from({ length: 40 }, (_, index) =>
				new Inbox(path.join(dir, `w${index}.json`), { fsync: false }).send({ from: 'a', text: 'x' }),
			),
		);
		await new Promise((resolve) => setImmediate(resolve));
		expect(activeQueueCount()).toBe(before);
	});

	it('removes the abort listener of a closed stream from a long-lived signal', async () => {
		const { leader } = await startSwarm();
		const controller = new AbortController();
		for (let index = 0; index < 50; index++) {
			const stream = leader.messages({ signal: controller.signal });
			await stream.return?.();
			const requests = leader.requests({ signal: controller.signal });
			await requests.return?.();
		}
		expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
	});
});
