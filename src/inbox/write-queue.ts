/**
Per-path serialisation inside one process. Sends that arrive while an operation runs are gathered into one
batch, so many senders in one process cost one locked rewrite.
*/
export class WriteQueue<Item> {
	#tail: Promise<void> = Promise.resolve();
	#batch: Item[] | undefined;
	/** Operations scheduled and not yet settled. */
	#pending = 0;
	readonly #onIdle: (() => void) | undefined;

	/** `onIdle` runs each time the last scheduled operation has settled. */
	constructor(onIdle?: () => void) {
		this.#onIdle = onIdle;
	}

	/** Run `task` after every operation queued before it. */
	schedule<T>(task: () => Promise<T>): Promise<T> {
		this.#pending++;
		const run = this.#tail.then(task);
		const settled = () => {
			if (--this.#pending === 0) this.#onIdle?.();
		};
		this.#tail = run.then(settled, settled);
		return run;
	}

	/** Add `item` to the open batch, opening one (run by `runBatch`, which must settle every item) if needed. */
	enqueue(item: Item, runBatch: (items: Item[]) => Promise<void>): void {
		if (this.#batch) {
			this.#batch.push(item);
			return;
		}
		const batch = [item];
		this.#batch = batch;
		void this.schedule(async () => {
			this.#batch = undefined;
			await runBatch(batch);
		});
	}
}

const queues = new Map<string, WriteQueue<unknown>>();

/**
The queue shared by every `Inbox` object of this process that points at `path`. An idle queue is dropped (callers look
it up for each operation, so a later one simply gets a new queue): a process writing to many inboxes keeps none.
*/
export function queueFor<Item>(path: string): WriteQueue<Item> {
	let queue = queues.get(path);
	if (!queue) {
		const created: WriteQueue<unknown> = new WriteQueue<unknown>(() => {
			if (queues.get(path) === created) queues.delete(path);
		});
		queue = created;
		queues.set(path, queue);
	}
	return queue as WriteQueue<Item>;
}

/** How many paths have a queue with work in it (for tests). */
export function activeQueueCount(): number {
	return queues.size;
}
