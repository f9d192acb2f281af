/**
File-system faults (ENOSPC, EACCES, EIO) injected through the seam (`src/fs/fs-seam.ts`) at every step of an inbox
operation, one fault per run, each run in a fresh directory. After each: the error is a typed `MailboxError` naming
the inbox (or its lock / temp / spool file), the inbox parses and holds exactly what it held before (or, for a fault
after the commit's rename, exactly the committed change), no temp file or spool batch is left, and once the fault is
gone the next send succeeds.
*/
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileSystemOp } from '../src/fs/fs-seam.js';
import { acquireLock } from '../src/fs/lock.js';
import { Inbox, isMailboxError, type MailboxError } from '../src/index.js';
import { AuditLog, type AuditRecord } from '../src/journal/audit-log.js';
import { fileExists, inboxEntries, startSender, waitUntil } from './helpers/fault-fixtures.js';
import { clearFaults, type FaultRule, injectFaults, tempFilesUnder, traceCalls } from './helpers/faults.js';
import { tempDir } from './helpers/temp.js';

/** proper-lockfile's minimum: a lock left behind by a failed release is taken over this long after. */
const STALE_MS = 2_000;

afterEach(() => clearFaults());

/** The errors each kind of call is made to fail with. */
const codesFor: Record<FileSystemOp, string[]> = {
	open: ['EACCES', 'EMFILE'],
	read: ['EIO'],
	write: ['ENOSPC', 'EIO'],
	fsync: ['EIO', 'ENOSPC'],
	close: ['EIO'],
	stat: ['EIO'],
	rename: ['EACCES'],
	link: ['EACCES'],
	unlink: ['EACCES'],
	readdir: ['EIO'],
	mkdir: ['EACCES'],
	rmdir: ['EACCES'],
	utimes: ['EIO'],
	watch: ['ENOSPC', 'EMFILE'],
};

interface Fixture {
	dir: string;
	file: string;
	inbox: Inbox;
	ids: string[];
	before: Buffer;
}

async function seeded(): Promise<Fixture> {
	const dir = tempDir();
	const file = path.join(dir, 'lead.json');
	const inbox = new Inbox(file, { staleMs: STALE_MS, lockTimeoutMs: 10_000 });
	const ids = [await inbox.send({ from: 'setup', text: 'one' }), await inbox.send({ from: 'setup', text: 'two' })];
	return { dir, file, inbox, ids, before: readFileSync(file) };
}

/** What each operation does, and the texts the inbox holds once it is committed. */
const operations = {
	send: { run: (f: Fixture) => f.inbox.send({ from: 'tester', text: 'new' }), after: ['one', 'two', 'new'] },
	ack: { run: (f: Fixture) => f.inbox.ack([f.ids[0] as string]), after: ['two'] },
	clear: { run: (f: Fixture) => f.inbox.clear(), after: [] as string[] },
};
type OperationName = keyof typeof operations;

function texts(file: string): string[] {
	const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
	expect(Array.isArray(parsed), `${file} holds an array`).toBe(true);
	return (parsed as { text: string }[]).map((entry) => entry.text);
}

/** A call's file with the random temp / batch part taken out, to name a step. */
function stepName(dir: string, file: string): string {
	return (path.relative(dir, file) || '<inbox dir>').replace(/\.tmp\.[0-9a-f]{8}$/, '.tmp.*');
}

function pendingSpool(file: string): string[] {
	const spool = `${file}.spool`;
	return existsSync(spool) ? readdirSync(spool).filter((name) => /\.(json|claimed)$/.test(name)) : [];
}

interface Step {
	index: number;
	op: FileSystemOp;
	name: string;
	/** Among the calls of the same op, 1-based: what the injector counts. */
	nth: number;
	/** After the rename that commits the inbox: the change is visible whatever the outcome. */
	afterCommit: boolean;
}

