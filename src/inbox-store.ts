import { randomBytes } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { errors, isMailboxError } from './errors.js';
import { wasCommitted, writeFileAtomic, writeNewFile } from './fs/atomic-write.js';
import { acquireLock, type HeldLock, tryAcquireLock } from './fs/lock.js';
import { readFileNoFollow, readFileNoFollowSync } from './fs/read-file.js';
import { appendToInboxText, type ParsedInbox, parseInboxText, serializeInbox } from './inbox-codec.js';
import { type ClaimedBatch, Spool } from './inbox-spool.js';

export interface QuarantineEvent {
	/** The inbox that was corrupt. */
	path: string;
	/** Where its original bytes were kept. */
	quarantinePath: string;
	reason: string;
	/** How many entries were recovered and written back. */
	recovered: number;
}

export interface InboxStoreOptions {
	fileMode: number;
	dirMode: number;
	staleMs: number;
	fsync: boolean;
	maxInboxBytes: number;
	onQuarantine: (event: QuarantineEvent) => void;
}

export interface Snapshot {
	exists: boolean;
	items: unknown[];
	/** Set when the file was unparseable or not an array; `items` then holds what could be recovered. */
	corrupt?: string;
}

export interface TransactionState {
	exists: boolean;
	items: readonly unknown[];
}

export type Mutation = { kind: 'none' } | { kind: 'append'; added: unknown[] } | { kind: 'replace'; items: unknown[] };
/**
Resolves `true` when the lock directory goes away (its holder released it): waiters then try at once instead of
sleeping out their poll delay. An absent lock resolves immediately. A hint only; the poll delay still bounds the wait.
*/
function watchRelease(lockPath: string): { released: Promise<boolean>; close: () => void } {
	let watcher: FSWatcher | undefined;
	const released = new Promise<boolean>((resolve) => {
		try {
			watcher = watch(lockPath, () => resolve(true));
			watcher.on('error', () => resolve(true));
		} catch {
			resolve(true);
		}
	});
	return { released, close: () => watcher?.close() };
}

interface Written {
	text: string;
	items: unknown[];
}

export type Plan<T> = (state: TransactionState) => { mutation: Mutation; result: T };

/** Changes nothing itself: run for the side effects every holder has (committing spooled batches, repairs). */
const noChange: Plan<undefined> = () => ({ mutation: { kind: 'none' }, result: undefined });

export interface TransactionOptions {
	deadline: number;
	/** Only commit spooled batches: when none are waiting, release at once without reading the inbox. */
	combineOnly?: boolean;
	signal?: AbortSignal | undefined;
	shouldContinue?: () => boolean;
}

const compromiseRetries = 3;
const entryOverhead = 4;
const spoolPollMaxMs = 50;
const drainBudgetMs = 100;
const drainGraceMs = 1;
const releaseJitterMs = 2;

/** One inbox file: unlocked snapshots, and locked read-modify-write transactions that never lose what was there. */
export class InboxStore {
	readonly path: string;
	readonly lockPath: string;
	readonly spool: Spool;
	readonly #options: InboxStoreOptions;

	constructor(path: string, options: InboxStoreOptions) {
		this.path = path;
		this.lockPath = `${path}.lock`;
		this.#options = options;
		this.spool = new Spool(path, options.fileMode, options.dirMode);
	}

	/** Read without the lock. Safe because every writer of ours replaces the file by rename. */
	async snapshot(): Promise<Snapshot> {
		const read = await readFileNoFollow(this.path);
		if (!read) return { exists: false, items: [] };
		const parsed = parseInboxText(read.bytes.toString('utf8'));
		return parsed.ok
			? { exists: true, items: parsed.items }
			: { exists: true, items: parsed.recovered, corrupt: parsed.reason };
	}

