/**
What the page shows: the requests waiting for a person and the recent decisions, kept in step with the Leader by its
events (no polling). New requests come from `leader.requests()`, answers from the `decided` event; a page that connects
re-reads the journal once, which also drops requests answered by another process meanwhile.
*/

import type { AuditRecord } from '../journal/audit-log.js';
import type { DroppedRequest, Leader } from '../leader/leader.js';
import type { PendingRequest } from '../leader/pending-request.js';
import type { PermissionUpdate } from '../protocol/frames.js';

/** A waiting request as the page receives it. Every string in it came from a worker: untrusted. */
export interface RequestView {
	key: string;
	requestId: string;
	kind: 'permission' | 'sandbox';
	worker: string;
	toolName: string | null;
	description: string | null;
	input: Record<string, unknown> | null;
	host: string | null;
	suggestions: PermissionUpdate[];
	receivedAt: number;
}

/** A request the leader refused to take in (malformed, forged, a duplicate). `from` and `detail` are untrusted. */
export interface DropView {
	time: string;
	from: string;
	reason: string;
	detail: string;
}

export type BoardEvent =
	| { type: 'added'; request: RequestView }
	| { type: 'removed'; key: string }
	| { type: 'decided'; record: AuditRecord }
	| { type: 'dropped'; drop: DropView };

export function requestView(request: PendingRequest): RequestView {
	return {
		key: request.key,
		requestId: request.requestId,
		kind: request.kind,
		worker: request.worker,
		toolName: request.toolName ?? null,
		description: request.description ?? null,
		input: request.input ?? null,
		host: request.host ?? null,
		suggestions: request.suggestions,
		receivedAt: request.receivedAt,
	};
}

const RECENT_DECISIONS = 50;
const RECENT_DROPS = 20;

export class Board {
	readonly #leader: Leader;
	readonly #pending = new Map<string, PendingRequest>();
	readonly #recent: AuditRecord[] = [];
	readonly #seen = new Set<string>();
	readonly #listeners = new Set<(event: BoardEvent) => void>();
	readonly #onAdded: (request: PendingRequest) => void;
	readonly #stop = new AbortController();
	readonly #dropped: DropView[] = [];
	readonly #decided = (record: AuditRecord) => this.decided(record);
	readonly #onDropped = ({ entry, reason, detail }: DroppedRequest) => {
		const drop = { time: new Date().toISOString(), from: entry.from, reason, detail };
		this.#dropped.unshift(drop);
		if (this.#dropped.length > RECENT_DROPS) this.#dropped.pop();
		this.#emit({ type: 'dropped', drop });
	};
	#stream: Promise<void> | undefined;

	/** `onAdded` is called for each request offered to people while the board runs (not those found at start). */
	constructor(leader: Leader, onAdded: (request: PendingRequest) => void) {
		this.#leader = leader;
		this.#onAdded = onAdded;
	}

	async start(onFailure: (error: unknown) => void): Promise<void> {
		this.#leader.on('decided', this.#decided);
		this.#leader.on('dropped', this.#onDropped);
		const requests = this.#leader.requests({ signal: this.#stop.signal });
		this.#stream = (async () => {
			for await (const request of requests) {
				if (this.#add(request)) this.#onAdded(request);
			}
		})().catch(onFailure);
		await this.refresh();
	}

	/** Re-read the journal: add requests missing here, drop those answered elsewhere. */
	async refresh(): Promise<void> {
		const open = await this.#leader.pending();
		const keys = new Set(open.map((request) => request.key));
		for (const key of [...this.#pending.keys()]) if (!keys.has(key)) this.remove(key);
		for (const request of open) this.#add(request);
	}

	get(key: string): PendingRequest | undefined {
		return this.#pending.get(key);
	}

	/** Waiting requests, oldest first; recent decisions and refused requests, newest first. */
	snapshot(): { pending: RequestView[]; recent: AuditRecord[]; dropped: DropView[] } {
		const pending = [...this.#pending.values()].sort((a, b) => a.receivedAt - b.receivedAt).map(requestView);
		return { pending, recent: [...this.#recent], dropped: [...this.#dropped] };
	}

	subscribe(listener: (event: BoardEvent) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** A decision, from the Leader or reported by whoever follows the audit log; each is shown once. */
	decided(record: AuditRecord): void {
		if (this.#seen.has(record.msgId)) return;
		this.#seen.add(record.msgId);
		this.#recent.unshift(record);
		if (this.#recent.length > RECENT_DECISIONS) this.#seen.delete(this.#recent.pop()!.msgId);
		for (const [key, request] of this.#pending) {
			if (request.requestId === record.requestId && request.worker === record.worker) this.remove(key);
		}
		this.#emit({ type: 'decided', record });
	}

	remove(key: string): void {
		if (this.#pending.delete(key)) this.#emit({ type: 'removed', key });
	}

	#add(request: PendingRequest): boolean {
		if (this.#pending.has(request.key)) return false;
		this.#pending.set(request.key, request);
		this.#emit({ type: 'added', request: requestView(request) });
		return true;
	}

	#emit(event: BoardEvent): void {
		for (const listener of this.#listeners) listener(event);
	}

	async close(): Promise<void> {
		this.#leader.off('decided', this.#decided);
		this.#leader.off('dropped', this.#onDropped);
		this.#stop.abort();
		await this.#stream;
		for (const listener of this.#listeners) this.#listeners.delete(listener);
	}
}
