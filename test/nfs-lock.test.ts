/**
The inbox lock across two sshfs mounts (default caching: a stat may be answered from a 20 s attribute cache), with
the judge's clock minutes off the holder's. A lock is judged stale by watching its mtime stay unchanged for the stale
window plus the client's attribute-cache time on the judge's own clock, so: a live holder on mount A keeps its lock
against a contender on mount B whose clock runs 5 minutes ahead (it would look 5 minutes old), and a SIGKILLed holder's
lock is taken over by a contender whose clock runs 5 minutes behind (it would look 5 minutes in the future).
*/
import { existsSync, mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../src/fs/lock.js';
import { exited, forkTracked as forkFault, inboxEntries, startSender } from './helpers/fault-fixtures.js';
import { nextMessage } from './helpers/fork.js';
import { mountSshfsPair, requireSshfs, type SshfsPair } from './helpers/sshfs.js';

const { skip } = requireSshfs();
const STALE_MS = 2_000;
const SKEW_MS = 5 * 60_000;

describe.skipIf(skip)('the inbox lock across two sshfs mounts, clocks 5 minutes apart', () => {
	let pair: SshfsPair;
	beforeAll(async () => {
		pair = await mountSshfsPair();
	});
	afterAll(async () => {
		await pair?.unmount();
	});

	const files = (name: string) => {
		mkdirSync(path.join(pair.export, name), { mode: 0o700 });
		return {
			onA: path.join(pair.a, name, 'lead.json'),
			onB: path.join(pair.b, name, 'lead.json'),
			server: path.join(pair.export, name, 'lead.json'),
		};
	};

	it('a live lock on A is never taken over from B; a dead one is, once seen unchanged for the window', async () => {
		const live = files('live');
		const dead = files('dead');
		const liveHolder = forkFault('test/fixtures/lock-holder.ts', [live.onA, String(STALE_MS)]);
		const deadHolder = forkFault('test/fixtures/lock-holder.ts', [dead.onA, String(STALE_MS)]);
		await Promise.all([nextMessage(liveHolder, 'locked', 30_000), nextMessage(deadHolder, 'locked', 30_000)]);
		deadHolder.kill('SIGKILL');
		await exited(deadHolder);
		expect(existsSync(`${dead.server}.lock`)).toBe(true);

		// 2 s window + sshfs's 21 s attribute cache: a takeover needs the mtime unchanged for 23 s as B sees it.
		const ahead = await startSender(live.onB, {
			from: 'ahead',
			staleMs: STALE_MS,
			skewMs: SKEW_MS,
			lockTimeoutMs: 30_000,
		});
		const behind = await startSender(dead.onB, {
			from: 'behind',
			staleMs: STALE_MS,
			skewMs: -SKEW_MS,
			lockTimeoutMs: 60_000,
		});
		const started = Date.now();
		const holding = nextMessage(liveHolder, 'checked', 60_000);
		liveHolder.send({ kind: 'check', timeoutMs: 31_000 });
		const [aheadReport, behindReport, check] = await Promise.all([ahead.go(60_000), behind.go(90_000), holding]);

		// The live lock: kept for the whole 30 s wait, the contender refused with a timeout, nothing written.
		expect(check, JSON.stringify(check)).toMatchObject({ compromised: false });
		expect(aheadReport.sent).toEqual([]);
		expect(aheadReport.failed.map((item) => item.code)).toEqual(['LOCK_TIMEOUT']);
		expect(existsSync(live.server) ? inboxEntries(live.server) : []).toEqual([]);

		// The dead lock: taken over after the observed window (not at once: that would be the 5-minute-old look).
		expect(behindReport.failed).toEqual([]);
		expect(behindReport.sent).toHaveLength(1);
		expect(inboxEntries(dead.server).map((entry) => entry.msg_id)).toEqual([behindReport.sent[0]?.id]);
		expect(Date.now() - started).toBeGreaterThan(STALE_MS);
		liveHolder.send('release');
	}, 120_000);

	it('live holders keep their locks while others on their own mount stat them (sshfs caches a reply that crossed a refresh)', async () => {
		// Four locks, three readers each, five refreshes (one a second): before, a stat crossing a refresh made a holder
		// judge its lock lost at about every second try.
		const holdOne = async (name: string) => {
			const { onA } = files(name);
			const lock = await acquireLock(onA, `${onA}.lock`, { staleMs: STALE_MS, deadline: Date.now() + 10_000 });
			let stop = false;
			const readers = Array.from({ length: 3 }, async () => {
				while (!stop) await stat(`${onA}.lock`).catch(() => {});
			});
			const started = Date.now();
			let compromised: unknown;
			try {
				while (Date.now() - started < 5_500 && compromised === undefined) {
					await Promise.resolve(lock.assertHeld()).catch((error: unknown) => {
						compromised = error;
					});
					await new Promise((resolve) => setTimeout(resolve, 100));
				}
			} finally {
				stop = true;
				await Promise.all(readers);
			}
			await lock.release().catch(() => {});
			return {
				compromised: compromised === undefined ? undefined : String(compromised),
				left: existsSync(`${onA}.lock`),
			};
		};
		const results = await Promise.all(['c1', 'c2', 'c3', 'c4'].map(holdOne));
		expect(results).toEqual(Array.from({ length: 4 }, () => ({ compromised: undefined, left: false })));
	}, 30_000);
});