/** The calls one uncontended operation makes, traced on a throwaway inbox (the sequence is deterministic). */
async function stepsOf(operation: OperationName): Promise<Step[]> {
	const fixture = await seeded();
	const calls = await traceCalls(() => operations[operation].run(fixture));
	const commit = calls.findIndex(
		(call) => call.op === 'rename' && stepName(fixture.dir, call.path) === 'lead.json.tmp.*',
	);
	expect(commit, `${operation} commits with a rename`).toBeGreaterThan(0);
	const perOp = new Map<FileSystemOp, number>();
	return calls.map((call, index) => {
		const nth = (perOp.get(call.op) ?? 0) + 1;
		perOp.set(call.op, nth);
		return { index, op: call.op, name: stepName(fixture.dir, call.path), nth, afterCommit: index > commit };
	});
}

// Traced one after another: the tracer is process-wide.
const plans: { operation: OperationName; cases: { step: Step; code: string }[] }[] = [];
for (const operation of Object.keys(operations) as OperationName[]) {
	// A failed release leaves the lock to go stale (a 2 s wait per case): the same code for every operation, so once.
	const steps = (await stepsOf(operation)).filter((step) => step.op !== 'rmdir' || operation === 'send');
	plans.push({ operation, cases: steps.flatMap((step) => codesFor[step.op].map((code) => ({ step, code }))) });
}

describe.each(plans)('a fault at each step of $operation', ({ operation, cases }) => {
	it.each(cases.map(({ step, code }) => [`#${step.index} ${step.op} ${step.name}: ${code}`, step, code] as const))(
		'%s',
		async (_, step, code) => {
			const fixture = await seeded();
			const { dir, file, before } = fixture;
			const rule: FaultRule = { op: step.op, nth: step.nth, code };
			const fired = injectFaults([rule]);
			const outcome = await operations[operation].run(fixture).then(
				() => undefined,
				(error: unknown) => error,
			);
			clearFaults();
			expect(
				fired.map((fault) => stepName(dir, fault.path)),
				'the planned step failed',
			).toEqual([step.name]);

			if (outcome !== undefined) {
				// Typed, naming the inbox or one of its own files (lock, temp, spool).
				expect(isMailboxError(outcome), `untyped: ${String(outcome)}`).toBe(true);
				const error = outcome as MailboxError;
				expect(error.path ?? '', error.message).toContain(file);
				expect(error.message).toContain(file);
			}
			const committed = outcome === undefined || step.afterCommit;
			if (committed) expect(texts(file)).toEqual(operations[operation].after);
			else expect(readFileSync(file).equals(before), 'the inbox is byte for byte what it was').toBe(true);
			expect(tempFilesUnder(dir)).toEqual([]);
			expect(pendingSpool(file)).toEqual([]);

			// Fault gone: the next operation succeeds (a lock a failed release left behind is taken over once stale).
			const current = texts(file);
			await fixture.inbox.send({ from: 'tester', text: 'after' }, { timeoutMs: STALE_MS + 5_000 });
			expect(texts(file)).toEqual([...current, 'after']);
			expect(existsSync(`${file}.lock`)).toBe(false);
		},
		15_000,
	);
});

