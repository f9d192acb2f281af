import { randomBytes } from 'node:crypto';
import { constants, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { settlesWithin } from '../async-queue.js';
import { errors, isMailboxError } from '../errors.js';
import { fsyncDirectory, wasCommitted, writeFileAtomic, writeNewFile } from '../fs/atomic-write.js';
import { closeSync, openSync, statSync, watch, writeSync } from '../fs/fs-seam.js';
import { type FileSystemInfo, fileSystemOf } from '../fs/fs-type.js';
import {
	acquireLock,
	contendedRetryDelayMs,
	type HeldLock,
	judgeLocksByObservation,
	lockHoldersSeen,
	tryAcquireLock,
} from '../fs/lock.js';
import { readFileFresh, readFileNoFollowSync } from '../fs/read-file.js';
import { appendToInboxText, fitBatches, type ParsedInbox, parseInboxText, serializeInbox } from './codec.js';
import {
	type CommitOptions,
	type InboxStoreOptions,
	noChange,
	type Plan,
	type Snapshot,
	type TransactionOptions,
} from './plan.js';
import { type ClaimedBatch, foreignWriterMarker, Spool, type SpoolStatus } from './spool.js';

interface Written {
	text: string;
	items: unknown[];
}

/** A write's directory flush: made under the lock, owed once it is released, or not needed. */
type DirectoryFlush = 'flushed' | 'owed' | undefined;

interface Locked<T> {
	result: T;
	/**
	The caller's own entries were renamed into place, but their directory entry is not flushed yet: the caller flushes
	it after releasing the lock, before it reports them written. The file's data is flushed before the rename (a crash
	never leaves an empty inbox), so only the name can go missing meanwhile, and nobody has been told of the entries.
	*/
	flushOwed: boolean;
}

/**
How long a held-back write (`commitAfter`) may keep the lock while its condition is pending. Past that, the prepared
file is dropped and the lock released, and the sender waits outside it (then goes through the spool), so a slow or
stuck condition never locks the inbox for others.
*/
const heldBackMaxMs = 1_000;
const heldTooLong = new Error('held back longer than heldBackMaxMs');

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

const compromiseRetries = 3;
/** Fresh reads of an unparseable file before it is judged corrupt (a network client can serve a torn one). */
const tornReadRetries = 4;
const tornReadDelayMs = 15;
const drainBudgetMs = 100;
/** How long ours alone must have been seen holding the lock before a holder drains (see `#drainUntil`). */
const drainWarmUpMs = 300;
const drainGraceMs = 1;
/** Upper bound of the random wait of a woken waiter when others of ours wait too (no Claude Code writer around). */
const releaseJitterMs = 2;
/** How long after finding the lock held by a Claude Code writer ours keep leaving such writers room. */
const foreignMemoryMs = 5_000;
/**
How often a sender that keeps finding Claude Code writers holding the lock touches the spool's `foreignWriterMarker`:
each of ours then leaves such writers room from its next try on, not only after meeting one itself (at the start of a
burst, every process of ours otherwise takes and drains the lock eagerly until it does).
*/
const foreignMarkerRefreshMs = 500;
/**
In a mixed team, how long ours leave the lock alone after the inbox was last written (by anyone): longer than a
Claude Code writer's longest retry interval (100 ms), so every one of them waiting tries first.
*/
const yieldGapMs = 250;

/** One inbox file: unlocked snapshots, and locked read-modify-write transactions that never lose what was there. */
export class InboxStore {
	readonly path: string;
	readonly lockPath: string;
	readonly #spool: Spool;
	readonly #options: InboxStoreOptions;
	#fileSystem: Promise<FileSystemInfo> | undefined;
	/** Known to be on a network file system: reads are fresh and asynchronous (see `readFileFresh`). */
	#network = false;

	/** The inbox's spool directory (`<inbox>.json.spool/`), where senders leave batches while the lock is busy. */
	get spoolDirectory(): string {
		return this.#spool.directory;
	}

	/** The lock's stale window, in ms. */
	get staleMs(): number {
		return this.#options.staleMs;
	}

	/** The size limit of the file, in bytes (applies to writes that add entries). */
	get maxInboxBytes(): number {
		return this.#options.maxInboxBytes;
	}

	constructor(path: string, options: InboxStoreOptions) {
		this.path = path;
		this.lockPath = `${path}.lock`;
		this.#options = options;
		this.#spool = new Spool(path, options.fileMode, options.dirMode);
	}

	/** The file system the inbox lives on, looked up once (network file systems switch this store to fresh reads). */
	fileSystem(): Promise<FileSystemInfo> {
		this.#fileSystem ??= fileSystemOf(path.dirname(this.path)).then((info) => {
			this.#network = info.network;
			this.#spool.network = info.network;
			if (info.network) judgeLocksByObservation(path.dirname(this.path), info.attributeCacheMs);
			return info;
		});
		return this.#fileSystem;
	}

	/** Read without the lock. Safe because every writer of ours replaces the file by rename. */
	async snapshot(): Promise<Snapshot> {
		await this.fileSystem();
		const read = await this.#read();
		if (!read) return { exists: false, items: [] };
		const parsed = read.parsed;
		return parsed.ok
			? { exists: true, items: parsed.items }
			: { exists: true, items: parsed.recovered, corrupt: parsed.reason };
	}

	/**
	The file's bytes and their parse. On a network file system a read can be torn (a client's stale size or pages), so
	an unparseable one is read again, fresh, a few times before the caller sees it as corrupt.
	*/
	async #read(): Promise<{ bytes: Buffer; text: string; parsed: ParsedInbox } | undefined> {
		if (!this.#network) {
			const read = readFileNoFollowSync(this.path);
			if (!read) return undefined;
			const text = read.bytes.toString('utf8');
			return { bytes: read.bytes, text, parsed: parseInboxText(text) };
		}
		for (let attempt = 0; ; attempt++) {
			const bytes = await readFileFresh(this.path);
			if (!bytes) return undefined;
			const text = bytes.toString('utf8');
			const parsed = parseInboxText(text);
			if (parsed.ok || attempt >= tornReadRetries) return { bytes, text, parsed };
			await new Promise((resolve) => setTimeout(resolve, tornReadDelayMs * (attempt + 1)));
		}
	}

	/**
	Where a spooled batch of `entries` stands. Locally the spool's file names and link count say it; on a network file
	system another client's rename or removal can stay unseen (a deleted file still appears, with one link), so the
	inbox content is the truth there: the batch is committed once every entry of it is in the file, or once it is gone
	under every name twice in a row (committed, then already acked by the reader).
	*/
	async batchStatus(id: string, entries: readonly unknown[]): Promise<SpoolStatus> {
		if (!this.#network) return this.#spool.status(id);
		const named = await this.#spool.statusFresh(id);
		if (named !== undefined) return named;
		if (await this.#holds(entries)) return 'committed';
		return (await this.#spool.statusFresh(id)) ?? 'committed';
	}

	async #holds(entries: readonly unknown[]): Promise<boolean> {
		const read = await this.#read();
		if (!read) return false;
		const items = read.parsed.ok ? read.parsed.items : read.parsed.recovered;
		const ids = new Set<unknown>();
		for (const item of items)
			if (typeof item === 'object' && item !== null) ids.add((item as { msg_id?: unknown }).msg_id);
		return entries.every((entry) => ids.has((entry as { msg_id?: unknown }).msg_id));
	}

	/**
	Append `entries`: directly if the lock is free, else through the spool, waiting until a lock holder (maybe this
	process) has committed them. Rejects only when they were not written. With `commitAfter`, the entries become visible
	only once it resolves; `flushDirectory: false` leaves the directory flush of a direct write to the caller (see
	`SendOptions`).
	*/
	async append(entries: unknown[], options: TransactionOptions, commit: CommitOptions = {}): Promise<void> {
		const appendPlan: Plan<void> = () => ({ mutation: { kind: 'append', added: entries }, result: undefined });
		const started = Date.now();
		await this.fileSystem();
		if (this.#holdOffMs() === 0 && (await this.#tryTransact(appendPlan, false, commit))) return;
		const { commitAfter } = commit;
		// A spooled batch can be committed by any holder at any time: deposit it only once it may be visible.
		if (commitAfter && !(await settlesWithin(commitAfter, Math.max(0, options.deadline - Date.now())))) {
			throw errors.timeout(
				`The held-back send to ${this.path} (waiting for its commitAfter condition)`,
				Date.now() - started,
			);
		}
		const spool = this.#spool;
		const id = await spool.deposit(entries);
		const changes = spool.watchBatch(id);
		let release: ReturnType<typeof watchRelease> | undefined;
		try {
			let status = await this.batchStatus(id, entries);
			for (let round = 1; ; round++) {
				if (status === 'committed') return;
				if (status === 'full') {
					spool.forget(id);
					throw errors.inboxTooLarge(this.path, undefined, this.maxInboxBytes);
				}
				// Become the combiner if the lock is free: this commits our batch and everyone else's.
				// Also when claimed: if the claimer died, its lock goes stale and we finish its commit.
				const holdOffMs = this.#holdOffMs();
				if ((status === 'waiting' || status === 'claimed') && holdOffMs === 0) {
					let combined: { result: undefined } | undefined;
					try {
						combined = await this.#tryTransact(noChange, true);
					} catch (error) {
						// Our commit failed and handed our batch back: take it out, so it is never written after we reject.
						// If another holder claimed it meanwhile, its outcome is ours: wait for it.
						if (wasCommitted(error) || spool.withdraw(id)) throw error;
					}
					if (combined) {
						status = await this.batchStatus(id, entries);
						continue;
					}
				}
				const giveUp =
					Date.now() >= options.deadline || options.signal?.aborted || options.shouldContinue?.() === false;
				if (giveUp && status === 'waiting' && spool.withdraw(id)) {
					if (options.signal?.aborted) throw errors.aborted(`send to ${this.path}`, options.signal.reason);
					throw errors.lockTimeout(this.lockPath, Date.now() - started);
				}
				// A claimed batch is in a holder's hands; if that holder never finishes (stalled, and its lock never judged
				// stale), stop waiting after two more stale windows: the outcome is unknown, and the error says so.
				if (Date.now() >= options.deadline + 2 * this.staleMs) {
					throw errors.timeout(
						`The spooled send to ${this.path} (claimed by a lock holder that never finished; it may still be written)`,
						Date.now() - started,
					);
				}
				// Not to be taken yet: sleep until it may be (a release would change nothing).
				if (holdOffMs > 0 && (status === 'waiting' || status === 'claimed')) {
					const changed = await changes.wait(holdOffMs + Math.random() * releaseJitterMs * 4);
					if (changed || !changes.armed) status = await this.batchStatus(id, entries);
					continue;
				}
				// One watch per lock generation: it stays armed across waits until that holder releases.
				release ??= watchRelease(this.lockPath);
				// One of ours holding the lock commits every waiting batch, so together our waiters need try no more
				// often than one Claude Code writer would: each stretches its interval by the number waiting.
				const waiting = spool.waiting();
				const pauseMs = contendedRetryDelayMs(round) * Math.max(1, waiting);
				const wake = await Promise.race([
					changes.wait(pauseMs).then((changed) => (changed ? 'batch' : 'timer')),
					release.released.then(() => 'release' as const),
				]);
				if (wake === 'release') {
					release.close();
					release = undefined;
				}
				// A Claude Code writer waiting on the same lock wakes somewhere in its own retry interval, not on the release:
				// ours trying at once would take the lock from it every time, and it drops its message after about 655 ms. So
				// while such writers are around, ours wait out the yield gap (see `#mode`). Among ours only, a woken
				// waiter waits a random instant when others wait too (the first to try claims the others' batches instead of
				// all racing for the lock); a lone waiter goes at once.
				if (wake === 'release' && waiting > 1) {
					await new Promise((resolve) => setTimeout(resolve, Math.random() * releaseJitterMs));
				}
				const changed = wake !== 'timer';
				// Without a notification the state cannot have moved; re-check now and then in case one was missed.
				if (changed || round % 8 === 0 || !changes.armed) status = await this.batchStatus(id, entries);
			}
		} finally {
			changes.close();
			release?.close();
			spool.release(id);
		}
	}

	/**
	How a writer of ours takes the lock, by what this process saw holding it (see `lockHoldersSeen`):
	- `eager` (the default): at once, and the holder drains the spool; among ours only, this keeps a contended inbox
	  fast, and a lone send (a worker's request, an answer) never waits on a guess.
	- `polite`: a Claude Code writer was found holding it within `foreignMemoryMs`. Such writers retry at most 100 ms
	  apart and drop their message after about 655 ms, while ours wait in the spool without losing anything, so ours take
	  the lock only once nobody has written the inbox for `yieldGapMs` (every Claude Code writer waiting had its turn),
	  and the holder does not drain.
	*/
	#mode(): 'eager' | 'polite' {
		if (this.#network) return 'eager';
		return Date.now() - this.#foreignSeenAt() < foreignMemoryMs ? 'polite' : 'eager';
	}

	/** When this process, or any other of ours (the spool's marker file), last found a Claude Code writer holding the lock. */
	#foreignSeenAt(): number {
		const own = lockHoldersSeen(this.lockPath).foreignAt;
		const marker = `${this.#spool.directory}/${foreignWriterMarker}`;
		let shared = Number.NEGATIVE_INFINITY;
		try {
			shared = statSync(marker, { throwIfNoEntry: false })?.mtimeMs ?? shared;
			if (own - shared > foreignMarkerRefreshMs) {
				// One byte written in place: a write always moves the mtime (an empty truncation need not), and the file is
				// opened without following a link.
				const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;
				const fd = openSync(marker, flags, this.#options.fileMode);
				try {
					writeSync(fd, '1', 0);
				} finally {
					closeSync(fd);
				}
				shared = own;
			}
		} catch {
			// A hint only (no spool directory yet: nobody of ours has waited here).
		}
		return Math.max(own, shared);
	}

	/** How long a writer of ours should leave the lock alone before trying it (0: try now). See `#mode`. */
	#holdOffMs(): number {
		if (this.#mode() === 'eager') return 0;
		let written: { mtimeMs: number } | undefined;
		try {
			written = statSync(this.path, { throwIfNoEntry: false });
		} catch {
			return 0; // a hint only
		}
		return written ? Math.max(0, Math.ceil(yieldGapMs - (Date.now() - written.mtimeMs))) : 0;
	}

	/** Until when (epoch ms) a holder of ours keeps draining the spool: not while Claude Code writers are around. */
	#drainUntil(): number {
		const now = Date.now();
		// A drain keeps the lock taken for its whole budget, and the next of ours takes it again at once, so a Claude Code
		// writer waiting would hardly ever find it free, and never be seen holding it (which is what turns ours polite).
		// So at the start of a burst, before ours alone have been seen holding it for a while, each holder commits
		// what is waiting and lets go.
		// (Checked first: it costs no call, and a lone sender is never warmed up.)
		const { oursSince } = lockHoldersSeen(this.lockPath);
		if (!(Number.isFinite(oursSince) && now - oursSince >= drainWarmUpMs)) return now;
		return this.#mode() === 'polite' ? now : now + drainBudgetMs;
	}

	/**
	Run `plan` on the current entries under the inbox lock, apply its mutation plus every spooled batch,
	and commit atomically. A corrupt file is copied aside first and replaced by its recoverable entries.
	*/
	async transact<T>(plan: Plan<T>, options: TransactionOptions): Promise<T> {
		await this.fileSystem();
		for (let attempt = 0; ; attempt++) {
			const lock = await acquireLock(this.path, this.lockPath, { staleMs: this.#options.staleMs, ...options });
			let locked: Locked<T>;
			try {
				locked = await this.#locked(lock, plan, options.combineOnly ?? false);
			} catch (error) {
				if (isMailboxError(error, 'LOCK_COMPROMISED') && attempt < compromiseRetries) continue;
				throw error;
			} finally {
				await lock.release().catch(() => {});
			}
			if (locked.flushOwed) await this.#flushDirectory();
			return locked.result;
		}
	}

	/**
	One lock attempt; `undefined` when another process holds the lock (or took it over mid-write: nothing was written).
	A `commitAfter` promise holds the plan's write back until it resolves (its rejection abandons the write).
	*/
	async #tryTransact<T>(
		plan: Plan<T>,
		combineOnly = false,
		commit: CommitOptions = {},
	): Promise<{ result: T } | undefined> {
		await this.fileSystem();
		const lock = await tryAcquireLock(this.path, this.lockPath, this.#options.staleMs);
		if (!lock) return undefined;
		let locked: Locked<T>;
		try {
			locked = await this.#locked(lock, plan, combineOnly, commit);
		} catch (error) {
			// Nothing was written either way: the caller goes through the spool.
			if (isMailboxError(error, 'LOCK_COMPROMISED') || error === heldTooLong) return undefined;
			throw error;
		} finally {
			await lock.release().catch(() => {});
		}
		if (locked.flushOwed) await this.#flushDirectory();
		return { result: locked.result };
	}

	/**
	The directory flush of a write made under a lock released since (see `Locked.flushOwed`). Its failure is the
	write's: visible but maybe not durable, so the caller is told, and must not retry blindly.
	*/
	async #flushDirectory(): Promise<void> {
		try {
			await fsyncDirectory(path.dirname(this.path));
		} catch (error) {
			throw errors.notDurable(this.path, (error as Error).cause ?? error);
		}
	}

	async #locked<T>(
		lock: HeldLock,
		plan: Plan<T>,
		combineOnly: boolean,
		commit: CommitOptions = {},
	): Promise<Locked<T>> {
		// A held-back write claims no one else's batch, so their senders never wait on its condition; the drain below
		// commits them once it is written.
		const batches = commit.commitAfter ? [] : await this.#spool.claim();
		if (combineOnly && batches.length === 0)
			return { result: plan({ exists: true, items: [] }).result, flushOwed: false };
		let result: T;
		let written: Written | undefined;
		let flushOwed: boolean;
		try {
			let directory: DirectoryFlush;
			({ result, written, directory } = await this.#underLock(lock, plan, batches, undefined, commit));
			flushOwed = directory === 'owed';
		} catch (error) {
			this.#handBack(lock, batches, error);
			throw error;
		}
		// Keep combining while batches keep arriving, so waiters need not fight for the lock (bounded for fairness).
		// Under the lock nobody else writes, so what we just wrote is what a re-read would return.
		// The caller's own change is committed by now: a failure while draining must not make it retry (and
		// duplicate) that change. Batches claimed but not committed go back to their senders.
		// Not while Claude Code writers are around: they would wait out the whole drain.
		const until = this.#drainUntil();
		let more: ClaimedBatch[] = [];
		try {
			// The mode is asked again after each round: another of ours may have met a Claude Code writer meanwhile.
			for (let round = 0; Date.now() < until && (round === 0 || this.#mode() === 'eager'); round++) {
				more = await this.#spool.claim();
				if (more.length === 0) {
					// Uncontended: release at once, so a lone sender's latency is untouched.
					if (round === 0 && batches.length === 0) break;
					// A short grace catches batches deposited just now, which would otherwise wait out a poll delay.
					await new Promise((resolve) => setTimeout(resolve, drainGraceMs));
					more = await this.#spool.claim();
					if (more.length === 0) break;
				}
				let directory: DirectoryFlush;
				({ written, directory } = await this.#underLock(lock, noChange, more, written));
				// A flush made for spooled batches covers the caller's rename too.
				if (directory === 'flushed') flushOwed = false;
			}
		} catch (error) {
			this.#handBack(lock, more, error);
		}
		return { result, flushOwed };
	}

	/**
	A commit failed: give the batches it claimed back to their senders (who retry or withdraw them), so none is written
	later behind a sender told it failed. Not when the write went through after all (they were settled), nor when the
	lock was lost (its new holder takes them over as a crashed holder's leftovers).
	*/
	#handBack(lock: HeldLock, batches: ClaimedBatch[], error: unknown): void {
		if (wasCommitted(error) || isMailboxError(error, 'LOCK_COMPROMISED')) return;
		let held: void | Promise<void>;
		try {
			held = lock.assertHeld();
		} catch {
			return;
		}
		// On a network file system the look is asynchronous: hand back once it says the lock is still ours.
		if (held)
			held.then(
				() => this.#spool.unclaim(batches),
				() => {},
			);
		else this.#spool.unclaim(batches);
	}

	async #underLock<T>(
		lock: HeldLock,
		plan: Plan<T>,
		batches: ClaimedBatch[],
		known?: Written,
		{ commitAfter, flushDirectory = true }: CommitOptions = {},
	): Promise<{ result: T; written: Written | undefined; directory: DirectoryFlush }> {
		// Under the lock after a fresh open (retried when torn): only what stays unparseable is quarantined.
		const read = known ? undefined : await this.#read();
		const text = known ? known.text : (read?.text ?? '');
		const parsed: ParsedInbox = known ? { ok: true, items: known.items } : (read?.parsed ?? { ok: true, items: [] });
		const items = parsed.ok ? parsed.items : parsed.recovered;
		if (!parsed.ok) await this.#quarantine(read?.bytes ?? Buffer.alloc(0), parsed.reason, items.length);
		const exists = known !== undefined || read !== undefined;
		const { mutation, result } = plan({ exists, items });
		const base = mutation.kind === 'replace' ? mutation.items : items;
		const added = mutation.kind === 'append' ? [...mutation.added] : [];
		// The current size bounds what a rewrite can produce; the exact size is checked before the commit.
		// Leftovers are checked against the file as read: an entry the plan removes (acks) must not come back.
		const currentBytes = read ? read.bytes.length : Buffer.byteLength(text);
		const { committed, rejected } = fitBatches(batches, [items, added], currentBytes, this.#options.maxInboxBytes);
		const ownAdded = added.length > 0;
		for (const batch of committed) added.push(...batch.entries);
		let next: string | undefined;
		let directory: DirectoryFlush;
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
				const beforeCommit = commitAfter
					? async () => {
							if (!(await settlesWithin(commitAfter, heldBackMaxMs))) throw heldTooLong;
							await lock.assertHeld();
						}
					: () => lock.assertHeld();
				// A rewrite that only removes entries (ack, clear, repair) need not flush its directory entry: an
				// earlier version coming back after a power cut has every entry it has, and readers skip repeats.
				// One that settles spooled batches must, or their senders would be told of a write a power cut undoes.
				// The caller's own entries may leave it to the caller (`flushDirectory: false`). With no one else's in the
				// write, their flush waits until the lock is released (see `Locked.flushOwed`): the rename is done, and a
				// Claude Code writer waiting for the lock need not wait for the flush too.
				const syncDirectory = committed.length > 0;
				if (fsync) directory = syncDirectory ? 'flushed' : ownAdded && flushDirectory ? 'owed' : undefined;
				await writeFileAtomic(this.path, next, { mode, fsync, syncDirectory, beforeCommit });
			} catch (error) {
				// Visible though not flushed: the batches are in the inbox, so they must not be committed again.
				if (wasCommitted(error)) await this.#spool.settle(committed, rejected);
				throw error;
			}
		} else if (committed.length > 0 && this.#options.fsync) {
			// Leftovers already in the file as read (a crashed combiner renamed it in, maybe without its directory
			// flush): make that durable before telling their senders.
			await fsyncDirectory(path.dirname(this.path));
			directory = 'flushed';
		}
		await this.#spool.settle(committed, rejected);
		const written =
			next === undefined ? (exists ? { text, items } : undefined) : { text: next, items: [...base, ...added] };
		return { result, written, directory };
	}

	async #quarantine(bytes: Buffer, reason: string, recovered: number): Promise<void> {
		const stamp = new Date().toISOString().replace(/[:.]/g, '-');
		const quarantinePath = `${this.path}.corrupt-${stamp}-${randomBytes(2).toString('hex')}`;
		await writeNewFile(quarantinePath, bytes, this.#options.fileMode);
		this.#options.onQuarantine({ path: this.path, quarantinePath, reason, recovered });
	}
}
