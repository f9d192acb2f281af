import { EventEmitter } from 'node:events';
import type { FSWatcher as DirectoryWatcher } from 'node:fs';
import path from 'node:path';
import { AsyncQueue } from '../async-queue.js';
import { errors, isMailboxError, type MailboxError } from '../errors.js';
import { watch } from '../fs/fs-seam.js';
import type { FileSystemInfo } from '../fs/fs-type.js';
import { readRangeFresh } from '../fs/read-file.js';
import { entryKey, type InboxEntry } from './entry.js';

/** Options of `Inbox.watch`. */
export interface WatchOptions {
	/** Ends the stream (iteration finishes normally). */
	signal?: AbortSignal;
	/**
	Poll the file's content instead of OS notifications, which never see another machine's writes. Unset: poll on a
	network file system (NFS, SMB, sshfs and other FUSE, 9p, …), use notifications elsewhere.
	@default undefined
	*/
	polling?: boolean;
	/** Poll period when polling, in ms (50 ms and up are sensible; each poll reads at most 8 KiB). @default 100 */
	pollIntervalMs?: number;
	/**
	Rescan this often even without a notification (belt and braces against dropped events), in ms; 0 disables.
	@default 5_000 with notifications, 60_000 when polling
	*/
	rescanIntervalMs?: number;
}

/** How the watcher learns of changes, announced once by the `mode` event. */
export interface WatchMode {
	polling: boolean;
	/** Poll period, when polling. */
	pollIntervalMs?: number;
	/** The inbox's file system (`fuse.sshfs`, `nfs4`, `ext4`, …). */
	fileSystem: string;
	network: boolean;
	/** Why this mode: asked for by the caller, chosen for the file system, or the fallback after notifications failed. */
	reason: 'option' | 'file system' | 'notifications failed';
}

/** Events of an `InboxWatcher`. */
export interface InboxWatcherEvents {
	/** The watching mode, once it is armed. */
	mode: [mode: WatchMode];
	/** A scan failed (EACCES, EIO, …): retried with backoff until it works again, then `recover`. */
	failure: [error: MailboxError];
	/** Scans work again after failures. */
	recover: [];
}

const recentLimit = 4096;
const retryFirstMs = 25;
const retryMaxMs = 5_000;
/** The bytes a poll compares: the end of the file, where appends land and removals shift everything. */
const pollWindowBytes = 4_096;

