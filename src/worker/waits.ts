/**
The asks a Worker is waiting on. Each is registered before its request is written (so even an instant answer finds
it), ends exactly once — answered, timed out, aborted, send failed, or closed — and is then remembered for a while,
so a late answer is told apart from one for a request this worker never made.
*/

import { errors, isMailboxError, outcomeMessages } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import { judgeEntry, type LeadEntryVerifier, type PendingAnswer, unansweredOutcome } from './responses.js';

const SETTLED_MEMORY = 4096;

export interface WaitSpec<T> {
	/** Builds the pending answer around the `settle` callback that ends the wait. */
	register: (settle: (outcome: T) => void) => PendingAnswer;
	/** Writes the ask; a rejection ends the wait as `send-failed` (or `aborted`). */
	send: (signal: AbortSignal | undefined) => Promise<unknown>;
	leaderName: string;
	timeoutMs: number;
	signal?: AbortSignal | undefined;
}

/** The waiting asks of one worker, and the ids of those that ended recently. */
export class Waits {
	readonly #pending = new Map<string, PendingAnswer>();
	readonly #settled = new Set<string>();

	/** Register an ask, write it, and resolve with its outcome (never rejects for a missing answer). */
	wait<T>({ register, send, leaderName, timeoutMs, signal }: WaitSpec<T>): Promise<T> {
		return new Promise<T>((resolve) => {
			let timer: NodeJS.Timeout | undefined;
			let done = false;
			const settle = (outcome: T) => {
				if (done) return;
				done = true;
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
				if (this.#pending.get(pending.requestId) === pending) this.#pending.delete(pending.requestId);
				this.#remember(pending.requestId);
				resolve(outcome);
			};
			const pending = register(settle);
			if (this.#pending.has(pending.requestId)) {
				throw errors.invalidArgument('requestId', 'an id no other waiting request uses', pending.requestId);
			}
			const onAbort = () => unansweredOutcome(pending, 'aborted', outcomeMessages.aborted());
			if (signal?.aborted) return onAbort();
			this.#pending.set(pending.requestId, pending);
			if (Number.isFinite(timeoutMs)) {
				const message = outcomeMessages.timeout(leaderName, timeoutMs);
				timer = setTimeout(() => unansweredOutcome(pending, 'timeout', message), timeoutMs);
			}
			signal?.addEventListener('abort', onAbort, { once: true });
			send(signal).catch((error: unknown) => {
				if (signal?.aborted) return onAbort();
				const cause = isMailboxError(error) ? error.code : String(error);
				unansweredOutcome(pending, 'send-failed', outcomeMessages.sendFailed(leaderName, cause));
			});
		});
	}

	/** Judge an inbox entry against the waiting asks (an accepted answer settles its ask). */
	judge(entry: InboxEntry, leaderName: string, verifier: LeadEntryVerifier | undefined) {
		return judgeEntry(entry, { leaderName, pending: this.#pending, settled: this.#settled, verifier });
	}

	/** How many asks are waiting. */
	get size(): number {
		return this.#pending.size;
	}

	/** End every waiting ask as `closed`. */
	closeAll(): void {
		this.endAll('closed', outcomeMessages.closed());
	}

	/** End every waiting ask unanswered, with `reason` and `message`. */
	endAll(reason: Parameters<typeof unansweredOutcome>[1], message: string): void {
		for (const pending of [...this.#pending.values()]) unansweredOutcome(pending, reason, message);
	}

	#remember(requestId: string): void {
		this.#settled.add(requestId);
		if (this.#settled.size > SETTLED_MEMORY) this.#settled.delete(this.#settled.values().next().value as string);
	}
}