describe('what each operation flushes', () => {
	it('a send flushes its file and the directory; an ack or clear, which only removes, flushes its file only', async () => {
		const flushes = async (operation: OperationName) => {
			const fixture = await seeded();
			const calls = await traceCalls(() => operations[operation].run(fixture));
			return calls.filter((call) => call.op === 'fsync').map((call) => stepName(fixture.dir, call.path));
		};
		expect(await flushes('send')).toEqual(['lead.json.tmp.*', '<inbox dir>']);
		// After a power cut the previous version may come back: it holds nothing the new one lacks.
		expect(await flushes('ack')).toEqual(['lead.json.tmp.*']);
		expect(await flushes('clear')).toEqual(['lead.json.tmp.*']);
	});

	it('a send with flushDirectory: false flushes its file only; an audit log flushes its flushFirst directory first', async () => {
		const fixture = await seeded();
		const send = () => fixture.inbox.send({ from: 'tester', text: 'new' }, { flushDirectory: false });
		const sent = await traceCalls(send);
		expect(sent.filter((call) => call.op === 'fsync').map((call) => stepName(fixture.dir, call.path))).toEqual([
			'lead.json.tmp.*',
		]);
		expect(texts(fixture.file)).toEqual(['one', 'two', 'new']);

		const logDir = path.join(fixture.dir, 'log');
		mkdirSync(logDir);
		const log = new AuditLog(path.join(logDir, 'audit.jsonl'), { flushFirst: [fixture.dir] });
		expect(log.flushesFirst(fixture.dir)).toBe(true);
		expect(log.flushesFirst(logDir)).toBe(false);
		const line: AuditRecord = {
			time: '',
			requestId: 'r',
			kind: 'permission',
			worker: 'w',
			decision: 'allow',
			decidedBy: 'policy',
			msgId: 'm',
		};
		const logged = await traceCalls(() => log.append(line));
		expect(logged.filter((call) => call.op === 'fsync').map((call) => call.path)).toEqual([
			fixture.dir,
			log.path,
			logDir, // a new log's own name
		]);
	});
});

