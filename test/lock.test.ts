import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockFileSystem } from '../src/fs/fs-seam.js';
import { acquireLock, observedStale } from '../src/fs/lock.js';
import { Inbox, isMailboxError } from '../src/index.js';
import { forkFixture, nextMessage } from './helpers/fork.js';
import { tempDir } from './helpers/temp.js';

const holderScript = 'test/fixtures/lock-holder.ts';
const STALE_MS = 2_000;
/** proper-lockfile refreshes a held lock's mtime this often (max(1000, staleMs / 2)). */
const UPDATE_MS = Math.max(1_000, STALE_MS / 2);

const children: ChildProcess[] = [];

afterEach(() => {
	for (const child of children.splice(0))
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function startHolder(file: string): ChildProcess {
	const child = forkFixture(holderScript, [file, String(STALE_MS)]);
	children.push(child);
	return child;
}

function exited(child: ChildProcess, deadlineMs = 10_000): Promise<{ code: number | null; signal: string | null }> {
	if (child.exitCode !== null || child.signalCode !== null) {
		return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
	}
	return new Promise((resolve, reject) => {
		const timer = setTimeout(
			() => reject(new Error(`fixture ${child.pid} did not exit within ${deadlineMs} ms`)),
			deadlineMs,
		);
		child.once('exit', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal });
		});
	});
}

async function seededInbox() {
	const dir = tempDir();
	const file = path.join(dir, 'lead.json');
	const inbox = new Inbox(file, { staleMs: STALE_MS });
	await inbox.send({ from: 'setup', text: 'before' });
	return { dir, file, lockPath: `${file}.lock`, inbox };
}

function pendingSpool(file: string): string[] {
	const spool = `${file}.spool`;
	if (!existsSync(spool)) return [];
	return readdirSync(spool).filter((name) => /\.(json|claimed)$/.test(name));
}

describe('the inbox lock across processes', () => {
	it('honours a SIGKILLed holder’s lock until it is stale, then takes it over', async () => {
		const { file, lockPath, inbox } = await seededInbox();
		const holder = startHolder(file);
		await nextMessage(holder, 'locked');
		holder.kill('SIGKILL');
		expect((await exited(holder)).signal).toBe('SIGKILL');
		expect(statSync(lockPath).isDirectory()).toBe(true); // nobody cleaned up after the killed holder
		const lockAge = Date.now() - statSync(lockPath).mtimeMs;

		const started = performance.now();
		const id = await inbox.send({ from: 'parent', text: 'after' }, { timeoutMs: 10_000 });
		const waited = performance.now() - started;

		// Honoured until stale: the send waited the rest of the stale window (minus what had already passed).
		expect(waited).toBeGreaterThanOrEqual(Math.min(1_500, STALE_MS - lockAge - 100));
		expect(waited).toBeLessThan(STALE_MS + 3_000);
		expect(existsSync(lockPath)).toBe(false);
		expect(pendingSpool(file)).toEqual([]);
		const entries = JSON.parse(readFileSync(file, 'utf8'));
		expect(entries.map((entry: { text: string }) => entry.text)).toEqual(['before', 'after']);
		expect(entries[1].msg_id).toBe(id);
	}, 30_000);

	it('never takes over a live holder’s lock, which it keeps fresh past the stale window', async () => {
		const { file, lockPath, inbox } = await seededInbox();
		const before = readFileSync(file, 'utf8');
		const holder = startHolder(file);
		await nextMessage(holder, 'locked');
		const lockedMtime = statSync(lockPath).mtimeMs;

		const started = performance.now();
		const error = await inbox.send({ from: 'parent', text: 'blocked' }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
		const waited = performance.now() - started;

		expect(isMailboxError(error, 'LOCK_TIMEOUT'), String(error)).toBe(true);
		expect(waited).toBeGreaterThanOrEqual(4_900);
		expect(readFileSync(file, 'utf8')).toBe(before);
		expect(pendingSpool(file)).toEqual([]); // the batch was withdrawn, not left for a later commit
		// The holder refreshed its lock (5 s is 2.5 stale windows) and never saw it compromised.
		expect(statSync(lockPath).mtimeMs).toBeGreaterThan(lockedMtime);
		expect(holder.exitCode).toBeNull();
		holder.send({ kind: 'check', timeoutMs: 0 });
		expect(await nextMessage(holder, 'checked')).toMatchObject({ compromised: false });

		holder.send('release');
		expect(await nextMessage(holder, 'released')).toEqual({ kind: 'released' });
		expect(await exited(holder)).toEqual({ code: 0, signal: null });
		expect(existsSync(lockPath)).toBe(false);
		// And the inbox is usable again at once.
		await inbox.send({ from: 'parent', text: 'after release' }, { timeoutMs: 1_000 });
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['before', 'after release']);
	}, 30_000);

	it('tells a holder whose lock directory was removed by hand that its lock is compromised', async () => {
		const { file, lockPath, inbox } = await seededInbox();
		const holder = startHolder(file);
		await nextMessage(holder, 'locked');
		rmdirSync(lockPath);

		// The lock is free for others at once; the holder learns of it at its next mtime refresh.
		await inbox.send({ from: 'parent', text: 'while the holder thinks it holds' }, { timeoutMs: 1_000 });
		expect(existsSync(lockPath)).toBe(false);
		// It polls assertHeld() for up to a few refresh periods (the next refresh finds the directory gone).
		holder.send({ kind: 'check', timeoutMs: UPDATE_MS + 4_000 });
		expect(await nextMessage(holder, 'checked')).toMatchObject({ compromised: true, code: 'LOCK_COMPROMISED' });

		// Releasing a compromised lock is quiet and removes nothing: here the lock is someone else's by now.
		const current = await acquireLock(file, lockPath, { staleMs: STALE_MS, deadline: Date.now() + 1_000 });
		try {
			holder.send('release');
			expect(await nextMessage(holder, 'released')).toEqual({ kind: 'released' });
			expect(await exited(holder)).toEqual({ code: 0, signal: null });
			expect(statSync(lockPath).isDirectory()).toBe(true);
			expect(() => current.assertHeld()).not.toThrow();
		} finally {
			await current.release();
		}
		expect(existsSync(lockPath)).toBe(false);
	}, 30_000);

	it('removes its lock when the holder exits holding it, unless the lock is no longer its own', async () => {
		const { file, lockPath } = await seededInbox();
		const holder = startHolder(file);
		await nextMessage(holder, 'locked');
		holder.send('exit');
		expect(await exited(holder)).toEqual({ code: 0, signal: null });
		expect(existsSync(lockPath)).toBe(false); // proper-lockfile's exit handler, through our fs object

		const second = startHolder(file);
		await nextMessage(second, 'locked');
		rmdirSync(lockPath);
		const current = await acquireLock(file, lockPath, { staleMs: STALE_MS, deadline: Date.now() + 1_000 });
		try {
			second.send({ kind: 'check', timeoutMs: 0 });
			expect(await nextMessage(second, 'checked')).toMatchObject({ compromised: true, code: 'LOCK_COMPROMISED' });
			second.send('exit');
			expect(await exited(second)).toEqual({ code: 0, signal: null });
			expect(statSync(lockPath).isDirectory()).toBe(true); // the new holder's directory stays
			expect(() => current.assertHeld()).not.toThrow();
		} finally {
			await current.release();
		}
	}, 30_000);
});

