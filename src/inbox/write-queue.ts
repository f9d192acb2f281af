/**
Per-path serialisation inside one process. Sends that arrive while an operation runs are gathered into one
batch, so many senders in one process cost one locked rewrite.
*/
export class WriteQueue<Item> {
	#tail: Promise<void> = Promise.resolve();
	#batch: Item[] | undefined;

	/** Run `task` after every operation queued before it. */
	schedule<T>(task: () => Promise<T>): Promise<T> {
		const run = this.#tail.then(task);
		this.#tail = run.then(
			() => {},
			() => {},
		);
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

/** The queue shared by every `Inbox` object of this process that points at `path`. */
export function queueFor<Item>(path: string): WriteQueue<Item> {
	let queue = queues.get(path);
	if (!queue) {
		queue = new WriteQueue<unknown>();
		queues.set(path, queue);
	}
	return queue as WriteQueue<Item>;
}
