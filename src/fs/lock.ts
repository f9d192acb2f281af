import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { errors, type MailboxError } from '../errors.js';
import { lockFileSystem, statSync } from './fs-seam.js';

export interface LockOptions {
	/**
	A lock directory whose mtime is older than this is considered abandoned and taken over.
	Claude Code uses 10 000 ms; every process sharing a team must agree.
	@default 10_000
	*/
	staleMs?: number;
	/** Epoch ms after which acquisition gives up with `LOCK_TIMEOUT`. */
	deadline: number;
	signal?: AbortSignal | undefined;
	/** Called before each retry; return `false` to give up early (e.g. every waiter has timed out). */
	shouldContinue?: () => boolean;
}

export interface HeldLock {
	readonly lockPath: string;
	/** Throws `LOCK_COMPROMISED` if the lock directory is gone or was made again (removed by hand, or taken over by another process) since this holder last stamped it. */
	assertHeld(): void;
	release(): Promise<void>;
}

const firstRetryMs = 1;
const maxRetryMs = 25;

/**
Take the mkdir lock at `lockPath` (the layout Claude Code and proper-lockfile share), retrying with
jittered backoff until `deadline`. Short retries keep the lock busy under contention, where Claude Code's
fixed 5..100 ms schedule leaves it idle and then gives up after about 655 ms.
*/
export async function acquireLock(file: string, lockPath: string, options: LockOptions): Promise<HeldLock> {
	const { staleMs = 10_000, deadline, signal, shouldContinue } = options;
	const started = Date.now();
	let delayMs = firstRetryMs;
	for (;;) {
		if (signal?.aborted) throw errors.aborted(`Locking ${lockPath}`, signal.reason);
		const lock = await tryAcquireLock(file, lockPath, staleMs);
		if (lock) return lock;
		const remaining = deadline - Date.now();
		if (remaining <= 0 || (shouldContinue && !shouldContinue())) {
			throw errors.lockTimeout(lockPath, Date.now() - started);
		}
		const jittered = delayMs * (0.5 + Math.random());
		delayMs = Math.min(maxRetryMs, delayMs * 1.6);
		try {
			await sleep(Math.min(remaining, jittered), undefined, { signal });
		} catch {
			throw errors.aborted(`Locking ${lockPath}`, signal?.reason);
		}
	}
}

/**
One attempt; `undefined` when another live holder has the lock. A single stat answers "busy" for the
common contended case, so dozens of waiting processes stay cheap; proper-lockfile runs only when the lock
looks free or stale (it then does the real mkdir, stale takeover and refresh). Synchronous inside: these are
tiny local calls (stat, mkdir, rmdir), cheaper than the thread-pool round trips of their async forms.
*/
export async function tryAcquireLock(file: string, lockPath: string, staleMs = 10_000): Promise<HeldLock | undefined> {
	return tryAcquireLockSync(file, lockPath, staleMs);
}

/**
The lock directory as this holder last stamped it (proper-lockfile sets its mtime at acquisition and at each refresh,
and the kernel sets its change time then). Another inode or change time means it was removed and made again since.
*/
interface Stamp {
	ino: number;
	ctimeMs: number;
}

function tryAcquireLockSync(file: string, lockPath: string, staleMs: number): HeldLock | undefined {
	try {
		// Usually absent: asked not to throw, as an exception per send costs more than the call.
		const held = statSync(lockPath, { throwIfNoEntry: false });
		if (held && Date.now() - held.mtimeMs < staleMs) return undefined;
	} catch {
		// Unreadable: let proper-lockfile decide.
	}
	let compromise: MailboxError | undefined;
	let stamp: Stamp | undefined;
	// Once the directory is known to be gone or someone else's, releasing must not remove it.
	let lost = false;
	const fs = {
		mkdirSync: (...args: Parameters<typeof lockFileSystem.mkdirSync>) => lockFileSystem.mkdirSync(...args),
		statSync: (...args: Parameters<typeof lockFileSystem.statSync>) => lockFileSystem.statSync(...args),
		utimesSync: (...args: Parameters<typeof lockFileSystem.utimesSync>) => {
			lockFileSystem.utimesSync(...args);
			const stats = lockFileSystem.statSync(lockPath);
			stamp = { ino: stats.ino, ctimeMs: stats.ctimeMs };
		},
		rmdirSync: (directory: string) => {
			if (!lost) lockFileSystem.rmdirSync(directory);
		},
	};
	try {
		const release = lockfile.lockSync(file, {
			lockfilePath: lockPath,
			realpath: false,
			fs,
			stale: staleMs,
			update: Math.max(1000, Math.min(staleMs / 2, 5000)),
			onCompromised: (error) => {
				compromise = errors.lockCompromised(lockPath, error);
			},
		});
		return {
			lockPath,
			assertHeld() {
				if (compromise) throw compromise;
				// proper-lockfile notices a takeover only at its next refresh (seconds away, and never while this process
				// is stalled), so look now: a missing directory, or one with another inode or change time, is not ours.
				let current: { ino: number; ctimeMs: number };
				try {
					current = statSync(lockPath);
				} catch (error) {
					lost = (error as NodeJS.ErrnoException).code === 'ENOENT';
					compromise = errors.lockCompromised(lockPath, error);
					throw compromise;
				}
				if (stamp && (current.ino !== stamp.ino || current.ctimeMs !== stamp.ctimeMs)) {
					lost = true;
					compromise = errors.lockCompromised(lockPath);
					throw compromise;
				}
			},
			async release() {
				try {
					release();
				} catch (error) {
					// A compromised lock is already gone; anything else is worth reporting.
					if (!compromise) throw errors.io('release lock', lockPath, error);
				}
			},
		};
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		// ENOENT: another process's stale takeover removed the directory between our mkdir and its mtime probe.
		// The lock is contended, not broken: try again like any busy lock.
		if (code === 'ELOCKED' || (code === 'ENOENT' && existsSync(path.dirname(lockPath)))) return undefined;
		throw errors.io('lock', lockPath, error);
	}
}
