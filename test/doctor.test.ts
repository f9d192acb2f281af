import {
	chmodSync,
	existsSync,
	lstatSync,
	mkdirSync,
	readdirSync,
	readFileSync,
	renameSync,
	rmSync,
	symlinkSync,
	utimesSync,
	writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isValidEntry } from '../src/inbox/entry.js';
import { Spool } from '../src/inbox/spool.js';
import {
	type DoctorProblemCode,
	type DoctorReport,
	diagnoseTeam,
	formatDoctorReport,
	type InboxEntry,
	Team,
} from '../src/index.js';
import { entryKey } from '../src/protocol.js';
import { type Expectation, expected, teamOf } from './helpers/fixture-expectations.js';
import { fixtureRoot, tempDir } from './helpers/temp.js';

/** The exact problem codes each fixture shows, as Claude Code leaves it (0644 files, 0755 directories). */
const codesOf: Record<string, DoctorProblemCode[]> = {
	'cc-2.1.330': ['BAD_MODE'],
	'cc-older': ['BAD_MODE', 'MISSING_INBOX'],
	'mixed-case': ['BAD_MODE', 'SPLIT_DIRECTORIES'],
	corrupt: ['BAD_MODE', 'CORRUPT_INBOX', 'INVALID_ENTRIES', 'MISSING_INBOX', 'ORPHAN_INBOX'],
	hostile: ['BAD_MODE', 'DUPLICATE_INBOX', 'MEMBER_NAME_UNSAFE', 'MISSING_INBOX', 'ORPHAN_INBOX'],
};
/** Problems no repair can settle (they need a human); none of them is an error in the fixtures. */
const unfixable = new Set([
	'ORPHAN_INBOX',
	'MISSING_INBOX',
	'MEMBER_NAME_UNSAFE',
	'DUPLICATE_INBOX',
	'SPLIT_DIRECTORIES',
]);
const OLD = (Date.now() - 60_000) / 1000;

function walk(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const entry = path.join(dir, name);
		return lstatSync(entry).isDirectory() ? [entry, ...walk(entry)] : [entry];
	});
}

function setModes(root: string, dirMode: number, fileMode: number): void {
	for (const entry of walk(root)) chmodSync(entry, lstatSync(entry).isDirectory() ? dirMode : fileMode);
}

/** A fixture copy with the modes a umask of 022 gives (git checkouts vary). */
function claudeCodeCopy(fixture: string): string {
	const root = fixtureRoot(fixture);
	setModes(root, 0o755, 0o644);
	return root;
}

const codes = (problems: DoctorReport['problems']) => [...new Set(problems.map((problem) => problem.code))].sort();
const pathsWith = (report: DoctorReport, code: DoctorProblemCode) =>
	report.problems.filter((problem) => problem.code === code).map((problem) => problem.path);
const validKeys = (items: unknown[]) =>
	items.filter((item) => isValidEntry(item)).map((e) => entryKey(e as InboxEntry));
const inboxFilesOf = (fixture: string) => Object.keys(expected).filter((key) => key.startsWith(`${fixture}/`));

describe('diagnoseTeam on the fixtures', () => {
	it.each(Object.keys(teamOf))('%s: finds exactly its problems, each with a path and a message', async (fixture) => {
		const root = claudeCodeCopy(fixture);
		const state = () =>
			walk(root).map((entry) => [entry, lstatSync(entry).mode, lstatSync(entry).size, lstatSync(entry).mtimeMs]);
		const before = state();
		const report = await diagnoseTeam(teamOf[fixture] as string, { root });

		expect(codes(report.problems)).toEqual(codesOf[fixture]);
		expect(report.remaining).toEqual(report.problems);
		expect(report.fixes).toEqual([]);
		for (const problem of report.problems) {
			expect(path.isAbsolute(problem.path)).toBe(true);
			expect(problem.message).toContain(problem.path);
		}
		expect(report.ok).toBe(fixture !== 'corrupt');
		expect(JSON.parse(JSON.stringify(report))).toEqual(report);
		// Every inbox the fixture marks corrupt, and only those, is reported corrupt; likewise for invalid entries.
		const inboxes = inboxFilesOf(fixture);
		const at = (key: string) => path.join(root, key.slice(fixture.length + 1));
		const corrupt = inboxes.filter((key) => expected[key]?.corrupt).map(at);
		const invalid = inboxes.filter((key) => !expected[key]?.corrupt && expected[key]?.invalidEntries).map(at);
		expect(pathsWith(report, 'CORRUPT_INBOX').sort()).toEqual(corrupt.sort());
		expect(pathsWith(report, 'INVALID_ENTRIES').sort()).toEqual(invalid.sort());
		// Diagnosis alone writes nothing.
		expect(state()).toEqual(before);
	});

	it('names the hostile roster entries and the inboxes nobody reads', async () => {
		const root = claudeCodeCopy('hostile');
		const report = await diagnoseTeam('delta', { root });
		const unsafe = report.problems.filter((problem) => problem.code === 'MEMBER_NAME_UNSAFE');
		expect(unsafe.map((problem) => problem.message).join('\n')).toMatch(
			/"\.\.\/escape"[\s\S]*"a\/b"[\s\S]*bad\\u0007name[\s\S]*"main"/,
		);
		expect(pathsWith(report, 'ORPHAN_INBOX').map((file) => path.basename(file))).toEqual([
			'deep.json',
			'huge-entry.json',
			'proto.json',
		]);
		// Sanitised like Claude Code: no member's inbox leaves the inbox directory.
		for (const file of pathsWith(report, 'MISSING_INBOX'))
			expect(path.dirname(file)).toBe(path.join(root, 'delta/inboxes'));
		expect(report.problems.find((problem) => problem.code === 'DUPLICATE_INBOX')?.message).toContain(
			'"team-lead", "team-lead"',
		);
		expect(Object.prototype).not.toHaveProperty('polluted');
	});
});

