import type { Stats } from 'node:fs';
import path from 'node:path';
import { errors, isMailboxError } from '../errors.js';
import { isTempFile } from '../fs/atomic-write.js';
import { lstat, readdir } from '../fs/fs-seam.js';
import { readFileNoFollow } from '../fs/read-file.js';
import { parseInboxText } from '../inbox/codec.js';
import { describeInvalid, isValidEntry } from '../inbox/entry.js';
import { foreignWriterMarker } from '../inbox/spool.js';
import { type DoctorProblem, doctorProblems } from './messages.js';

/** What `--fix` may do about a finding: plain data, applied by doctor-fixes.ts in a fixed order. */
export type Repair =
	| { kind: 'stale-lock'; lockPath: string; file: string }
	| { kind: 'spool'; inbox: string }
	| { kind: 'corrupt'; inbox: string }
	| { kind: 'invalid'; inbox: string }
	| { kind: 'temp'; file: string }
	| { kind: 'mode'; file: string; directory: boolean };

export interface Finding {
	problem: DoctorProblem;
	repair?: Repair;
}

export interface CheckSettings {
	staleMs: number;
	fileMode: number;
	dirMode: number;
	maxInboxBytes: number;
	signal?: AbortSignal | undefined;
}

/** Collects findings while the checks walk a team. Nothing here writes to disk. */
export class Findings {
	readonly found: Finding[] = [];
	readonly settings: CheckSettings;

	constructor(settings: CheckSettings) {
		this.settings = settings;
	}

	add(problem: DoctorProblem, repair?: Repair): void {
		this.found.push(repair ? { problem, repair } : { problem });
	}

	/** `lstat` without following links; `undefined` when absent. Other failures become an UNREADABLE finding. */
	async lstat(file: string): Promise<Stats | undefined | null> {
		const { signal } = this.settings;
		if (signal?.aborted) throw errors.aborted('Diagnosing the team', signal.reason);
		try {
			return await lstat(file);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
			this.add(doctorProblems.unreadable(file, describe(error)));
			return null;
		}
	}

	/** Sorted names of a directory already proven real; `undefined` (with a finding) if it cannot be listed. */
	async names(directory: string): Promise<string[] | undefined> {
		try {
			return (await readdir(directory)).sort();
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
			this.add(doctorProblems.unreadable(directory, describe(error)));
			return undefined;
		}
	}
}

function describe(error: unknown): string {
	return isMailboxError(error) ? error.message : error instanceof Error ? error.message : String(error);
}

/**
A path that must be a real directory: absent → `'missing'`, a link or a non-directory → reported and `'unsafe'`.
Its mode is checked too.
*/
export async function checkDirectory(findings: Findings, directory: string): Promise<'ok' | 'missing' | 'unsafe'> {
	const stats = await findings.lstat(directory);
	if (stats === undefined) return 'missing';
	if (stats === null) return 'unsafe';
	if (stats.isSymbolicLink()) {
		findings.add(doctorProblems.symlink(directory));
		return 'unsafe';
	}
	if (!stats.isDirectory()) {
		findings.add(doctorProblems.notADirectory(directory));
		return 'unsafe';
	}
	checkMode(findings, directory, stats);
	return 'ok';
}

/** A path that must be a regular file; `false` (reported) when it is a link or something else. */
export function checkRegularFile(findings: Findings, file: string, stats: Stats): boolean {
	if (stats.isSymbolicLink()) findings.add(doctorProblems.symlink(file));
	else if (!stats.isFile()) findings.add(doctorProblems.notAFile(file));
	else {
		checkMode(findings, file, stats);
		return true;
	}
	return false;
}

/** Bits beyond the expected mode: group/other write is an error, anything else a warning. */
export function checkMode(findings: Findings, file: string, stats: Stats): void {
	const directory = stats.isDirectory();
	const expected = directory ? findings.settings.dirMode : findings.settings.fileMode;
	const extra = stats.mode & 0o7777 & ~expected;
	if (extra === 0) return;
	findings.add(doctorProblems.badMode(file, stats.mode, expected, (extra & 0o022) !== 0), {
		kind: 'mode',
		file,
		directory,
	});
}

