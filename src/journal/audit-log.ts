/**
The leader's decision log: append-only JSON lines in `<team dir>/swarm-mailbox/audit.jsonl`, one line per answered
request. Lines go out in a single `write(2)` on a descriptor opened with `O_APPEND`, so concurrent appenders (a
leader and a CLI) never interleave inside a line, and a killed process leaves whole lines or none.

The log is rotated by size: once the file reaches `maxBytes`, the appender that notices renames it to
`audit.jsonl.<time>-<pid>-<random>` (a name no other process can pick) and the oldest rotated files beyond
`keepFiles` are removed. A writer that opened the file just before the rename appends to the renamed file: nothing
is lost, whichever process rotates.
*/

import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import path from 'node:path';
import { Batcher } from '../async-queue.js';
import { errors } from '../errors.js';
import { closeQuietly, fsyncDirectory } from '../fs/atomic-write.js';
import {
	existsSync,
	fstatSync,
	fsync,
	openSync,
	readdirSync,
	readSync,
	renameSync,
	statSync,
	unlinkSync,
	writeSync,
} from '../fs/fs-seam.js';
import { readFileNoFollow } from '../fs/read-file.js';

/** Who made a decision: the policy, a person through the Leader API, the ask timeout, input validation, or a CLI name. */
export type DecidedBy = 'policy' | 'person' | 'timeout' | 'validation' | (string & {});

/** One line of the audit log. */
export interface AuditRecord {
	/** ISO time of the decision. */
	time: string;
	requestId: string;
	kind: 'permission' | 'sandbox';
	/** The asking worker's name. */
	worker: string;
	/** Permission requests only. */
	toolName?: string;
	/** Sandbox requests only. */
	host?: string;
	/** `input_digest` of the request (permission requests only). */
	inputDigest?: string;
	decision: 'allow' | 'deny';
	decidedBy: DecidedBy;
	/** The denial message, or a note on the decision (the rule that matched). */
	message?: string;
	/** The `msg_id` of the response entry sent to the worker. */
	msgId: string;
	/** The "always allow" rule persisted with this decision. */
	persistedRule?: string;
	/** The input the tool runs with, when the approver changed it (an edited approval). */
	updatedInput?: Record<string, unknown>;
}

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
	/** Mode of a newly created log file. @default 0o600 */
	fileMode?: number;
	/** fsync each line before `append` resolves. @default true */
	fsync?: boolean;
	/**
	Gather appends until a lull of `quietMs` (at most `maxDelayMs` after the first) and write them with one fsync,
	instead of one per line. Durations in ms.
	@default undefined (each line written at once)
	*/
	batch?: { quietMs?: number; maxDelayMs: number };
	/**
	Directories flushed (fsync) before each write of lines. A line says its answer was delivered, so a writer that
	leaves the directory flush of its deliveries to the log names their directory here: one flush then covers every
	answer of a batch.
	@default []
	*/
	flushFirst?: readonly string[];
	/** Rotate the log once it has grown to this many bytes. @default 1_048_576 (1 MiB, about 3,500 answers) */
	maxBytes?: number;
	/** Rotated files kept besides the current one; older ones are removed. @default 32 */
	keepFiles?: number;
}

interface PendingLine {
	line: Buffer;
	resolve: () => void;
	reject: (error: unknown) => void;
}

const appendFlags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW;

/** A rotated log's name: the rotation time (fixed width, so names sort by it), then what makes it unique. */
const rotatedName = /^\.(\d{13})-\d+-[0-9a-f]+$/;
/** The `msgId` of a line as `JSON.stringify` writes it (a quote inside a string value is always escaped). */
const msgIdField = /"msgId":"((?:[^"\\]|\\.)*)"/;

/** How far another machine's clock (a claim made there, a rotation done there) may be off ours, in ms. */
const clockSkewMarginMs = 600_000;

/** The `msgId`s of one log file read so far (the file is known by its inode; reads resume at `offset`). */
interface FileIndex {
	ino: number;
	offset: number;
	ids: Set<string>;
}

/** The rotated files of the log at `logPath` among `names` (its directory's listing), newest first. */
export function rotatedLogFiles(logPath: string, names: readonly string[]): string[] {
	const base = path.basename(logPath);
	return names
		.filter((name) => name.startsWith(base) && rotatedName.test(name.slice(base.length)))
		.sort()
		.reverse()
		.map((name) => path.join(path.dirname(logPath), name));
}

/** The audit log file of a team directory. */
export function auditLogPath(teamDirectory: string): string {
	return path.join(teamDirectory, 'swarm-mailbox', 'audit.jsonl');
}

/** An append-only JSON-lines log of permission decisions. */
export class AuditLog {
	readonly path: string;
	readonly #fileMode: number;
	readonly #fsync: boolean;
	readonly #batcher: Batcher<PendingLine> | undefined;
	readonly #flushFirst: readonly string[];
	readonly #maxBytes: number;
	readonly #keepFiles: number;
	/** The current file's index and the one before it (the file most recently rotated away). */
	#index: FileIndex | undefined;
	#previousIndex: FileIndex | undefined;

