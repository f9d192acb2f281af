/**
Clock skew between processes sharing an inbox lock. Forked fixtures shift their own `Date.now()`.

What the design tolerates: a lock is judged stale by comparing the judge's `Date.now()` with the lock directory's
mtime, and that mtime is stamped by the holder from the holder's own `Date.now()` (at acquisition, then at each
refresh, every `update` = max(1 s, min(staleMs / 2, 5 s)) ms). So only the relative skew D = judge's clock − holder's
clock matters, and a live holder's lock looks D + (time since its last refresh) old. It is never taken over while
D + update + (timer lateness, or a stall of the holder) < staleMs: with Claude Code's 10 s window (5 s refresh) a
skew under about 5 s is harmless, with the 4 s window used here (2 s refresh) under about 2 s. A judge whose clock is
behind (D < 0) never steals; it only takes a dead holder's lock |D| later than the window says.

Beyond that, every contender takes a live lock over at once. Writes stay correct even then: a holder checks its lock
directory right before its rename and abandons a write whose lock was taken (then retries from a fresh read), so
nothing is lost or written twice; only progress suffers (holders can keep stealing from each other).
*/
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../src/fs/lock.js';
import { Inbox } from '../src/index.js';
import { fileExists, inboxEntries, startSender, waitUntil } from './helpers/fault-fixtures.js';
import { tempDir } from './helpers/temp.js';

const STALE_MS = 4_000;
/** proper-lockfile's refresh period for that window. */
const UPDATE_MS = Math.max(1_000, Math.min(STALE_MS / 2, 5_000));

async function seededInbox() {
	const dir = tempDir();
	const file = path.join(dir, 'lead.json');
	const inbox = new Inbox(file, { staleMs: STALE_MS });
	await inbox.send({ from: 'setup', text: 'before' });
	return { file, lockPath: `${file}.lock`, inbox, marker: path.join(dir, 'stalled') };
}

describe('clock skew between lock holders', () => {
	it.each([
		// Within the tolerance: the lock is honoured while its holder is stalled mid-write (for as long as a true clock
		// would allow: the window minus a refresh period), so the holder commits first.
		{ skewMs: -(STALE_MS - UPDATE_MS) / 2, stallMs: STALE_MS - UPDATE_MS, stolen: false },
		// Beyond it: taken over at once, and the holder's write is abandoned and retried, so it lands second. The stall
		// is shorter than a refresh period: only the holder's own check before its rename can notice.
		{ skewMs: -(STALE_MS + 1_000), stallMs: UPDATE_MS / 2, stolen: true },
	])(
		'a holder whose clock is $skewMs ms off, stalled mid-write: lock stolen $stolen, nothing lost or doubled',
		async ({ skewMs, stallMs, stolen }) => {
			const { file, lockPath, inbox, marker } = await seededInbox();
			const holder = await startSender(file, {
				from: 'holder',
				staleMs: STALE_MS,
				skewMs,
				faults: [{ op: 'read', path: 'lead.json', stallMs, marker }],
			});
			const holding = holder.go();
			await waitUntil(fileExists(marker), 'the holder to stall under its lock');
			expect(existsSync(lockPath)).toBe(true);
			const id = await inbox.send({ from: 'parent', text: 'contender' }, { timeoutMs: 3 * STALE_MS });
			const report = await holding;
			expect(report.failed).toEqual([]);
			expect(report.sent).toHaveLength(1);

			const entries = inboxEntries(file);
			const expected = stolen ? ['before', 'contender', 'holder:0'] : ['before', 'holder:0', 'contender'];
			expect(entries.map((entry) => entry.text)).toEqual(expected);
			expect(entries.find((entry) => entry.text === 'contender')?.msg_id).toBe(id);
			expect(entries.find((entry) => entry.text === 'holder:0')?.msg_id).toBe(report.sent[0]?.id);
			expect(existsSync(lockPath)).toBe(false);
		},
		30_000,
	);

	it('contenders whose clocks are ahead (within the tolerance) or far behind never take over a live lock', async () => {
		const { file, lockPath } = await seededInbox();
		const before = inboxEntries(file);
		const held = await acquireLock(file, lockPath, { staleMs: STALE_MS, deadline: Date.now() + 5_000 });
		try {
			// Each tries for longer than the window while this process keeps its lock fresh.
			const timeoutMs = STALE_MS + 500;
			const contenders = await Promise.all(
				[UPDATE_MS / 2, -60_000].map((skewMs) =>
					startSender(file, { from: `skew${skewMs}`, staleMs: STALE_MS, lockTimeoutMs: timeoutMs, skewMs }),
				),
			);
			const reports = await Promise.all(contenders.map((contender) => contender.go()));
			for (const report of reports) {
				expect(report.sent).toEqual([]);
				expect(report.failed.map((failure) => failure.code)).toEqual(['LOCK_TIMEOUT']);
			}
			expect(() => held.assertHeld()).not.toThrow();
			expect(inboxEntries(file)).toEqual(before);
		} finally {
			await held.release();
		}
		expect(existsSync(lockPath)).toBe(false);
	}, 30_000);
});
