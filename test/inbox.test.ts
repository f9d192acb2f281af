import { lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { describe, expect, it } from 'vitest';
import { Inbox, isMailboxError, type QuarantineEvent, Team } from '../src/index.js';
import { tempDir } from './helpers/temp.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function teamInbox(name = 'team-lead') {
	const root = tempDir();
	const team = await Team.create('alpha', { root });
	return { root, team, inbox: team.inbox(name) };
}

describe('Inbox.send', () => {
	it('writes entries exactly as Claude Code 2.1.330 does, durably and privately', async () => {
		const { inbox } = await teamInbox();
		const id = await inbox.send({ from: 'worker', text: 'hi', summary: 'greeting', color: 'blue' });
		expect(id).toMatch(uuid);
		const text = readFileSync(inbox.path, 'utf8');
		const entries = JSON.parse(text);
		expect(text).toBe(JSON.stringify(entries, null, 2));
		expect(Object.keys(entries[0])).toEqual([
			'from',
			'text',
			'summary',
			'timestamp',
			'color',
			'msgV',
			'msg_id',
			'type',
			'read',
		]);
		expect(entries[0]).toMatchObject({ from: 'worker', text: 'hi', msgV: 1, msg_id: id, type: 'message', read: false });
		expect(Number.isNaN(Date.parse(entries[0].timestamp))).toBe(false);
		expect(statSync(inbox.path).mode & 0o777).toBe(0o600);
		expect(statSync(path.dirname(inbox.path)).mode & 0o777).toBe(0o700);
		expect(readdirSync(path.dirname(inbox.path)).filter((name) => name !== 'team-lead.json.spool')).toEqual([
			'team-lead.json',
		]);
	});

	it('refuses invalid and oversized entries with typed errors and writes nothing', async () => {
		const { inbox } = await teamInbox();
		await inbox.send({ from: 'a', text: 'keep me' });
		const before = readFileSync(inbox.path, 'utf8');
		await expect(inbox.send({ from: '', text: 'x' })).rejects.toMatchObject({ code: 'INVALID_ENTRY' });
		await expect(inbox.send({ from: 'a', text: 'x', msg_id: 'not-a-uuid' })).rejects.toMatchObject({
			code: 'INVALID_ENTRY',
		});
		// biome-ignore lint/suspicious/noExplicitAny: deliberately wrong input
		await expect(inbox.send({ from: 'a', text: 1 } as any)).rejects.toMatchObject({ code: 'INVALID_ENTRY' });
		const small = new Inbox(inbox.path, { maxEntryBytes: 300 });
		await expect(small.send({ from: 'a', text: 'x'.repeat(400) })).rejects.toMatchObject({ code: 'ENTRY_TOO_LARGE' });
		const capped = new Inbox(inbox.path, { maxInboxBytes: before.length + 100 });
		await expect(capped.send({ from: 'a', text: 'y'.repeat(200) })).rejects.toMatchObject({ code: 'INBOX_TOO_LARGE' });
		expect(readFileSync(inbox.path, 'utf8')).toBe(before);
	});

	it('keeps every one of 500 concurrent in-process sends exactly once', async () => {
		const { inbox } = await teamInbox();
		const other = new Inbox(inbox.path); // a second object on the same file shares the per-path queue
		const ids = await Promise.all(
			Array.from({ length: 500 }, (_, index) => (index % 2 ? inbox : other).send({ from: 'w', text: `m${index}` })),
		);
		const entries = await inbox.read();
		expect(entries.map((entry) => entry.msg_id).sort()).toEqual([...ids].sort());
		expect(new Set(entries.map((entry) => entry.text)).size).toBe(500);
	});

	it('waits for a held lock up to its deadline, then rejects with LOCK_TIMEOUT and writes nothing', async () => {
		const { inbox } = await teamInbox();
		await inbox.send({ from: 'a', text: 'first' });
		const release = await lockfile.lock(inbox.path, { lockfilePath: `${inbox.path}.lock`, realpath: false });
		try {
			const error = await inbox.send({ from: 'a', text: 'second' }, { timeoutMs: 300 }).catch((e: unknown) => e);
			expect(isMailboxError(error, 'LOCK_TIMEOUT')).toBe(true);
			expect((error as Error).message).toContain(`${inbox.path}.lock`);
		} finally {
			await release();
		}
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['first']);
		// The withdrawn batch must not be committed by a later writer either.
		await inbox.send({ from: 'a', text: 'third' });
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['first', 'third']);
	});

	it('completes a send that was waiting when the lock is released in time', async () => {
		const { inbox } = await teamInbox();
		const release = await lockfile.lock(inbox.path, { lockfilePath: `${inbox.path}.lock`, realpath: false });
		const pending = inbox.send({ from: 'a', text: 'patient' }, { timeoutMs: 5_000 });
		setTimeout(() => void release(), 200);
		await expect(pending).resolves.toMatch(uuid);
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['patient']);
	});

	it('rejects an aborted send with ABORTED', async () => {
		const { inbox } = await teamInbox();
		const controller = new AbortController();
		controller.abort(new Error('stop'));
		await expect(inbox.send({ from: 'a', text: 'x' }, { signal: controller.signal })).rejects.toMatchObject({
			code: 'ABORTED',
		});
	});
});

