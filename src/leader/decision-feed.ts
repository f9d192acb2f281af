/**
Decisions as they are logged, whichever process made them. A Leader knows its own answers, but not those given from
another process (a CLI's `approve` / `deny`, `Leader.answer`); every answer appends one line to the team's audit log,
so a Leader follows that file to report every answer as `decided`. Only lines appended after `start()` are reported.
*/

import type { FSWatcher } from 'node:fs';
import path from 'node:path';
import { open, stat, watch } from '../fs/fs-seam.js';
import { type AuditRecord, auditLogPath } from '../journal/audit-log.js';
import type { Team } from '../team/team.js';

/** Options of {@link DecisionFeed.start}. */
export interface DecisionFeedOptions {
	/** Re-read this often even without a change notification (missed events), in ms. @default 2_000 */
	rescanIntervalMs?: number;
}

async function sizeOf(file: string): Promise<number> {
	return stat(file).then(
		(stats) => stats.size,
		() => 0,
	);
}

/** Follows a team's audit log (see the module notes). */
export class DecisionFeed {
	readonly path: string;
	readonly #onRecord: (record: AuditRecord) => void;
	#offset: number;
	#watcher: FSWatcher | undefined;
	#timer: NodeJS.Timeout | undefined;
	#reading: Promise<void> = Promise.resolve();
	#again = false;
	#closed = false;

	private constructor(file: string, offset: number, onRecord: (record: AuditRecord) => void) {
		this.path = file;
		this.#offset = offset;
		this.#onRecord = onRecord;
	}

	/** Start following; the audit log's directory must exist (a started Leader creates it). */
	static async start(
		team: Team,
		onRecord: (record: AuditRecord) => void,
		options: DecisionFeedOptions = {},
	): Promise<DecisionFeed> {
		const file = auditLogPath(team.directory);
		const feed = new DecisionFeed(file, await sizeOf(file), onRecord);
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
		const size = await sizeOf(this.path);
		if (size < this.#offset) this.#offset = 0; // replaced by a shorter file: start over
		if (size === this.#offset) return;
		const handle = await open(this.path, 'r');
		try {
			const buffer = Buffer.alloc(size - this.#offset);
			const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.#offset);
			// Only whole lines are consumed; the rest is read again once its newline is there.
			const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
			this.#offset += end;
			for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) if (line) this.#emit(line);
		} finally {
			await handle.close();
		}
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
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}
