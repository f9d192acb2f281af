/**
What the interactive leader shows: the requests waiting for a person (oldest first; the first is the one on screen)
and a short log of recent events. The leader's event handlers change it; the screen re-renders on every change.
*/

import type { PendingRequest } from '../leader/pending-request.js';

const LOG_LINES = 6;

export class LeadBoard {
	readonly #pending: PendingRequest[] = [];
	readonly #log: string[] = [];
	readonly #listeners = new Set<() => void>();

	/** The requests waiting for a person, oldest first. */
	get pending(): readonly PendingRequest[] {
		return this.#pending;
	}

	/** The request on screen. */
	get current(): PendingRequest | undefined {
		return this.#pending[0];
	}

	/** Recent events, oldest first. */
	get log(): readonly string[] {
		return this.#log;
	}

	/** Pending requests per worker, in order of first appearance. */
	workers(): Map<string, number> {
		const counts = new Map<string, number>();
		for (const request of this.#pending) counts.set(request.worker, (counts.get(request.worker) ?? 0) + 1);
		return counts;
	}

	/** Queue a request (once, however often it is offered). */
	add(request: PendingRequest): void {
		if (this.#pending.some((known) => known.key === request.key)) return;
		this.#pending.push(request);
		this.#changed();
	}

	/** Drop a request that was answered (here or elsewhere). Resolves `true` if it was queued. */
	remove(requestId: string, worker: string): boolean {
		const index = this.#pending.findIndex((known) => known.requestId === requestId && known.worker === worker);
		if (index === -1) return false;
		this.#pending.splice(index, 1);
		this.#changed();
		return true;
	}

	/** Add a line to the recent-events log (already printable). */
	note(line: string): void {
		this.#log.push(line);
		if (this.#log.length > LOG_LINES) this.#log.shift();
		this.#changed();
	}

	/** Call `listener` after every change; returns the unsubscribe function. */
	subscribe(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	#changed(): void {
		for (const listener of this.#listeners) listener();
	}
}
