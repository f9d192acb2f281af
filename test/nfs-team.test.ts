/**
A team across two sshfs mounts of one directory (default caching), each mount standing for one machine: Workers on
mount B ask; a Leader on mount A answers until it is SIGKILLed, then one on mount B, then one on A again. Every request
is answered exactly once, and every answer is audited once. The processes find the file system to be a network one by
themselves (statfs), so they poll and judge locks by observation with no option set.
*/
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { Leader } from '../src/leader/leader.js';
import { Policy } from '../src/policy/policy.js';
import { Team } from '../src/team/team.js';
import { exited } from './helpers/fault-fixtures.js';
import { type FixtureMessage, forkTracked, killTracked, nextMessage } from './helpers/fork.js';
import { mountSshfsPair, requireSshfs, type SshfsPair } from './helpers/sshfs.js';

const { skip } = requireSshfs();
const workerScript = 'test/fixtures/permission-worker.ts';
const leaderScript = 'test/fixtures/policy-leader.ts';

function outcomesOf(child: ChildProcess): Map<string, number> {
	const outcomes = new Map<string, number>();
	child.on('message', (message: FixtureMessage) => {
		if (message.kind !== 'outcome') return;
		const id = message['requestId'] as string;
		outcomes.set(id, (outcomes.get(id) ?? 0) + 1);
	});
	return outcomes;
}

async function until(condition: () => boolean, what: string, deadlineMs: number): Promise<void> {
	const end = Date.now() + deadlineMs;
	while (!condition()) {
		if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

describe.skipIf(skip)('a team across two sshfs mounts', () => {
	let pair: SshfsPair;
	beforeAll(async () => {
		pair = await mountSshfsPair();
	});
	afterAll(async () => {
		await pair?.unmount();
	});
	afterEach(killTracked);

	it('answers every request exactly once with the Leader killed on A, restarted on B, killed, restarted on A', async () => {
		mkdirSync(path.join(pair.export, 'teams'), { mode: 0o700 });
		const rootA = path.join(pair.a, 'teams');
		const rootB = path.join(pair.b, 'teams');
		const team = await Team.create('alpha', {
			root: rootA,
			staleMs: 2_000,
			members: [{ name: 'ann' }, { name: 'bob' }],
		});
		const perWorker = 12;
		const workers = ['ann', 'bob'].map((name) =>
			forkTracked(workerScript, [rootB, 'alpha', name, String(perWorker), 'one-by-one']),
		);
		const outcomes = workers.map(outcomesOf);
		const settled = () => outcomes.reduce((sum, map) => sum + map.size, 0);
		await Promise.all(workers.map((child) => nextMessage(child, 'ready', 60_000)));
		for (const child of workers) child.send('go');

		for (const [round, root] of [rootA, rootB].entries()) {
			const leader = forkTracked(leaderScript, [root, 'alpha']);
			let decided = 0;
			const killed = exited(leader);
			leader.on('message', (message: FixtureMessage) => {
				if (message.kind === 'decided' && ++decided === 3 + round) leader.kill('SIGKILL');
			});
			await Promise.race([
				killed,
				new Promise((_, reject) => setTimeout(() => reject(new Error(`leader ${round} never decided`)), 90_000)),
			]);
		}
		expect(settled()).toBeLessThan(2 * perWorker);
		const last = new Leader(team, { policy: await Policy.forTeam(team, { rules: { allow: ['Bash'] } }) });
		await last.start();
		try {
			await until(() => settled() === 2 * perWorker, 'every outcome', 90_000);
			const reports = await Promise.all(
				workers.map(async (child) => {
					const done = nextMessage(child, 'done', 30_000);
					child.send('finish');
					return (await done)['rejected'] as { requestId?: string; reason: string }[];
				}),
			);
			for (const map of outcomes) for (const times of map.values()) expect(times).toBe(1);
			await last.flushed();
			const known = new Set(outcomes.flatMap((map) => [...map.keys()]));
			for (const rejection of reports.flat()) {
				expect(rejection.reason).toBe('late');
				expect(known.has(rejection.requestId as string)).toBe(true);
			}
			const lines = await new AuditLog(auditLogPath(team.directory)).read();
			expect(lines.map((line) => line.requestId).sort()).toEqual([...known].sort());
		} finally {
			await last.close();
		}
	}, 300_000);
});