describe('diagnoseTeam with fix', () => {
	it.each(Object.keys(teamOf))(
		'%s: repairs what is safe, keeps every valid entry and the original bytes',
		async (fixture) => {
			const root = claudeCodeCopy(fixture);
			const inboxes = inboxFilesOf(fixture).map((key) => ({
				key,
				file: path.join(root, key.slice(fixture.length + 1)),
			}));
			const originals = new Map(inboxes.map(({ file }) => [file, readFileSync(file)]));
			const report = await diagnoseTeam(teamOf[fixture] as string, { root, fix: true });

			expect(report.ok).toBe(true);
			expect(report.fixes.every((fix) => fix.applied)).toBe(true);
			expect(report.remaining.filter((problem) => problem.fixable)).toEqual([]);
			const second = await diagnoseTeam(teamOf[fixture] as string, { root });
			expect(second.ok).toBe(true);
			expect(second.problems).toEqual(report.remaining);
			expect(codes(second.problems).filter((code) => !unfixable.has(code))).toEqual(
				report.fixes.some((fix) => fix.quarantinePath) ? ['QUARANTINED_COPY'] : [],
			);

			// Quarantined copies are the exact original bytes of every inbox that was rewritten, and only those.
			const rewritten = inboxes.filter(({ key }) => expected[key]?.corrupt || expected[key]?.invalidEntries);
			const copies = report.fixes.filter((fix) => fix.quarantinePath);
			expect(copies.map((fix) => fix.path).sort()).toEqual(rewritten.map(({ file }) => file).sort());
			for (const fix of copies)
				expect(readFileSync(fix.quarantinePath as string).equals(originals.get(fix.path) as Buffer)).toBe(true);
			// Every valid entry is still there; untouched inboxes keep their bytes.
			for (const { key, file } of inboxes) {
				const expectation = expected[key] as Expectation;
				const after = JSON.parse(readFileSync(file, 'utf8') || '[]') as unknown[];
				expect(after.every((item) => isValidEntry(item))).toBe(true);
				if (expectation.corrupt) expect(after.length).toBe(expectation.recoverable);
				else {
					const text = (originals.get(file) as Buffer).toString('utf8');
					expect(validKeys(after)).toEqual(validKeys(JSON.parse(text || '[]')));
					if (!expectation.invalidEntries) expect(readFileSync(file).equals(originals.get(file) as Buffer)).toBe(true);
				}
			}
			// Modes are private now, and a second repair has nothing to do.
			for (const entry of walk(root)) expect(lstatSync(entry).mode & 0o077).toBe(0);
			expect((await diagnoseTeam(teamOf[fixture] as string, { root, fix: true })).fixes).toEqual([]);
			expect(Object.prototype).not.toHaveProperty('polluted');
		},
	);
});

