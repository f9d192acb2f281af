/**
The leader's durable journal of permission requests, shared by every process that answers for a team (a running
Leader, a CLI), in `<team dir>/swarm-mailbox/pending/`:

- `<id>.json` — the request, written (atomically, 0600) before its inbox entry is acked, so a restarted leader
  sees every request it has taken out of its inbox and not finished answering.
- `<id>.answer` — the claim on the one answer: created exclusively (hard link of a complete temp file, so it is
  never seen half-written), holding the decision and the response entry (msg_id, timestamp, text) fixed up front.
  A request with both files was claimed but maybe not delivered: the response is re-sent as the same entry.
  A request the policy decides as it is taken in gets both names at once, for one file holding both shapes.
- After delivery the `.json` is removed and the `.answer` moves to `answered/<hour>/` as a tombstone, so a late second
  answer still gets `ALREADY_ANSWERED` and a re-delivered request is recognised as a duplicate. Kept apart, the
  tombstones of a busy leader never slow the listing of open requests, and whole hours of them are pruned at once.

`<id>` is the request id made file-safe plus a hash of (kind, worker, request id, tool_use_id): Claude Code's dedupe key.
*/

import path from 'node:path';
import { errors } from '../errors.js';
import {
	fsyncDirectory,
	isTempFile,
	linkNewFile,
	linkPreparedFile,
	type PreparedFile,
	prepareNewFile,
	writeFileAtomic,
} from '../fs/atomic-write.js';
import { ensureDirectoryInRoot } from '../fs/directories.js';
import {
	existsSync,
	mkdirSync,
	readdir,
	readdirSync,
	renameSync,
	rmSync,
	stat,
	statSync,
	unlink,
	unlinkSync,
} from '../fs/fs-seam.js';
import { readFileNoFollow, readFileNoFollowSync } from '../fs/read-file.js';
import { sanitizeTeamDirName } from '../team/paths.js';
import type { Team } from '../team/team.js';
import {
	type AnswerClaim,
	fileSafe,
	journalKeyFor,
	type PendingRecord,
	parseJournalFile,
	type StoredRequest,
} from './record.js';

export type { AnswerClaim, ClaimOwner, PendingRecord, RequestKind, StoredRequest } from './record.js';

/** Options of {@link PendingStore}. */
export interface PendingStoreOptions {
	/** @default 0o600 */
	fileMode?: number;
	/** @default true */
	fsync?: boolean;
}

/** Tombstones are grouped by the hour they were made in, so pruning removes whole directories. */
const tombstoneBucketMs = 3_600_000;

/** The directory of a team's pending journal. */
export function pendingDirectoryOf(team: Team): string {
	return path.join(team.directory, 'swarm-mailbox', 'pending');
}

/** The pending journal of one team (see the module notes for the layout and guarantees). */
export class PendingStore {
	readonly directory: string;
	readonly #team: Team;
	readonly #fileMode: number;
	readonly #fsync: boolean;
	#ready: Promise<unknown> | undefined;

	constructor(team: Team, options: PendingStoreOptions = {}) {
		this.#team = team;
		this.directory = pendingDirectoryOf(team);
		this.#fileMode = options.fileMode ?? 0o600;
		this.#fsync = options.fsync ?? true;
	}

	/** The file id of a request: Claude Code dedupes on (kind, from, request_id, tool_use_id). */
	static readonly keyFor: typeof journalKeyFor = journalKeyFor;

	/** Create the directory (0700, inside the team root, no links). */
	prepare(): Promise<unknown> {
		this.#ready ??= ensureDirectoryInRoot(
			this.#team.root,
			[sanitizeTeamDirName(this.#team.name), 'swarm-mailbox', 'pending'],
			0o700,
		).catch((error: unknown) => {
			this.#ready = undefined;
			throw error;
		});
		return this.#ready;
	}

	#file(key: string, suffix: '.json' | '.answer'): string {
		return path.join(this.directory, key + suffix);
	}

