/**
The inbox on a real network file system: two sshfs mounts of one directory (default sshfs caching), each standing for
one machine. Writers on both mounts, a watcher on one and a sender on the other, a longer file renamed into place on
one and read through the other. Every client here has its own caches, so what one mount wrote reaches the other only
the way it would reach another machine.
*/
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileSystemOf } from '../src/fs/fs-type.js';
import { diagnoseTeam, formatDoctorReport, Inbox, Team } from '../src/index.js';
import { type FixtureMessage, forkTracked, killTracked } from './helpers/fork.js';
import { mountSshfsPair, requireSshfs, type SshfsPair } from './helpers/sshfs.js';
import { tempDir } from './helpers/temp.js';

const { skip } = requireSshfs();

describe.skipIf(skip)('inbox across two sshfs mounts', () => {
	let pair: SshfsPair;
	let dirA: string;
	let dirB: string;
	beforeAll(async () => {
		pair = await mountSshfsPair();
	});
	afterAll(async () => {
		await pair?.unmount();
	});
	afterEach(killTracked);
	let round = 0;
	const fresh = () => {
		const name = `t${round++}`;
		mkdirSync(path.join(pair.export, name), { mode: 0o700 });
		dirA = path.join(pair.a, name);
		dirB = path.join(pair.b, name);
		return name;
	};

	it('detects the mount as a network file system, and a local directory as not', async () => {
		fresh();
		expect(await fileSystemOf(dirA)).toMatchObject({ type: 'fuse.sshfs', network: true });
		expect((await fileSystemOf(dirA)).attributeCacheMs).toBeGreaterThan(0);
		expect(await fileSystemOf(tempDir())).toMatchObject({ network: false, attributeCacheMs: 0 });
	});

	it('doctor prints the file system type and the mode chosen for it', async () => {
		fresh();
		await Team.create('alpha', { root: dirA, members: [{ name: 'ann' }] });
		const report = await diagnoseTeam('alpha', { root: dirB });
		expect(report.fileSystem).toEqual({
			type: 'fuse.sshfs',
			network: true,
			watch: 'polling',
			lockStaleAfterMs: 10_000 + 21_000,
			lockJudging: 'observed',
		});
		expect(formatDoctorReport(report)).toContain(
			'File system: fuse.sshfs (network); watchers use polling of the inbox content; a lock is stale after 31000 ms of unchanged mtime as seen from here',
		);
	});

	it('a watcher on mount A sees sends from mount B by polling, without any rescan', async () => {
		fresh();
		const reader = new Inbox(path.join(dirA, 'lead.json'));
		const writer = new Inbox(path.join(dirB, 'lead.json'));
		await writer.send({ from: 'w', text: 'backlog' });
		const watcher = reader.watch({ rescanIntervalMs: 0, pollIntervalMs: 50 });
		await watcher.ready();
		expect((await watcher.next()).value?.text).toBe('backlog');
		for (let index = 0; index < 5; index++) {
			const sent = Date.now();
			await writer.send({ from: 'w', text: `m${index}` });
			const { value } = await watcher.next();
			expect(value?.text).toBe(`m${index}`);
			// The client caches attributes for 20 s: a stat-based poll would still be waiting.
			expect(Date.now() - sent).toBeLessThan(3_000);
			await reader.ack([value as never]);
		}
		// How it watches, and why (checked last: the watcher before this mode had no such report).
		expect(watcher.mode).toEqual({
			polling: true,
			pollIntervalMs: 50,
			fileSystem: 'fuse.sshfs',
			network: true,
			reason: 'file system',
		});
		await watcher.close();
	});

	it('a longer file renamed into place on A is read whole through B: retried, never quarantined', async () => {
		fresh();
		const fileA = path.join(dirA, 'lead.json');
		const reader = new Inbox(path.join(dirB, 'lead.json'));
		const quarantined: unknown[] = [];
		reader.on('quarantine', (event) => quarantined.push(event));
		const entries: unknown[] = [];
		for (let index = 0; index < 12; index++) {
			entries.push({
				from: 'w',
				text: `entry ${index} ${'x'.repeat(index * 40)}`,
				timestamp: new Date().toISOString(),
			});
			writeFileSync(`${fileA}.tmp`, JSON.stringify(entries, null, 2));
			renameSync(`${fileA}.tmp`, fileA);
			// Each read through B follows a rename of a longer file on A: a cached read is cut at the old size.
			expect((await reader.read()).length).toBe(index + 1);
		}
		expect(quarantined).toEqual([]);
	});

	it('writers on both mounts, one on each SIGKILLed mid-send: every resolved send is in the inbox once, the file always parses', async () => {
		const name = fresh();
		const files = [path.join(dirA, 'lead.json'), path.join(dirB, 'lead.json')];
		const exported = path.join(pair.export, name, 'lead.json');
		const problems: string[] = [];
		let checking = true;
		const checker = (async () => {
			const readers = files.map((file) => new Inbox(file));
			for (const reader of readers) reader.on('quarantine', (event) => problems.push(`quarantined ${event.reason}`));
			while (checking) {
				for (const reader of readers) await reader.inspect().catch((error) => problems.push(String(error)));
				try {
					JSON.parse(readFileSync(exported, 'utf8') || '[]');
				} catch (error) {
					if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`server copy: ${error}`);
				}
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		})();
		// Every writer with a 2 s stale window (a SIGKILLed holder's lock is taken over 2 s + the 21 s attribute cache
		// after it is seen unchanged) and 60 s to send. Two more are SIGKILLed once 10 of their sends resolved.
		const writers: { sent: string[]; failed: string[]; done: Promise<unknown> }[] = [];
		const spawnWriter = (file: string, id: string, count: number, killAfter?: number) => {
			const child = forkTracked('test/fixtures/writer.ts', [file, id, String(count), '60000', '2000']);
			const writer = { sent: [] as string[], failed: [] as string[], done: new Promise((r) => child.once('exit', r)) };
			child.on('message', (message: FixtureMessage) => {
				if (message.kind === 'ready') child.send('go');
				if (message.kind === 'failed') writer.failed.push(`${message['text']}: ${message['code']}`);
				if (message.kind !== 'sent') return;
				writer.sent.push(message['id'] as string);
				if (writer.sent.length === killAfter) child.kill('SIGKILL');
			});
			writers.push(writer);
		};
		for (const [mount, file] of files.entries()) {
			for (let index = 0; index < 4; index++) spawnWriter(file, `${mount}.${index}`, 25);
			spawnWriter(file, `${mount}.killed`, 1000, 10);
		}
		await Promise.all(writers.map((writer) => writer.done));
		checking = false;
		await checker;
		expect(writers.flatMap((writer) => writer.failed)).toEqual([]);
		const resolved = writers.flatMap((writer) => writer.sent);
		expect(resolved).toHaveLength(2 * 4 * 25 + 2 * 10);
		const ids = (JSON.parse(readFileSync(exported, 'utf8')) as { msg_id: string }[]).map((entry) => entry.msg_id);
		expect(new Set(ids).size).toBe(ids.length);
		const present = new Set(ids);
		expect(resolved.filter((id) => !present.has(id))).toEqual([]);
		// A killed writer's last send may have landed unanswered: nothing else is there.
		expect(ids.length - resolved.length).toBeLessThanOrEqual(2);
		expect(problems).toEqual([]);
	}, 180_000);
});
