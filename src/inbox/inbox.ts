import { EventEmitter } from 'node:events';
import path from 'node:path';
import { errors, isMailboxError, type MailboxError } from '../errors.js';
import { entryBytes } from './codec.js';
import {
	type BuildResult,
	buildEntry,
	describeInvalid,
	entryKey,
	type InboxEntry,
	isValidEntry,
	type OutgoingEntry,
} from './entry.js';
import type {
	InboxEvents,
	InboxOptions,
	InboxSnapshot,
	InvalidEntryEvent,
	OperationOptions,
	SendOptions,
} from './options.js';
import type { Mutation, TransactionState } from './plan.js';
import { InboxStore } from './store.js';
import { InboxWatcher, type WatchOptions } from './watch.js';
import { queueFor } from './write-queue.js';

interface PendingSend {
	entry: InboxEntry;
	deadline: number;
	signal: AbortSignal | undefined;
	flushDirectory: boolean;
	settled: boolean;
	resolve: (id: string) => void;
	reject: (error: MailboxError) => void;
}

/** One agent's inbox file: `inboxes/<name>.json`, shared with Claude Code. */
export class Inbox extends EventEmitter<InboxEvents> {
	readonly name: string;
	readonly path: string;
	readonly #store: InboxStore;
	readonly #options: Required<InboxOptions>;
	readonly #prepare: () => Promise<unknown>;

