import type { Stats } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import { errors, type MailboxError } from '../errors.js';
import { existsSync, lockFileSystem, statSync } from './fs-seam.js';
import { fileSystemOf, markNetworkDirectory } from './fs-type.js';

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
	/**
	Throws `LOCK_COMPROMISED` if the lock directory is gone or was made again (removed by hand, or taken over by another
	process) since this holder last stamped it. On a network file system the look is asynchronous: it returns a promise
	that rejects instead (a slow server delays only this call).
	*/
	assertHeld(): void | Promise<void>;
	release(): Promise<void>;
}

/** Claude Code's lock retry schedule (2.1.330, as the older release): 5 ms doubling to 100 ms, no jitter. */
const peerFirstRetryMs = 5;
const peerMaxRetryMs = 100;

/**
How long a contended writer of ours waits before its `attempt`-th retry (1-based): never sooner than a Claude Code
writer would at the same point (5, 10, 20, 40, 80, then 100 ms), stretched by up to a quarter at random so that our
own waiters spread out. Claude Code's writers give up after 10 retries (about 655 ms) and drop the message; a
neighbour that retried more eagerly would take the lock from them whenever it frees, so in a mixed team ours retry
no faster than they do. Ours lose nothing by it: a waiting send sits in the spool, and the next of ours to hold the
lock commits it.
*/
export function contendedRetryDelayMs(attempt: number): number {
	const peerMs = Math.min(peerMaxRetryMs, peerFirstRetryMs * 2 ** Math.max(0, attempt - 1));
	return peerMs * (1 + Math.random() / 4);
}

/**
Our lock directories carry the sticky bit (mkdir honours it on Linux, whatever the umask); Claude Code's, made by
proper-lockfile with the default mode, never do. So a waiter that finds the lock busy can tell whose it is.
*/
const ourLockMode = 0o1700;
const stickyBit = 0o1000;

/** What this process saw holding a lock it found busy: see {@link lockHoldersSeen}. */
export interface LockHoldersSeen {
	/** When it last found one of ours holding it. */
	oursAt: number;
	/**
	When it began finding ours holding it, after none for `oursRunGapMs` or since a writer not ours was found holding
	it (`-Infinity` then, until ours are seen again): how long ours alone have been seen.
	*/
	oursSince: number;
	/** When it last found another writer (Claude Code's, which gives up after about 655 ms of retries) holding it. */
	foreignAt: number;
}

const neverSeen: LockHoldersSeen = { oursAt: -Infinity, oursSince: -Infinity, foreignAt: -Infinity };
/** Sightings of ours further apart than this start a new run (`oursSince`). */
const oursRunGapMs = 5_000;
/** Per lock path, this process's clock (epoch ms). */
const holdersSeen = new Map<string, LockHoldersSeen>();

/**
What this process saw holding `lockPath` when it found it busy (epoch ms, `-Infinity` for never). Seen on local file
systems only (on a network one the busy check is the server's mkdir, not a stat). See `InboxStore` for the use.
*/
export function lockHoldersSeen(lockPath: string): LockHoldersSeen {
	return holdersSeen.get(lockPath) ?? neverSeen;
}

