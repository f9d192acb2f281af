import type { FSWatcher } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { customAlphabet } from 'nanoid/non-secure';
import { isMailboxError } from '../errors.js';
import { closeQuietly, writeFileHeld } from '../fs/atomic-write.js';
import { ensureDirectory } from '../fs/directories.js';
import { existsSync, fstatSync, readdirSync, readFileSync, renameSync, unlinkSync, watch } from '../fs/fs-seam.js';
import { readFileFresh } from '../fs/read-file.js';

/**
Where contended senders leave their batch instead of queueing for the lock: whoever holds the lock next
commits every waiting batch in one rewrite (flat combining), so 32 writer processes cost a handful of rewrites.

A batch file moves `<id>.json` (waiting) → `<id>.claimed` (a lock holder is committing it) → deleted once the
inbox holding it is durable, or → `<id>.full` if it did not fit, or back → `<id>.json` if the commit failed (handed
back to its sender, who retries or withdraws it). Only the sender deletes a waiting file (withdrawing it), only a lock
holder renames it, so each side learns the outcome from the file name, and the sender, which keeps a descriptor on
its batch, from the link count whether a batch found under no name was committed or was moving.
*/

export type SpoolStatus = 'waiting' | 'claimed' | 'committed' | 'full';

export interface ClaimedBatch {
	file: string;
	entries: unknown[];
	/** Claimed before this holder got the lock: a crashed combiner's, so some entries may already be committed. */
	leftover?: boolean;
}

export interface BatchWatch {
	/**
	Resolves `true` on a change, `false` after `timeoutMs` without one. Starting another wait (or `close`) ends this one
	with `false` and clears its timer, so a wait that lost a race never fires into a later one.
	*/
	wait(timeoutMs: number): Promise<boolean>;
	/** Whether notifications are armed; without them (the watch failed) only the timer wakes a waiter. */
	readonly armed: boolean;
	close(): void;
}

/**
The random part of a batch name. It only has to differ from the other batches waiting in this one private directory
(after a millisecond time prefix), not be unguessable: Math.random suffices, and spares a fresh process the load of the
crypto module on its first contended send.
*/
/**
The one file in a spool directory that is no batch: its mtime tells every sender of ours when one of them last found a
Claude Code writer holding the inbox's lock (see `InboxStore`). Never claimed: a claim takes only `.json` and `.claimed`.
*/
export const foreignWriterMarker = 'claude-code-writer-seen';

const makeId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 12);

export class Spool {
	readonly directory: string;
	/** `directory` and a separator: batch paths are built by concatenation, not `path.join`, on every status check. */
	readonly #prefix: string;
	readonly #fileMode: number;
	readonly #dirMode: number;
	/** A descriptor on each batch this process deposited and still waits for (its link count outlives renames). */
	readonly #held = new Map<string, number>();
	#ready: Promise<void> | undefined;
	/**
	On a network file system (set by the store once known): claims read fresh and asynchronously, and a sender asks
	`statusFresh` and the inbox content, not this client's possibly stale view of names and link counts.
	*/
	network = false;

	constructor(inboxPath: string, fileMode: number, dirMode: number) {
		this.directory = `${inboxPath}.spool`;
		this.#prefix = path.join(this.directory, path.sep);
		this.#fileMode = fileMode;
		this.#dirMode = dirMode;
	}

