import type { FSWatcher as DirectoryWatcher } from 'node:fs';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import { AsyncQueue } from '../async-queue.js';
import { errors, isMailboxError } from '../errors.js';
import { watch } from '../fs/fs-seam.js';
import { entryKey, type InboxEntry } from './entry.js';

/** Options of `Inbox.watch`. */
export interface WatchOptions {
	/** Ends the stream (iteration finishes normally). */
	signal?: AbortSignal;
	/** Poll instead of OS notifications: needed on network file systems, where inotify sees no remote writes. @default false */
	polling?: boolean;
	/** Poll period when `polling` is on, in ms. @default 100 */
	pollIntervalMs?: number;
	/** Rescan this often even without a notification (belt and braces against dropped events), in ms; 0 disables. @default 5_000 */
	rescanIntervalMs?: number;
}

const recentLimit = 4096;
const retryDelayMs = 25;

/**
An async iterator of new inbox entries: the backlog first, then each arrival, each yielded once per watcher.
It watches the inboxes directory, not the file, because atomic renames replace the file's inode. With OS
notifications that is one `fs.watch` filtered by name; chokidar's directory watch re-lists and lstats the whole
directory on every change, which costs each watcher milliseconds of CPU per message sent to any teammate (measured
with `npm run bench`, neighbour traffic), so it is used for `polling` (network file systems), where it shines.
*/
export class InboxWatcher implements AsyncIterableIterator<InboxEntry>, AsyncDisposable {
	readonly #file: string;
	readonly #readUnread: () => Promise<InboxEntry[]>;
	readonly #queue = new AsyncQueue<InboxEntry>();
	readonly #seen = new Set<string>();
	// Keys that left the file; an entry re-appearing after a crash-interrupted ack is not yielded again.
	readonly #recent = new Set<string>();
	#watcher: FSWatcher | undefined;
	#directoryWatcher: DirectoryWatcher | undefined;
	#timer: NodeJS.Timeout | undefined;
	#closed = false;
	#scanning = false;
	#rescanRequested = false;
	readonly #ready: Promise<void>;
	readonly #detach: () => void;

	constructor(file: string, readUnread: () => Promise<InboxEntry[]>, prepare: Promise<unknown>, options: WatchOptions) {
		this.#file = file;
		this.#readUnread = readUnread;
		const { signal, polling = false, pollIntervalMs = 100, rescanIntervalMs = 5_000 } = options;
		if (signal?.aborted) this.#closed = true;
		const onAbort = () => void this.close();
		signal?.addEventListener('abort', onAbort, { once: true });
		this.#detach = () => signal?.removeEventListener('abort', onAbort);
		this.#ready = prepare.then(
			() => this.#start(polling, pollIntervalMs, rescanIntervalMs),
			(error: unknown) => this.#fail(error),
		);
	}

	/** Resolves once OS notifications are armed and the backlog has been scanned. */
	ready(): Promise<void> {
		return this.#ready;
	}

	#start(polling: boolean, pollIntervalMs: number, rescanIntervalMs: number): Promise<void> {
		if (this.#closed) return Promise.resolve();
		if (rescanIntervalMs > 0) {
			this.#timer = setInterval(() => this.#requestScan(), rescanIntervalMs);
			this.#timer.unref();
		}
		return polling ? this.#poll(pollIntervalMs) : this.#notify();
	}

	/** OS notifications on the directory, filtered by name: a rename onto the file, or a write to it. */
	#notify(): Promise<void> {
		const directory = path.dirname(this.#file);
		const base = path.basename(this.#file);
		try {
			this.#directoryWatcher = watch(directory, (_event, name) => {
				if (name === null || name === base) this.#requestScan();
			});
			this.#directoryWatcher.on('error', (error) => this.#fail(errors.io('watch', directory, error)));
		} catch (error) {
			this.#fail(errors.io('watch', directory, error));
			return Promise.resolve();
		}
		this.#requestScan();
		return Promise.resolve();
	}

	/** chokidar's stat polling, for file systems without notifications of remote writes. */
	#poll(pollIntervalMs: number): Promise<void> {
		const directory = path.dirname(this.#file);
		const base = path.basename(this.#file);
		const watcher = chokidar.watch(directory, {
			depth: 0,
			ignoreInitial: true,
			usePolling: true,
			interval: pollIntervalMs,
			ignored: (candidate: string) => candidate !== directory && path.basename(candidate) !== base,
		});
		this.#watcher = watcher;
		const onEvent = (changed: string) => {
			if (path.basename(changed) === base) this.#requestScan();
		};
		watcher.on('add', onEvent).on('change', onEvent);
		// chokidar drops a second 'change' within 50 ms of the first; its raw events are not throttled.
		watcher.on('raw', (_event, changed) => {
			if (typeof changed === 'string') onEvent(changed);
		});
		watcher.on('error', (error) => this.#fail(errors.io('watch', directory, error)));
		return new Promise<void>((resolve) => {
			watcher.once('ready', () => {
				this.#requestScan();
				resolve();
			});
		});
	}

	#requestScan(): void {
		if (this.#closed) return;
		if (this.#scanning) {
			this.#rescanRequested = true;
			return;
		}
		void this.#scan();
	}

	async #scan(): Promise<void> {
		this.#scanning = true;
		try {
			do {
				this.#rescanRequested = false;
				this.#absorb(await this.#readUnread());
			} while (this.#rescanRequested && !this.#closed);
		} catch (error) {
			if (isMailboxError(error, 'UNSAFE_PATH')) this.#fail(error);
			else setTimeout(() => this.#requestScan(), retryDelayMs).unref();
		} finally {
			this.#scanning = false;
		}
	}

	#absorb(entries: InboxEntry[]): void {
		const present = new Set<string>();
		const occurrences = new Map<string, number>();
		for (const entry of entries) {
			const base = entryKey(entry);
			const count = (occurrences.get(base) ?? 0) + 1;
			occurrences.set(base, count);
			const key = count === 1 ? base : `${base}#${count}`;
			present.add(key);
			if (this.#seen.has(key) || this.#recent.has(key)) continue;
			this.#seen.add(key);
			this.#queue.push(entry);
		}
		for (const key of this.#seen) {
			if (present.has(key)) continue;
			this.#seen.delete(key);
			this.#recent.add(key);
			if (this.#recent.size > recentLimit) this.#recent.delete(this.#recent.values().next().value as string);
		}
	}

	#fail(error: unknown): void {
		this.#queue.fail(isMailboxError(error) ? error : errors.io('watch', this.#file, error));
		void this.close();
	}

	next(): Promise<IteratorResult<InboxEntry>> {
		return this.#queue.next();
	}

	async return(): Promise<IteratorResult<InboxEntry>> {
		await this.close();
		return { value: undefined, done: true };
	}

	[Symbol.asyncIterator](): this {
		return this;
	}

	/** Stop watching; pending `next()` calls finish with `done`. Entries stay in the file until acked. */
	async close(): Promise<void> {
		if (this.#closed && !this.#watcher && !this.#directoryWatcher) return;
		this.#closed = true;
		this.#detach();
		clearInterval(this.#timer);
		await this.#queue.close();
		this.#directoryWatcher?.close();
		this.#directoryWatcher = undefined;
		const watcher = this.#watcher;
		this.#watcher = undefined;
		await watcher?.close();
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}