/**
Take the mkdir lock at `lockPath` (the layout Claude Code and proper-lockfile share), retrying on Claude Code's own
schedule (see `contendedRetryDelayMs`) until `deadline`, where Claude Code would give up after about 655 ms.
*/
export async function acquireLock(file: string, lockPath: string, options: LockOptions): Promise<HeldLock> {
	const { staleMs = 10_000, deadline, signal, shouldContinue } = options;
	const started = Date.now();
	for (let attempt = 1; ; attempt++) {
		if (signal?.aborted) throw errors.aborted(`Locking ${lockPath}`, signal.reason);
		const lock = await tryAcquireLock(file, lockPath, staleMs);
		if (lock) return lock;
		const remaining = deadline - Date.now();
		if (remaining <= 0 || (shouldContinue && !shouldContinue())) {
			throw errors.lockTimeout(lockPath, Date.now() - started);
		}
		try {
			await sleep(Math.min(remaining, contendedRetryDelayMs(attempt)), undefined, { signal });
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
	const directory = path.dirname(lockPath);
	const known = observedDirectories.get(directory);
	const observing = known === undefined ? await observingOf(directory) : (known ?? undefined);
	// Locally one stat answers "busy" for the common contended case. On a network file system a stat can be seconds
	// old (a released lock still looks held), so only the server's answer to mkdir (via proper-lockfile) counts.
	if (observing === undefined) {
		try {
			// Usually absent: asked not to throw, as an exception per send costs more than the call.
			const held = statSync(lockPath, { throwIfNoEntry: false });
			const now = Date.now();
			if (held && now - held.mtimeMs < staleMs) {
				let seen = holdersSeen.get(lockPath);
				if (!seen) {
					if (holdersSeen.size >= 1024) holdersSeen.clear();
					seen = { ...neverSeen };
					holdersSeen.set(lockPath, seen);
				}
				if (held.mode & stickyBit) {
					if (!Number.isFinite(seen.oursSince) || now - seen.oursAt > oursRunGapMs) seen.oursSince = now;
					seen.oursAt = now;
				} else {
					seen.foreignAt = now;
					seen.oursSince = -Infinity; // no longer ours alone
				}
				return undefined;
			}
		} catch {
			// Unreadable: let proper-lockfile decide.
		}
	}
	// Held (or being taken) by this process already: as busy as if another process had it.
	if (holders.has(lockPath)) return undefined;
	const state: HolderState = { acquired: false, lost: false };
	holders.set(lockPath, state);
	let compromise: MailboxError | undefined;
	let release: () => Promise<void>;
	try {
		release = await lockfile.lock(file, {
			lockfilePath: lockPath,
			realpath: false,
			fs: lockCallsFor(path.dirname(lockPath), staleMs),
			stale: staleMs,
			update: Math.max(1000, Math.min(staleMs / 2, 5000)),
			onCompromised: (error) => {
				compromise = errors.lockCompromised(lockPath, error);
			},
		});
	} catch (error) {
		if (holders.get(lockPath) === state) holders.delete(lockPath);
		const code = (error as NodeJS.ErrnoException).code;
		// ENOENT: another process's stale takeover removed the directory between our mkdir and its mtime probe.
		// The lock is contended, not broken: try again like any busy lock.
		if (code === 'ELOCKED' || (code === 'ENOENT' && existsSync(path.dirname(lockPath)))) return undefined;
		throw errors.io('lock', lockPath, error);
	}
	const judge = (current: { ino: number; ctimeMs: number; mtimeMs: number }) => {
		const { stamp } = state;
		if (stamp && (current.ino !== stamp.ino || current.ctimeMs !== stamp.ctimeMs) && !state.seen?.has(keyOf(current))) {
			// A version of our directory this holder never saw (its own stat after a refresh was answered from the
			// client's cache) still carries the mtime our refresh set; a taker's new directory carries its own.
			if (state.seen && state.setSeconds?.has(Math.floor(current.mtimeMs / 1000))) {
				state.seen.add(keyOf(current));
				return;
			}
			state.lost = true;
			compromise = errors.lockCompromised(lockPath);
			throw compromise;
		}
	};
	const missing = (error: unknown) => {
		state.lost = (error as NodeJS.ErrnoException).code === 'ENOENT';
		compromise = errors.lockCompromised(lockPath, error);
		return compromise;
	};
	return {
		lockPath,
		assertHeld() {
			if (compromise) throw compromise;
			// proper-lockfile notices a takeover only at its next refresh (seconds away, and never while this process
			// is stalled), so look now: a missing directory, or one with another inode or change time, is not ours.
			if (observing !== undefined) {
				return lockFileSystem.stat(lockPath).then(judge, (error: unknown) => {
					throw missing(error);
				});
			}
			let current: { ino: number; ctimeMs: number; mtimeMs: number };
			try {
				current = statSync(lockPath);
			} catch (error) {
				throw missing(error);
			}
			judge(current);
		},
		async release() {
			try {
				// A refresh under way would touch the directory after its removal, maybe the next holder's.
				await state.refreshing;
				await release();
			} catch (error) {
				// A compromised lock is already gone; anything else is worth reporting.
				if (!compromise) throw errors.io('release lock', lockPath, error);
			} finally {
				if (holders.get(lockPath) === state) holders.delete(lockPath);
			}
		},
	};
}

/**
The lock directory as this holder last saw it: made by our mkdir, then touched by proper-lockfile's probe (first
acquisition only) and refreshes, each of which sets its change time. Another inode or change time means it was removed
and made again since.
*/
interface Stamp {
	ino: number;
	ctimeMs: number;
}

const stampOf = (stats: Stats): Stamp => ({ ino: stats.ino, ctimeMs: stats.ctimeMs });
const keyOf = (stats: { ino: number; ctimeMs: number }) => `${stats.ino}:${stats.ctimeMs}`;

/**
Stamp the holder's state, remembering each version of its own directory (network file systems only, where a stat can
be answered from the client's cache).
*/
function restamp(state: HolderState, stats: Stats): void {
	state.stamp = stampOf(stats);
	state.seen?.add(keyOf(stats));
}

/** What this process knows of a lock it is taking or holds. */
interface HolderState {
	/** Its mkdir succeeded: stats from now on are of our own directory. */
	acquired: boolean;
	stamp?: Stamp;
	/** Known to be gone or someone else's: releasing must not remove it. */
	lost: boolean;
	/** An asynchronous refresh (`utimes`) under way. */
	refreshing?: Promise<void> | undefined;
	/**
	Network file systems: each version (inode, change time) of our own directory seen so far, and the mtime our last
	refresh set. A client's attribute cache can answer a stat with an older version of our own directory (sshfs caches
	a reply to a stat that crossed our refresh for 20 s): that is still our lock, not a takeover, which makes another
	inode. Without this a live holder judged its own lock compromised one refresh after such a stat.
	*/
	seen?: Set<string>;
	setMtime?: Date;
	/** The mtimes (whole seconds: sshfs keeps no more) our refreshes set, the last few. */
	setSeconds?: Set<number>;
}

const holders = new Map<string, HolderState>();

type Done<T = void> = (error: NodeJS.ErrnoException | null, result?: T) => void;

/** Run a synchronous call and report it the callback way, at once (so a whole acquisition runs in one go). */
function settle<T>(done: Done<T>, call: () => T): void {
	let result: T;
	try {
		result = call();
	} catch (error) {
		done(error as NodeJS.ErrnoException);
		return;
	}
	done(null, result);
}

/** Remove our lock directory, unless it is known to be gone or someone else's. */
function removeOwn(directory: string): void {
	if (!holders.get(directory)?.lost) lockFileSystem.rmdirSync(directory);
}

/**
The `fs` given to proper-lockfile: callback-style over the seam's synchronous calls, plus the `rmdirSync` its exit
handler calls for locks still held when the process exits. proper-lockfile caches its mtime-precision probe (an extra
utimes and stat) on this object, so one object per directory makes the probe run at the first acquisition there only,
and never carries a precision over from another file system. Each call also keeps the holder's stamp current.
*/
function lockCallsFor(directory: string, staleMs: number): LockCalls {
	const observing = observedDirectories.get(directory) ?? undefined;
	const key = observing === undefined ? directory : `${directory}\0${staleMs}`;
	let calls = callsByDirectory.get(key);
	if (!calls) {
		calls = observing === undefined ? newLockCalls() : newObservingLockCalls(staleMs, observing);
		callsByDirectory.set(key, calls);
	}
	return calls;
}

type LockCalls = ReturnType<typeof newLockCalls> | ReturnType<typeof newObservingLockCalls>;
const callsByDirectory = new Map<string, LockCalls>();

function newLockCalls() {
	return {
		mkdir(directory: string, done: Done) {
			settle(done, () => {
				lockFileSystem.mkdirSync(directory, ourLockMode);
				const state = holders.get(directory);
				if (state) state.acquired = true;
			});
		},
		stat(target: string, done: Done<Stats>) {
			settle(done, () => {
				const stats = lockFileSystem.statSync(target);
				const state = holders.get(target);
				// The probe's stat right after our mkdir (or after the first probe's utimes) stamps the new lock.
				if (state?.acquired && !state.stamp) state.stamp = stampOf(stats);
				return stats;
			});
		},
		utimes(target: string, atime: Date, mtime: Date, done: Done) {
			settle(done, () => {
				lockFileSystem.utimesSync(target, atime, mtime);
				const state = holders.get(target);
				if (!state) return;
				state.stamp = stampOf(lockFileSystem.statSync(target));
			});
		},
		rmdir(directory: string, done: Done) {
			settle(done, () => removeOwn(directory));
		},
		rmdirSync: removeOwn,
		realpath(target: string, done: Done<string>) {
			settle(done, () => lockFileSystem.realpathSync(target));
		},
	};
}

/**
Directories whose locks are judged by observation (a network file system), with the attribute-cache time of their
client: a stale window there is `staleMs` plus that time, as a refresh can stay unseen that long.
*/
const observedDirectories = new Map<string, number | null>();

/** Look the directory's file system up once: network ones are judged by observation (`null`: locally, by the clock). */
async function observingOf(directory: string): Promise<number | undefined> {
	const info = await fileSystemOf(directory);
	const observing = info.network ? info.attributeCacheMs : null;
	if (!observedDirectories.has(directory)) observedDirectories.set(directory, observing);
	return observedDirectories.get(directory) ?? undefined;
}
/** Each foreign lock's mtime as last seen, and when (this process's monotonic clock) it was first seen with that value. */
const observations = new Map<string, { mtimeMs: number; seenAt: number }>();

/**
Judge the locks in `directory` by watching their mtime change, never by comparing it with this machine's clock: on a
network file system the holder is another machine, whose clock can be minutes off. A lock is stale once its mtime has
not changed for `staleMs` plus `attributeCacheMs` (the time this client may serve a cached stat) on this process's own
clock, so no clock skew can make a live lock look stale; a dead one is taken over that long after it is first seen.
The lock on disk stays Claude Code's (`<file>.lock` directory, mtime refreshed by its holder).
*/
export function judgeLocksByObservation(directory: string, attributeCacheMs: number): void {
	observedDirectories.set(path.resolve(directory), Math.max(0, attributeCacheMs));
	markNetworkDirectory(directory); // and writes there keep their calls off the event loop (see atomic-write.ts)
}

/**
Whether a lock seen with these stats has gone unchanged for the whole observed window. Also the hook for a lock whose
holder is on another host (a leadership claim, say): call it with each fresh stat of the thing its holder refreshes.
*/
export function observedStale(key: string, stats: { mtimeMs: number }, staleMs: number, attributeCacheMs = 0): boolean {
	// The monotonic clock: a jump of this machine's wall clock must not age an observation either.
	const now = performance.now();
	const seen = observations.get(key);
	if (!seen || seen.mtimeMs !== stats.mtimeMs) {
		observations.set(key, { mtimeMs: stats.mtimeMs, seenAt: now });
		if (observations.size > 4096) observations.delete(observations.keys().next().value as string);
		return false;
	}
	return now - seen.seenAt >= staleMs + attributeCacheMs;
}

/**
The lock calls for a network file system: asynchronous (a slow server delays only the acquisition waiting on it, and
the refresh of locks held keeps running), and the mtime proper-lockfile judges a foreign lock by is replaced with one
derived from this process's observations (see `judgeLocksByObservation`).
*/
function newObservingLockCalls(staleMs: number, attributeCacheMs: number) {
	const local = newLockCalls();
	return {
		...local,
		mkdir(directory: string, done: Done) {
			lockFileSystem.mkdir(directory).then(
				() => {
					const state = holders.get(directory);
					if (state) state.acquired = true;
					done(null);
				},
				(error: NodeJS.ErrnoException) => done(error),
			);
		},
		stat(target: string, done: Done<Stats>) {
			const state = holders.get(target);
			if (state?.acquired) {
				lockFileSystem.stat(target).then(
					(stats) => {
						// Released while the stat was under way (proper-lockfile's refresh would go on to touch the
						// directory, by then maybe the next holder's): end that refresh. Its error goes nowhere: released.
						if (holders.get(target) !== state) return done(Object.assign(new Error('released'), { code: 'ENOENT' }));
						state.seen ??= new Set();
						if (!state.stamp) restamp(state, stats);
						// An older version of our own directory, from the client's cache: show the mtime we set, as
						// the server has it (proper-lockfile would judge the lock compromised by the cached one).
						if (state.setMtime && state.seen.has(keyOf(stats)) && stats.mtimeMs !== state.setMtime.getTime()) {
							const current = Object.create(stats) as Stats;
							current.mtime = state.setMtime;
							return done(null, current);
						}
						done(null, stats);
					},
					(error: NodeJS.ErrnoException) => done(error),
				);
				return;
			}
			lockFileSystem.stat(target).then(
				(stats) => {
					// Someone else's lock being judged: stale (to proper-lockfile's `mtime < now - stale`) only once observed
					// unchanged for the whole window.
					const stale = observedStale(target, stats, staleMs, attributeCacheMs);
					const judged = Object.create(stats) as Stats;
					judged.mtime = new Date(stale ? 0 : Date.now() + 60_000);
					done(null, judged);
				},
				(error: NodeJS.ErrnoException) => done(error),
			);
		},
		utimes(target: string, atime: Date, mtime: Date, done: Done) {
			const state = holders.get(target);
			const refresh = lockFileSystem.utimes(target, atime, mtime).then(async () => {
				if (!state) return;
				state.setMtime = mtime;
				state.setSeconds ??= new Set();
				state.setSeconds.add(Math.floor(mtime.getTime() / 1000));
				// A takeover needs the stale window without a refresh, so only the last few matter.
				if (state.setSeconds.size > 16) state.setSeconds.delete(state.setSeconds.values().next().value as number);
				restamp(state, await lockFileSystem.stat(target));
			});
			if (state) state.refreshing = refresh.catch(() => {});
			refresh.then(
				() => done(null),
				(error: NodeJS.ErrnoException) => done(error),
			);
		},
		rmdir(directory: string, done: Done) {
			if (holders.get(directory)?.lost) return done(null);
			lockFileSystem.rmdir(directory).then(
				() => done(null),
				(error: NodeJS.ErrnoException) => done(error),
			);
		},
	};
}
