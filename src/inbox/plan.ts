/**
The vocabulary of an inbox transaction: what a plan sees (the entries as read) and returns (a mutation and a result),
how a caller's own append is committed, and what is reported when a corrupt file is quarantined. `InboxStore` runs
the plans; `Inbox` and `inbox-append.ts` write them.
*/

export interface QuarantineEvent {
	/** The inbox that was corrupt. */
	path: string;
	/** Where its original bytes were kept. */
	quarantinePath: string;
	reason: string;
	/** How many entries were recovered and written back. */
	recovered: number;
}

export interface InboxStoreOptions {
	fileMode: number;
	dirMode: number;
	staleMs: number;
	fsync: boolean;
	maxInboxBytes: number;
	onQuarantine: (event: QuarantineEvent) => void;
}

export interface Snapshot {
	exists: boolean;
	items: unknown[];
	/** Set when the file was unparseable or not an array; `items` then holds what could be recovered. */
	corrupt?: string;
}

export interface TransactionState {
	exists: boolean;
	items: readonly unknown[];
}

export type Mutation = { kind: 'none' } | { kind: 'append'; added: unknown[] } | { kind: 'replace'; items: unknown[] };
export type Plan<T> = (state: TransactionState) => { mutation: Mutation; result: T };

/** Changes nothing itself: run for the side effects every holder has (committing spooled batches, repairs). */
export const noChange: Plan<undefined> = () => ({ mutation: { kind: 'none' }, result: undefined });

/** How a caller's own append is committed. */
export interface CommitOptions {
	/** Hold the write back until this resolves; a rejection abandons it (see `SendOptions.commitAfter`). */
	commitAfter?: Promise<unknown> | undefined;
	/** Flush the directory entry for the caller's own entries (see `SendOptions.flushDirectory`). @default true */
	flushDirectory?: boolean | undefined;
}

export interface TransactionOptions {
	deadline: number;
	/** Only commit spooled batches: when none are waiting, release at once without reading the inbox. */
	combineOnly?: boolean;
	signal?: AbortSignal | undefined;
	shouldContinue?: () => boolean;
}
