/**
Appending to an inbox under contention. A sender first tries the lock once; if another process holds it, the entries go
into the inbox's spool and the sender waits until some lock holder (possibly itself, later) has committed them: one
combiner writes every waiting batch in one locked rewrite, instead of each sender queueing for the lock.
*/

import { settlesWithin } from '../async-queue.js';
import { errors } from '../errors.js';
import { wasCommitted } from '../fs/atomic-write.js';
import { watchRelease } from '../fs/lock.js';
import { type CommitOptions, noChange, type Plan, type TransactionOptions } from './plan.js';
import type { InboxStore } from './store.js';

/** Longest sleep between two looks at a spooled batch, in ms (a notification usually cuts it short). */
const spoolPollMaxMs = 50;
/** How long past its deadline a sender waits for a lock holder that claimed its batch, in ms. */
const claimedGraceMs = (store: InboxStore) => 2 * store.staleMs;
/** Upper bound of the random wait of a woken waiter when others wait too, in ms. */
const releaseJitterMs = 2;

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
		let delayMs = 10;
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
			const wake = await Promise.race([
				changes.wait(delayMs * (0.5 + Math.random())).then((changed) => (changed ? 'batch' : 'timer')),
				release.released.then(() => 'release' as const),
			]);
			if (wake === 'release') {
				release.close();
				release = undefined;
			}
			delayMs = Math.min(spoolPollMaxMs, delayMs * 1.5);
			// Every waiter wakes when the lock is released, but one combiner commits them all: wait a random
			// instant, so the first to try claims the others' batches and they find theirs claimed instead of
			// all racing for the lock (a thundering herd of mkdirs in one directory). A lone waiter goes at once.
			if (wake === 'release' && spool.waiting() > 1) {
				await new Promise((resolve) => setTimeout(resolve, Math.random() * releaseJitterMs));
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
