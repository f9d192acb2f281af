/**
The leader's decision log: append-only JSON lines in `<team dir>/swarm-mailbox/audit.jsonl`, one line per answered
request. Lines go out in a single `write(2)` on a descriptor opened with `O_APPEND`, so concurrent appenders (a
leader and a CLI) never interleave inside a line, and a killed process leaves whole lines or none.
*/

import { constants, existsSync } from 'node:fs';
import path from 'node:path';
import { Batcher } from '../async-queue.js';
import { errors } from '../errors.js';
import { closeQuietly, fsyncDirectory } from '../fs/atomic-write.js';
import { fsync, openSync, writeSync } from '../fs/fs-seam.js';
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
}

interface PendingLine {
	line: Buffer;
	resolve: () => void;
	reject: (error: unknown) => void;
}

const appendFlags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

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

	constructor(file: string, options: AuditLogOptions = {}) {
		this.path = path.resolve(file);
		this.#fileMode = options.fileMode ?? 0o600;
		this.#fsync = options.fsync ?? true;
		this.#flushFirst = (options.flushFirst ?? []).map((directory) => path.resolve(directory));
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
		} catch (error) {
			throw errors.io('append to', this.path, error);
		} finally {
			if (fd !== undefined) closeQuietly(fd);
		}
	}

	/** Every complete, parseable line; a torn or foreign line is skipped. An absent log reads as empty. */
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

	/** Whether a decision sent as response `msgId` is already logged (used when a restarted leader re-sends it). */
	async has(msgId: string): Promise<boolean> {
		return (await this.read()).some((record) => record.msgId === msgId);
	}
}
