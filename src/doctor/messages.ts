/**
The problems `swarm-mailbox doctor` reports: codes, severities and their user-facing text (all of it lives here;
repairs and the report's rendering are in doctor-report.ts).
*/

/** `error`: mail is unreadable, lost or unsafe. `warning`: worth fixing, nothing is lost yet. `info`: for the record. */
export type DoctorSeverity = 'error' | 'warning' | 'info';

export type DoctorProblemCode =
	| 'CONFIG_MISSING'
	| 'CONFIG_CORRUPT'
	| 'CONFIG_NAME_MISMATCH'
	| 'INVALID_MEMBER'
	| 'MEMBER_NAME_UNSAFE'
	| 'DUPLICATE_INBOX'
	| 'SPLIT_DIRECTORIES'
	| 'STRAY_INBOX_DIR'
	| 'STRAY_CONFIG'
	| 'MISSING_INBOX'
	| 'ORPHAN_INBOX'
	| 'CORRUPT_INBOX'
	| 'INVALID_ENTRIES'
	| 'INBOX_TOO_LARGE'
	| 'STALE_LOCK'
	| 'LOCK_HELD'
	| 'LEFTOVER_TEMP'
	| 'SPOOL_PENDING'
	| 'SPOOL_REFUSED'
	| 'QUARANTINED_COPY'
	| 'SYMLINK'
	| 'NOT_A_FILE'
	| 'NOT_A_DIRECTORY'
	| 'BAD_MODE'
	| 'UNKNOWN_FILE'
	| 'UNREADABLE';

/** One finding. Plain data, ready for `JSON.stringify`. */
export interface DoctorProblem {
	code: DoctorProblemCode;
	severity: DoctorSeverity;
	/** The absolute path the problem concerns. */
	path: string;
	message: string;
	/** `diagnoseTeam(name, {fix: true})` repairs it. */
	fixable: boolean;
}

const fixable = new Set<DoctorProblemCode>([
	'CORRUPT_INBOX',
	'INVALID_ENTRIES',
	'STALE_LOCK',
	'LEFTOVER_TEMP',
	'SPOOL_PENDING',
	'BAD_MODE',
]);

function problem(code: DoctorProblemCode, severity: DoctorSeverity, path: string, message: string): DoctorProblem {
	return { code, severity, path, message, fixable: fixable.has(code) };
}

