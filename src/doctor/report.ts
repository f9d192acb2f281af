/**
What `swarm-mailbox doctor` did and found, as data and as text: the repair vocabulary (all its user-facing text
lives here) and the report rendering. Problems are in doctor-messages.ts.
*/

import { type DoctorProblem, type DoctorProblemCode, type DoctorSeverity, octal, quote } from './messages.js';

export type DoctorFixCode =
	| 'QUARANTINED_CORRUPT'
	| 'PRUNED_INVALID'
	| 'REMOVED_STALE_LOCK'
	| 'COMMITTED_SPOOL'
	| 'REMOVED_TEMP'
	| 'TIGHTENED_MODE';

/** One repair attempt, done or left undone (with the reason). */
export interface DoctorFix {
	code: DoctorFixCode;
	/** The problem it addressed. */
	problem: DoctorProblemCode;
	path: string;
	/** `false` when the repair was not made (the message says why); the problem then stays in `remaining`. */
	applied: boolean;
	message: string;
	/** Where the original bytes were kept, when the repair rewrote a file. */
	quarantinePath?: string;
}

/** The outcome of `diagnoseTeam`: plain data, ready for `JSON.stringify` or {@link formatDoctorReport}. */
export interface DoctorReport {
	team: string;
	root: string;
	/** Where `config.json` lives. */
	configDirectory: string;
	/** Where the inboxes live (differs from `configDirectory` for names outside `[a-z0-9-]`). */
	inboxDirectory: string;
	/** What the first check found. */
	problems: DoctorProblem[];
	/** Repairs made (or attempted) with `fix`; empty otherwise. */
	fixes: DoctorFix[];
	/** What a second check found after the repairs; the same as `problems` without `fix`. */
	remaining: DoctorProblem[];
	/** The inbox directory's file system, and how this library watches and locks there. */
	fileSystem: DoctorFileSystem;
	/** No error remains (warnings and info do not count). */
	ok: boolean;
}

/** The file system the inboxes live on, and the mode chosen for it. */
export interface DoctorFileSystem {
	/** `ext4`, `tmpfs`, `nfs4`, `fuse.sshfs`, …, as the kernel names it. */
	type: string;
	/** Shared over a network (or possibly, as any FUSE file system). */
	network: boolean;
	/** How watchers (Leader, Worker, `inbox.watch()`) learn of new entries by default. */
	watch: 'notifications' | 'polling';
	/** How long a lock's mtime must stay unchanged before it is taken over, in ms (locally: its age by the clock). */
	lockStaleAfterMs: number;
	/** `clock`: the mtime's age by this machine's clock; `observed`: unchanged for that long as seen from here. */
	lockJudging: 'clock' | 'observed';
}

function fix(code: DoctorFixCode, problem: DoctorProblemCode, path: string, message: string): DoctorFix {
	return { code, problem, path, applied: true, message };
}

/** Repair reports: what was done, or why it was not. */
export const doctorFixes = {
	quarantined: (path: string, quarantinePath: string, recovered: number) => ({
		...fix(
			'QUARANTINED_CORRUPT',
			'CORRUPT_INBOX',
			path,
			`Kept the bytes of ${path} in ${quarantinePath} and wrote back its ${recovered} readable entries.`,
		),
		quarantinePath,
	}),
	pruned: (path: string, quarantinePath: string, removed: number, kept: number) => ({
		...fix(
			'PRUNED_INVALID',
			'INVALID_ENTRIES',
			path,
			`Copied ${path} to ${quarantinePath}, then removed its ${removed} invalid entries (kept ${kept}).`,
		),
		quarantinePath,
	}),
	removedLock: (path: string) => fix('REMOVED_STALE_LOCK', 'STALE_LOCK', path, `Removed the stale lock ${path}.`),
	committedSpool: (path: string, inbox: string) =>
		fix('COMMITTED_SPOOL', 'SPOOL_PENDING', path, `Committed the waiting batches of ${path} into ${inbox}.`),
	removedTemp: (path: string) => fix('REMOVED_TEMP', 'LEFTOVER_TEMP', path, `Removed the leftover temp file ${path}.`),
	tightened: (path: string, from: number, to: number) =>
		fix('TIGHTENED_MODE', 'BAD_MODE', path, `Changed the mode of ${path} from ${octal(from)} to ${octal(to)}.`),
	/** A repair that was not made; `reason` says why (often a MailboxError message). */
	notApplied: (code: DoctorFixCode, problem: DoctorProblemCode, path: string, reason: string): DoctorFix => ({
		code,
		problem,
		path,
		applied: false,
		message: `Left ${path} as it was: ${reason}`,
	}),
	lockRefreshed: (watchedMs: number) =>
		`its mtime changed while watched (after ${Math.round(watchedMs)} ms), so its holder is alive`,
	lockUnjudged: (path: string, watchedMs: number) =>
		`its mtime did not change for ${Math.round(watchedMs)} ms as watched from here, but the lock protocol still ` +
		"sees it held (its mtime is dated ahead of this machine's clock, or it was just taken again), so it is not " +
		`removed. If no agent of the team runs on any machine, remove it by hand: rmdir ${JSON.stringify(path)}`,
	nothingToDo: 'it no longer needed the repair when re-checked',
};

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The report as text for a terminal: one line per problem and repair, then a verdict. */
export function formatDoctorReport(report: DoctorReport): string {
	const { fileSystem } = report;
	const lines = [
		`Team ${quote(report.team)}: config in ${report.configDirectory}, inboxes in ${report.inboxDirectory}`,
		`File system: ${fileSystem.type} (${fileSystem.network ? 'network' : 'local'}); watchers use ${
			fileSystem.watch === 'polling' ? 'polling of the inbox content' : 'OS notifications'
		}; a lock is stale after ${fileSystem.lockStaleAfterMs} ms ${
			fileSystem.lockJudging === 'observed' ? 'of unchanged mtime as seen from here' : 'by its mtime'
		}`,
	];
	const problemLine = (item: DoctorProblem) => `  ${item.severity.padEnd(7)} ${item.code}: ${item.message}`;
	lines.push(...report.problems.map(problemLine));
	if (report.fixes.length > 0) {
		lines.push('Repairs:');
		for (const item of report.fixes)
			lines.push(`  ${(item.applied ? 'done' : 'skipped').padEnd(7)} ${item.code}: ${item.message}`);
		const left = report.remaining.filter((item) => item.severity !== 'info');
		lines.push(left.length > 0 ? 'Still to do:' : 'Nothing left to repair.');
		lines.push(...left.map(problemLine));
	}
	const count = (severity: DoctorSeverity) => report.remaining.filter((item) => item.severity === severity).length;
	const summary = `${plural(count('error'), 'error')}, ${plural(count('warning'), 'warning')}, ${plural(count('info'), 'note')}`;
	const fixable = report.remaining.some((item) => item.fixable) ? ' Run with --fix to repair what is safe.' : '';
	lines.push(`${report.ok ? 'OK' : 'NOT OK'}: ${summary}.${report.fixes.length === 0 ? fixable : ''}`);
	return lines.join('\n');
}
