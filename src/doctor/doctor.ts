/**
`swarm-mailbox doctor <team> [--fix]` as a library call: check every file of one team, and optionally repair what
is safe to repair. Checks never write; repairs never lose bytes (a rewritten inbox is copied aside first), never
follow a link and never write outside the team's directories.
*/

import { errors } from '../errors.js';
import { fileSystemOf } from '../fs/fs-type.js';
import { assertAddressableName, resolveTeamsRoot } from '../team/paths.js';
import { type CheckSettings, Findings } from './checks.js';
import { applyRepairs } from './fixes.js';
import { checkTeam, teamPaths } from './layout.js';
import type { DoctorFileSystem, DoctorFix, DoctorReport } from './report.js';

export interface DoctorOptions {
	/** Teams root. @default `$CLAUDE_CONFIG_DIR/teams`, else `~/.claude/teams` */
	root?: string;
	/**
	Repair what is safe: quarantine corrupt inboxes and recover their entries, prune invalid entries (after copying
	the file), remove stale locks and leftover temp files, commit abandoned spool batches, tighten modes.
	@default false
	*/
	fix?: boolean;
	/** Lock (and temp file) age after which its owner is presumed dead, in ms; must match every writer. @default 10_000 */
	staleMs?: number;
	/** Widest mode expected of files; extra bits are reported (group/other write as an error). @default 0o600 */
	fileMode?: number;
	/** Widest mode expected of directories. @default 0o700 */
	dirMode?: number;
	/** Inboxes larger than this are reported and not parsed, in bytes. @default 67_108_864 */
	maxInboxBytes?: number;
	/** fsync repairs before reporting them. @default true */
	fsync?: boolean;
	/** How long each repair waits for an inbox lock, in ms. @default 30_000 */
	timeoutMs?: number;
	signal?: AbortSignal;
}

/**
Check one team's config, roster and inbox directory; with `fix`, repair and check again.
@throws {MailboxError} `TEAM_NOT_FOUND` when neither of the team's directories exists; `INVALID_NAME`; `ABORTED`.
*/
export async function diagnoseTeam(name: string, options: DoctorOptions = {}): Promise<DoctorReport> {
	assertAddressableName('team', name);
	const settings: CheckSettings = {
		staleMs: positive('staleMs', options.staleMs ?? 10_000),
		fileMode: mode('fileMode', options.fileMode ?? 0o600),
		dirMode: mode('dirMode', options.dirMode ?? 0o700),
		maxInboxBytes: positive('maxInboxBytes', options.maxInboxBytes ?? 67_108_864),
		signal: options.signal,
	};
	const timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
	const paths = teamPaths(name, resolveTeamsRoot(options.root));
	const scan = async () => {
		const findings = new Findings(settings);
		await checkTeam(findings, paths);
		return findings.found;
	};
	const found = await scan();
	const where = await fileSystemOf(paths.inboxDirectory);
	const fileSystem: DoctorFileSystem = {
		type: where.type,
		network: where.network,
		watch: where.network ? 'polling' : 'notifications',
		lockStaleAfterMs: settings.staleMs + where.attributeCacheMs,
		lockJudging: where.network ? 'observed' : 'clock',
	};
	const problems = found.map((finding) => finding.problem);
	let fixes: DoctorFix[] = [];
	let remaining = problems;
	if (options.fix) {
		fixes = await applyRepairs(found, { ...settings, fsync: options.fsync ?? true, timeoutMs });
		remaining = (await scan()).map((finding) => finding.problem);
	}
	return {
		team: name,
		root: paths.root,
		configDirectory: paths.configDirectory,
		inboxDirectory: paths.inboxDirectory,
		problems,
		fixes,
		remaining,
		fileSystem,
		ok: !remaining.some((problem) => problem.severity === 'error'),
	};
}

function positive(what: string, value: number): number {
	if (!Number.isFinite(value) || value <= 0) throw errors.invalidArgument(what, 'a positive number', value);
	return value;
}

function mode(what: string, value: number): number {
	if (!Number.isInteger(value) || value < 0 || value > 0o777) {
		throw errors.invalidArgument(what, 'a file mode between 0o000 and 0o777', value);
	}
	return value;
}