	get #answered(): string {
		return path.join(this.directory, 'answered');
	}

	/** The hour directories of tombstones, as numbers (hours since the epoch). */
	#buckets(): number[] {
		try {
			return readdirSync(this.#answered)
				.filter((name) => /^\d+$/.test(name))
				.map(Number);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
			throw errors.io('list', this.#answered, error);
		}
	}

	/** The tombstone of a finished request, if it was moved out of the journal. */
	#tombstone(key: string): string | undefined {
		for (const bucket of this.#buckets()) {
			const file = path.join(this.#answered, String(bucket), `${key}.answer`);
			if (existsSync(file)) return file;
		}
		return undefined;
	}

	/**
	A claim linked just now may have raced the request's completion (which removes the record, then moves the claim
	out): if the request has a tombstone, take our links back and report it answered.
	*/
	#undoIfFinished(key: string, requestId: string, links: readonly string[]): void {
		const tombstone = this.#tombstone(key);
		if (tombstone === undefined) return;
		for (const link of links) {
			try {
				unlinkSync(link);
			} catch {
				// gone already
			}
		}
		throw errors.alreadyAnswered(requestId, tombstone);
	}

	/** Whether a request is journaled or was answered (Claude Code's dedupe: the same request taken in twice). */
	async has(key: string): Promise<boolean> {
		await this.prepare();
		if (existsSync(this.#file(key, '.answer')) || this.#tombstone(key) !== undefined) return true;
		// An unreadable record (damaged by hand, or by a file system that lost it) does not count: the entry is
		// taken in again and the record rewritten.
		return parseJournalFile<PendingRecord>((await readFileNoFollow(this.#file(key, '.json')))?.bytes) !== undefined;
	}

	/**
	Journal a request for a person to decide (callers check `has()` first: the exclusive claim, not this, makes the one
	answer). A request decided at once is journaled by `claim(…, {record})` instead.
	*/
	async record(record: PendingRecord): Promise<void> {
		await this.prepare();
		await writeFileAtomic(this.#file(record.key, '.json'), JSON.stringify(record), {
			mode: this.#fileMode,
			fsync: this.#fsync,
		});
	}

	/** One request by key, or `undefined` once it is finished (or was never journaled). */
	async get(key: string): Promise<StoredRequest | undefined> {
		await this.prepare();
		const record = parseJournalFile<PendingRecord>((await readFileNoFollow(this.#file(key, '.json')))?.bytes);
		if (!record) return undefined;
		const answer = await this.readClaim(key);
		return answer ? { record, answer } : { record };
	}

	/** The claim of a request (also after it finished), if any. */
	async readClaim(key: string): Promise<AnswerClaim | undefined> {
		const claim = parseJournalFile<AnswerClaim>((await readFileNoFollow(this.#file(key, '.answer')))?.bytes);
		if (claim) return claim;
		const tombstone = this.#tombstone(key);
		return tombstone ? parseJournalFile<AnswerClaim>((await readFileNoFollow(tombstone))?.bytes) : undefined;
	}

	/** Every request not yet finished, oldest first. Unreadable files are skipped. */
	async list(): Promise<StoredRequest[]> {
		await this.prepare();
		const names = await readdir(this.directory);
		const stored: StoredRequest[] = [];
		for (const name of names) {
			if (!name.endsWith('.json') || isTempFile(name)) continue;
			const item = await this.get(name.slice(0, -'.json'.length));
			if (item) stored.push(item);
		}
		return stored.sort((a, b) => a.record.receivedAt - b.record.receivedAt);
	}

	/** Claims (finished or not) whose request id is `requestId`, optionally for one worker only. */
	async claimsFor(requestId: string, worker?: string): Promise<AnswerClaim[]> {
		await this.prepare();
		const prefix = `${fileSafe(requestId)}.`;
		const claims: AnswerClaim[] = [];
		const directories = [this.directory, ...this.#buckets().map((bucket) => path.join(this.#answered, String(bucket)))];
		const seen = new Set<string>();
		for (const directory of directories) {
			for (const name of await readdir(directory).catch(() => [] as string[])) {
				if (!name.startsWith(prefix) || !name.endsWith('.answer') || seen.has(name)) continue;
				seen.add(name);
				const claim = parseJournalFile<AnswerClaim>((await readFileNoFollow(path.join(directory, name)))?.bytes);
				if (claim?.requestId === requestId && (worker === undefined || claim.worker === worker)) claims.push(claim);
			}
		}
		return claims;
	}

	/**
	Write and flush, under a temp name, the file that `claim(key, claim, {record, prepared})` would link, before it is
	known whether the claim will be made (a decision still being taken): that claim then only links it. Pass the very
	same `claim` and `record`; `discard()` the file when they are not claimed after all.
	*/
	async prepareClaim(key: string, claim: AnswerClaim, record: PendingRecord): Promise<PreparedFile> {
		await this.prepare();
		return prepareNewFile(this.#file(key, '.json'), claimFileBytes(record, claim), this.#fileMode, this.#fsync);
	}

	/**
	Take the one answer of a request. Exactly one caller across all processes succeeds.
	With `record` (a request decided as it is taken in, not journaled yet), one file serves as both: it holds the
	fields of the record and of the claim, and is linked as `<id>.json`, then as `<id>.answer`; with `prepared` (from
	{@link PendingStore.prepareClaim}), that file was written ahead and is only linked now.
	@throws {MailboxError} `ALREADY_ANSWERED` when it was claimed (or, with `record`, journaled) before;
	`REQUEST_NOT_FOUND` when it is not journaled.
	*/
	async claim(
		key: string,
		claim: AnswerClaim,
		options: { record?: PendingRecord; prepared?: PreparedFile | undefined } = {},
	): Promise<void> {
		await this.prepare();
		const journal = this.#file(key, '.json');
		const target = this.#file(key, '.answer');
		const { record, prepared } = options;
		if (record) {
			const write = () => linkNewFile([journal, target], claimFileBytes(record, claim), this.#fileMode, this.#fsync);
			let linked = prepared ? await linkPreparedFile(prepared, [journal, target]) : await write();
			// An unreadable record in the way (damaged, or left unflushed by an older version) is moved aside, once.
			if (linked === 0 && this.#setAsideUnreadable(journal)) {
				linked = await write();
			}
			if (linked === 2) return this.#undoIfFinished(key, claim.requestId, [target, journal]);
			// Claimed by another process between our two links: our record stays, so should that process die before
			// delivering, recovery still finds its claim (and sends the entry it fixed).
			throw errors.alreadyAnswered(claim.requestId, linked === 0 ? journal : target);
		}
		await prepared?.discard(); // made for a claim with its record only
		if (!(await readFileNoFollow(journal))) {
			const tombstone = (await readFileNoFollow(target)) ? target : this.#tombstone(key);
			if (tombstone) throw errors.alreadyAnswered(claim.requestId, tombstone);
			throw errors.requestNotFound(claim.requestId, this.directory);
		}
		if ((await linkNewFile([target], Buffer.from(JSON.stringify(claim)), this.#fileMode, this.#fsync)) === 0) {
			throw errors.alreadyAnswered(claim.requestId, target);
		}
		this.#undoIfFinished(key, claim.requestId, [target]);
	}

	/**
	Rename an unparseable `<key>.json` to `<key>.json.unreadable-<time>` (kept for a person to look at, never
	overwritten). Every writer of ours makes a record visible only complete, so such a file is no live record.
	*/
	#setAsideUnreadable(journal: string): boolean {
		try {
			const read = readFileNoFollowSync(journal);
			if (!read || parseJournalFile<PendingRecord>(read.bytes) !== undefined) return false;
			// Only the very file just read: a record someone wrote meanwhile has another inode, and stays.
			if (statSync(journal, { throwIfNoEntry: false })?.ino !== read.stats.ino) return false;
			renameSync(journal, `${journal}.unreadable-${Date.now()}`);
			return true;
		} catch {
			return false; // then the claim reports the record in the way as answered, a typed error
		}
	}

	/**
	Mark a claimed request delivered: its record goes, its claim stays as a tombstone, moved out of the journal into
	this hour's directory (not flushed: should a power cut undo the move, the tombstone is still a tombstone where it
	was). `durable: false` skips the directory flush, for a caller that can tell a finished request from the log should
	the record come back.
	*/
	async complete(key: string, options: { durable?: boolean } = {}): Promise<void> {
		try {
			unlinkSync(this.#file(key, '.json')); // a small local call: cheaper than a thread-pool round trip
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
				throw errors.io('remove', this.#file(key, '.json'), error);
		}
		if (this.#fsync && options.durable !== false) await fsyncDirectory(this.directory);
		// The record first: a claim racing this sees either the record (and then the claim in place) or the tombstone.
		this.#moveToTombstones(key);
	}

	/** Best effort: a claim left in the journal after its record is gone is a tombstone too (pruned by its age). */
	#moveToTombstones(key: string): void {
		const bucket = path.join(this.#answered, String(Math.floor(Date.now() / tombstoneBucketMs)));
		try {
			renameSync(this.#file(key, '.answer'), path.join(bucket, `${key}.answer`));
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
			try {
				mkdirSync(bucket, { recursive: true, mode: 0o700 });
				renameSync(this.#file(key, '.answer'), path.join(bucket, `${key}.answer`));
			} catch {
				// stays where it is
			}
		}
	}

	/**
	Remove tombstones of finished requests, and stray temp files, older than `retentionMs`: whole hour directories of
	tombstones, and the few files left in the journal itself (claims whose move failed, temp files of a killed
	writer). Costs a listing of the open requests, not of the finished ones.
	*/
	async prune(retentionMs: number): Promise<number> {
		await this.prepare();
		const cutoff = Date.now() - retentionMs;
		let removed = 0;
		for (const bucket of this.#buckets()) {
			if ((bucket + 1) * tombstoneBucketMs > cutoff) continue;
			const directory = path.join(this.#answered, String(bucket));
			try {
				removed += readdirSync(directory).length;
				rmSync(directory, { recursive: true, force: true });
			} catch (error) {
				throw errors.io('prune', directory, error);
			}
		}
		const names = new Set(await readdir(this.directory));
		for (const name of names) {
			const finished = name.endsWith('.answer') && !names.has(`${name.slice(0, -'.answer'.length)}.json`);
			if (!finished && !isTempFile(name)) continue;
			const file = path.join(this.directory, name);
			try {
				if ((await stat(file)).mtimeMs >= cutoff) continue;
				await unlink(file);
				removed++;
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw errors.io('prune', file, error);
			}
		}
		return removed;
	}
}

/** The one file of a request decided as it is taken in: the fields of its record and of its claim. */
function claimFileBytes(record: PendingRecord, claim: AnswerClaim): Buffer {
	// Both shapes share their common fields (version, requestId, worker) with equal values.
	return Buffer.from(JSON.stringify({ ...record, ...claim }));
}