describe('faults on the contended path (spool deposit, claim, commit, settle)', () => {
	/** Send while this process holds the lock, so the send spools its batch, then let it combine its own batch. */
	async function contendedSend(fixture: Fixture) {
		const { file } = fixture;
		const held = await acquireLock(file, `${file}.lock`, { staleMs: STALE_MS, deadline: Date.now() + 5_000 });
		const sending = fixture.inbox.send({ from: 'tester', text: 'new' }, { timeoutMs: 5_000 });
		const outcome = sending.then(
			() => undefined,
			(error: unknown) => error,
		);
		// The batch is in the spool (or the deposit failed) before the lock is let go.
		const deadline = Date.now() + 5_000;
		let settled = false;
		void outcome.then(() => {
			settled = true;
		});
		while (!settled && !readdirSync(path.dirname(file)).some((name) => name.endsWith('.spool'))) {
			if (Date.now() > deadline) throw new Error('no spool directory within 5 s');
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		while (!settled && pendingSpool(file).length === 0 && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		await held.release();
		return outcome;
	}

	const steps: { name: string; rule: FaultRule }[] = [
		{
			name: 'deposit: ENOSPC writing the batch',
			rule: { op: 'write', path: '.spool/', code: 'ENOSPC' },
		},
		{
			name: 'deposit: EACCES renaming the batch in',
			rule: { op: 'rename', path: '.spool/', code: 'EACCES' },
		},
		{
			name: 'claim: EACCES renaming it claimed',
			rule: { op: 'rename', path: '.spool/', nth: 2, code: 'EACCES' },
		},
		{
			name: 'claim: EIO reading the claimed batch',
			rule: { op: 'read', path: '.claimed', code: 'EIO' },
		},
		{
			name: 'commit: ENOSPC writing the inbox',
			rule: { op: 'write', path: 'lead.json.tmp', code: 'ENOSPC' },
		},
		{ name: 'commit: EIO on its fsync', rule: { op: 'fsync', path: 'lead.json.tmp', code: 'EIO' } },
		{
			name: 'settle: EACCES removing the committed batch',
			rule: { op: 'unlink', path: '.claimed', code: 'EACCES' },
		},
	];

	it.each(steps)('$name', async ({ rule }) => {
		const fixture = await seeded();
		const { dir, file, before } = fixture;
		const fired = injectFaults([rule]);
		const outcome = await contendedSend(fixture);
		clearFaults();
		expect(fired, 'the planned step failed').toHaveLength(1);
		const after = texts(file);
		if (outcome === undefined) {
			// Resolved: the entry is in, once.
			expect(after).toEqual(['one', 'two', 'new']);
		} else {
			expect(isMailboxError(outcome), `untyped: ${String(outcome)}`).toBe(true);
			expect((outcome as MailboxError).message).toContain(file);
			// Rejected: not written, unless a later holder commits the batch it left (never twice).
			expect(readFileSync(file).equals(before) || after.join() === 'one,two,new', after.join()).toBe(true);
		}
		expect(tempFilesUnder(dir)).toEqual([]);
		await fixture.inbox.send({ from: 'tester', text: 'after' }, { timeoutMs: STALE_MS + 5_000 });
		const final = texts(file);
		expect(final.filter((text) => text === 'new').length, final.join()).toBeLessThanOrEqual(1);
		if (outcome === undefined) expect(final).toEqual(['one', 'two', 'new', 'after']);
		expect(final.at(-1)).toBe('after');
		expect(pendingSpool(file)).toEqual([]);
		expect(existsSync(`${file}.lock`)).toBe(false);
	});
});

describe('a fault in the lock’s mtime probe, which runs at a process’s first acquisition only', () => {
	it('fails that send typed and leaves no lock behind; the next send probes again and is written', async () => {
		const { dir, file, ids } = await seeded();
		const sender = await startSender(file, {
			from: 'other',
			count: 3,
			staleMs: STALE_MS,
			faults: [{ op: 'utimes', path: 'lead.json.lock', code: 'EIO' }],
		});
		const { sent, failed, fired } = await sender.go();
		expect(fired.map((fault) => fault.op)).toEqual(['utimes']);
		expect(failed).toEqual([
			{ kind: 'failed', text: 'other:0', code: 'IO', message: expect.stringContaining('lead.json.lock') },
		]);
		expect(sent.map((item) => item.text)).toEqual(['other:1', 'other:2']);
		expect(inboxEntries(file).map((entry) => [entry.text, entry.msg_id])).toEqual([
			['one', ids[0]],
			['two', ids[1]],
			['other:1', sent[0]?.id],
			['other:2', sent[1]?.id],
		]);
		expect(existsSync(`${file}.lock`)).toBe(false);
		expect(tempFilesUnder(dir)).toEqual([]);
	}, 30_000);

	it('is not repeated once it succeeded: later acquisitions stamp the lock without touching its mtime', async () => {
		const { file } = await seeded(); // this process has taken the lock already
		const calls = await traceCalls(() =>
			new Inbox(file, { staleMs: STALE_MS }).send({ from: 'tester', text: 'again' }),
		);
		const lockCalls = calls.filter((call) => call.path.endsWith('lead.json.lock')).map((call) => call.op);
		expect(lockCalls).not.toContain('utimes');
		expect(lockCalls).toContain('mkdir');
		expect(lockCalls).toContain('rmdir');
	});
});

describe('a fault in another process that combines this process’s batch', () => {
	it('hands the batch back: that sender commits it itself, the faulty one rejects, typed', async () => {
		const fixture = await seeded();
		const { dir, file } = fixture;
		const marker = path.join(dir, 'stalled');
		// The other process takes the lock, stalls a moment (so this one spools its batch), then cannot write the inbox.
		const other = await startSender(file, {
			from: 'other',
			staleMs: STALE_MS,
			faults: [
				{ op: 'utimes', path: 'lead.json.lock', stallMs: 300, marker },
				{ op: 'write', path: 'lead.json.tmp', code: 'ENOSPC', times: 0 },
			],
		});
		const report = other.go();
		await waitUntil(fileExists(marker), 'the other process to stall under the lock');
		const id = await fixture.inbox.send({ from: 'tester', text: 'mine' }, { timeoutMs: 10_000 });
		const { sent, failed, fired } = await report;
		expect(sent).toEqual([]);
		expect(failed).toEqual([{ kind: 'failed', text: 'other:0', code: 'IO', message: expect.stringContaining(file) }]);
		expect(fired.map((fault) => fault.code ?? 'stall')).toEqual(['stall', 'ENOSPC']);
		expect(inboxEntries(file).map((entry) => [entry.text, entry.msg_id])).toEqual([
			['one', fixture.ids[0]],
			['two', fixture.ids[1]],
			['mine', id],
		]);
		expect(tempFilesUnder(dir)).toEqual([]);
		expect(pendingSpool(file)).toEqual([]);
	}, 30_000);
});
