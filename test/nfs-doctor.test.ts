/**
`doctor --fix` on mount B of two sshfs mounts (default caching: a stat may be 20 s old, mtimes are whole seconds),
its clock 5 minutes ahead of the lock holders on mount A. Both holders' locks look 5 minutes old to it; it watches
them for the stale window plus sshfs's attribute-cache time and removes only the one whose holder was SIGKILLed.
*/
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Team } from '../src/team/team.js';
import { forkFixture, nextMessage } from './helpers/fork.js';
import { mountSshfsPair, requireSshfs, type SshfsPair } from './helpers/sshfs.js';

const { skip } = requireSshfs();
const STALE_MS = 2_000;
const children: ChildProcess[] = [];

interface Report {
	problems: { code: string; path: string }[];
	fixes: { code: string; path: string; message: string; applied: boolean }[];
	elapsedMs: number;
}

describe.skipIf(skip)('doctor --fix across two sshfs mounts, clocks 5 minutes apart', () => {
	let pair: SshfsPair;
	beforeAll(async () => {
		pair = await mountSshfsPair();
	});
	afterAll(async () => {
		await pair?.unmount();
	});
	afterEach(() => {
		for (const child of children.splice(0))
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	});
	const fork = (script: string, args: string[]) => {
		const child = forkFixture(script, args);
		children.push(child);
		return child;
	};

	it('leaves the live holder’s lock and removes the dead one’s, after watching both', async () => {
		mkdirSync(path.join(pair.export, 'teams'), { mode: 0o700 });
		const rootA = path.join(pair.a, 'teams');
		const rootB = path.join(pair.b, 'teams');
		const team = await Team.create('alpha', { root: rootA, members: [{ name: 'ann' }, { name: 'bob' }] });
		const onA = (name: string) => path.join(team.inboxDirectory, `${name}.json`);
		const onServer = (name: string) => path.join(pair.export, 'teams', 'alpha', 'inboxes', `${name}.json.lock`);
		const liveHolder = fork('test/fixtures/lock-holder.ts', [onA('ann'), String(STALE_MS)]);
		const deadHolder = fork('test/fixtures/lock-holder.ts', [onA('bob'), String(STALE_MS)]);
		await Promise.all([nextMessage(liveHolder, 'locked', 30_000), nextMessage(deadHolder, 'locked', 30_000)]);
		deadHolder.kill('SIGKILL');

		const doctor = fork('test/fixtures/skewed-doctor.ts', [rootB, 'alpha', String(STALE_MS), String(5 * 60_000)]);
		const report = (await nextMessage(doctor, 'report', 90_000)) as unknown as Report;
		const lockOnB = (name: string) => path.join(rootB, 'alpha', 'inboxes', `${name}.json.lock`);
		const fixOf = (name: string) => report.fixes.filter((fix) => fix.path === lockOnB(name));
		expect(
			report.problems
				.filter((p) => p.code === 'STALE_LOCK')
				.map((p) => p.path)
				.sort(),
		).toEqual([lockOnB('ann'), lockOnB('bob')].sort());
		expect(fixOf('ann')).toMatchObject([{ code: 'REMOVED_STALE_LOCK', applied: false }]);
		expect(fixOf('ann')[0]?.message).toContain('its mtime changed while watched');
		expect(fixOf('bob')).toMatchObject([{ code: 'REMOVED_STALE_LOCK', applied: true }]);
		expect(existsSync(onServer('ann'))).toBe(true);
		expect(existsSync(onServer('bob'))).toBe(false);
		// Watched for the 2 s window plus sshfs's 21 s attribute-cache time before removing anything.
		expect(report.elapsedMs).toBeGreaterThanOrEqual(STALE_MS + 21_000);
		console.info(`doctor --fix across sshfs mounts took ${Math.round(report.elapsedMs)} ms`);

		const checked = nextMessage(liveHolder, 'checked', 10_000);
		liveHolder.send({ kind: 'check', timeoutMs: 100 });
		expect(await checked).toMatchObject({ compromised: false });
		liveHolder.send('release');
	}, 150_000);
});
