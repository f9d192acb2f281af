/**
Decisions as they are logged, whichever process made them. A Leader knows its own answers, but not those given from
another process (a CLI's `approve` / `deny`, `Leader.answer`); every answer appends one line to the team's audit log,
so a Leader follows that file to report every answer as `decided`. Only lines appended after `start()` are reported.
The feed keeps the file it follows open: when the log is rotated (renamed away, a new file started), the lines
appended to the old file since the last read are still read from it, then any file rotated away unread (several
rotations between two reads), before the feed moves on to the new one.
*/

import type { FSWatcher } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { open, readdir, stat, watch } from '../fs/fs-seam.js';
import { type AuditRecord, auditLogPath, rotatedLogFiles } from '../journal/audit-log.js';
import type { Team } from '../team/team.js';

/** Options of {@link DecisionFeed.start}. */
export interface DecisionFeedOptions {
	/** Re-read this often even without a change notification (missed events), in ms. @default 2_000 */
	rescanIntervalMs?: number;
}

/** The file at `file` now, opened; `undefined` if there is none (or it cannot be opened: retried next scan). */
async function openFollowed(file: string): Promise<{ handle: FileHandle; ino: number; size: number } | undefined> {
	const handle = await open(file, 'r').catch(() => undefined);
	if (!handle) return undefined;
	try {
		const { ino, size } = await handle.stat();
		return { handle, ino, size };
	} catch {
		await handle.close().catch(() => {});
		return undefined;
	}
}

/** Follows a team's audit log (see the module notes). */
export class DecisionFeed {
	readonly path: string;
	readonly #onRecord: (record: AuditRecord) => void;
	/** The followed file (kept open across a rotation), its inode, and how far it has been read. */
	#handle: FileHandle | undefined;
	#ino = -1;
	#offset = 0;
	/**
	Rotated files the feed has no business with or is done with: those there were at start, and those read since
	(the followed file once rotated included). Any other rotated file was rotated away unread and is read whole.
	*/
	#rotatedDone = new Set<string>();
	#watcher: FSWatcher | undefined;
	#timer: NodeJS.Timeout | undefined;
	#reading: Promise<void> = Promise.resolve();
	#again = false;
	#closed = false;

	private constructor(file: string, onRecord: (record: AuditRecord) => void) {
		this.path = file;
		this.#onRecord = onRecord;
	}

	/** Start following; the audit log's directory must exist (a started Leader creates it). */
	static async start(
		team: Team,
		onRecord: (record: AuditRecord) => void,
		options: DecisionFeedOptions = {},
	): Promise<DecisionFeed> {
		const file = auditLogPath(team.directory);
		const feed = new DecisionFeed(file, onRecord);
		const current = await openFollowed(file);
		if (current) {
			feed.#handle = current.handle;
			feed.#ino = current.ino;
			feed.#offset = current.size;
		}
		feed.#rotatedDone = new Set(await feed.#rotated());
		feed.#watcher = watch(path.dirname(file), (_event, name) => {
			if (name === null || name === path.basename(file)) feed.#scan();
		});
		feed.#watcher.on('error', () => {}); // the rescan timer keeps the feed going
		feed.#timer = setInterval(() => feed.#scan(), options.rescanIntervalMs ?? 2_000);
		feed.#timer.unref();
		return feed;
	}

	/** Read whatever was appended since the last read; reads never overlap, and a request during one runs after it. */
	#scan(): void {
		if (this.#closed) return;
		if (this.#again) return;
		this.#again = true;
		this.#reading = this.#reading.then(async () => {
			this.#again = false;
			if (!this.#closed) await this.#read().catch(() => {}); // a vanished or unreadable log is retried next scan
		});
	}

	async #read(): Promise<void> {
		const now = await stat(this.path).catch(() => undefined);
		if (this.#handle && now?.ino === this.#ino) return this.#readFrom(this.#handle);
		let followed: number | undefined;
		if (this.#handle) {
			// Rotated away (or removed): finish the old file through the open handle.
			await this.#readFrom(this.#handle);
			await this.#handle.close().catch(() => {});
			this.#handle = undefined;
			followed = this.#ino;
		}
		// Then whatever else was rotated away since the last read (several rotations, or a log started and rotated
		// after start()), oldest first, and the new file from its beginning.
		const rotated = await this.#rotated();
		const done = new Set<string>();
		for (const file of rotated.reverse()) {
			done.add(file);
			if (this.#rotatedDone.has(file)) continue;
			const opened = await openFollowed(file);
			if (!opened) continue;
			try {
				if (opened.ino === followed) continue;
				this.#offset = 0;
				await this.#readFrom(opened.handle);
			} finally {
				await opened.handle.close().catch(() => {});
			}
		}
		this.#rotatedDone = done; // names no longer listed are forgotten
		if (!now) return;
		const current = await openFollowed(this.path);
		if (!current) return;
		if (current.ino !== now.ino) {
			// Rotated again since the listing: the file in between is read whole by the next scan, then this one.
			await current.handle.close().catch(() => {});
			this.#scan();
			return;
		}
		this.#handle = current.handle;
		this.#ino = current.ino;
		this.#offset = 0;
		await this.#readFrom(this.#handle);
	}

	/** The log's rotated files, newest first. */
	async #rotated(): Promise<string[]> {
		return rotatedLogFiles(this.path, await readdir(path.dirname(this.path)).catch(() => []));
	}

	/** Report the whole lines appended to `handle`'s file since the last read. */
	async #readFrom(handle: FileHandle): Promise<void> {
		const { size } = await handle.stat();
		if (size < this.#offset) this.#offset = 0; // truncated in place: start over
		if (size === this.#offset) return;
		const buffer = Buffer.alloc(size - this.#offset);
		const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
		// Only whole lines are consumed; the rest is read again once its newline is there.
		const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
		this.#offset += end;
		for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) if (line) this.#emit(line);
	}

	#emit(line: string): void {
		try {
			const value: unknown = JSON.parse(line);
			const record = value as AuditRecord;
			if (typeof record?.requestId === 'string' && typeof record.msgId === 'string') this.#onRecord(record);
		} catch {
			// a line cut short by a full disk; the log goes on after it
		}
	}

	/** Stop following (a read in progress finishes first). */
	async close(): Promise<void> {
		this.#closed = true;
		this.#watcher?.close();
		clearInterval(this.#timer);
		await this.#reading;
		await this.#handle?.close().catch(() => {});
		this.#handle = undefined;
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}
