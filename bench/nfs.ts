/**
Section 15: teams across machines, on a real network file system. One directory served by a private OpenSSH server on
127.0.0.1 and mounted twice through sshfs with default caching (test/helpers/sshfs.ts); each mount stands for one
machine. Every process finds the network file system itself (statfs) and polls the inbox content.
- Round trip: a Leader on mount A, a Worker on mount B, at each polling interval (goal: p50 ≤ 1.5 × interval + 10 ms).
- Contention: 16 writer processes, 8 per mount, × 30 sends; the same 16 writers on a local directory for reference.
- An idle Leader on mount A polling its inbox holding 0 and 1,000 entries: CPU per minute (goal: flat, ≤ 1.5×).
Without sshfs (not Linux, not root, no /dev/fuse) the section says so and is skipped; under CI=true it fails instead.
*/

import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type Inbox, Team } from '../src/index.js';
import { nextMessage } from '../test/helpers/fork.js';
import { mountSshfsPair, type SshfsPair, sshfsUnavailable } from '../test/helpers/sshfs.js';
import { type BenchContext, stop } from './context.js';
import type { Goal, SectionResult } from './results.js';
import { fixed, median, percentile } from './stats.js';

const child = path.join(import.meta.dirname, 'nfs-child.ts');
const spawnChild = (args: string[]): ChildProcess =>
	fork(child, args, { execArgv: ['--import', 'tsx'], stdio: 'inherit', cwd: path.join(import.meta.dirname, '..') });

const cpuOf = async (process: ChildProcess): Promise<number> => {
	const reply = nextMessage(process, 'usage', 30_000);
	process.send('usage');
	return (await reply)['cpuMs'] as number;
};

async function roundTrips(
	pair: SshfsPair,
	mounts: [string, string],
	label: string,
	pollIntervalMs: number,
	count: number,
) {
	mkdirSync(path.join(pair.export, label), { mode: 0o700 });
	const rootA = path.join(mounts[0], label);
	await Team.create('bench', { root: rootA, members: [{ name: 'w' }] });
	const leader = spawnChild(['leader', rootA, 'bench', String(pollIntervalMs)]);
	const asker = spawnChild(['asker', path.join(mounts[1], label), 'bench', 'w', String(count), String(pollIntervalMs)]);
	try {
		await Promise.all([nextMessage(leader, 'ready', 60_000), nextMessage(asker, 'ready', 60_000)]);
		const done = nextMessage(asker, 'done', 600_000);
		asker.send('go');
		return (await done)['samples'] as number[];
	} finally {
		await Promise.all([stop(leader), stop(asker)]);
	}
}

async function writers(files: string[], perFile: number, sends: number) {
	const children = files.flatMap((file) =>
		Array.from({ length: perFile }, () => spawnChild(['writer', file, String(sends)])),
	);
	try {
		await Promise.all(children.map((process) => nextMessage(process, 'ready', 120_000)));
		const done = children.map((process) => nextMessage(process, 'done', 600_000));
		const started = performance.now();
		for (const process of children) process.send('go');
		const reports = await Promise.all(done);
		const elapsedMs = performance.now() - started;
		const sent = reports.flatMap((report) => report['sent'] as string[]);
		const failed = reports.flatMap((report) => report['failed'] as string[]);
		return { sent, failed, elapsedMs };
	} finally {
		await Promise.all(children.map(stop));
	}
}

function lost(file: string, sent: string[]): number {
	const present = new Set(
		(JSON.parse(readFileSync(file, 'utf8')) as { msg_id: string }[]).map((entry) => entry.msg_id),
	);
	return sent.filter((id) => !present.has(id)).length;
}

async function idleLeader(pair: SshfsPair, label: string, entries: number, windowMs: number, pollIntervalMs: number) {
	mkdirSync(path.join(pair.export, label), { mode: 0o700 });
	const root = path.join(pair.a, label);
	const team = await Team.create('bench', { root, members: [{ name: 'w' }] });
	const inbox: Inbox = team.inbox(await team.leaderName());
	for (let index = 0; index < entries; index += 100) {
		// Plain messages, not requests: the Leader reports them and leaves them in its inbox.
		await Promise.all(
			Array.from({ length: Math.min(100, entries - index) }, (_, n) =>
				inbox.send({ from: 'w', text: `note ${index + n}` }),
			),
		);
	}
	const leader = spawnChild(['leader', root, 'bench', String(pollIntervalMs)]);
	try {
		await nextMessage(leader, 'ready', 60_000);
		await new Promise((resolve) => setTimeout(resolve, 2_000)); // past start-up and the backlog
		const before = await cpuOf(leader);
		await new Promise((resolve) => setTimeout(resolve, windowMs));
		const used = (await cpuOf(leader)) - before;
		const left = (await inbox.read()).length;
		return { cpuPerMinuteMs: (used / windowMs) * 60_000, left };
	} finally {
		await stop(leader);
	}
}

