/**
`doctor --fix` judges a stale-looking lock by watching its mtime on its own clock, never by the mtime's age: a doctor
whose clock runs 5 minutes ahead sees every lock as 5 minutes old, yet leaves a live holder's lock (its mtime changes
while watched) and removes only the dead holder's one. Before, it removed both.
*/
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Team } from '../src/team/team.js';
import { forkFixture, nextMessage } from './helpers/fork.js';
import { tempDir } from './helpers/temp.js';

const STALE_MS = 2_000;
const children: ChildProcess[] = [];
afterEach(() => {
	for (const child of children.splice(0))
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function fork(script: string, args: string[]): ChildProcess {
	const child = forkFixture(script, args);
	children.push(child);
	return child;
}

interface Report {
	problems: { code: string; path: string; message: string }[];
	fixes: { code: string; path: string; message: string; applied: boolean }[];
	elapsedMs: number;
}

describe('doctor --fix and clock skew', () => {
	it('a doctor 5 minutes ahead removes the dead holder’s lock only, after watching both for the window', async () => {
		const root = tempDir();
		const team = await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
		const live = path.join(team.inboxDirectory, 'ann.json');
		const dead = path.join(team.inboxDirectory, 'bob.json');
		const liveHolder = fork('test/fixtures/lock-holder.ts', [live, String(STALE_MS)]);
		const deadHolder = fork('test/fixtures/lock-holder.ts', [dead, String(STALE_MS)]);
		await Promise.all([nextMessage(liveHolder, 'locked'), nextMessage(deadHolder, 'locked')]);
		deadHolder.kill('SIGKILL');

		const doctor = fork('test/fixtures/skewed-doctor.ts', [root, 'alpha', String(STALE_MS), String(5 * 60_000)]);
		const report = (await nextMessage(doctor, 'report', 30_000)) as unknown as Report;
		const about = (file: string) => report.fixes.filter((fix) => fix.path === `${file}.lock`);
		// Both look 5 minutes old to this clock, so both are candidates…
		expect(
			report.problems
				.filter((problem) => problem.code === 'STALE_LOCK')
				.map((p) => p.path)
				.sort(),
		).toEqual([`${live}.lock`, `${dead}.lock`].sort());
		// …but only the one whose mtime stayed put while watched goes.
		expect(about(live)).toMatchObject([{ code: 'REMOVED_STALE_LOCK', applied: false }]);
		expect(about(live)[0]?.message).toContain('its mtime changed while watched');
		expect(about(dead)).toMatchObject([{ code: 'REMOVED_STALE_LOCK', applied: true }]);
		expect(existsSync(`${live}.lock`)).toBe(true);
		expect(existsSync(`${dead}.lock`)).toBe(false);
		expect(report.elapsedMs).toBeGreaterThanOrEqual(STALE_MS);

		const checked = nextMessage(liveHolder, 'checked', 10_000);
		liveHolder.send({ kind: 'check', timeoutMs: 100 });
		expect(await checked).toMatchObject({ compromised: false });
		liveHolder.send('release');
	}, 60_000);
});