/**
An async iterator of new inbox entries: the backlog first, then each arrival, each yielded once per watcher.
It watches the inboxes directory, not the file, because atomic renames replace the file's inode. With OS
notifications that is one `fs.watch` filtered by name. Polling reads the file's last few KiB, fresh (bypassing the
client's caches), at each interval and rescans when they differ: a stat-based poll sees nothing on a network file
system for as long as the client caches attributes (measured on sshfs: about 20 s), a content read sees the other
machine's rename within milliseconds. The poll's cost does not grow with the inbox.
*/
export class InboxWatcher
	extends EventEmitter<InboxWatcherEvents>
	implements AsyncIterableIterator<InboxEntry>, AsyncDisposable
{
	readonly #file: string;
	readonly #readUnread: () => Promise<InboxEntry[]>;
	readonly #queue = new AsyncQueue<InboxEntry>();
	readonly #seen = new Set<string>();
	// Keys that left the file; an entry re-appearing after a crash-interrupted ack is not yielded again.
	readonly #recent = new Set<string>();
	#directoryWatcher: DirectoryWatcher | undefined;
	#timer: NodeJS.Timeout | undefined;
	#pollTimer: NodeJS.Timeout | undefined;
	#closed = false;
	#scanning: Promise<void> | undefined;
	#rescanRequested = false;
	#retryTimer: NodeJS.Timeout | undefined;
	#retryDelayMs = retryFirstMs;
	#failing = false;
	#mode: WatchMode | undefined;
	readonly #pollIntervalMs: number;
	readonly #ready: Promise<void>;
	readonly #detach: () => void;

	/**
	`fileSystem` says where the inbox lives (a network file system is polled unless `polling` says otherwise).
	*/
	constructor(
		file: string,
		readUnread: () => Promise<InboxEntry[]>,
		prepare: Promise<unknown>,
		options: WatchOptions,
		fileSystem: () => Promise<FileSystemInfo> = async () => ({ type: 'unknown', network: false, attributeCacheMs: 0 }),
	) {
		super();
		this.#file = file;
		this.#readUnread = readUnread;
		const { signal, polling, pollIntervalMs = 100, rescanIntervalMs } = options;
		this.#pollIntervalMs = pollIntervalMs;
		if (signal?.aborted) this.#closed = true;
		const onAbort = () => void this.close();
		signal?.addEventListener('abort', onAbort, { once: true });
		this.#detach = () => signal?.removeEventListener('abort', onAbort);
		this.#ready = prepare.then(fileSystem).then(
			(info) => this.#start(info, polling, rescanIntervalMs),
			(error: unknown) => this.#fail(error),
		);
	}

	/** Resolves once the watch is armed and the backlog has been scanned (a failing scan is retried in the background). */
	ready(): Promise<void> {
		return this.#ready;
	}

	/** How changes are detected, once armed. */
	get mode(): WatchMode | undefined {
		return this.#mode;
	}

	async #start(info: FileSystemInfo, polling: boolean | undefined, rescanMs: number | undefined): Promise<void> {
		if (this.#closed) return;
		const poll = polling ?? info.network;
		// A poll already looks at the content each interval: its full rescan is only for a same-size rewrite in the
		// middle of a long file, and is rare, so a polling watcher's cost stays flat in the inbox size.
		const rescanIntervalMs = rescanMs ?? (poll ? 60_000 : 5_000);
		if (rescanIntervalMs > 0) {
			this.#timer = setInterval(() => this.#requestScan(), rescanIntervalMs);
			this.#timer.unref();
		}
		const base = { fileSystem: info.type, network: info.network };
		if (poll || !this.#notify()) {
			const reason = polling !== undefined ? 'option' : poll ? 'file system' : 'notifications failed';
			this.#setMode({ ...base, polling: true, pollIntervalMs: this.#pollIntervalMs, reason });
			// The first look sets what later polls compare with: taken before the backlog scan, so a write between the
			// two is seen as a change, never folded into the baseline unread.
			await this.#pollOnce();
			this.#schedulePoll();
		} else this.#setMode({ ...base, polling: false, reason: polling === undefined ? 'file system' : 'option' });
		await this.#scanNow();
	}

	#setMode(mode: WatchMode): void {
		this.#mode = mode;
		this.emit('mode', mode);
	}

	/**
	OS notifications on the directory, filtered by name: a rename onto the file, or a write to it. `false` when they
	cannot be armed (ENOSPC when the inotify watches are used up, …): the caller polls instead. A watch that breaks
	later is reported (`failure`) and replaced by polling.
	*/
	#notify(): boolean {
		const directory = path.dirname(this.#file);
		const base = path.basename(this.#file);
		try {
			this.#directoryWatcher = watch(directory, (_event, name) => {
				if (name === null || name === base) this.#requestScan();
			});
		} catch (error) {
			this.emit('failure', errors.io('watch', directory, error));
			return false;
		}
		this.#directoryWatcher.on('error', (error) => {
			this.#directoryWatcher?.close();
			this.#directoryWatcher = undefined;
			if (this.#closed) return;
			this.emit('failure', errors.io('watch', directory, error));
			this.#setMode({
				...(this.#mode as WatchMode),
				polling: true,
				pollIntervalMs: this.#pollIntervalMs,
				reason: 'notifications failed',
			});
			this.#schedulePoll();
			this.#requestScan();
		});
		return true;
	}

	#pollOffset = 0;
	#pollSeen: Buffer | undefined | null = null;

	#fastUntil = 0;
	#polling = false;

	/**
	Something is due in this file within about `forMs` (a Worker's answer): until then a polling watcher looks four
	times as often (every 10 ms at least), so the wait for it is not a whole interval. No effect with notifications.
	*/
	pollFaster(forMs: number): void {
		if (this.#closed || !this.#mode?.polling) return;
		this.#fastUntil = Math.max(this.#fastUntil, Date.now() + forMs);
		if (this.#pollTimer && !this.#polling) {
			clearTimeout(this.#pollTimer);
			this.#pollTimer = undefined;
			this.#schedulePoll();
		}
	}

	/** One poll per interval, never two at once: compare the file's tail, read fresh, with the last poll's. */
	#schedulePoll(): void {
		if (this.#closed || this.#pollTimer) return;
		const fast = Date.now() < this.#fastUntil;
		this.#pollTimer = setTimeout(
			async () => {
				this.#polling = true;
				try {
					await this.#pollOnce();
				} finally {
					this.#polling = false;
					this.#pollTimer = undefined;
					this.#schedulePoll();
				}
			},
			fast ? Math.max(10, this.#pollIntervalMs / 4) : this.#pollIntervalMs,
		);
	}

	async #pollOnce(): Promise<void> {
		let tail: Buffer | undefined;
		try {
			tail = await readRangeFresh(this.#file, this.#pollOffset, 2 * pollWindowBytes);
		} catch {
			this.#requestScan(); // the scan reports the failure, and backs off
			return;
		}
		const previous = this.#pollSeen;
		this.#pollSeen = tail;
		const length = tail?.length ?? 0;
		// Next time, read from a page boundary a window before the end: the read stays small however long the file.
		const offset = Math.max(0, Math.floor((this.#pollOffset + length - pollWindowBytes) / 4096) * 4096);
		const moved = offset - this.#pollOffset;
		this.#pollOffset = offset;
		// What a read from the new offset would return now: the end of this one, when it reached the end of the file.
		if (moved !== 0) this.#pollSeen = tail && length < 2 * pollWindowBytes ? tail.subarray(moved) : null;
		const changed =
			previous === null
				? false
				: previous === undefined || tail === undefined
					? previous !== tail
					: moved !== 0 || !previous.equals(tail);
		if (changed) this.#requestScan();
	}

	#requestScan(): void {
		if (this.#closed || this.#retryTimer) return;
		if (this.#scanning) {
			this.#rescanRequested = true;
			return;
		}
		void this.#scanNow();
	}

	/** Scan now (or join the scan running), until no rescan was requested meanwhile. */
	#scanNow(): Promise<void> {
		if (this.#scanning) {
			this.#rescanRequested = true;
			return this.#scanning;
		}
		this.#scanning = this.#scan().finally(() => {
			this.#scanning = undefined;
		});
		return this.#scanning;
	}

	async #scan(): Promise<void> {
		try {
			do {
				this.#rescanRequested = false;
				this.#absorb(await this.#readUnread());
			} while (this.#rescanRequested && !this.#closed);
		} catch (error) {
			if (isMailboxError(error, 'UNSAFE_PATH')) {
				this.#fail(error);
				return;
			}
			// EACCES, EIO, …: say so, and retry later and later, so a broken inbox neither spins nor goes unnoticed.
			this.#failing = true;
			this.emit('failure', isMailboxError(error) ? error : errors.io('read', this.#file, error));
			const delayMs = this.#retryDelayMs;
			this.#retryDelayMs = Math.min(retryMaxMs, delayMs * 2);
			this.#retryTimer = setTimeout(() => {
				this.#retryTimer = undefined;
				this.#requestScan();
			}, delayMs);
			this.#retryTimer.unref();
			return;
		}
		if (this.#failing) {
			this.#failing = false;
			this.#retryDelayMs = retryFirstMs;
			this.emit('recover');
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
		if (this.#closed && !this.#pollTimer && !this.#directoryWatcher) return;
		this.#closed = true;
		this.#detach();
		clearInterval(this.#timer);
		clearTimeout(this.#pollTimer);
		this.#pollTimer = undefined;
		clearTimeout(this.#retryTimer);
		this.#retryTimer = undefined;
		await this.#queue.close();
		this.#directoryWatcher?.close();
		this.#directoryWatcher = undefined;
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}