describe('Inbox.read, ack and clear', () => {
	it('reports invalid entries without failing and keeps them on rewrite', async () => {
		const { inbox } = await teamInbox();
		await inbox.send({ from: 'a', text: 'ok' });
		const valid = JSON.parse(readFileSync(inbox.path, 'utf8'));
		writeFileSync(
			inbox.path,
			JSON.stringify([...valid, { from: 'x' }, null, { from: 'y', text: 't', timestamp: 'z', read: 'no' }], null, 2),
		);
		const reported: number[] = [];
		inbox.on('invalid', (event) => reported.push(event.index));
		const snapshot = await inbox.inspect();
		expect(snapshot.entries.map((entry) => entry.text)).toEqual(['ok']);
		expect(snapshot.invalid.map((item) => item.index)).toEqual([1, 2, 3]);
		expect(reported).toEqual([1, 2, 3]);
		await inbox.send({ from: 'a', text: 'more' });
		const raw = JSON.parse(readFileSync(inbox.path, 'utf8'));
		expect(raw).toHaveLength(5);
		expect(raw[2]).toBeNull();
	});

	it('acks exactly the delivered entries, by msg_id or by from|timestamp|text for older entries', async () => {
		const { inbox } = await teamInbox();
		const legacy = {
			from: 'old',
			text: 'legacy',
			timestamp: '2026-01-01T00:00:00.000Z',
			read: false,
			x_future: { a: 1 },
		};
		writeFileSync(inbox.path, JSON.stringify([legacy], null, 2));
		await inbox.send({ from: 'a', text: 'one' });
		const delivered = await inbox.unread();
		await inbox.send({ from: 'a', text: 'arrived later' });
		expect(await inbox.ack([delivered[1]!])).toBe(1);
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['legacy', 'arrived later']);
		expect((await inbox.read())[0]).toEqual(legacy); // unknown fields survive the rewrite
		expect(await inbox.ack([delivered[0]!])).toBe(1);
		expect(await inbox.ack(['00000000-0000-4000-8000-000000000000'])).toBe(0);
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['arrived later']);
	});

	it('treats read:true entries from older clients as delivered in unread()', async () => {
		const { inbox } = await teamInbox();
		const base = { timestamp: '2026-01-01T00:00:00.000Z', from: 'old' };
		writeFileSync(
			inbox.path,
			JSON.stringify([
				{ ...base, text: 'seen', read: true },
				{ ...base, text: 'new', read: false },
			]),
		);
		expect((await inbox.read()).length).toBe(2);
		expect((await inbox.unread()).map((entry) => entry.text)).toEqual(['new']);
	});

	it('clears atomically and never creates a missing inbox', async () => {
		const { inbox, team } = await teamInbox();
		const missing = team.inbox('nobody');
		await missing.clear();
		expect(() => lstatSync(missing.path)).toThrow();
		await inbox.send({ from: 'a', text: 'x' });
		await inbox.clear();
		expect(readFileSync(inbox.path, 'utf8')).toBe('[]');
	});
});

describe('corrupt inboxes', () => {
	it('quarantines an unparseable file byte for byte, recovers complete entries, and keeps new sends', async () => {
		const { inbox } = await teamInbox();
		await inbox.send({ from: 'a', text: 'one' });
		await inbox.send({ from: 'a', text: 'two' });
		const full = readFileSync(inbox.path);
		const torn = Buffer.concat([full.subarray(0, full.length - 20), Buffer.from([0xe2, 0x9c])]);
		writeFileSync(inbox.path, torn);
		const events: QuarantineEvent[] = [];
		inbox.on('quarantine', (event) => events.push(event));
		await inbox.send({ from: 'a', text: 'three' });
		expect(events).toHaveLength(1);
		expect(events[0]!.recovered).toBe(1);
		expect(readFileSync(events[0]!.quarantinePath).equals(torn)).toBe(true);
		expect(statSync(events[0]!.quarantinePath).mode & 0o777).toBe(0o600);
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['one', 'three']);
	});

	it('quarantines a non-array file on read instead of treating it as empty', async () => {
		const { inbox } = await teamInbox();
		const lone = { from: 'x', text: 'lone', timestamp: '2026-01-01T00:00:00.000Z' };
		writeFileSync(inbox.path, JSON.stringify(lone));
		const events: QuarantineEvent[] = [];
		inbox.on('quarantine', (event) => events.push(event));
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['lone']);
		expect(events[0]!.reason).toContain('not an array');
		expect(JSON.parse(readFileSync(events[0]!.quarantinePath, 'utf8'))).toEqual(lone);
		expect(Array.isArray(JSON.parse(readFileSync(inbox.path, 'utf8')))).toBe(true);
	});
});

describe('paths and links', () => {
	it('refuses to read or write through a symlinked inbox file', async () => {
		const { inbox } = await teamInbox();
		const outside = path.join(tempDir(), 'secret.json');
		writeFileSync(outside, '[]');
		const { symlinkSync } = await import('node:fs');
		symlinkSync(outside, inbox.path);
		await expect(inbox.read()).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
		await expect(inbox.send({ from: 'a', text: 'x' })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
		expect(readFileSync(outside, 'utf8')).toBe('[]');
	});

	it('maps hostile inbox names inside the inboxes directory', async () => {
		const { team } = await teamInbox();
		for (const name of ['../escape', 'a/b', '..', '.hidden']) {
			const inbox = team.inbox(name);
			expect(path.dirname(inbox.path)).toBe(team.inboxDirectory);
			await inbox.send({ from: 'x', text: 'y' });
		}
		expect(
			readdirSync(team.inboxDirectory)
				.filter((n) => n.endsWith('.json'))
				.sort(),
		).toEqual(['---escape.json', '--.json', '-hidden.json', 'a-b.json']);
		expect(() => team.inbox('bad\u0007name')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
		expect(() => team.inbox('')).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
	});
});