export const octal = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
export const quote = (text: string) => JSON.stringify(text);
/** Parser messages quote the bytes they choked on: keep control characters off the terminal. */
const printable = (text: string) =>
	text.replace(/\p{Cc}/gu, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** Problem builders, one per code (a few codes have variants). */
export const doctorProblems = {
	configMissing: (path: string) =>
		problem('CONFIG_MISSING', 'error', path, `No team config at ${path}: Claude Code treats the team as missing.`),
	configCorrupt: (path: string, reason: string) =>
		problem(
			'CONFIG_CORRUPT',
			'error',
			path,
			`Team config ${path} cannot be used (${reason}). Claude Code treats it as missing. Repair or restore it by hand; doctor never rewrites it.`,
		),
	configNameMismatch: (path: string, asked: string, named: string, inboxDirectory: string) =>
		problem(
			'CONFIG_NAME_MISMATCH',
			'warning',
			path,
			`${path} belongs to team ${quote(named)}, not ${quote(asked)} (both names map to this directory). ` +
				`That team's inboxes are in ${inboxDirectory}; run doctor with its exact name.`,
		),
	invalidMember: (path: string, index: number) =>
		problem(
			'INVALID_MEMBER',
			'warning',
			path,
			`Member #${index} of ${path} lacks a string agentId or name; Claude Code ignores it.`,
		),
	memberNameUnsafe: (path: string, reason: string) =>
		problem(
			'MEMBER_NAME_UNSAFE',
			'warning',
			path,
			`${path} lists a member that no client would create today. ${reason}`,
		),
	duplicateInbox: (path: string, names: string[], inbox: string) =>
		problem(
			'DUPLICATE_INBOX',
			'warning',
			path,
			`Members ${names.map(quote).join(', ')} in ${path} share the inbox ${inbox}: each reads the other's mail. Remove or rename one.`,
		),
	splitDirectories: (configDirectory: string, inboxDirectory: string) =>
		problem(
			'SPLIT_DIRECTORIES',
			'info',
			inboxDirectory,
			`This team's config is in ${configDirectory} but its inboxes are in ${inboxDirectory}: Claude Code sanitises the ` +
				`two paths differently for names outside [a-z0-9-]. Both are where Claude Code looks; do not move them.`,
		),
	strayInboxDirectory: (path: string, inboxDirectory: string, inboxes: number) =>
		problem(
			'STRAY_INBOX_DIR',
			inboxes > 0 ? 'error' : 'warning',
			path,
			`${path} uses the config directory's name, but Claude Code reads this team's inboxes from ${inboxDirectory}` +
				(inboxes > 0 ? `: the ${inboxes} inbox file(s) here are never delivered. ` : '. ') +
				`Whoever wrote them used the wrong sanitiser; move their entries over by hand (doctor does not merge mail).`,
		),
	strayConfig: (path: string, configPath: string) =>
		problem(
			'STRAY_CONFIG',
			'warning',
			path,
			`${path} sits next to the inboxes, but Claude Code reads this team's config from ${configPath}; this copy is ignored.`,
		),
	missingInbox: (path: string, member: string, strayCopy?: string) =>
		problem(
			'MISSING_INBOX',
			'info',
			path,
			`Member ${quote(member)} has no inbox yet at ${path} (created by the first message).` +
				(strayCopy
					? ` A file for it exists at ${strayCopy}, under the wrong directory name: its mail is not delivered.`
					: ''),
		),
	orphanInbox: (path: string, lookalike?: string) =>
		problem(
			'ORPHAN_INBOX',
			'warning',
			path,
			`Inbox ${path} belongs to no member of the roster, so nobody reads it` +
				(lookalike ? ` (member ${quote(lookalike)} differs only in case, and file names are case-sensitive).` : '.') +
				' Add the member back or remove the file once its entries are dealt with.',
		),
	corruptInbox: (path: string, reason: string) =>
		problem(
			'CORRUPT_INBOX',
			'error',
			path,
			`Inbox ${path} is corrupt (${printable(reason)}); Claude Code reads it as empty and overwrites it on the next write. ` +
				'`doctor --fix` keeps its bytes in a quarantine copy and writes back every readable entry.',
		),
	invalidEntries: (path: string, count: number, total: number, firstReason: string) =>
		problem(
			'INVALID_ENTRIES',
			'error',
			path,
			`${count} of ${total} entries in ${path} are invalid (first: ${firstReason}); Claude Code skips and then deletes them. ` +
				'`doctor --fix` copies the file to a quarantine copy first, then keeps only the valid entries.',
		),
	inboxTooLarge: (path: string, bytes: number, limit: number) =>
		problem(
			'INBOX_TOO_LARGE',
			'warning',
			path,
			`Inbox ${path} is ${bytes} bytes, over the ${limit}-byte limit: every send to it fails until its reader drains it. Its entries were not checked.`,
		),
	staleLock: (path: string, ageMs: number, staleMs: number) =>
		problem(
			'STALE_LOCK',
			'warning',
			path,
			`Lock ${path} was last refreshed ${seconds(ageMs)} ago by this machine's clock, past the ${seconds(staleMs)} ` +
				'stale window: its holder looks gone. The next writer takes it over; `doctor --fix` watches it for the stale ' +
				'window and removes it only if its mtime does not change meanwhile.',
		),
	lockHeld: (path: string, ageMs: number) =>
		problem(
			'LOCK_HELD',
			'info',
			path,
			`Lock ${path} is held (refreshed ${seconds(Math.max(0, ageMs))} ago); left alone.`,
		),
	leftoverTemp: (path: string, ageMs: number) =>
		problem(
			'LEFTOVER_TEMP',
			'warning',
			path,
			`Temp file ${path} is ${seconds(ageMs)} old: an interrupted write left it. Its content was never committed; \`doctor --fix\` removes it.`,
		),
	spoolPending: (path: string, batches: number, inbox: string) =>
		problem(
			'SPOOL_PENDING',
			'warning',
			path,
			`${batches} batch(es) in ${path} wait past the stale window for a writer of ${inbox} to commit them. ` +
				'The next write to that inbox does; `doctor --fix` commits them now.',
		),
	spoolRefused: (path: string) =>
		problem(
			'SPOOL_REFUSED',
			'warning',
			path,
			`Batch ${path} was refused because its inbox was full, and its sender never collected the refusal. ` +
				'Its entries were not delivered; resend them if they matter, then delete the file.',
		),
	quarantinedCopy: (path: string) =>
		problem(
			'QUARANTINED_COPY',
			'info',
			path,
			`${path} holds the original bytes of an inbox that was repaired. Inspect it, then delete it when done.`,
		),
	symlink: (path: string) =>
		problem(
			'SYMLINK',
			'error',
			path,
			`${path} is a symbolic link. The library refuses links inside a team (they could redirect writes out of the root), ` +
				'so it was not followed. Replace it with the real file or directory.',
		),
	notAFile: (path: string) =>
		problem('NOT_A_FILE', 'error', path, `${path} should be a regular file but is not; reads and writes of it fail.`),
	notADirectory: (path: string) =>
		problem('NOT_A_DIRECTORY', 'error', path, `${path} should be a directory but is not; writes through it fail.`),
	badMode: (path: string, mode: number, expected: number, writable: boolean) =>
		problem(
			'BAD_MODE',
			writable ? 'error' : 'warning',
			path,
			`${path} has mode ${octal(mode)}, wider than ${octal(expected)}` +
				(writable ? ': other users can change it.' : ': other users can read it.') +
				` \`doctor --fix\` tightens it to ${octal(mode & expected)} (pass \`fileMode\`/\`dirMode\` if the wider mode is intended).`,
		),
	unknownFile: (path: string) =>
		problem('UNKNOWN_FILE', 'info', path, `${path} is not a file this library or Claude Code writes; left alone.`),
	unreadable: (path: string, reason: string) =>
		problem('UNREADABLE', 'error', path, `Could not check ${path}: ${reason}`),
};
