/**
Compromised inbox locks, with real processes. A forked holder stalls (the whole process blocks, as in a long GC pause,
swapping or SIGSTOP) in the middle of its locked read-modify-write, between reading the inbox and renaming the new one
into place. Meanwhile its lock directory is removed by hand, or goes stale and is taken over, and this process writes
to the inbox. When the holder resumes it must notice that the lock is no longer its own and abandon its write (then
retry from a fresh read): otherwise its rename would silently drop what was written meanwhile.

What no mkdir lock can prevent is a stall longer than the stale window that falls exactly between the holder's last
check and its rename (a few microseconds of synchronous code); that window is not tested because nothing can close it
short of fencing tokens, which Claude Code's lock layout does not have.
*/
import { existsSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inbox } from '../src/index.js';
import { fileExists, inboxEntries, startSender, waitUntil } from './helpers/fault-fixtures.js';
import { tempDir } from './helpers/temp.js';

async function seededInbox(staleMs: number) {
	const dir = tempDir();
	const file = path.join(dir, 'lead.json');
	const inbox = new Inbox(file, { staleMs });
	await inbox.send({ from: 'setup', text: 'before' });
	return { dir, file, lockPath: `${file}.lock`, inbox, marker: path.join(dir, 'stalled') };
}

/** Each text once, and every resolved send's msg_id present with its text. */
function expectExactlyOnce(file: string, resolved: { id: string; text: string }[], texts: string[]) {
	const entries = inboxEntries(file);
	expect(entries.map((entry) => entry.text).sort()).toEqual([...texts].sort());
	const byId = new Map(entries.map((entry) => [entry.msg_id, entry.text]));
	for (const send of resolved) expect(byId.get(send.id), `resolved send ${send.text}`).toBe(send.text);
}

describe('a lock holder stalled mid-write', () => {
	it.each([true, false])(
		'whose lock directory is removed by hand abandons its write and retries (fsync %s)',
		async (fsync) => {
			// The default 10 s window: the holder's own refresh (every 5 s) cannot be what saves it.
			const staleMs = 10_000;
			const { file, lockPath, inbox, marker } = await seededInbox(staleMs);
			const holder = await startSender(file, {
				from: 'holder',
				staleMs,
				fsync,
				faults: [{ op: 'read', path: 'lead.json', stallMs: 1_500, marker }],
			});
			const holding = holder.go();
			await waitUntil(fileExists(marker), 'the holder to stall under its lock');
			expect(existsSync(lockPath)).toBe(true);
			rmdirSync(lockPath); // by hand, as an impatient operator would

			// The lock is free for this process at once; its write lands while the holder is still stalled.
			const id = await inbox.send({ from: 'parent', text: 'during' }, { timeoutMs: 5_000 });
			const report = await holding;
			expect(report.fired).toHaveLength(1);
			expect(report.failed).toEqual([]);
			expect(report.sent).toHaveLength(1);
			expectExactlyOnce(file, [...report.sent, { id, text: 'during' }], ['before', 'during', 'holder:0']);
			expect(existsSync(lockPath)).toBe(false);
		},
		30_000,
	);

	// Without fsync nothing yields to the event loop between the read and the rename, so proper-lockfile's own refresh
	// never gets to notice the takeover: only the check of the directory itself can.
	it.each([false])(
		'past the stale window, whose lock is taken over, abandons its write and retries (fsync %s)',
		async (fsync) => {
			const staleMs = 2_000;
			const { file, lockPath, inbox, marker } = await seededInbox(staleMs);
			// Stalled long enough for its lock to go stale (mtime up to 1 s ahead, then the window) and be taken over.
			const holder = await startSender(file, {
				from: 'holder',
				staleMs,
				fsync,
				faults: [{ op: 'read', path: 'lead.json', stallMs: staleMs + 3_000, marker }],
			});
			const holding = holder.go();
			await waitUntil(fileExists(marker), 'the holder to stall under its lock');

			const id = await inbox.send({ from: 'parent', text: 'during' }, { timeoutMs: 10_000 });
			expect(holder.child.exitCode, 'the holder is still stalled').toBeNull();
			const report = await holding;
			expect(report.failed).toEqual([]);
			expect(report.sent).toHaveLength(1);
			expectExactlyOnce(file, [...report.sent, { id, text: 'during' }], ['before', 'during', 'holder:0']);
			expect(existsSync(lockPath)).toBe(false);
		},
		30_000,
	);
});