	/** Leave a batch for the next lock holder. Not fsynced: its sender is only answered after the commit. */
	async deposit(entries: unknown[]): Promise<string> {
		this.#ready ??= ensureDirectory(this.directory, this.#dirMode);
		await this.#ready;
		// Time-ordered names keep the commit order close to arrival order.
		const id = `${Date.now().toString(36).padStart(9, '0')}-${makeId()}`;
		// Not flushed: its sender is answered only after the inbox commit, which is.
		const write = () => writeFileHeld(this.#file(id, 'json'), JSON.stringify(entries), this.#fileMode);
		let fd: number;
		try {
			fd = write();
		} catch (error) {
			// The directory may have been removed since (e.g. by a cleanup): make it again once.
			if (!isMailboxError(error, 'IO') || (error.cause as NodeJS.ErrnoException)?.code !== 'ENOENT') throw error;
			await ensureDirectory(this.directory, this.#dirMode);
			fd = write();
		}
		this.#held.set(id, fd);
		return id;
	}

	/**
	Check order matters: a batch mostly moves forward (waiting → claimed → gone or full). Only a failed commit moves
	it back (claimed → waiting), so a batch seen under no name is committed only if its link count is zero. A link count
	of zero is final (a deleted file never comes back), so it is asked first: the check after the commit's notification
	then makes one call on the descriptor instead of three name lookups in a directory every sender is writing to.
	*/
	status(id: string): SpoolStatus {
		const fd = this.#held.get(id);
		if (fd !== undefined && linkCount(fd) === 0) return 'committed';
		for (;;) {
			if (existsSync(this.#file(id, 'json'))) return 'waiting';
			if (existsSync(this.#file(id, 'claimed'))) return 'claimed';
			if (existsSync(this.#file(id, 'full'))) return 'full';
			if (fd === undefined) return 'committed';
			const links = linkCount(fd);
			if (links === 0) return 'committed';
			if (links === undefined) return 'claimed'; // cannot tell: keep waiting, and look again later
		}
	}

	/**
	The state a network client can trust: a fresh open of each name (served by the server, not this client's attribute
	cache). `undefined` when the batch is under no name (committed, or moving back between names: ask again).
	*/
	async statusFresh(id: string): Promise<Exclude<SpoolStatus, 'committed'> | undefined> {
		for (const [state, status] of [
			['json', 'waiting'],
			['claimed', 'claimed'],
			['full', 'full'],
		] as const) {
			try {
				await (await open(this.#file(id, state), 'r')).close();
				return status;
			} catch {
				// absent under this name (or unreadable: the next name, then the inbox content, decide)
			}
		}
		return undefined;
	}

	/** The sender is done with a batch: drop the descriptor it kept on it. */
	release(id: string): void {
		const fd = this.#held.get(id);
		this.#held.delete(id);
		if (fd !== undefined) closeQuietly(fd);
	}

	/**
	Wake-ups for one waiting batch: its own file changes when a lock holder commits it (unlink), hands it back or marks
	it full (renames), and inotify follows the inode across renames. The claim itself wakes no one (see `onChange`). Only
	a hint; callers re-check the state. A watch that
	cannot be armed (ENOSPC when the inotify watches are used up, a file system without notifications, a batch claimed
	already) gives no hint at all: the waiter sleeps out its timer, never spins.
	*/
	watchBatch(id: string): BatchWatch {
		let fired = false;
		let current: { timer: NodeJS.Timeout; resolve: (changed: boolean) => void } | undefined;
		const finish = (changed: boolean) => {
			const wait = current;
			if (!wait) return false;
			current = undefined;
			clearTimeout(wait.timer);
			wait.resolve(changed);
			return true;
		};
		const claimed = this.#file(id, 'claimed');
		const onChange = (event: string) => {
			// A claim (the rename to `.claimed`) leaves the sender nothing to do: the holder's commit (an unlink) or hand-back
			// (a rename) notifies again. Not waking for it saves each contended send a round of checks and a lock attempt.
			if (event === 'rename' && existsSync(claimed)) return;
			if (!finish(true)) fired = true;
		};
		let watcher: FSWatcher | undefined;
		try {
			watcher = watch(this.#file(id, 'json'), onChange);
			// A watch that breaks later is no change either: drop it, and let the timer pace the waiter.
			watcher.on('error', () => {
				watcher?.close();
				watcher = undefined;
			});
		} catch {
			watcher = undefined;
		}
		return {
			get armed() {
				return watcher !== undefined;
			},
			wait: (timeoutMs) => {
				finish(false);
				if (fired) {
					fired = false;
					return Promise.resolve(true);
				}
				return new Promise<boolean>((resolve) => {
					const wait = { resolve, timer: setTimeout(() => current === wait && finish(false), timeoutMs) };
					current = wait;
				});
			},
			close: () => {
				finish(false);
				watcher?.close();
				watcher = undefined;
			},
		};
	}

	/** Take a waiting batch back; `false` means a lock holder already claimed it and will commit it. */
	withdraw(id: string): boolean {
		try {
			unlinkSync(this.#file(id, 'json'));
			return true;
		} catch {
			return false;
		}
	}

	/** How many batches wait for a lock holder (any sender's). */
	waiting(): number {
		try {
			return readdirSync(this.directory).filter((name) => name.endsWith('.json')).length;
		} catch {
			return 0;
		}
	}

	/** Remove the `full` marker once its sender has seen it. */
	forget(id: string): void {
		removeFile(this.#file(id, 'full'));
	}

	/** `claimAll`, fresh and asynchronous on a network file system. */
	claim(): Promise<ClaimedBatch[]> {
		return this.network ? this.#claimAllFresh() : Promise.resolve(this.claimAll());
	}

	/**
	Under the inbox lock on a network file system: the same claims, without blocking the event loop (a slow server then
	delays only this holder's commit, and its lock refresh keeps running), each batch read fresh. A batch that will not
	parse is left claimed for a later holder, never removed: there it is far more likely a torn read than a torn file.
	*/
	async #claimAllFresh(): Promise<ClaimedBatch[]> {
		let names: string[];
		try {
			names = await readdir(this.directory);
		} catch {
			return [];
		}
		const batches: ClaimedBatch[] = [];
		for (const name of names.sort()) {
			const id = name.replace(/\.(json|claimed)$/, '');
			if (id === name) continue;
			const claimed = this.#file(id, 'claimed');
			if (name.endsWith('.json')) {
				try {
					await rename(this.#file(id, 'json'), claimed);
				} catch {
					continue;
				}
			}
			for (let attempt = 0; attempt < 3; attempt++) {
				let entries: unknown;
				try {
					entries = JSON.parse((await readFileFresh(claimed))?.toString('utf8') ?? 'null');
				} catch {
					entries = undefined;
				}
				if (Array.isArray(entries)) {
					batches.push({ file: claimed, entries, leftover: name.endsWith('.claimed') });
					break;
				}
				await new Promise((resolve) => setTimeout(resolve, 10));
			}
		}
		return batches;
	}

	/**
	Under the inbox lock: claim every waiting batch, plus any a crashed holder claimed and never finished.
	Synchronous on purpose: each call is a tiny local syscall made while every other writer waits for this lock,
	and skipping the thread-pool round trip per file shortens the critical section several-fold under load.
	*/
	claimAll(): ClaimedBatch[] {
		let names: string[];
		try {
			names = readdirSync(this.directory);
		} catch {
			return [];
		}
		const batches: ClaimedBatch[] = [];
		for (const name of names.sort()) {
			const id = name.replace(/\.(json|claimed)$/, '');
			if (id === name) continue;
			const claimed = this.#file(id, 'claimed');
			if (name.endsWith('.json')) {
				try {
					renameSync(this.#file(id, 'json'), claimed);
				} catch {
					continue; // withdrawn by its sender a moment ago
				}
			}
			let text: string;
			try {
				text = readFileSync(claimed, 'utf8');
			} catch {
				continue; // a transient read error: the batch stays claimed for the next holder
			}
			try {
				const entries: unknown = JSON.parse(text);
				if (Array.isArray(entries)) {
					batches.push({ file: claimed, entries, leftover: name.endsWith('.claimed') });
					continue;
				}
			} catch {
				// Deposits are renamed into place complete, so only a crash of the machine leaves a torn one,
				// and its sender (on the same machine) was never answered.
			}
			removeFile(claimed);
		}
		return batches;
	}

	/** After the inbox commit: committed batches disappear, rejected ones are marked for their senders. */
	async settle(committed: ClaimedBatch[], rejected: ClaimedBatch[]): Promise<void> {
		// The commit stands either way: a file that stays is taken by a later holder as a leftover, found present in
		// the inbox, and removed; a rejected batch already gone had nothing to mark.
		const remove = this.network
			? (file: string) => rm(file, { force: true }).catch(() => {})
			: (file: string) => void quietly(() => removeFile(file));
		const markFull = this.network
			? (file: string) => rename(file, file.replace(/\.claimed$/, '.full')).catch(() => {})
			: (file: string) => void quietly(() => renameSync(file, file.replace(/\.claimed$/, '.full')));
		await Promise.all([
			...committed.map((batch) => remove(batch.file)),
			...rejected.map((batch) => markFull(batch.file)),
		]);
	}

	/**
	The commit failed: hand batches this holder claimed back to their senders (waiting again), so each sender can retry
	or withdraw it; none is written later behind the back of a sender that was told it failed. A crashed holder's
	leftovers stay claimed: some of their entries may be in the inbox already, which only the claimed state says.
	*/
	unclaim(batches: ClaimedBatch[]): void {
		for (const batch of batches) {
			if (batch.leftover) continue;
			try {
				renameSync(batch.file, batch.file.replace(/\.claimed$/, '.json'));
			} catch {
				// Stays claimed: the next holder commits it, and its sender waits for that.
			}
		}
	}

	#file(id: string, state: 'json' | 'claimed' | 'full'): string {
		return `${this.#prefix}${id}.${state}`;
	}
}

/**
`rmSync(file, { force: true })` for one file: an absent file is no error. Called once per committed batch; `rmSync`
would stat the file first, through a module a fresh process has to load.
*/
function removeFile(file: string): void {
	try {
		unlinkSync(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
	}
}

/** The link count of a descriptor's file; `undefined` when it cannot be read. */
function linkCount(fd: number): number | undefined {
	try {
		return fstatSync(fd).nlink;
	} catch {
		return undefined;
	}
}

function quietly(call: () => void): void {
	try {
		call();
	} catch {
		// see the caller
	}
}
