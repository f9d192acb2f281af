/**
Small push-to-pull plumbing shared by the Worker and the Leader: an `AsyncQueue` is one consumer's async iterator, a
`Channel` fans values out to every open queue (keeping a bounded backlog while nobody listens), and a `Batcher`
gathers items added in one burst into one call.
*/

type Waiter<T> = { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void };

/** One consumer's stream: values pushed in order, `next()` waits while empty, ends on `close()` or its signal. */
export class AsyncQueue<T> implements AsyncIterableIterator<T>, AsyncDisposable {
	readonly #buffer: T[] = [];
	readonly #waiters: Waiter<T>[] = [];
	readonly #onClose: (() => void) | undefined;
	readonly #stale: ((value: T) => boolean) | undefined;
	#closed = false;
	#failure: { error: unknown } | undefined;
	/** Removes the abort listener, so a long-lived signal does not keep every closed queue alive. */
	#detach: (() => void) | undefined;

	/** `stale` drops a buffered value that went out of date while it waited (checked when it would be handed out). */
	constructor(options: { signal?: AbortSignal | undefined; onClose?: () => void; stale?: (value: T) => boolean } = {}) {
		this.#onClose = options.onClose;
		this.#stale = options.stale;
		const { signal } = options;
		if (signal?.aborted) this.#closed = true;
		else if (signal) {
			const onAbort = () => void this.close();
			signal.addEventListener('abort', onAbort, { once: true });
			this.#detach = () => signal.removeEventListener('abort', onAbort);
		}
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** Queue one value; ignored once closed. */
	push(value: T): void {
		if (this.#closed) return;
		const waiter = this.#waiters.shift();
		if (waiter) waiter.resolve({ value, done: false });
		else this.#buffer.push(value);
	}

	/** End the stream with an error: waiting and later `next()` calls reject with it (after buffered values). */
	fail(error: unknown): void {
		if (this.#closed) return;
		this.#failure = { error };
		for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
		this.#closed = true;
		this.#detach?.();
		this.#onClose?.();
	}

	next(): Promise<IteratorResult<T>> {
		while (this.#buffer.length > 0) {
			const value = this.#buffer.shift() as T;
			if (!this.#stale?.(value)) return Promise.resolve({ value, done: false });
		}
		if (this.#failure) return Promise.reject(this.#failure.error);
		if (this.#closed) return Promise.resolve({ value: undefined, done: true });
		return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
	}

	async return(): Promise<IteratorResult<T>> {
		await this.close();
		return { value: undefined, done: true };
	}

	[Symbol.asyncIterator](): this {
		return this;
	}

	/** End the stream: waiting `next()` calls finish with `done`, buffered values are dropped. */
	async close(): Promise<void> {
		if (this.#closed && this.#waiters.length === 0 && this.#buffer.length === 0) return;
		this.#closed = true;
		this.#buffer.length = 0;
		for (const waiter of this.#waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
		this.#detach?.();
		this.#onClose?.();
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}

/** Fans values out to subscribers; while none is open, up to `backlogLimit` values wait for the next one. */
export class Channel<T> {
	readonly #queues = new Set<AsyncQueue<T>>();
	readonly #backlog: T[] = [];
	readonly #backlogLimit: number;
	#closed = false;

	constructor(backlogLimit = 10_000) {
		this.#backlogLimit = backlogLimit;
	}

	/**
	A new stream that starts with the backlog (if it is the first open stream), then every published value, skipping
	values that are `stale` by the time they would be handed out.
	*/
	subscribe(signal?: AbortSignal, stale?: (value: T) => boolean): AsyncQueue<T> {
		const queue: AsyncQueue<T> = new AsyncQueue<T>({ signal, stale, onClose: () => this.#queues.delete(queue) });
		if (this.#closed) {
			void queue.close();
			return queue;
		}
		if (queue.closed) return queue;
		for (const value of this.#backlog.splice(0)) queue.push(value);
		this.#queues.add(queue);
		return queue;
	}

	publish(value: T): void {
		if (this.#closed) return;
		if (this.#queues.size === 0) {
			this.#backlog.push(value);
			if (this.#backlog.length > this.#backlogLimit) this.#backlog.shift();
			return;
		}
		for (const queue of this.#queues) queue.push(value);
	}

	/** End every stream. */
	async close(): Promise<void> {
		this.#closed = true;
		this.#backlog.length = 0;
		await Promise.all([...this.#queues].map((queue) => queue.close()));
	}
}

/** Options of {@link Batcher}. */
export interface BatcherOptions {
	/** Longest wait, in ms, between the first item of a batch and its flush. @default 0 (the next turn of the event loop) */
	maxDelayMs?: number;
	/** Flush sooner once no item has been added for this long, in ms. @default maxDelayMs */
	quietMs?: number;
	/** Flush at once when this many items are waiting. @default Infinity */
	maxItems?: number;
}

/**
Gathers items added in the same turn of the event loop (and while a flush runs) into one `flush` call each.
With a delay, it waits for a lull (`quietMs` without a new item) or at most `maxDelayMs` after the first item, so a
burst of work finishes before the flush competes with it (acks, for instance, rewrite the very inbox the next answer
is about to arrive in).
*/
export class Batcher<T> {
	readonly #flush: (batch: T[]) => Promise<void>;
	readonly #maxDelayMs: number;
	readonly #quietMs: number;
	readonly #maxItems: number;
	readonly #items: T[] = [];
	#running: Promise<void> | undefined;
	#wake: (() => void) | undefined;
	#quiet: NodeJS.Timeout | undefined;

	/** `flush` must not reject; report failures from inside it. */
	constructor(flush: (batch: T[]) => Promise<void>, options: BatcherOptions = {}) {
		this.#flush = flush;
		this.#maxDelayMs = options.maxDelayMs ?? 0;
		this.#quietMs = Math.min(options.quietMs ?? this.#maxDelayMs, this.#maxDelayMs);
		this.#maxItems = options.maxItems ?? Number.POSITIVE_INFINITY;
	}

	add(item: T): void {
		this.#items.push(item);
		if (this.#wake && this.#items.length >= this.#maxItems) {
			this.#wake();
			return;
		}
		if (this.#wake && this.#quietMs < this.#maxDelayMs) {
			const wake = this.#wake;
			clearTimeout(this.#quiet);
			this.#quiet = setTimeout(wake, this.#quietMs);
		}
		this.#running ??= (async () => {
			await new Promise<void>((resolve) => {
				if (this.#maxDelayMs <= 0) {
					setImmediate(resolve);
					return;
				}
				const timer = setTimeout(() => this.#wake?.(), this.#maxDelayMs);
				this.#wake = () => {
					clearTimeout(timer);
					clearTimeout(this.#quiet);
					this.#wake = undefined;
					resolve();
				};
				if (this.#quietMs < this.#maxDelayMs) this.#quiet = setTimeout(this.#wake, this.#quietMs);
			});
			try {
				while (this.#items.length > 0) await this.#flush(this.#items.splice(0));
			} finally {
				this.#running = undefined; // even if a flush broke its promise not to reject: later items still go out
			}
		})().catch(() => {});
	}

	/** Resolves once every item added so far has been flushed (a pending delay is cut short). */
	async flushed(): Promise<void> {
		this.#wake?.();
		while (this.#running) await this.#running;
	}
}

/**
How a Worker and a Leader ack: after a pause of 25 ms (at most a quarter second, or 16 entries), so acks seldom fight
the next message for the inbox lock (each is a locked rewrite, and one that lands while the other side writes makes
that write wait). Unacked entries cost little to re-read, and a watcher never yields one twice.
*/
export const ACK_BATCH: BatcherOptions = { quietMs: 25, maxDelayMs: 250, maxItems: 16 };

/**
Acks in bursts: entries handled until a lull (or `maxDelayMs`) are removed by one `ack` call (one locked rewrite).
`ack` must not reject; report failures from inside it.
*/
export function ackBatcher<T>(
	ack: (batch: T[]) => Promise<unknown>,
	onError: (error: unknown) => void,
	options: BatcherOptions = ACK_BATCH,
) {
	return new Batcher<T>((batch) => ack(batch).then(() => {}, onError), options);
}

/** Whether `promise` resolves within `ms` (`false` if it is still pending then); rethrows its rejection. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<false>((resolve) => {
		timer = setTimeout(() => resolve(false), ms);
	});
	try {
		return await Promise.race([promise.then(() => true as const), late]);
	} finally {
		clearTimeout(timer);
	}
}
