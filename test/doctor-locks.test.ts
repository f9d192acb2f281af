import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DoctorReport, diagnoseTeam, Team } from '../src/index.js';
import { forkFixture, nextMessage } from './helpers/fork.js';
import { fixtureRoot } from './helpers/temp.js';

const holderScript = 'test/fixtures/lock-holder.ts';
/** Short stale window (proper-lockfile's minimum) so a dead holder's lock turns stale quickly. */
const STALE_MS = 2_000;
const POLL_MS = 100;

const children: ChildProcess[] = [];

afterEach(() => {
	for (const child of children.splice(0))
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function lockedInbox(fixture = 'cc-2.1.330', file = 'alpha-team/inboxes/team-lead.json') {
	const root = fixtureRoot(fixture);
	const inbox = path.join(root, file);
	const lockPath = `${inbox}.lock`;
	const holder = forkFixture(holderScript, [inbox, String(STALE_MS)]);
	children.push(holder);
	await nextMessage(holder, 'locked');
	return { root, inbox, lockPath, holder };
}

const lockCodes = (report: DoctorReport, lockPath: string) =>
	report.problems.filter((problem) => problem.path === lockPath).map((problem) => problem.code);
const lockFixes = (report: DoctorReport) => report.fixes.filter((fix) => fix.code === 'REMOVED_STALE_LOCK');

/** Run `diagnoseTeam` every POLL_MS until `done` says so; fails past `deadlineMs`. */
async function diagnoseUntil(
	root: string,
	options: { fix: boolean },
	done: (report: DoctorReport) => boolean,
	deadlineMs: number,
): Promise<DoctorReport[]> {
	const reports: DoctorReport[] = [];
	const end = Date.now() + deadlineMs;
	for (;;) {
		const report = await diagnoseTeam('alpha-team', { root, staleMs: STALE_MS, ...options });
		reports.push(report);
		if (done(report)) return reports;
		if (Date.now() > end) throw new Error(`no matching diagnosis within ${deadlineMs} ms`);
		await new Promise((resolve) => setTimeout(resolve, POLL_MS));
	}
}

describe('doctor and inbox locks across processes', () => {
	it('reports a SIGKILLed holder’s lock as held until it is provably stale, then removes it with fix', async () => {
		const { root, lockPath, holder } = await lockedInbox();
		const alive = await diagnoseTeam('alpha-team', { root, staleMs: STALE_MS, fix: true });
		expect(lockCodes(alive, lockPath)).toEqual(['LOCK_HELD']);
		expect(lockFixes(alive)).toEqual([]);

		holder.kill('SIGKILL');
		await new Promise((resolve) => holder.once('exit', resolve));
		expect(statSync(lockPath).isDirectory()).toBe(true); // nobody cleaned up after it

		// Without fix the lock is only reported, however stale it gets.
		const reports = await diagnoseUntil(
			root,
			{ fix: false },
			(report) => lockCodes(report, lockPath).includes('STALE_LOCK'),
			5 * STALE_MS,
		);
		for (const report of reports) expect(report.fixes).toEqual([]);
		expect(existsSync(lockPath)).toBe(true);
		expect(reports.at(-1)?.problems.find((problem) => problem.path === lockPath)).toMatchObject({
			severity: 'warning',
			fixable: true,
		});

		const fixed = await diagnoseTeam('alpha-team', { root, staleMs: STALE_MS, fix: true });
		expect(lockCodes(fixed, lockPath)).toEqual(['STALE_LOCK']);
		expect(lockFixes(fixed)).toMatchObject([{ path: lockPath, applied: true, problem: 'STALE_LOCK' }]);
		expect(existsSync(lockPath)).toBe(false);
		expect(lockCodes(await diagnoseTeam('alpha-team', { root, staleMs: STALE_MS }), lockPath)).toEqual([]);
		// The inbox is untouched and usable at once.
		const inbox = (await Team.open('alpha-team', { root, staleMs: STALE_MS })).inbox('team-lead');
		await inbox.send({ from: 'tester', text: 'after the repair' }, { timeoutMs: 1_000 });
		expect((await inbox.read()).length).toBe(6);
	}, 30_000);

	it('never removes a live holder’s lock, even past the stale window', async () => {
		const { root, lockPath, holder } = await lockedInbox();
		const lockedAt = Date.now();
		// The holder checks its lock for 2.5 stale windows while the doctor keeps trying to repair.
		const checked = nextMessage(holder, 'checked', 20_000);
		holder.send({ kind: 'check', timeoutMs: 2.5 * STALE_MS });
		let finished = false;
		void checked.then(
			() => (finished = true),
			() => (finished = true),
		);
		const reports = await diagnoseUntil(root, { fix: true }, () => finished, 20_000);

		expect(await checked).toMatchObject({ compromised: false });
		expect(Date.now() - lockedAt).toBeGreaterThan(2 * STALE_MS);
		for (const report of reports) {
			expect(lockCodes(report, lockPath)).toEqual(['LOCK_HELD']);
			expect(lockFixes(report)).toEqual([]);
		}
		expect(existsSync(lockPath)).toBe(true);
		holder.send('release');
		expect(await nextMessage(holder, 'released')).toEqual({ kind: 'released' });
		expect(existsSync(lockPath)).toBe(false);
	}, 30_000);

	it('leaves a corrupt inbox whose lock is held alone after timeoutMs, and says why', async () => {
		const { root, inbox, holder } = await lockedInbox('corrupt', 'gamma/inboxes/truncated.json');
		const original = readFileSync(inbox);
		const report = await diagnoseTeam('gamma', { root, staleMs: STALE_MS, fix: true, timeoutMs: 300 });
		const repair = report.fixes.find((fix) => fix.path === inbox);
		expect(repair).toMatchObject({ code: 'QUARANTINED_CORRUPT', applied: false });
		expect(repair?.message).toContain('Could not lock');
		expect(report.remaining.find((problem) => problem.path === inbox)?.code).toBe('CORRUPT_INBOX');
		expect(report.ok).toBe(false);
		expect(readFileSync(inbox).equals(original)).toBe(true);
		holder.send('release');
		await nextMessage(holder, 'released');
		expect((await diagnoseTeam('gamma', { root, staleMs: STALE_MS, fix: true })).ok).toBe(true);
	}, 30_000);
});
