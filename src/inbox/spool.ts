import path from 'node:path';
import { customAlphabet } from 'nanoid';
import { isMailboxError } from '../errors.js';
import { closeQuietly, writeFileHeld } from '../fs/atomic-write.js';
import { ensureDirectory } from '../fs/directories.js';
import {
	existsSync,
	fstatSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	unlinkSync,
	watch,
} from '../fs/fs-seam.js';

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
	/** Resolves `true` on a change, `false` after `timeoutMs` without one. */
	wait(timeoutMs: number): Promise<boolean>;
	close(): void;
}

const makeId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 12);

export class Spool {
	readonly directory: string;
	readonly #fileMode: number;
	readonly #dirMode: number;
	/** A descriptor on each batch this process deposited and still waits for (its link count outlives renames). */
	readonly #held = new Map<string, number>();
	#ready: Promise<void> | undefined;

	constructor(inboxPath: string, fileMode: number, dirMode: number) {
		this.directory = `${inboxPath}.spool`;
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
	it back (claimed → waiting), so a batch seen under no name is committed only if its link count is zero.
	*/
	status(id: string): SpoolStatus {
		const fd = this.#held.get(id);
		for (;;) {
			if (existsSync(this.#file(id, 'json'))) return 'waiting';
			if (existsSync(this.#file(id, 'claimed'))) return 'claimed';
			if (existsSync(this.#file(id, 'full'))) return 'full';
			if (fd === undefined) return 'committed';
			try {
				if (fstatSync(fd).nlink === 0) return 'committed';
			} catch {
				return 'claimed'; // cannot tell: keep waiting, and look again later
			}
		}
	}

	/** The sender is done with a batch: drop the descriptor it kept on it. */
	release(id: string): void {
		const fd = this.#held.get(id);
		this.#held.delete(id);
		if (fd !== undefined) closeQuietly(fd);
	}

	/**
	Wake-ups for one waiting batch: its own file changes when a lock holder claims it (rename) or commits it
	(unlink), and inotify follows the inode across the rename. Only a hint; callers re-check the state.
	*/
	watchBatch(id: string): BatchWatch {
		let pending: (() => void) | undefined;
		let fired = false;
		const onChange = () => {
			fired = true;
			pending?.();
		};
		let watcher: ReturnType<typeof watch> | undefined;
		try {
			watcher = watch(this.#file(id, 'json'), onChange);
			watcher.on('error', onChange);
		} catch {
			fired = true; // already claimed, or no notifications on this file system
		}
		return {
			wait: (timeoutMs) =>
				new Promise<boolean>((resolve) => {
					if (fired) {
						fired = false;
						resolve(true);
						return;
					}
					const timer = setTimeout(() => {
						pending = undefined;
						resolve(false);
					}, timeoutMs);
					pending = () => {
						clearTimeout(timer);
						pending = undefined;
						fired = false;
						resolve(true);
					};
				}),
			close: () => watcher?.close(),
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
		rmSync(this.#file(id, 'full'), { force: true });
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
			rmSync(claimed, { force: true });
		}
		return batches;
	}

	/** After the inbox commit: committed batches disappear, rejected ones are marked for their senders. */
	settle(committed: ClaimedBatch[], rejected: ClaimedBatch[]): void {
		for (const batch of committed) {
			try {
				rmSync(batch.file, { force: true });
			} catch {
				// The commit stands: a later holder takes the file as a leftover, finds its entries present, and removes it.
			}
		}
		for (const batch of rejected) {
			try {
				renameSync(batch.file, batch.file.replace(/\.claimed$/, '.full'));
			} catch {
				// Gone already: its sender withdrew nothing (claimed batches cannot be withdrawn), so nothing to mark.
			}
		}
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
		return path.join(this.directory, `${id}.${state}`);
	}
}
