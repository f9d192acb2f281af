/**
A lock judged by observation (the network file system mode, forced on a local directory) while the file system stalls.
The seam makes one call slow the way a stalled server would: a synchronous call blocks the event loop for the delay,
an asynchronous one only waits. A slow server must delay only the call waiting on it; the held lock's refresh keeps
running, so its holder never looks dead to the others. (The same on a real sshfs mount, held over 30 s against
contenders on the other mount: test/nfs-lock.test.ts.)
*/
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../src/fs/atomic-write.js';
import { setFileSystemFaults } from '../src/fs/fs-seam.js';
import { acquireLock, judgeLocksByObservation } from '../src/fs/lock.js';
import { tempDir } from './helpers/temp.js';

const STALE_MS = 2_000; // proper-lockfile refreshes every 1 000 ms
/** A blocked event loop would show the whole stall (3 s); a loaded machine's scheduling alone stays well below this. */
const MAX_GAP_MS = 2_000;

/** The longest gap between ticks of a 20 ms timer while `run` runs: how long the event loop was blocked. */
async function loopGapWhile<T>(run: () => Promise<T>): Promise<{ result: T; gapMs: number; tookMs: number }> {
	let last = Date.now();
	let gapMs = 0;
	const ticker = setInterval(() => {
		const now = Date.now();
		gapMs = Math.max(gapMs, now - last);
		last = now;
	}, 20);
	const started = Date.now();
	try {
		const result = await run();
		gapMs = Math.max(gapMs, Date.now() - last);
		return { result, gapMs, tookMs: Date.now() - started };
	} finally {
		clearInterval(ticker);
	}
}

describe('a lock on a network file system while the server stalls', () => {
	afterEach(() => setFileSystemFaults(undefined));

	it('a stalled rename delays only its own write: the event loop runs and the held lock is refreshed meanwhile', async () => {
		const dir = tempDir();
		judgeLocksByObservation(dir, 0);
		const file = path.join(dir, 'lead.json');
		const lock = await acquireLock(file, `${file}.lock`, { staleMs: STALE_MS, deadline: Date.now() + 5_000 });
		const refreshes: number[] = [];
		setFileSystemFaults((op, target) => {
			if (op === 'utimes' && target === `${file}.lock`) refreshes.push(Date.now());
			if (op === 'rename' && path.basename(target).startsWith('other.json')) return { delayMs: 3_000 };
			return undefined;
		});
		const { gapMs, tookMs } = await loopGapWhile(() => writeFileAtomic(path.join(dir, 'other.json'), '[]'));
		expect(tookMs).toBeGreaterThanOrEqual(2_900); // the write itself waited for the server
		expect(gapMs).toBeLessThan(MAX_GAP_MS); // nothing else did
		expect(refreshes.length).toBeGreaterThanOrEqual(2);
		await lock.assertHeld();
		await lock.release();
	}, 20_000);

	it('a stalled refresh delays only the refresh: other writes go through, and the lock is not compromised', async () => {
		const dir = tempDir();
		judgeLocksByObservation(dir, 0);
		const file = path.join(dir, 'lead.json');
		const lock = await acquireLock(file, `${file}.lock`, { staleMs: 2 * STALE_MS, deadline: Date.now() + 5_000 });
		let slowed = 0;
		setFileSystemFaults((op, target) => {
			if (op !== 'utimes' || target !== `${file}.lock`) return undefined;
			slowed++;
			return { delayMs: 3_000 };
		});
		const writes: number[] = [];
		const { gapMs } = await loopGapWhile(async () => {
			const until = Date.now() + 6_000;
			for (let index = 0; Date.now() < until; index++) {
				const started = Date.now();
				await writeFileAtomic(path.join(dir, 'other.json'), `[${index}]`);
				writes.push(Date.now() - started);
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
		});
		expect(slowed).toBeGreaterThanOrEqual(1); // a refresh ran (every 2 s), stalled 3 s
		expect(gapMs).toBeLessThan(MAX_GAP_MS);
		expect(Math.max(...writes)).toBeLessThan(MAX_GAP_MS);
		await lock.assertHeld();
		await lock.release();
	}, 20_000);
});
