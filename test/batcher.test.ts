import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from '../src/async-queue.js';

function recorder() {
	const batches: { at: number; items: number[] }[] = [];
	const flush = async (items: number[]) => {
		batches.push({ at: Date.now(), items });
	};
	return { batches, flush };
}

describe('Batcher', () => {
	beforeEach(() => {
		vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	it('without a delay, flushes what one turn of the event loop added as one batch', async () => {
		const { batches, flush } = recorder();
		const batcher = new Batcher<number>(flush);
		batcher.add(1);
		batcher.add(2);
		await vi.runAllTimersAsync();
		batcher.add(3);
		await batcher.flushed();
		expect(batches.map((batch) => batch.items)).toEqual([[1, 2], [3]]);
	});

	it('waits for a lull, but never longer than maxDelayMs after the first item', async () => {
		const { batches, flush } = recorder();
		const batcher = new Batcher<number>(flush, { quietMs: 25, maxDelayMs: 250 });
		// A steady stream every 10 ms never leaves a 25 ms lull: the cap flushes it.
		for (let item = 0; item < 40; item++) {
			batcher.add(item);
			await vi.advanceTimersByTimeAsync(10);
		}
		expect(batches[0]?.at).toBe(250);
		expect(batches[0]?.items).toHaveLength(25);
		// Then the stream stops: the rest goes 25 ms after the last item.
		await vi.advanceTimersByTimeAsync(100);
		expect(batches).toHaveLength(2);
		expect(batches[1]).toEqual({ at: 415, items: Array.from({ length: 15 }, (_, index) => index + 25) });
		// A lone item waits only for the lull.
		batcher.add(99);
		await vi.advanceTimersByTimeAsync(30);
		expect(batches[2]).toEqual({ at: 525, items: [99] });
	});

	it('flushes at once when maxItems are waiting', async () => {
		const { batches, flush } = recorder();
		const batcher = new Batcher<number>(flush, { quietMs: 25, maxDelayMs: 250, maxItems: 3 });
		for (let item = 0; item < 7; item++) {
			batcher.add(item);
			await vi.advanceTimersByTimeAsync(10);
		}
		await vi.advanceTimersByTimeAsync(100);
		expect(batches).toEqual([
			{ at: 20, items: [0, 1, 2] },
			{ at: 50, items: [3, 4, 5] },
			{ at: 85, items: [6] },
		]);
	});

	it('flushes at once when asked, cutting the wait short', async () => {
		const { batches, flush } = recorder();
		const batcher = new Batcher<number>(flush, { quietMs: 25, maxDelayMs: 250 });
		batcher.add(1);
		await vi.advanceTimersByTimeAsync(5);
		await batcher.flushed();
		expect(batches).toEqual([{ at: 5, items: [1] }]);
		await vi.advanceTimersByTimeAsync(500);
		expect(batches).toHaveLength(1);
	});
});
