/**
The requests a Leader leaves to a person: each is offered once on `requests()` (recovered ones again after a restart,
never twice in one run) and, when the policy sets an ask timeout, denied once that time has passed unanswered.
*/

import { Channel } from '../async-queue.js';
import { isMailboxError } from '../errors.js';
import type { PendingRecord } from '../journal/pending-store.js';
import type { Answerer } from './answer.js';
import { PendingRequest } from './pending-request.js';

export interface AskDeskOptions {
	answerer: Answerer;
	/** Deny an offered request this many ms after it was received; `undefined` waits for ever. */
	askTimeoutMs: () => number | undefined;
	/** Reports a failed timeout answer. */
	onFailure: (error: unknown) => void;
}

/** Offered requests, their timeouts, and the stream people answer from. */
export class AskDesk {
	readonly #options: AskDeskOptions;
	readonly #channel = new Channel<PendingRequest>();
	readonly #timers = new Map<string, NodeJS.Timeout>();
	/** Keys of requests handed out (so a recovery never offers one twice), each with its offer's sequence number. */
	readonly #offered = new Map<string, number>();
	#offers = 0;
	#closed = false;

	constructor(options: AskDeskOptions) {
		this.#options = options;
	}

	/** A stream of offered requests; one answered while it waited in the stream (here, or found by a sweep) is skipped. */
	subscribe(signal?: AbortSignal): AsyncIterableIterator<PendingRequest> & AsyncDisposable {
		return this.#channel.subscribe(signal, (request) => !this.#offered.has(request.key));
	}

	has(key: string): boolean {
		return this.#offered.has(key);
	}

	/** Hand a request to people (once), arming its ask timeout. */
	offer(record: PendingRecord): void {
		if (this.#closed || this.#offered.has(record.key)) return;
		this.#arm(record);
		this.#offered.set(record.key, ++this.#offers);
		this.#channel.publish(new PendingRequest(record, this.#options.answerer));
	}

	/** A request was answered (by anyone): stop its timer. */
	settle(key: string): void {
		clearTimeout(this.#timers.get(key));
		this.#timers.delete(key);
		this.#offered.delete(key);
	}

	/** How many offers were made so far: taken before listing the journal, for {@link retain}. */
	offersMade(): number {
		return this.#offers;
	}

	/**
	Forget offered requests that are no longer open (answered from another process). Only those offered up to `offers`
	(see {@link offersMade}): one offered while the journal was being listed is open, though not in the list.
	*/
	retain(open: ReadonlySet<string>, offers: number): void {
		for (const [key, offer] of this.#offered) if (offer <= offers && !open.has(key)) this.settle(key);
	}

	#arm(record: PendingRecord): void {
		const timeoutMs = this.#options.askTimeoutMs();
		if (timeoutMs === undefined) return;
		const delay = Math.max(0, record.receivedAt + timeoutMs - Date.now());
		const message = `No one answered this request within ${timeoutMs} ms, so it was denied.`;
		const timer = setTimeout(() => {
			this.#timers.delete(record.key);
			this.#options.answerer.answer(record, { behavior: 'deny', message }, 'timeout').catch((error: unknown) => {
				if (!isMailboxError(error, 'ALREADY_ANSWERED')) this.#options.onFailure(error);
			});
		}, delay);
		this.#timers.set(record.key, timer);
	}

	/** Stop every timer and end the streams; open requests stay in the journal. */
	async close(): Promise<void> {
		this.#closed = true;
		for (const timer of this.#timers.values()) clearTimeout(timer);
		this.#timers.clear();
		await this.#channel.close();
	}
}
