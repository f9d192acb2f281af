/**
When a send flushes what. A send's own entry is flushed (data) before its rename, under the lock; its directory entry
is flushed after the lock is released, so a Claude Code writer waiting for the lock does not wait for that flush too;
the send resolves only once both are durable. A holder that commits other senders' spooled batches flushes the
directory under the lock, before it tells them (removes their batch files) and before it releases.
*/
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setFileSystemFaults } from '../src/fs/fs-seam.js';
import { Inbox, isMailboxError } from '../src/index.js';
import { clearFaults, fsError } from './helpers/faults.js';
import { tempDir } from './helpers/temp.js';

afterEach(() => clearFaults());

function texts(file: string): string[] {
	return (JSON.parse(readFileSync(file, 'utf8')) as { text: string }[]).map((entry) => entry.text);
}

/** A call's file named relative to the inbox directory, the random temp part taken out. */
const stepOf = (dir: string) => (op: string, file: string) =>
	`${op} ${(path.relative(dir, file) || '<dir>').replace(/\.tmp\.[0-9a-f]{8}$/, '.tmp.*').replace(/[0-9a-z]{9}-[0-9a-z]{12}\.(json|claimed)$/, '<batch>.$1')}`;

/** An inbox in a fresh directory, holding one entry (`one`). */
async function seededInbox() {
	const dir = tempDir();
	const file = path.join(dir, 'lead.json');
	const inbox = new Inbox(file);
	await inbox.send({ from: 'setup', text: 'one' });
	return { dir, file, inbox };
}

describe('the directory flush of a send', () => {
	it('comes after the lock is released, and the send resolves only after it', async () => {
		const { dir, file, inbox } = await seededInbox();
		const step = stepOf(dir);
		const calls: string[] = [];
		let resolved = false;
		setFileSystemFaults((op, target) => {
			calls.push(step(op, target));
			if (op === 'fsync' && target === dir) calls.push(`(send resolved: ${resolved})`);
			return undefined;
		});
		await inbox.send({ from: 'tester', text: 'two' }).then(() => {
			resolved = true;
		});
		clearFaults();
		const order = (entry: string) => calls.indexOf(entry);
		expect(order('fsync lead.json.tmp.*')).toBeGreaterThan(-1);
		expect(order('fsync lead.json.tmp.*')).toBeLessThan(order('rename lead.json.tmp.*'));
		expect(order('rename lead.json.tmp.*')).toBeLessThan(order('rmdir lead.json.lock'));
		expect(order('rmdir lead.json.lock')).toBeLessThan(order('fsync <dir>'));
		expect(calls).toContain('(send resolved: false)');
		expect(texts(file)).toEqual(['one', 'two']);
	});

	it('failing after the release still fails the send (typed, naming the file): it never resolves unflushed', async () => {
		const { dir, file, inbox } = await seededInbox();
		let released = false;
		let failedAfterRelease = false;
		setFileSystemFaults((op, target) => {
			if (op === 'rmdir' && target === `${file}.lock`) released = true;
			if (op !== 'fsync' || target !== dir) return undefined;
			failedAfterRelease = released;
			return fsError('EIO', op, target);
		});
		const outcome = await inbox.send({ from: 'tester', text: 'two' }).then(
			() => 'resolved',
			(error: unknown) => error,
		);
		clearFaults();
		expect(failedAfterRelease, 'the lock was released before the flush').toBe(true);
		expect(isMailboxError(outcome, 'IO'), String(outcome)).toBe(true);
		expect((outcome as Error).message).toContain(file);
		expect((outcome as Error).message).toContain('could not flush its directory');
		// Visible though not known durable: the entry stays (a blind retry would repeat it), once.
		expect(texts(file)).toEqual(['one', 'two']);
		expect(existsSync(`${file}.lock`)).toBe(false);
		await inbox.send({ from: 'tester', text: 'three' });
		expect(texts(file)).toEqual(['one', 'two', 'three']);
	});

	it('is made under the lock, before their batches are settled, when the write commits others’ spooled batches', async () => {
		const { dir, file, inbox } = await seededInbox();
		const step = stepOf(dir);
		const calls: string[] = [];
		setFileSystemFaults((op, target) => {
			calls.push(step(op, target));
			return undefined;
		});
		// A held-back send takes the lock and waits for its condition; a plain send meanwhile finds the lock busy
		// (held by this process) and leaves its batch in the spool. The batch is committed by whichever holder takes it
		// (the held one drains only once ours have been seen holding the lock for a while; else its sender does).
		let go: () => void = () => {};
		const held = inbox.send({ from: 'tester', text: 'held' }, { commitAfter: new Promise<void>((r) => (go = r)) });
		const spooled = inbox.send({ from: 'tester', text: 'spooled' });
		const spool = `${file}.spool`;
		const deadline = Date.now() + 5_000;
		while (!(existsSync(spool) && readdirSync(spool).some((name) => name.endsWith('.json')))) {
			if (Date.now() > deadline) throw new Error('no spooled batch within 5 s');
			await new Promise((resolve) => setTimeout(resolve, 5));
		}
		go();
		await Promise.all([held, spooled]);
		clearFaults();
		expect(texts(file)).toEqual(['one', 'held', 'spooled']);
		const claimed = calls.indexOf('rename lead.json.spool/<batch>.json');
		const settled = calls.indexOf('unlink lead.json.spool/<batch>.claimed');
		const released = calls.indexOf('rmdir lead.json.lock', claimed);
		const flush = calls.indexOf('fsync <dir>', claimed);
		expect(claimed, calls.join('\n')).toBeGreaterThan(-1);
		expect(settled, calls.join('\n')).toBeGreaterThan(claimed);
		// The write that committed the batch flushed the directory under the lock, before its sender was told.
		expect(flush, calls.join('\n')).toBeGreaterThan(claimed);
		expect(flush).toBeLessThan(settled);
		expect(flush).toBeLessThan(released);
	});
});