export async function networkFileSystem(ctx: BenchContext): Promise<SectionResult> {
	const title = '15. Teams across machines (sshfs)';
	const unavailable = sshfsUnavailable();
	if (unavailable) {
		if (process.env.CI === 'true') ctx.fail(`network file system section: ${unavailable}`);
		const note = `Not measured: ${unavailable}.`;
		return { section: { title, intro: note, headers: [], rows: [], notes: [] }, goals: [] };
	}
	const pair = await mountSshfsPair();
	const goals: Goal[] = [];
	const rows: (string | number)[][] = [];
	const notes: string[] = [];
	try {
		const count = ctx.quick ? 20 : 200;
		// The same pair of machines with sshfs's own cache off (`-o cache=no`): what the mount option changes.
		const uncached: [string, string] = [await pair.mount('nc-a', ['cache=no']), await pair.mount('nc-b', ['cache=no'])];
		for (const [mounts, caching] of [
			[[pair.a, pair.b], 'default caching'],
			[uncached, 'cache=no'],
		] as const) {
			for (const pollIntervalMs of [100, 50]) {
				const label = `rt-${caching === 'cache=no' ? 'nc' : 'dc'}-${pollIntervalMs}`;
				const samples = await roundTrips(pair, [...mounts], label, pollIntervalMs, count);
				const p50 = median(samples);
				const limit = 1.5 * pollIntervalMs + 10;
				rows.push([
					`round trip, Worker on B → Leader on A, ${pollIntervalMs} ms polls, ${caching}`,
					samples.length,
					`p50 ${fixed(p50)} ms, p99 ${fixed(percentile(samples, 0.99))} ms`,
				]);
				goals.push({
					goal: `sshfs (${caching}) round trip p50 ≤ 1.5 × ${pollIntervalMs} ms + 10 ms = ${limit} ms`,
					measured: `${fixed(p50)} ms`,
					met: p50 <= limit,
				});
			}
		}

		const sends = 30;
		mkdirSync(path.join(pair.export, 'writers'), { mode: 0o700 });
		const remote = await writers(
			[path.join(pair.a, 'writers', 'lead.json'), path.join(pair.b, 'writers', 'lead.json')],
			8,
			sends,
		);
		const remoteLost = lost(path.join(pair.export, 'writers', 'lead.json'), remote.sent);
		const localFile = path.join(ctx.freshDir('nfs-local'), 'lead.json');
		const local = await writers([localFile, localFile], 8, sends);
		const localLost = lost(localFile, local.sent);
		const rate = (run: { sent: string[]; elapsedMs: number }) => (run.sent.length / run.elapsedMs) * 1000;
		rows.push([
			'16 writers (8 per mount) × 30 sends',
			remote.sent.length,
			`${fixed(rate(remote), 0)} sends/s, ${remoteLost} lost, ${remote.failed.length} rejected`,
		]);
		rows.push([
			'the same 16 writers on a local directory',
			local.sent.length,
			`${fixed(rate(local), 0)} sends/s, ${localLost} lost, ${local.failed.length} rejected (sshfs ÷ local ${fixed(rate(remote) / rate(local))})`,
		]);
		if (remoteLost + localLost > 0 || remote.failed.length + local.failed.length > 0)
			ctx.fail(
				`sshfs writers: ${remoteLost} lost, ${remote.failed.length} rejected (local: ${localLost}, ${local.failed.length})`,
			);
		goals.push({
			goal: '16 writers across two sshfs mounts: 0 lost',
			measured: `${remoteLost} lost`,
			met: remoteLost === 0,
		});

		const windowMs = ctx.quick ? 5_000 : 60_000;
		const idle = [];
		for (const entries of [0, 1_000]) {
			const run = await idleLeader(pair, `idle-${entries}`, entries, windowMs, 100);
			idle.push(run);
			rows.push([
				`idle Leader on A, 100 ms polls, ${entries} entries in its inbox`,
				run.left,
				`${fixed(run.cpuPerMinuteMs, 0)} ms CPU per minute`,
			]);
		}
		const [empty, full] = idle as unknown as [{ cpuPerMinuteMs: number }, { cpuPerMinuteMs: number }];
		const growth = full.cpuPerMinuteMs / empty.cpuPerMinuteMs;
		goals.push({
			goal: 'idle polling Leader CPU flat in inbox size (1,000 entries ÷ 0 ≤ 1.5)',
			measured: fixed(growth),
			met: growth <= 1.5,
		});
		notes.push(
			`Idle window ${windowMs / 1000} s; the second column is the number of requests, sends, or entries left.`,
		);
	} finally {
		await pair.unmount();
	}
	return {
		section: {
			title,
			intro: [
				'Two sshfs mounts (default caching) of one directory served by OpenSSH on 127.0.0.1, each standing for a machine.',
				'Each process detects the network file system and polls the inbox content (a fresh read of its last 8 KiB).',
			].join(' '),
			headers: ['run', 'count', 'result'],
			rows,
			notes,
		},
		goals,
	};
}