describe('leftovers, locks and modes', () => {
	async function omega() {
		const root = tempDir();
		const team = await Team.create('omega', { root, members: [{ name: 'worker' }] });
		const worker = team.inbox('worker');
		await worker.send({ from: 'team-lead', text: 'first' });
		return { root, team, worker, inboxes: team.inboxDirectory };
	}

	it('a fresh team of ours has nothing to report but inboxes not written yet', async () => {
		const { root } = await omega();
		const report = await diagnoseTeam('omega', { root });
		expect(report.problems.map((problem) => [problem.code, path.basename(problem.path)])).toEqual([
			['MISSING_INBOX', 'team-lead.json'],
		]);
		expect(report.ok).toBe(true);
	});

	it('removes old temp files, stale locks and abandoned spool batches; tightens modes; leaves the rest', async () => {
		const { root, team, worker, inboxes } = await omega();
		const oldTemp = path.join(inboxes, 'worker.json.tmp.0badc0de');
		const freshTemp = path.join(inboxes, 'worker.json.tmp.12345678');
		writeFileSync(oldTemp, '[{"half":', { mode: 0o600 });
		utimesSync(oldTemp, OLD, OLD);
		writeFileSync(freshTemp, '[]', { mode: 0o600 });
		// Dated a minute ahead: still young after the fix has watched the stale locks for the window.
		const ahead = new Date(Date.now() + 60_000);
		utimesSync(freshTemp, ahead, ahead);
		const configLock = `${team.configPath}.lock`;
		const rulesLock = path.join(team.directory, 'swarm-mailbox/rules.json.lock');
		mkdirSync(configLock);
		mkdirSync(rulesLock, { recursive: true, mode: 0o700 });
		for (const lock of [configLock, rulesLock]) utimesSync(lock, OLD, OLD);
		// A sender that crashed after leaving its batch, and one whose refusal nobody collected.
		const spool = new Spool(worker.path, 0o600, 0o700);
		const batch = await spool.deposit([{ from: 'ghost', text: 'spooled', timestamp: new Date().toISOString() }]);
		const refused = await spool.deposit([{ from: 'ghost', text: 'refused', timestamp: new Date().toISOString() }]);
		renameSync(path.join(spool.directory, `${refused}.json`), path.join(spool.directory, `${refused}.full`));
		for (const id of [`${batch}.json`, `${refused}.full`]) utimesSync(path.join(spool.directory, id), OLD, OLD);
		// Not a problem: senders of ours say there that one of them met a Claude Code writer holding the lock.
		const marker = path.join(spool.directory, 'claude-code-writer-seen');
		writeFileSync(marker, '', { mode: 0o600 });
		utimesSync(marker, OLD, OLD);
		writeFileSync(`${worker.path}.corrupt-earlier-0000`, 'kept bytes', { mode: 0o600 });
		writeFileSync(path.join(inboxes, 'notes.txt'), 'mine', { mode: 0o600 });
		chmodSync(worker.path, 0o666);
		chmodSync(inboxes, 0o757);

		const report = await diagnoseTeam('omega', { root, fix: true, staleMs: 2_000 });
		expect(codes(report.problems)).toEqual([
			'BAD_MODE',
			'LEFTOVER_TEMP',
			'MISSING_INBOX',
			'QUARANTINED_COPY',
			'SPOOL_PENDING',
			'SPOOL_REFUSED',
			'STALE_LOCK',
			'UNKNOWN_FILE',
		]);
		expect(pathsWith(report, 'UNKNOWN_FILE')).toEqual([path.join(inboxes, 'notes.txt')]);
		expect(report.problems.filter((problem) => problem.code === 'BAD_MODE').map((problem) => problem.severity)).toEqual(
			['error', 'error'],
		);
		expect(report.fixes.map((fix) => [fix.code, fix.applied])).toEqual([
			['REMOVED_STALE_LOCK', true],
			['REMOVED_STALE_LOCK', true],
			['COMMITTED_SPOOL', true],
			['REMOVED_TEMP', true],
			['TIGHTENED_MODE', true], // the directory; committing the spool already rewrote the inbox as 0600
		]);
		expect(existsSync(oldTemp)).toBe(false);
		expect(existsSync(freshTemp)).toBe(true); // a write that may still be in flight
		expect(existsSync(configLock) || existsSync(rulesLock)).toBe(false);
		expect((await worker.read()).map((entry) => entry.text)).toEqual(['first', 'spooled']);
		expect(readdirSync(spool.directory).sort()).toEqual([`${refused}.full`, 'claude-code-writer-seen'].sort());
		expect(lstatSync(worker.path).mode & 0o777).toBe(0o600);
		expect(lstatSync(inboxes).mode & 0o777).toBe(0o700);
		expect(codes(report.remaining)).toEqual(['MISSING_INBOX', 'QUARANTINED_COPY', 'SPOOL_REFUSED', 'UNKNOWN_FILE']);
		expect(report.ok).toBe(true);
		expect(formatDoctorReport(report)).toMatch(
			/REMOVED_STALE_LOCK[\s\S]*Still to do:[\s\S]*SPOOL_REFUSED[\s\S]*\nOK: /,
		);
	});

	it('reports symbolic links as errors and never follows, changes or removes them', async () => {
		const { root, inboxes } = await omega();
		const outside = tempDir();
		const secret = path.join(outside, 'secret.json');
		writeFileSync(secret, 'not an inbox', { mode: 0o644 });
		chmodSync(secret, 0o644);
		symlinkSync(secret, path.join(inboxes, 'evil.json'));
		symlinkSync(outside, path.join(inboxes, 'worker.json.lock'));
		const report = await diagnoseTeam('omega', { root, fix: true });
		expect(pathsWith(report, 'SYMLINK').map((file) => path.basename(file))).toEqual(['evil.json', 'worker.json.lock']);
		expect(report.problems.filter((problem) => problem.code === 'SYMLINK').every((p) => p.severity === 'error')).toBe(
			true,
		);
		expect(report.ok).toBe(false);
		expect(readFileSync(secret, 'utf8')).toBe('not an inbox');
		expect(lstatSync(secret).mode & 0o777).toBe(0o644);
		expect(lstatSync(path.join(inboxes, 'evil.json')).isSymbolicLink()).toBe(true);
		expect(lstatSync(path.join(inboxes, 'worker.json.lock')).isSymbolicLink()).toBe(true);

		// A linked inbox directory is not entered at all.
		const other = await Team.create('linked', { root });
		const real = tempDir();
		writeFileSync(path.join(real, 'team-lead.json'), '{broken', { mode: 0o666 });
		chmodSync(path.join(real, 'team-lead.json'), 0o666);
		rmSync(other.inboxDirectory, { recursive: true });
		symlinkSync(real, other.inboxDirectory);
		const linked = await diagnoseTeam('linked', { root, fix: true });
		expect(linked.problems.map((problem) => problem.code)).toEqual(['SYMLINK']);
		expect(readFileSync(path.join(real, 'team-lead.json'), 'utf8')).toBe('{broken');
		expect(lstatSync(path.join(real, 'team-lead.json')).mode & 0o777).toBe(0o666);
	});
});