	/**
	Run `plan` on the current entries under the inbox lock, apply its mutation plus every spooled batch,
	and commit atomically. A corrupt file is copied aside first and replaced by its recoverable entries.
	*/
	async transact<T>(plan: Plan<T>, options: TransactionOptions): Promise<T> {
		for (let attempt = 0; ; attempt++) {
			const lock = await acquireLock(this.path, this.lockPath, { staleMs: this.#options.staleMs, ...options });
			try {
				return await this.#locked(lock, plan, options.combineOnly ?? false);
			} catch (error) {
				if (isMailboxError(error, 'LOCK_COMPROMISED') && attempt < compromiseRetries) continue;
				throw error;
			} finally {
				await lock.release().catch(() => {});
			}
		}
	}

	/**
	One lock attempt; `undefined` when another process holds the lock (or took it over mid-write: nothing was written).
	A `commitAfter` promise holds the plan's write back until it resolves (its rejection abandons the write).
	*/
	async tryTransact<T>(
		plan: Plan<T>,
		combineOnly = false,
		commitAfter?: Promise<unknown>,
	): Promise<{ result: T } | undefined> {
		const lock = await tryAcquireLock(this.path, this.lockPath, this.#options.staleMs);
		if (!lock) return undefined;
		try {
			return { result: await this.#locked(lock, plan, combineOnly, commitAfter) };
		} catch (error) {
			if (isMailboxError(error, 'LOCK_COMPROMISED')) return undefined;
			throw error;
		} finally {
			await lock.release().catch(() => {});
		}
	}

	async #locked<T>(lock: HeldLock, plan: Plan<T>, combineOnly: boolean, commitAfter?: Promise<unknown>): Promise<T> {
		const batches = this.spool.claimAll();
		if (combineOnly && batches.length === 0) return plan({ exists: true, items: [] }).result;
		let result: T;
		let written: Written | undefined;
		try {
			({ result, written } = await this.#underLock(lock, plan, batches, undefined, commitAfter));
		} catch (error) {
			this.#handBack(lock, batches, error);
			throw error;
		}
		// Keep combining while batches keep arriving, so waiters need not fight for the lock (bounded for fairness).
		// Under the lock nobody else writes, so what we just wrote is what a re-read would return.
		// The caller's own change is committed by now: a failure while draining must not make it retry (and
		// duplicate) that change. Batches claimed but not committed go back to their senders.
		const until = Date.now() + drainBudgetMs;
		let more: ClaimedBatch[] = [];
		try {
			for (let round = 0; Date.now() < until; round++) {
				more = this.spool.claimAll();
				if (more.length === 0) {
					// Uncontended: release at once, so a lone sender's latency is untouched.
					if (round === 0 && batches.length === 0) break;
					// A short grace catches batches deposited just now, which would otherwise wait out a poll delay.
					await new Promise((resolve) => setTimeout(resolve, drainGraceMs));
					more = this.spool.claimAll();
					if (more.length === 0) break;
				}
				({ written } = await this.#underLock(lock, noChange, more, written));
			}
		} catch (error) {
			this.#handBack(lock, more, error);
		}
		return result;
	}

	/**
	A commit failed: give the batches it claimed back to their senders (who retry or withdraw them), so none is written
	later behind a sender told it failed. Not when the write went through after all (they were settled), nor when the
	lock was lost (its new holder takes them over as a crashed holder's leftovers).
	*/
	#handBack(lock: HeldLock, batches: ClaimedBatch[], error: unknown): void {
		if (wasCommitted(error) || isMailboxError(error, 'LOCK_COMPROMISED')) return;
		try {
			lock.assertHeld();
		} catch {
			return;
		}
		this.spool.unclaim(batches);
	}

	/**
	Append `entries`: directly if the lock is free, else through the spool, waiting until a lock holder
	(maybe this process) has committed them. Rejects only when they were not written.
	*/
	async append(entries: unknown[], options: TransactionOptions, commitAfter?: Promise<unknown>): Promise<void> {
		const appendPlan: Plan<void> = () => ({ mutation: { kind: 'append', added: entries }, result: undefined });
		const started = Date.now();
		if (await this.tryTransact(appendPlan, false, commitAfter)) return;
		// A spooled batch can be committed by any holder at any time: deposit it only once it may be visible.
		await commitAfter;
		const id = await this.spool.deposit(entries);
		const changes = this.spool.watchBatch(id);
		let release: ReturnType<typeof watchRelease> | undefined;
		try {
			let delayMs = 10;
			let status = this.spool.status(id);
			for (let round = 1; ; round++) {
				if (status === 'committed') return;
				if (status === 'full') {
					this.spool.forget(id);
					throw errors.inboxTooLarge(this.path, undefined, this.#options.maxInboxBytes);
				}
				// Become the combiner if the lock is free: this commits our batch and everyone else's.
				// Also when claimed: if the claimer died, its lock goes stale and we finish its commit.
				if (status === 'waiting' || status === 'claimed') {
					let combined: { result: undefined } | undefined;
					try {
						combined = await this.tryTransact(noChange, true);
					} catch (error) {
						// Our commit failed and handed our batch back: take it out, so it is never written after we reject.
						// If another holder claimed it meanwhile, its outcome is ours: wait for it.
						if (wasCommitted(error) || this.spool.withdraw(id)) throw error;
					}
					if (combined) {
						status = this.spool.status(id);
						continue;
					}
				}
				const giveUp =
					Date.now() >= options.deadline || options.signal?.aborted || options.shouldContinue?.() === false;
				if (giveUp && status === 'waiting' && this.spool.withdraw(id)) {
					if (options.signal?.aborted) throw errors.aborted(`send to ${this.path}`, options.signal.reason);
					throw errors.lockTimeout(this.lockPath, Date.now() - started);
				}
				// One watch per lock generation: it stays armed across waits until that holder releases.
				release ??= watchRelease(this.lockPath);
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
				if (wake === 'release' && this.spool.waiting() > 1) {
					await new Promise((resolve) => setTimeout(resolve, Math.random() * releaseJitterMs));
				}
				const changed = wake !== 'timer';
				// Without a notification the state cannot have moved; re-check now and then in case one was missed.
				if (changed || round % 8 === 0) status = this.spool.status(id);
			}
		} finally {
			changes.close();
			release?.close();
			this.spool.release(id);
		}
	}

	async #underLock<T>(
		lock: HeldLock,
		plan: Plan<T>,
		batches: ClaimedBatch[],
		known?: Written,
		commitAfter?: Promise<unknown>,
	): Promise<{ result: T; written: Written | undefined }> {
		const read = known ? undefined : readFileNoFollowSync(this.path);
		const text = known ? known.text : read ? read.bytes.toString('utf8') : '';
		const parsed: ParsedInbox = known ? { ok: true, items: known.items } : parseInboxText(text);
		const items = parsed.ok ? parsed.items : parsed.recovered;
		if (!parsed.ok) await this.#quarantine(read?.bytes ?? Buffer.alloc(0), parsed.reason, items.length);
		const exists = known !== undefined || read !== undefined;
		const { mutation, result } = plan({ exists, items });
		const base = mutation.kind === 'replace' ? mutation.items : items;
		const added = mutation.kind === 'append' ? [...mutation.added] : [];
		// The current size bounds what a rewrite can produce; the exact size is checked before the commit.
		// Leftovers are checked against the file as read: an entry the plan removes (acks) must not come back.
		const { committed, rejected } = this.#fitSpooled(batches, [items, added], text.length);
		for (const batch of committed) added.push(...batch.entries);
		let next: string | undefined;
		if (mutation.kind === 'replace' || !parsed.ok) {
			next = serializeInbox([...base, ...added], parsed.ok ? { text, items } : undefined);
		} else if (added.length > 0) next = appendToInboxText(text, items.length, added);
		if (next !== undefined) {
			const bytes = Buffer.byteLength(next);
			// The limit stops growth; a rewrite that adds nothing (ack, clear, repair) must not be refused, or a
			// corrupt file over the limit would be quarantined again on every read.
			if (bytes > this.#options.maxInboxBytes && added.length > 0)
				throw errors.inboxTooLarge(this.path, bytes, this.#options.maxInboxBytes);
			const { fileMode: mode, fsync } = this.#options;
			try {
				const beforeCommit = commitAfter ? () => commitAfter.then(() => lock.assertHeld()) : () => lock.assertHeld();
				// A rewrite that only removes entries (ack, clear, repair) need not flush its directory entry: an
				// earlier version coming back after a power cut has every entry it has, and readers skip repeats.
				await writeFileAtomic(this.path, next, { mode, fsync, syncDirectory: added.length > 0, beforeCommit });
			} catch (error) {
				// Visible though not flushed: the batches are in the inbox, so they must not be committed again.
				if (wasCommitted(error)) this.spool.settle(committed, rejected);
				throw error;
			}
		}
		this.spool.settle(committed, rejected);
		const written =
			next === undefined ? (exists ? { text, items } : undefined) : { text: next, items: [...base, ...added] };
		return { result, written };
	}

	/** Spooled batches that fit under the size limit, skipping entries already present (a crashed combiner's leftovers). */
	#fitSpooled(batches: ClaimedBatch[], current: (readonly unknown[])[], currentBytes: number) {
		const committed: ClaimedBatch[] = [];
		const rejected: ClaimedBatch[] = [];
		const msgId = (item: unknown) => (item as { msg_id?: unknown } | null)?.msg_id;
		// Only leftovers can repeat what is already in the file, so only they pay for the lookup.
		const present = batches.some((batch) => batch.leftover) ? new Set(current.flat().map(msgId)) : undefined;
		let size = currentBytes;
		for (const batch of batches) {
			const entries =
				present && batch.leftover ? batch.entries.filter((entry) => !present.has(msgId(entry))) : batch.entries;
			const bytes = entries.reduce<number>(
				(sum, entry) => sum + Buffer.byteLength(JSON.stringify(entry, null, 2)) + entryOverhead,
				0,
			);
			if (size + bytes > this.#options.maxInboxBytes) {
				rejected.push(batch);
				continue;
			}
			size += bytes;
			committed.push({ file: batch.file, entries });
		}
		return { committed, rejected };
	}

	async #quarantine(bytes: Buffer, reason: string, recovered: number): Promise<void> {
		const stamp = new Date().toISOString().replace(/[:.]/g, '-');
		const quarantinePath = `${this.path}.corrupt-${stamp}-${randomBytes(2).toString('hex')}`;
		await writeNewFile(quarantinePath, bytes, this.#options.fileMode);
		this.#options.onQuarantine({ path: this.path, quarantinePath, reason, recovered });
	}
}