	/** `prepare` makes the directory exist (the Team checks it is inside the root). */
	constructor(filePath: string, options: InboxOptions & { name?: string; prepare?: () => Promise<unknown> } = {}) {
		super();
		this.path = path.resolve(filePath);
		this.name = options.name ?? path.basename(this.path, '.json');
		this.#options = {
			fileMode: options.fileMode ?? 0o600,
			dirMode: options.dirMode ?? 0o700,
			lockTimeoutMs: options.lockTimeoutMs ?? 30_000,
			staleMs: options.staleMs ?? 10_000,
			maxEntryBytes: options.maxEntryBytes ?? 1_048_576,
			maxInboxBytes: options.maxInboxBytes ?? 67_108_864,
			fsync: options.fsync ?? true,
		};
		this.#prepare = options.prepare ?? (() => Promise.resolve());
		const { fileMode, dirMode, staleMs, fsync, maxInboxBytes } = this.#options;
		this.#store = new InboxStore(this.path, {
			fileMode,
			dirMode,
			staleMs,
			fsync,
			maxInboxBytes,
			onQuarantine: (event) => this.emit('quarantine', event),
		});
	}

	/**
	Append one entry. Resolves with its `msg_id` once it is durable on disk (with `flushDirectory: false`, once the file
	is; see that option); rejects with a typed error (and nothing written) on invalid input, size limits, lock timeout or
	abort.
	*/
	async send(input: OutgoingEntry, options: SendOptions = {}): Promise<string> {
		options.commitAfter?.catch(() => {}); // observed once the write reaches it: a rejection before then is not unhandled
		const built: BuildResult = buildEntry(input);
		if (!built.ok) throw errors.invalidEntry(this.path, built.reason);
		const bytes = entryBytes(built.entry);
		if (bytes > this.#options.maxEntryBytes) throw errors.entryTooLarge(this.path, bytes, this.#options.maxEntryBytes);
		if (options.signal?.aborted) throw errors.aborted(`send to ${this.path}`, options.signal.reason);
		await this.#prepare();
		return new Promise<string>((resolve, reject) => {
			const pending: PendingSend = {
				entry: built.entry,
				deadline: Date.now() + (options.timeoutMs ?? this.#options.lockTimeoutMs),
				signal: options.signal,
				flushDirectory: options.flushDirectory ?? true,
				settled: false,
				resolve: (id) => {
					pending.settled = true;
					resolve(id);
				},
				reject: (error) => {
					pending.settled = true;
					reject(error);
				},
			};
			// A held-back entry is written on its own, outside this process's queue for the file: its condition must
			// neither decide the fate of other sends nor keep them waiting (it meets them at the lock, like any writer).
			const { commitAfter } = options;
			if (commitAfter) void this.#writeBatch([pending], commitAfter);
			else queueFor<PendingSend>(this.path).enqueue(pending, (batch) => this.#writeBatch(batch));
		});
	}

	async #writeBatch(batch: PendingSend[], commitAfter?: Promise<unknown>): Promise<void> {
		let live = batch;
		while (live.length > 0) {
			try {
				await this.#store.append(
					live.map((item) => item.entry),
					{
						deadline: Math.min(...live.map((item) => item.deadline)),
						shouldContinue: () => !live.some((item) => item.signal?.aborted),
					},
					{ commitAfter, flushDirectory: live.some((item) => item.flushDirectory) },
				);
				for (const item of live) item.resolve(item.entry.msg_id as string);
				return;
			} catch (error) {
				if (!isMailboxError(error, 'LOCK_TIMEOUT')) {
					for (const item of live) item.reject(error as MailboxError);
					return;
				}
				// The batch was withdrawn unwritten: answer the senders that are out of time, retry the rest.
				const now = Date.now();
				for (const item of live) {
					if (item.signal?.aborted) item.reject(errors.aborted(`send to ${this.path}`, item.signal.reason));
					else if (now >= item.deadline) item.reject(error);
				}
				live = live.filter((item) => !item.settled);
			}
		}
	}

	/** Every valid entry, delivered or not. A corrupt file is repaired (quarantined) under the lock first. */
	async read(): Promise<InboxEntry[]> {
		return (await this.inspect()).entries;
	}

	/** Entries not yet marked read (older clients flag delivered entries with `read: true`). */
	async unread(): Promise<InboxEntry[]> {
		return (await this.read()).filter((entry) => entry.read !== true);
	}

	/** Valid entries plus a report of the invalid ones (which are kept in the file, never silently dropped). */
	async inspect(options: OperationOptions = {}): Promise<InboxSnapshot> {
		let snapshot = await this.#store.snapshot();
		if (snapshot.corrupt !== undefined) {
			// Possibly a non-atomic writer mid-write; only the lock tells a torn write from real damage.
			const items = await this.#store.transact(({ items }) => ({ mutation: { kind: 'none' }, result: [...items] }), {
				deadline: Date.now() + (options.timeoutMs ?? this.#options.lockTimeoutMs),
				signal: options.signal,
			});
			snapshot = { exists: true, items };
		}
		const entries: InboxEntry[] = [];
		const invalid: InvalidEntryEvent[] = [];
		snapshot.items.forEach((value, index) => {
			if (isValidEntry(value)) entries.push(value);
			else invalid.push({ path: this.path, index, value, reason: describeInvalid(value) });
		});
		for (const event of invalid) this.emit('invalid', event);
		return { entries, invalid };
	}

	/**
	Remove exactly the given delivered entries (by `msg_id`, or `from|timestamp|text` for entries without one).
	Entries that arrived since they were read stay. Resolves with the number removed.
	*/
	async ack(delivered: Iterable<InboxEntry | string>, options: OperationOptions = {}): Promise<number> {
		const keys = new Set<string>();
		for (const item of delivered) keys.add(typeof item === 'string' ? `id:${item}` : entryKey(item));
		if (keys.size === 0) return 0;
		return this.#locked(options, ({ items }) => {
			const kept = items.filter((item) => !(isValidEntry(item) && keys.has(entryKey(item))));
			const removed = items.length - kept.length;
			return { mutation: removed > 0 ? { kind: 'replace', items: kept } : { kind: 'none' }, result: removed };
		});
	}

	/** Empty the inbox atomically; a missing inbox stays missing. */
	async clear(options: OperationOptions = {}): Promise<void> {
		await this.#locked(options, ({ exists, items }) => ({
			mutation: exists && items.length > 0 ? { kind: 'replace', items: [] } : { kind: 'none' },
			result: undefined,
		}));
	}

	/** Stream entries as they arrive (the backlog first), each once per watcher. */
	watch(options: WatchOptions = {}): InboxWatcher {
		return new InboxWatcher(
			this.path,
			() => this.unread(),
			this.#prepare(),
			options,
			() => this.#store.fileSystem(),
		);
	}

	async #locked<T>(
		options: OperationOptions,
		plan: (state: TransactionState) => { mutation: Mutation; result: T },
	): Promise<T> {
		if (options.signal?.aborted) throw errors.aborted(`locked update of ${this.path}`, options.signal.reason);
		await this.#prepare();
		return queueFor(this.path).schedule(() =>
			this.#store.transact(plan, {
				deadline: Date.now() + (options.timeoutMs ?? this.#options.lockTimeoutMs),
				signal: options.signal,
			}),
		);
	}
}
