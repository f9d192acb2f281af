/**
Appending to an inbox under contention. A sender first tries the lock once; if another process holds it, the entries go
into the inbox's spool and the sender waits until some lock holder (possibly itself, later) has committed them: one
combiner writes every waiting batch in one locked rewrite, instead of each sender queueing for the lock.
*/

import type { FSWatcher } from 'node:fs';
import { settlesWithin } from '../async-queue.js';
import { errors } from '../errors.js';
import { wasCommitted } from '../fs/atomic-write.js';
import { watch } from '../fs/fs-seam.js';
import { contendedRetryDelayMs } from '../fs/lock.js';
import { type CommitOptions, noChange, type Plan, type TransactionOptions } from './plan.js';
import type { InboxStore } from './store.js';

/** How long past its deadline a sender waits for a lock holder that claimed its batch, in ms. */
const claimedGraceMs = (store: InboxStore) => 2 * store.staleMs;

/**
Resolves `true` when the lock directory goes away (its holder released it): waiters then try after a random part of
their retry interval instead of sleeping all of it. An absent lock resolves immediately. A hint only; the retry
interval still bounds the wait. A watch the kernel refuses (ENOSPC once the inotify watch limit is used up, EMFILE)
gives no hint: it never resolves, so the waiter sleeps its retry interval instead of trying again at once, over and
over.
*/
function watchRelease(lockPath: string): { released: Promise<boolean>; close: () => void } {
	let watcher: FSWatcher | undefined;
	const released = new Promise<boolean>((resolve) => {
		try {
			watcher = watch(lockPath, () => resolve(true));
			watcher.on('error', () => resolve(true));
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') resolve(true);
		}
	});
	return { released, close: () => watcher?.close() };
}

/**
Append `entries`: directly if the lock is free, else through the spool, waiting until a lock holder (maybe this
process) has committed them. Rejects only when they were not written. With `commitAfter`, the entries become visible
only once it resolves; `flushDirectory: false` leaves the directory flush of a direct write to the caller (see
`SendOptions`).
*/
export async function appendEntries(
	store: InboxStore,
	entries: unknown[],
	options: TransactionOptions,
	commit: CommitOptions = {},
): Promise<void> {
	const appendPlan: Plan<void> = () => ({ mutation: { kind: 'append', added: entries }, result: undefined });
	const started = Date.now();
	if (await store.tryTransact(appendPlan, false, commit)) return;
	const { commitAfter } = commit;
	// A spooled batch can be committed by any holder at any time: deposit it only once it may be visible.
	if (commitAfter && !(await settlesWithin(commitAfter, Math.max(0, options.deadline - Date.now())))) {
		throw errors.timeout(
			`The held-back send to ${store.path} (waiting for its commitAfter condition)`,
			Date.now() - started,
		);
	}
	const { spool } = store;
	const id = await spool.deposit(entries);
	const changes = spool.watchBatch(id);
	let release: ReturnType<typeof watchRelease> | undefined;
	try {
		let status = await store.batchStatus(id, entries);
		for (let round = 1; ; round++) {
			if (status === 'committed') return;
			if (status === 'full') {
				spool.forget(id);
				throw errors.inboxTooLarge(store.path, undefined, store.maxInboxBytes);
			}
			// Become the combiner if the lock is free: this commits our batch and everyone else's.
			// Also when claimed: if the claimer died, its lock goes stale and we finish its commit.
			if (status === 'waiting' || status === 'claimed') {
				let combined: { result: undefined } | undefined;
				try {
					combined = await store.tryTransact(noChange, true);
				} catch (error) {
					// Our commit failed and handed our batch back: take it out, so it is never written after we reject.
					// If another holder claimed it meanwhile, its outcome is ours: wait for it.
					if (wasCommitted(error) || spool.withdraw(id)) throw error;
				}
				if (combined) {
					status = await store.batchStatus(id, entries);
					continue;
				}
			}
			const giveUp = Date.now() >= options.deadline || options.signal?.aborted || options.shouldContinue?.() === false;
			if (giveUp && status === 'waiting' && spool.withdraw(id)) {
				if (options.signal?.aborted) throw errors.aborted(`send to ${store.path}`, options.signal.reason);
				throw errors.lockTimeout(store.lockPath, Date.now() - started);
			}
			// A claimed batch is in a holder's hands; if that holder never finishes (stalled, and its lock never judged
			// stale), stop waiting after two more stale windows: the outcome is unknown, and the error says so.
			if (Date.now() >= options.deadline + claimedGraceMs(store)) {
				throw errors.timeout(
					`The spooled send to ${store.path} (claimed by a lock holder that never finished; it may still be written)`,
					Date.now() - started,
				);
			}
			// One watch per lock generation: it stays armed across waits until that holder releases.
			release ??= watchRelease(store.lockPath);
			// One of ours holding the lock commits every waiting batch, so together our waiters need try no more
			// often than one Claude Code writer would: each stretches its interval by the number waiting.
			const pauseMs = contendedRetryDelayMs(round) * Math.max(1, spool.waiting());
			const wake = await Promise.race([
				changes.wait(pauseMs).then((changed) => (changed ? 'batch' : 'timer')),
				release.released.then(() => 'release' as const),
			]);
			if (wake === 'release') {
				release.close();
				release = undefined;
				// A Claude Code writer waiting on the same lock wakes somewhere in its own retry interval, not on the
				// release: trying at once would take the lock from it every time, and it drops its message after
				// about 655 ms. Wait a random part of our interval, as it would (see `contendedRetryDelayMs`). This
				// also spreads our own waiters, so the first to try claims the others' batches.
				await new Promise((resolve) => setTimeout(resolve, Math.random() * pauseMs));
			}
			const changed = wake !== 'timer';
			// Without a notification the state cannot have moved; re-check now and then in case one was missed.
			if (changed || round % 8 === 0 || !changes.armed) status = await store.batchStatus(id, entries);
		}
	} finally {
		changes.close();
		release?.close();
		spool.release(id);
	}
}
