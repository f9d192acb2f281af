/**
`fs.watch` refused by the kernel (ENOSPC once the inotify watch limit is used up, EMFILE), injected through the seam:
every wait that uses a watch as a hint (a spooled sender waiting for its batch, a waiter for the lock's release, the
inbox watcher) must still end: the send goes in exactly once before its deadline, and a watcher either delivers or
fails typed, naming the directory; never a silent hang.
*/
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../src/fs/lock.js';
import { Inbox, isMailboxError, type MailboxError } from '../src/index.js';
import { inboxEntries } from './helpers/fault-fixtures.js';
import { clearFaults, injectFaults } from './helpers/faults.js';
import { tempDir } from './helpers/temp.js';

afterEach(() => clearFaults());

describe.each(['ENOSPC', 'EMFILE'])('fs.watch failing with %s', (code) => {
	it('a send that waits on a held lock still goes in once, when the lock is let go', async () => {
		const file = path.join(tempDir(), 'lead.json');
		const inbox = new Inbox(file);
		await inbox.send({ from: 'setup', text: 'before' });
		const held = await acquireLock(file, `${file}.lock`, { staleMs: 10_000, deadline: Date.now() + 5_000 });
		const fired = injectFaults([{ op: 'watch', code, times: 0 }]);
		const sending = inbox.send({ from: 'tester', text: 'waited' }, { timeoutMs: 10_000 });
		await new Promise((resolve) => setTimeout(resolve, 300));
		await held.release();
		const id = await sending;
		clearFaults();
		expect(fired.length, 'a watch was attempted and refused').toBeGreaterThan(0);
		expect(fired.every((fault) => fault.op === 'watch' && fault.code === code)).toBe(true);
		// No hint means sleeping the poll delay, not trying again at once: a few watch attempts, not thousands.
		expect(fired.length).toBeLessThan(20);
		const entries = inboxEntries(file);
		expect(entries.map((entry) => entry.text)).toEqual(['before', 'waited']);
		expect(entries[1]?.msg_id).toBe(id);
	});

	it('a send that cannot get the lock rejects typed at its deadline, and writes nothing', async () => {
		const file = path.join(tempDir(), 'lead.json');
		const inbox = new Inbox(file);
		await inbox.send({ from: 'setup', text: 'before' });
		const held = await acquireLock(file, `${file}.lock`, { staleMs: 10_000, deadline: Date.now() + 5_000 });
		injectFaults([{ op: 'watch', code, times: 0 }]);
		try {
			const started = Date.now();
			const error = await inbox.send({ from: 'tester', text: 'late' }, { timeoutMs: 500 }).catch((e: unknown) => e);
			expect(isMailboxError(error), String(error)).toBe(true);
			expect(Date.now() - started).toBeLessThan(5_000);
		} finally {
			clearFaults();
			await held.release();
		}
		// The spooled batch of the rejected send is never written later.
		await inbox.send({ from: 'setup', text: 'after' });
		expect(inboxEntries(file).map((entry) => entry.text)).toEqual(['before', 'after']);
	});

	it('the inbox watcher delivers a new entry or fails typed, naming the directory', async () => {
		const dir = tempDir();
		const file = path.join(dir, 'lead.json');
		const inbox = new Inbox(file);
		await inbox.send({ from: 'setup', text: 'before' });
		injectFaults([{ op: 'watch', code, times: 0 }]);
		const watcher = inbox.watch({ rescanIntervalMs: 200 });
		/** The next entry's text, or the error the stream failed with, or `hang` after 8 s. */
		const next = () =>
			Promise.race([
				watcher.next().then(
					(result) => ({ entry: result.value?.text as string | undefined }),
					(error: unknown) => ({ error }),
				),
				new Promise<{ hang: true }>((resolve) => setTimeout(() => resolve({ hang: true }), 8_000)),
			]);
		try {
			const first = await next();
			let outcome = first;
			if ('entry' in first) {
				expect(first.entry).toBe('before');
				await new Inbox(file).send({ from: 'tester', text: 'new' });
				outcome = await next();
				if ('entry' in outcome) expect(outcome.entry).toBe('new');
			}
			expect(outcome).not.toHaveProperty('hang');
			if ('error' in outcome) {
				expect(isMailboxError(outcome.error), String(outcome.error)).toBe(true);
				expect((outcome.error as MailboxError).message).toContain(dir);
			}
		} finally {
			clearFaults();
			await watcher.close();
		}
	}, 15_000);
});