/** A `<file>.lock` entry: a mkdir lock, stale once its mtime is older than the stale window. */
export function checkLock(findings: Findings, lockPath: string, stats: Stats): void {
	const ageMs = Date.now() - stats.mtimeMs;
	if (stats.isSymbolicLink()) findings.add(doctorProblems.symlink(lockPath));
	else if (!stats.isDirectory()) findings.add(doctorProblems.notADirectory(lockPath));
	else if (ageMs <= findings.settings.staleMs) findings.add(doctorProblems.lockHeld(lockPath, ageMs));
	else {
		const file = lockPath.slice(0, -'.lock'.length);
		const repair = { kind: 'stale-lock', lockPath, file } as const;
		findings.add(doctorProblems.staleLock(lockPath, ageMs, findings.settings.staleMs), repair);
	}
}

/** A temp file is a write in flight until it outlives the stale window. */
export function checkTemp(findings: Findings, file: string, stats: Stats): void {
	if (!checkRegularFile(findings, file, stats)) return;
	const ageMs = Date.now() - stats.mtimeMs;
	if (ageMs > findings.settings.staleMs) findings.add(doctorProblems.leftoverTemp(file, ageMs), { kind: 'temp', file });
}

/** The content of one inbox file: parseable array, valid entries, size. */
export async function checkInboxContent(findings: Findings, file: string, stats: Stats): Promise<void> {
	const { maxInboxBytes } = findings.settings;
	if (stats.size > maxInboxBytes) return findings.add(doctorProblems.inboxTooLarge(file, stats.size, maxInboxBytes));
	let bytes: Buffer | undefined;
	try {
		bytes = (await readFileNoFollow(file))?.bytes;
	} catch (error) {
		return findings.add(doctorProblems.unreadable(file, describe(error)));
	}
	if (bytes === undefined) return; // removed since it was listed
	const parsed = parseInboxText(bytes.toString('utf8'));
	if (!parsed.ok)
		return findings.add(doctorProblems.corruptInbox(file, parsed.reason), { kind: 'corrupt', inbox: file });
	const invalid = parsed.items.filter((item) => !isValidEntry(item));
	if (invalid.length === 0) return;
	findings.add(doctorProblems.invalidEntries(file, invalid.length, parsed.items.length, describeInvalid(invalid[0])), {
		kind: 'invalid',
		inbox: file,
	});
}

/** `<inbox>.json.spool/`: batches waiting past the stale window, refusals nobody collected, leftovers. */
export async function checkSpool(findings: Findings, spool: string, inbox: string): Promise<void> {
	const names = await findings.names(spool);
	let pending = 0;
	for (const name of names ?? []) {
		const file = path.join(spool, name);
		const stats = await findings.lstat(file);
		if (!stats) continue;
		if (isTempFile(name)) {
			checkTemp(findings, file, stats);
			continue;
		}
		if (name === foreignWriterMarker) {
			checkRegularFile(findings, file, stats);
			continue;
		}
		const batch = /\.(json|claimed|full)$/.exec(name)?.[1];
		if (!batch) {
			findings.add(doctorProblems.unknownFile(file));
			continue;
		}
		if (!checkRegularFile(findings, file, stats)) continue;
		if (Date.now() - stats.mtimeMs <= findings.settings.staleMs) continue;
		if (batch === 'full') findings.add(doctorProblems.spoolRefused(file));
		else pending++;
	}
	if (pending > 0) findings.add(doctorProblems.spoolPending(spool, pending, inbox), { kind: 'spool', inbox });
}

/** A directory of the library's own state (`swarm-mailbox/`): links, modes, stale locks and leftover temp files. */
export async function checkTree(findings: Findings, directory: string): Promise<void> {
	if ((await checkDirectory(findings, directory)) !== 'ok') return;
	for (const name of (await findings.names(directory)) ?? []) {
		const entry = path.join(directory, name);
		const stats = await findings.lstat(entry);
		if (!stats) continue;
		if (name.endsWith('.lock')) checkLock(findings, entry, stats);
		else if (isTempFile(name)) checkTemp(findings, entry, stats);
		else if (stats.isDirectory()) await checkTree(findings, entry);
		else checkRegularFile(findings, entry, stats);
	}
}