	constructor(file: string, options: AuditLogOptions = {}) {
		this.path = path.resolve(file);
		this.#fileMode = options.fileMode ?? 0o600;
		this.#fsync = options.fsync ?? true;
		this.#flushFirst = (options.flushFirst ?? []).map((directory) => path.resolve(directory));
		this.#maxBytes = options.maxBytes ?? 1_048_576;
		this.#keepFiles = options.keepFiles ?? 32;
		if (options.batch) {
			this.#batcher = new Batcher<PendingLine>(async (items) => {
				try {
					await this.#write(Buffer.concat(items.map((item) => item.line)));
					for (const item of items) item.resolve();
				} catch (error) {
					for (const item of items) item.reject(error);
				}
			}, options.batch);
		}
	}

	/**
	Append one record as one line. The directory must exist. With `batch`, lines arriving close together go out in one
	write and one fsync (group commit); each call resolves once its own line is durable.
	*/
	append(record: AuditRecord): Promise<void> {
		const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
		if (!this.#batcher) return this.#write(line);
		return new Promise<void>((resolve, reject) => this.#batcher?.add({ line, resolve, reject }));
	}

	/** Whether each append flushes `directory` before its line is written (see `flushFirst`). */
	flushesFirst(directory: string): boolean {
		return this.#fsync && this.#flushFirst.includes(path.resolve(directory));
	}

	async #write(lines: Buffer): Promise<void> {
		if (this.#fsync) {
			for (const directory of this.#flushFirst) {
				await fsyncDirectory(directory).catch((error: Error) => {
					throw errors.io(`flush ${directory} before appending to`, this.path, error.cause ?? error);
				});
			}
		}
		let fd: number | undefined;
		try {
			// Small local calls made synchronously; only the fsync goes to the thread pool.
			const created = !existsSync(this.path);
			fd = openSync(this.path, appendFlags, this.#fileMode);
			const written = writeSync(fd, lines);
			// Regular local files take a whole O_APPEND write at once; a short write means the disk is full.
			if (written !== lines.length) throw new Error(`short write (${written} of ${lines.length} bytes)`);
			if (this.#fsync) await fsync(fd);
			// A new log's own name must survive a power cut too (recovery reads it to tell delivered answers).
			if (this.#fsync && created) await fsyncDirectory(path.dirname(this.path));
			if (fstatSync(fd).size >= this.#maxBytes) this.#rotate(fd);
		} catch (error) {
			throw errors.io('append to', this.path, error);
		} finally {
			if (fd !== undefined) closeQuietly(fd);
		}
	}

	/**
	Rename the full log aside, unless another process did already (then the name holds a newer file, left alone), and
	remove the oldest rotated files. Not flushed: should a power cut undo the rename, the log is merely rotated later.
	*/
	#rotate(fd: number): void {
		if (statSync(this.path, { throwIfNoEntry: false })?.ino !== fstatSync(fd).ino) return;
		const stamp = String(Date.now()).padStart(13, '0');
		renameSync(this.path, `${this.path}.${stamp}-${process.pid}-${randomBytes(4).toString('hex')}`);
		const rotated = this.rotatedFiles();
		for (const file of rotated.slice(this.#keepFiles)) {
			try {
				unlinkSync(file);
			} catch {
				// removed by another process rotating at the same time
			}
		}
	}

	/** The rotated log files, newest first. */
	rotatedFiles(): string[] {
		return rotatedLogFiles(this.path, readdirSync(path.dirname(this.path)));
	}

	/**
	Every complete, parseable line of the current file (not the rotated ones); a torn or foreign line is skipped. An
	absent log reads as empty.
	*/
	async read(): Promise<AuditRecord[]> {
		const file = await readFileNoFollow(this.path);
		if (!file) return [];
		const records: AuditRecord[] = [];
		for (const line of file.bytes.toString('utf8').split('\n')) {
			if (line.trim() === '') continue;
			try {
				const value: unknown = JSON.parse(line);
				if (typeof value === 'object' && value !== null && typeof (value as AuditRecord).requestId === 'string') {
					records.push(value as AuditRecord);
				}
			} catch {
				// A line cut short by a full disk; the rest of the log is still good.
			}
		}
		return records;
	}

	/**
	Whether a decision sent as response `msgId` is already logged (used when a restarted leader re-sends it). With
	`since` (the time the answer was claimed: its line cannot be older), rotated files older than that are not
	searched. The current file is read incrementally into an index of its `msgId`s (bounded by `maxBytes`), so a
	recovery of many claims reads each line once, whoever wrote it.
	*/
	async has(msgId: string, options: { since?: number } = {}): Promise<boolean> {
		try {
			this.#refreshIndex();
		} catch (error) {
			throw errors.io('read', this.path, error);
		}
		if (this.#index?.ids.has(msgId) || this.#previousIndex?.ids.has(msgId)) return true;
		const needle = Buffer.from(`"msgId":${JSON.stringify(msgId)}`);
		for (const file of this.rotatedFiles()) {
			const rotatedAt = Number(rotatedName.exec(file.slice(this.path.length))?.[1]);
			if (options.since !== undefined && rotatedAt < options.since - clockSkewMarginMs) break;
			const read = await readFileNoFollow(file);
			if (read?.bytes.includes(needle)) return true;
		}
		return false;
	}

	/** Read the lines appended to the current file since the last look (from the start if it is a new file). */
	#refreshIndex(): void {
		let fd: number;
		try {
			fd = openSync(this.path, readFlags);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
			throw error;
		}
		try {
			const { ino, size } = fstatSync(fd);
			if (this.#index?.ino !== ino) {
				this.#previousIndex = this.#index;
				this.#index = { ino, offset: 0, ids: new Set() };
			}
			const index = this.#index;
			if (size <= index.offset) return;
			const buffer = Buffer.allocUnsafe(size - index.offset);
			let filled = 0;
			while (filled < buffer.length) {
				const read = readSync(fd, buffer, filled, buffer.length - filled, index.offset + filled);
				if (read === 0) break;
				filled += read;
			}
			// Only whole lines; a line still being written is read again next time.
			const end = buffer.subarray(0, filled).lastIndexOf(0x0a) + 1;
			for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
				const id = msgIdField.exec(line)?.[1];
				if (id !== undefined) index.ids.add(JSON.parse(`"${id}"`) as string);
			}
			index.offset += end;
		} finally {
			closeQuietly(fd);
		}
	}
}
