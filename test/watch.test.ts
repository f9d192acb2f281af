import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InboxEntry, InboxWatcher } from '../src/index.js';
import { Team } from '../src/index.js';
import { tempDir } from './helpers/temp.js';

async function take(watcher: InboxWatcher, count: number, timeoutMs = 5_000): Promise<InboxEntry[]> {
	const taken: InboxEntry[] = [];
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`only ${taken.length} of ${count} arrived`)), timeoutMs);
	});
	deadline.catch(() => {});
	while (taken.length < count) {
		const next = await Promise.race([watcher.next(), deadline]);
		if (next.done) break;
		taken.push(next.value);
	}
	clearTimeout(timer);
	return taken;
}

describe('Inbox.watch', () => {
	for (const polling of [false, true]) {
		it(`yields the backlog, then each new entry exactly once (${polling ? 'polling' : 'notifications'})`, async () => {
			const team = await Team.create('alpha', { root: tempDir() });
			const inbox = team.inbox('team-lead');
			await inbox.send({ from: 'a', text: 'backlog' });
			const watcher = inbox.watch({ polling, pollIntervalMs: 20, rescanIntervalMs: 0 });
			expect((await take(watcher, 1)).map((entry) => entry.text)).toEqual(['backlog']);
			for (let index = 0; index < 30; index++) await inbox.send({ from: 'a', text: `m${index}` });
			const texts = (await take(watcher, 30)).map((entry) => entry.text);
			expect(texts).toEqual(Array.from({ length: 30 }, (_, index) => `m${index}`));
			// Acks rewrite the file; nothing is yielded twice because of it.
			await inbox.ack(await inbox.read());
			await inbox.send({ from: 'a', text: 'after ack' });
			expect((await take(watcher, 1))[0]?.text).toBe('after ack');
			await watcher.close();
			expect((await watcher.next()).done).toBe(true);
		});
	}

	it('gives every watcher its own copy and skips entries older clients marked read', async () => {
		const team = await Team.create('alpha', { root: tempDir() });
		const inbox = team.inbox('w');
		const stamp = '2026-01-01T00:00:00.000Z';
		writeFileSync(inbox.path, JSON.stringify([{ from: 'x', text: 'old', timestamp: stamp, read: true }]));
		const first = inbox.watch({ rescanIntervalMs: 0 });
		const second = inbox.watch({ rescanIntervalMs: 0 });
		await Promise.all([first.ready(), second.ready()]);
		await inbox.send({ from: 'a', text: 'fresh' });
		expect((await take(first, 1))[0]?.text).toBe('fresh');
		expect((await take(second, 1))[0]?.text).toBe('fresh');
		await Promise.all([first.close(), second.close()]);
	});

	it('ends iteration when its signal aborts', async () => {
		const team = await Team.create('alpha', { root: tempDir() });
		const controller = new AbortController();
		const watcher = team.inbox('w').watch({ signal: controller.signal });
		await watcher.ready();
		const pending = watcher.next();
		controller.abort();
		expect((await pending).done).toBe(true);
	});

	it('works with for await and Symbol.asyncDispose', async () => {
		const team = await Team.create('alpha', { root: tempDir() });
		const inbox = team.inbox('w');
		const watcher = inbox.watch();
		await inbox.send({ from: 'a', text: 'one' });
		for await (const entry of watcher) {
			expect(entry.text).toBe('one');
			break; // return() closes the watcher
		}
		expect((await watcher.next()).done).toBe(true);
		await watcher[Symbol.asyncDispose]();
	});

	it('fails with UNSAFE_PATH instead of following a symlinked inbox', async () => {
		const team = await Team.create('alpha', { root: tempDir() });
		const inbox = team.inbox('w');
		const outside = path.join(tempDir(), 'elsewhere.json');
		writeFileSync(outside, JSON.stringify([{ from: 'x', text: 'secret', timestamp: '2026-01-01T00:00:00.000Z' }]));
		symlinkSync(outside, inbox.path);
		const watcher = inbox.watch({ rescanIntervalMs: 0 });
		await expect(watcher.next()).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
		await watcher.close();
	});
});