describe('config and directory mismatches', () => {
	it('finds inboxes written under the config directory’s name, and a config beside the inboxes', async () => {
		const root = fixtureRoot('mixed-case');
		const stray = path.join(root, 'my-team-1/inboxes');
		mkdirSync(stray);
		renameSync(path.join(root, 'My-Team_1/inboxes/team-lead.json'), path.join(stray, 'team-lead.json'));
		const strayBytes = readFileSync(path.join(stray, 'team-lead.json'));
		writeFileSync(path.join(root, 'My-Team_1/config.json'), readFileSync(path.join(root, 'my-team-1/config.json')));
		setModes(root, 0o700, 0o600);

		const report = await diagnoseTeam('My Team_1', { root, fix: true });
		expect(codes(report.problems)).toEqual(['MISSING_INBOX', 'SPLIT_DIRECTORIES', 'STRAY_CONFIG', 'STRAY_INBOX_DIR']);
		expect(report.problems.find((problem) => problem.code === 'STRAY_INBOX_DIR')).toMatchObject({
			severity: 'error',
			path: stray,
			fixable: false,
		});
		const missing = report.problems.find((problem) => problem.code === 'MISSING_INBOX');
		expect(missing?.path).toBe(path.join(root, 'My-Team_1/inboxes/team-lead.json'));
		expect(missing?.message).toContain(path.join(stray, 'team-lead.json'));
		expect(report.ok).toBe(false);
		expect(report.fixes).toEqual([]);
		expect(readFileSync(path.join(stray, 'team-lead.json')).equals(strayBytes)).toBe(true);

		// Asked under the other spelling, the config directory is found but belongs to another team name.
		const other = await diagnoseTeam('my-team-1', { root });
		expect(other.problems.find((problem) => problem.code === 'CONFIG_NAME_MISMATCH')?.message).toContain(
			path.join(root, 'My-Team_1', 'inboxes'),
		);
	});

	it('reports a missing or corrupt config without touching it, and an absent team as TEAM_NOT_FOUND', async () => {
		const root = tempDir();
		await expect(diagnoseTeam('nowhere', { root })).rejects.toMatchObject({ code: 'TEAM_NOT_FOUND' });
		mkdirSync(path.join(root, 'headless/inboxes'), { recursive: true, mode: 0o700 });
		const headless = await diagnoseTeam('headless', { root });
		expect(codes(headless.problems)).toEqual(['CONFIG_MISSING']);
		expect(headless.ok).toBe(false);

		mkdirSync(path.join(root, 'broken'), { mode: 0o700 });
		writeFileSync(path.join(root, 'broken/config.json'), '{"name": "broken", ', { mode: 0o600 });
		const broken = await diagnoseTeam('broken', { root, fix: true });
		expect(codes(broken.problems)).toEqual(['CONFIG_CORRUPT']);
		expect(broken.ok).toBe(false);
		expect(readFileSync(path.join(root, 'broken/config.json'), 'utf8')).toBe('{"name": "broken", ');
		await expect(diagnoseTeam('broken', { root, staleMs: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
		await expect(diagnoseTeam('broken', { root, signal: AbortSignal.abort() })).rejects.toMatchObject({
			code: 'ABORTED',
		});
	});
});
