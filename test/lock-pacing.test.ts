/**
Lock retry pacing in a mixed team. Claude Code 2.1.330 retries its inbox lock 10 times, 5 ms doubling to 100 ms (about
655 ms), then drops the message; the bench's Claude Code-style writer must keep that schedule, and ours must never
retry sooner than it would (bench section "mixed team" measures the effect).
*/

import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import retry from 'retry';
import { describe, expect, it } from 'vitest';
import { baselineLockOptions, baselineRead, baselineWrite } from '../bench/baseline-writer.js';
import { acquireLock, contendedRetryDelayMs, lockHoldersSeen, tryAcquireLock } from '../src/fs/lock.js';
import { Inbox } from '../src/index.js';
import { forkFixture, nextMessage } from './helpers/fork.js';
import { tempDir } from './helpers/temp.js';

/** Claude Code 2.1.330's retry delays (reference, section 1: "Retry delays"). */
const claudeCodeDelaysMs = [5, 10, 20, 40, 80, 100, 100, 100, 100, 100];

describe('lock retry pacing', () => {
	it("the bench's Claude Code-style writer retries exactly as 2.1.330 does (10 retries, 5..100 ms, 655 ms)", () => {
		const { retries } = baselineLockOptions('/x/team-lead.json');
		// proper-lockfile hands `retries` to the retry package: these are the waits it schedules.
		const delays = retry.timeouts(retries);
		expect(delays).toEqual(claudeCodeDelaysMs);
		expect(delays.reduce((sum, ms) => sum + ms, 0)).toBe(655);
	});

	it('ours never retry sooner than a Claude Code writer at the same attempt, and keep to its 100 ms ceiling', () => {
		for (let attempt = 1; attempt <= 30; attempt++) {
			const peerMs = claudeCodeDelaysMs[Math.min(attempt, 10) - 1] as number;
			for (let sample = 0; sample < 50; sample++) {
				const ms = contendedRetryDelayMs(attempt);
				expect(ms).toBeGreaterThanOrEqual(peerMs);
				expect(ms).toBeLessThan(peerMs * 1.25);
			}
		}
	});

	it('acquireLock waits on that schedule: a lock held for 150 ms is retried at most 5 times', async () => {
		const file = path.join(tempDir(), 'team-lead.json');
		writeFileSync(file, '[]');
		const release = await lockfile.lock(file, { lockfilePath: `${file}.lock`, realpath: false });
		let attempts = 0;
		const waiting = acquireLock(file, `${file}.lock`, {
			deadline: Date.now() + 5_000,
			shouldContinue: () => {
				attempts++;
				return true;
			},
		});
		await new Promise((resolve) => setTimeout(resolve, 150));
		await release();
		const held = await waiting;
		await held.release();
		// 5 + 10 + 20 + 40 + 80 = 155 ms: at most 5 retries fit in 150 ms (the old 1..25 ms pacing made about 12).
		expect(attempts).toBeLessThanOrEqual(6);
		expect(attempts).toBeGreaterThanOrEqual(2);
	});
});

describe('whose lock it is', () => {
	it('ours carry the sticky bit, Claude Code’s do not: a waiter that finds the lock busy records which it was', async () => {
		const file = path.join(tempDir(), 'team-lead.json');
		writeFileSync(file, '[]');
		const lockPath = `${file}.lock`;
		expect(lockHoldersSeen(lockPath)).toEqual({ oursAt: -Infinity, oursSince: -Infinity, foreignAt: -Infinity });

		// Held the way Claude Code takes it (proper-lockfile, default mode).
		const release = await lockfile.lock(file, baselineLockOptions(file));
		expect(statSync(lockPath).mode & 0o1000).toBe(0);
		const before = Date.now();
		expect(await tryAcquireLock(file, lockPath)).toBeUndefined();
		expect(lockHoldersSeen(lockPath).foreignAt).toBeGreaterThanOrEqual(before);
		expect(lockHoldersSeen(lockPath).oursAt).toBe(-Infinity);
		await release();

		// Held by ours.
		const held = await tryAcquireLock(file, lockPath);
		expect(held).toBeDefined();
		expect(statSync(lockPath).mode & 0o1777).toBe(0o1700);
		expect(await tryAcquireLock(file, lockPath)).toBeUndefined();
		expect(lockHoldersSeen(lockPath).oursAt).toBeGreaterThanOrEqual(before);
		await held?.release();
		expect(existsSync(lockPath)).toBe(false);
	});

	it('remembers since when ours alone have been seen holding a lock (a holder drains only after a while of it)', async () => {
		const file = path.join(tempDir(), 'team-lead.json');
		writeFileSync(file, '[]');
		const lockPath = `${file}.lock`;
		const held = await tryAcquireLock(file, lockPath);
		const sightings: number[] = [];
		for (let index = 0; index < 3; index++) {
			expect(await tryAcquireLock(file, lockPath)).toBeUndefined();
			sightings.push(lockHoldersSeen(lockPath).oursSince);
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		await held?.release();
		// One run of sightings: it began at the first, and later ones do not move it.
		expect(sightings[0]).toBeGreaterThan(Date.now() - 5_000);
		expect(new Set(sightings).size).toBe(1);
		expect(lockHoldersSeen(lockPath).oursAt).toBeGreaterThan(sightings[0] as number);
	});
});

describe('a mixed team', () => {
	const writer = path.join(import.meta.dirname, 'fixtures', 'writer.ts');
	const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

	it('what one process of ours saw is known to all: a fresh one gives the lock to a Claude Code writer first', async () => {
		const file = path.join(tempDir(), 'team-lead.json');
		writeFileSync(file, '[]');
		// This process meets a Claude Code-style holder: its send waits in the spool, and says what it saw.
		const release = await lockfile.lock(file, baselineLockOptions(file));
		const sending = new Inbox(file).send({ from: 'ours-a', text: 'a' });
		const marker = path.join(`${file}.spool`, 'claude-code-writer-seen');
		for (let waited = 0; !existsSync(marker); waited += 10) {
			expect(waited).toBeLessThan(5_000);
			await sleep(10);
		}
		await release();
		await sending;

		// Another process of ours, which never met one itself, sends just after a Claude Code writer wrote. The lock
		// is free, but it waits out the yield gap: a Claude Code writer trying 100 ms later gets the lock first.
		const child = forkFixture(writer, [file, '1', '1']);
		const done = nextMessage(child, 'done', 30_000);
		await nextMessage(child, 'ready', 30_000);
		expect(await baselineWrite(file, { from: 'cc', text: 'cc-1', timestamp: new Date().toISOString() })).toBe(true);
		child.send('go');
		await sleep(100);
		expect(await baselineWrite(file, { from: 'cc', text: 'cc-2', timestamp: new Date().toISOString() })).toBe(true);
		await done;
		const texts = (await baselineRead(file)).map((entry) => entry.text);
		expect(texts).toEqual(['a', 'cc-1', 'cc-2', '1:0']);
	});
});
