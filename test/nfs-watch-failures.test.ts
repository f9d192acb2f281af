/**
Waits whose hints fail (issue 16's review, in the files of the network file system mode): a watch that cannot be armed
(ENOSPC when the inotify watches are used up) must mean "no hint" (the waiter sleeps out its backoff, never spins), a
wait that lost a race must not wipe the next wait's wake-up, a watcher whose scans fail must back off and say so, and
`ready()` must wait for the backlog scan.
*/
import * as fs from 'node:fs';
import { mkdirSync, renameSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setFileSystemFaults } from '../src/fs/fs-seam.js';
import type { InboxEntry } from '../src/inbox/entry.js';
import { Spool } from '../src/inbox/spool.js';
import { InboxWatcher } from '../src/inbox/watch.js';
import { Inbox } from '../src/index.js';
import { faultPlan } from './helpers/faults.js';
import { tempDir } from './helpers/temp.js';

/** `fs.watch`, made to fail with ENOSPC while `watchFails` is set (counted), as when the inotify limit is used up. */
const watchState = vi.hoisted(() => ({ fails: false, attempts: 0 }));
vi.mock('node:fs', async (importOriginal) => {
	const real = await importOriginal<typeof import('node:fs')>();
	const watch = ((...args: Parameters<typeof real.watch>) => {
		if (watchState.fails) {
			watchState.attempts++;
			throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
		}
		return real.watch(...args);
	}) as typeof real.watch;
	return { ...real, watch, default: { ...real, watch } };
});

afterEach(() => {
	watchState.fails = false;
	watchState.attempts = 0;
	setFileSystemFaults(undefined);
});

describe('waits whose hints fail', () => {
	it('a spooled send whose watches fail with ENOSPC sleeps out its backoff instead of spinning', async () => {
		const dir = tempDir();
		const file = path.join(dir, 'lead.json');
		const inbox = new Inbox(file);
		await inbox.send({ from: 'setup', text: 'first' });
		mkdirSync(`${file}.lock`); // a live holder's lock (fresh mtime): the send spools and waits
		watchState.fails = true;
		const cpu = process.cpuUsage();
		const started = Date.now();
		await expect(inbox.send({ from: 'w', text: 'waits' }, { timeoutMs: 1_000 })).rejects.toMatchObject({
			code: 'LOCK_TIMEOUT',
		});
		const waitedMs = Date.now() - started;
		const used = process.cpuUsage(cpu);
		// With no hint the loop wakes on its timer (10..50 ms): tens of attempts, not tens of thousands.
		expect(watchState.attempts).toBeGreaterThan(0);
		expect(watchState.attempts).toBeLessThan(200);
		expect((used.user + used.system) / 1000).toBeLessThan(waitedMs / 2);
		// No batch is left behind (the marker of a Claude Code writer seen is no batch).
		const left = fs.existsSync(`${file}.spool`) ? fs.readdirSync(`${file}.spool`) : [];
		expect(left.filter((name) => name !== 'claude-code-writer-seen')).toEqual([]);
	});

	it('a batch wait that lost a race neither fires late nor wipes the next wait’s wake-up', async () => {
		const dir = tempDir();
		const spool = new Spool(path.join(dir, 'lead.json'), 0o600, 0o700);
		const id = await spool.deposit([{ from: 'w', text: 'x' }]);
		const changes = spool.watchBatch(id);
		const lost = changes.wait(30); // its race was won by something else: never awaited again
		const next = changes.wait(3_000);
		expect(await lost).toBe(false); // ended by the next wait, its timer cleared
		await sleep(100); // past the lost wait's timeout
		const started = Date.now();
		// A holder claims the batch (no wake-up: see spool-wakeups.test.ts), then commits it: that wakes the sender.
		renameSync(path.join(spool.directory, `${id}.json`), path.join(spool.directory, `${id}.claimed`));
		unlinkSync(path.join(spool.directory, `${id}.claimed`));
		expect(await next).toBe(true);
		expect(Date.now() - started).toBeLessThan(1_000);
		changes.close();
		spool.release(id);
	});

	it('a watcher whose scans fail (EACCES) backs off, emits failure, and recovers when the cause goes', async () => {
		const dir = tempDir();
		const file = path.join(dir, 'lead.json');
		const inbox = new Inbox(file);
		await inbox.send({ from: 'setup', text: 'before' });
		const { faults, fired } = faultPlan([{ op: 'open', path: 'lead.json', code: 'EACCES', times: 0 }]);
		setFileSystemFaults(faults);
		const watcher = inbox.watch();
		const failures: string[] = [];
		let recovered = 0;
		watcher.on('failure', (error) => failures.push(error.code));
		watcher.on('recover', () => recovered++);
		await watcher.ready();
		await sleep(1_500);
		const attempts = fired.length;
		expect(failures.length).toBeGreaterThan(0);
		expect(new Set(failures)).toEqual(new Set(['IO']));
		// 25 ms, doubling: 7 or so in 1.5 s (it was one every 25 ms: 60).
		expect(attempts).toBeLessThan(15);
		setFileSystemFaults(undefined);
		const { value } = await watcher.next();
		expect(value?.text).toBe('before');
		expect(recovered).toBe(1);
		await watcher.close();
	});

	it('ready() resolves only after the backlog scan has ended', async () => {
		const dir = tempDir();
		let scanned = false;
		const entry = { from: 'w', text: 'backlog', timestamp: new Date().toISOString(), msg_id: 'm1' } as InboxEntry;
		const watcher = new InboxWatcher(
			path.join(dir, 'lead.json'),
			async () => {
				await sleep(200);
				scanned = true;
				return [entry];
			},
			Promise.resolve(),
			{},
		);
		await watcher.ready();
		expect(scanned).toBe(true);
		expect((await watcher.next()).value).toBe(entry);
		await watcher.close();
	});
});