describe('the lock’s mtime precision', () => {
	it('is probed per directory: a file system keeping whole seconds is not refreshed as if it kept milliseconds', async () => {
		const fine = path.join(tempDir(), 'lead.json');
		const coarse = path.join(tempDir(), 'lead.json');
		const realUtimes = lockFileSystem.utimesSync;
		// A file system that keeps whole seconds (HFS+, some network mounts), for the second directory only.
		lockFileSystem.utimesSync = (target, atime, mtime) =>
			realUtimes(
				target,
				atime,
				String(target).startsWith(path.dirname(coarse)) ? Math.floor(Number(mtime) / 1000) : mtime,
			);
		try {
			const first = await acquireLock(fine, `${fine}.lock`, { staleMs: STALE_MS, deadline: Date.now() + 1_000 });
			await first.release();
			const held = await acquireLock(coarse, `${coarse}.lock`, { staleMs: STALE_MS, deadline: Date.now() + 1_000 });
			try {
				// Two refreshes: the second compares the mtime the first set with what the disk kept.
				await new Promise((resolve) => setTimeout(resolve, 2 * UPDATE_MS + 600));
				expect(() => held.assertHeld()).not.toThrow();
			} finally {
				await held.release();
			}
		} finally {
			lockFileSystem.utimesSync = realUtimes;
		}
	}, 30_000);
});

describe('judging a lock by observation', () => {
	it('is not fooled by a jump of the wall clock: only time on the monotonic clock ages an observation', async () => {
		const key = path.join(tempDir(), 'jump.lock');
		const realNow = Date.now;
		try {
			expect(observedStale(key, { mtimeMs: 1_000 }, 200)).toBe(false); // first seen
			Date.now = () => realNow() + 3_600_000; // the wall clock jumps an hour ahead
			expect(observedStale(key, { mtimeMs: 1_000 }, 200)).toBe(false);
			await new Promise((resolve) => setTimeout(resolve, 250));
			expect(observedStale(key, { mtimeMs: 1_000 }, 200)).toBe(true); // unchanged for the whole window
			expect(observedStale(key, { mtimeMs: 2_000 }, 200)).toBe(false); // refreshed: seen anew
		} finally {
			Date.now = realNow;
		}
	});
});
