/**
The options and event shapes of an `Inbox`: how it is created, what each locked operation accepts, and what it
reports. Kept apart from the class so that the layers above can name them without importing the inbox itself.
*/

import type { InboxEntry } from './entry.js';
import type { QuarantineEvent } from './plan.js';

/** Options of an `Inbox` (also accepted by `Team.create` and `Team.open`, for every inbox of the team). */
export interface InboxOptions {
	/** @default 0o600 */
	fileMode?: number;
	/** Mode of directories the inbox creates (its spool). @default 0o700 */
	dirMode?: number;
	/** How long `send`, `ack` and `clear` wait for the inbox lock before `LOCK_TIMEOUT`, in ms. @default 30_000 */
	lockTimeoutMs?: number;
	/** Lock age after which a holder is presumed dead, in ms; must match every other process. @default 10_000 */
	staleMs?: number;
	/** Largest serialised entry accepted by `send`, in bytes. @default 1_048_576 */
	maxEntryBytes?: number;
	/** Largest inbox file `send` may produce, in bytes. @default 67_108_864 */
	maxInboxBytes?: number;
	/** fsync data and directory before an operation resolves. Turn off only for throwaway data. @default true */
	fsync?: boolean;
}

/** Per-call options of operations that take a lock. */
export interface OperationOptions {
	signal?: AbortSignal;
	/** Overrides `lockTimeoutMs` for this call. */
	timeoutMs?: number;
}

/** Options of `Inbox.send`. */
export interface SendOptions extends OperationOptions {
	/**
	Make the entry visible only after this settles: the write is prepared meanwhile (lock taken, file written and
	flushed), then committed once it resolves, or abandoned (nothing written, `send` rejects with its reason) if it
	rejects. For an entry that must follow another durable step without waiting for it first. The prepared write
	keeps the lock for at most a second; a condition still pending then is awaited outside the lock, until the send's
	deadline (`TIMEOUT`).
	*/
	commitAfter?: Promise<unknown>;
	/**
	Flush the directory entry of the rename before resolving. With `false`, `send` resolves once the new file is
	written and flushed but its name may not survive a power cut yet: for a caller that flushes the inbox directory
	itself before it relies on the entry, batching that flush over many sends (as the Leader does before logging its
	answers). Entries of other senders committed in the same write are flushed regardless.
	@default true
	*/
	flushDirectory?: boolean;
}

/** An element of the inbox that is not a valid entry; it is reported and kept in the file. */
export interface InvalidEntryEvent {
	path: string;
	index: number;
	value: unknown;
	reason: string;
}

/** What `Inbox.inspect` returns. */
export interface InboxSnapshot {
	entries: InboxEntry[];
	invalid: InvalidEntryEvent[];
}

/** Events an `Inbox` emits. */
export interface InboxEvents {
	quarantine: [QuarantineEvent];
	invalid: [InvalidEntryEvent];
}
