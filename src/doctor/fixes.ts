import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors, isMailboxError } from '../errors.js';
import { writeFileAtomic, writeNewFile } from '../fs/atomic-write.js';
import { lstat, open, unlink } from '../fs/fs-seam.js';
import { fileSystemOf } from '../fs/fs-type.js';
import { acquireLock, observedStale, tryAcquireLock } from '../fs/lock.js';
import { readFileNoFollow } from '../fs/read-file.js';
import { parseInboxText, serializeInbox } from '../inbox/codec.js';
import { isValidEntry } from '../inbox/entry.js';
import { Inbox } from '../inbox/inbox.js';
import type { QuarantineEvent } from '../inbox/plan.js';
import { InboxStore } from '../inbox/store.js';
import type { Finding, Repair } from './checks.js';
import type { DoctorProblemCode } from './messages.js';
import { type DoctorFix, type DoctorFixCode, doctorFixes } from './report.js';

export interface FixSettings {
	staleMs: number;
	fileMode: number;
	dirMode: number;
	fsync: boolean;
	maxInboxBytes: number;
	timeoutMs: number;
	signal?: AbortSignal | undefined;
}

/**
Locks first (a stale lock would only delay the rest), then spooled batches and content repairs (which rewrite
inboxes under their lock), then leftovers, and modes last so they also cover what the repairs left.
*/
const order: Repair['kind'][] = ['stale-lock', 'spool', 'corrupt', 'invalid', 'temp', 'mode'];

const what: Record<Repair['kind'], [DoctorFixCode, DoctorProblemCode]> = {
	'stale-lock': ['REMOVED_STALE_LOCK', 'STALE_LOCK'],
	spool: ['COMMITTED_SPOOL', 'SPOOL_PENDING'],
	corrupt: ['QUARANTINED_CORRUPT', 'CORRUPT_INBOX'],
	invalid: ['PRUNED_INVALID', 'INVALID_ENTRIES'],
	temp: ['REMOVED_TEMP', 'LEFTOVER_TEMP'],
	mode: ['TIGHTENED_MODE', 'BAD_MODE'],
};

/** Apply every repair the findings offer. A repair that fails is reported as not applied; the others still run. */
export async function applyRepairs(findings: readonly Finding[], settings: FixSettings): Promise<DoctorFix[]> {
	const repairs = findings.flatMap((finding) => (finding.repair ? [finding.repair] : []));
	repairs.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
	const fixes: DoctorFix[] = [];
	// Every lock that looks stale is watched at once, so the whole repair waits one stale window, not one per lock.
	const watched = new Map<string, Promise<LockWatch>>();
	for (const repair of repairs) {
		if (repair.kind !== 'stale-lock') continue;
		const watch = watchLock(repair.lockPath, settings);
		watch.catch(() => {}); // awaited (and reported) in order below
		watched.set(repair.lockPath, watch);
	}
	for (const repair of repairs) {
		if (settings.signal?.aborted) throw errors.aborted('Repairing the team', settings.signal.reason);
		try {
			fixes.push(...(await applyRepair(repair, settings, watched)));
		} catch (error) {
			if (isMailboxError(error, 'ABORTED')) throw error;
			const [code, problem] = what[repair.kind];
			const target = repair.kind === 'stale-lock' ? repair.lockPath : 'inbox' in repair ? repair.inbox : repair.file;
			const reason = error instanceof Error ? error.message : String(error);
			fixes.push(doctorFixes.notApplied(code, problem, target, reason));
		}
	}
	return fixes;
}

async function applyRepair(
	repair: Repair,
	settings: FixSettings,
	watched: Map<string, Promise<LockWatch>>,
): Promise<DoctorFix[]> {
	switch (repair.kind) {
		case 'stale-lock':
			return removeStaleLock(repair.lockPath, repair.file, settings, await watched.get(repair.lockPath));
		case 'spool':
			return commitSpool(repair.inbox, settings);
		case 'corrupt':
			return repairCorrupt(repair.inbox, settings);
		case 'invalid':
			return pruneInvalid(repair.inbox, settings);
		case 'temp':
			return removeTemp(repair.file, settings);
		case 'mode':
			return tightenMode(repair.file, repair.directory, settings);
	}
}

/** What watching a lock showed: gone, refreshed (its holder lives), or unchanged for the whole window. */
type LockWatch = { kind: 'gone' } | { kind: 'refreshed' | 'unchanged'; watchedMs: number; stats: Stats };

/**
Watch a lock's mtime on this process's own (monotonic) clock for the stale window plus the client's attribute-cache
time, a sample every tenth of it: never by comparing the mtime with this clock, which another machine's skew makes
meaningless. On a network file system each sample is also fed to the lock module's own observation, so its takeover
below agrees. Bounded by the window (plus one sample); aborted by the signal.
*/
async function watchLock(lockPath: string, { staleMs, signal }: FixSettings): Promise<LockWatch> {
	const { network, attributeCacheMs } = await fileSystemOf(path.dirname(lockPath));
	const windowMs = staleMs + attributeCacheMs;
	const sampleMs = Math.max(50, Math.min(1_000, windowMs / 10));
	const sample = async () => {
		const stats = await lstat(lockPath).catch(() => undefined);
		if (stats && network) observedStale(lockPath, stats, staleMs, attributeCacheMs);
		return stats;
	};
	const first = await sample();
	if (!first) return { kind: 'gone' };
	const started = performance.now();
	for (;;) {
		const watchedMs = performance.now() - started;
		if (watchedMs >= windowMs + sampleMs) return { kind: 'unchanged', watchedMs, stats: first };
		try {
			await sleep(sampleMs, undefined, { signal });
		} catch {
			throw errors.aborted('Watching a lock', signal?.reason);
		}
		const now = await sample();
		if (!now) return { kind: 'gone' };
		if (now.mtimeMs !== first.mtimeMs || now.ino !== first.ino) {
			return { kind: 'refreshed', watchedMs: performance.now() - started, stats: now };
		}
	}
}

/**
Only a lock whose mtime stayed unchanged while watched, and only through the protocol's own takeover (as the next
writer would take it). When the protocol still sees it held (locally: its mtime dated ahead of this machine's clock),
it is left, with how to remove it by hand.
*/
async function removeStaleLock(
	lockPath: string,
	file: string,
	{ staleMs }: FixSettings,
	watch: LockWatch | undefined,
): Promise<DoctorFix[]> {
	if (!watch || watch.kind === 'gone') return [];
	if (watch.kind === 'refreshed' || !watch.stats.isDirectory()) {
		return [
			doctorFixes.notApplied('REMOVED_STALE_LOCK', 'STALE_LOCK', lockPath, doctorFixes.lockRefreshed(watch.watchedMs)),
		];
	}
	const lock = await tryAcquireLock(file, lockPath, staleMs);
	if (!lock) {
		const reason = doctorFixes.lockUnjudged(lockPath, watch.watchedMs);
		return [doctorFixes.notApplied('REMOVED_STALE_LOCK', 'STALE_LOCK', lockPath, reason)];
	}
	await lock.release();
	return [doctorFixes.removedLock(lockPath)];
}

/** One no-change transaction: its holder commits every waiting batch, as the next sender's would. */
async function commitSpool(inbox: string, settings: FixSettings): Promise<DoctorFix[]> {
	const quarantined: QuarantineEvent[] = [];
	const { fileMode, dirMode, staleMs, fsync, maxInboxBytes, timeoutMs, signal } = settings;
	const store = new InboxStore(inbox, {
		fileMode,
		dirMode,
		staleMs,
		fsync,
		maxInboxBytes,
		onQuarantine: (event) => quarantined.push(event),
	});
	await store.transact(() => ({ mutation: { kind: 'none' }, result: undefined }), {
		deadline: Date.now() + timeoutMs,
		signal,
	});
	return [
		...quarantined.map((event) => doctorFixes.quarantined(event.path, event.quarantinePath, event.recovered)),
		doctorFixes.committedSpool(store.spoolDirectory, inbox),
	];
}

/** `Inbox.inspect` repairs a corrupt file under the lock (quarantine copy, readable entries written back). */
async function repairCorrupt(file: string, settings: FixSettings): Promise<DoctorFix[]> {
	const { fileMode, dirMode, staleMs, fsync, maxInboxBytes, timeoutMs, signal } = settings;
	const inbox = new Inbox(file, { fileMode, dirMode, staleMs, fsync, maxInboxBytes, lockTimeoutMs: timeoutMs });
	const quarantined: QuarantineEvent[] = [];
	inbox.on('quarantine', (event) => quarantined.push(event));
	const snapshot = await inbox.inspect(signal ? { signal, timeoutMs } : { timeoutMs });
	const fixes: DoctorFix[] = quarantined.map((event) =>
		doctorFixes.quarantined(event.path, event.quarantinePath, event.recovered),
	);
	// What was recovered may hold invalid elements: prune them too, so one --fix leaves a sound inbox.
	if (snapshot.invalid.length > 0) fixes.push(...(await pruneInvalid(file, settings)));
	return fixes;
}

/**
Keep only the valid entries, under the inbox lock. The whole file is first copied, byte for byte, to
`<inbox>.invalid-<time>-<id>`, so nothing is lost. Spooled batches stay for the next holder.
*/
async function pruneInvalid(file: string, settings: FixSettings): Promise<DoctorFix[]> {
	const { staleMs, fileMode, fsync, timeoutMs, signal } = settings;
	const lock = await acquireLock(file, `${file}.lock`, { staleMs, deadline: Date.now() + timeoutMs, signal });
	try {
		const read = await readFileNoFollow(file);
		if (!read) return [];
		const text = read.bytes.toString('utf8');
		const parsed = parseInboxText(text);
		if (!parsed.ok) return [doctorFixes.notApplied('PRUNED_INVALID', 'INVALID_ENTRIES', file, 'it became corrupt')];
		const valid = parsed.items.filter((item) => isValidEntry(item));
		if (valid.length === parsed.items.length) return [];
		const stamp = new Date().toISOString().replace(/[:.]/g, '-');
		const quarantinePath = `${file}.invalid-${stamp}-${randomBytes(2).toString('hex')}`;
		await writeNewFile(quarantinePath, read.bytes, fileMode);
		// The original text lets entries too deep to re-stringify be written back as their own bytes.
		const next = serializeInbox(valid, { text, items: parsed.items });
		await writeFileAtomic(file, next, { mode: fileMode, fsync, beforeCommit: () => lock.assertHeld() });
		return [doctorFixes.pruned(file, quarantinePath, parsed.items.length - valid.length, valid.length)];
	} finally {
		await lock.release().catch(() => {});
	}
}

/** Re-checked first: a temp file young again (or gone) belongs to a write in flight. */
async function removeTemp(file: string, { staleMs }: FixSettings): Promise<DoctorFix[]> {
	const stats = await lstat(file).catch(() => undefined);
	if (!stats) return [];
	if (!stats.isFile() || Date.now() - stats.mtimeMs <= staleMs) {
		return [doctorFixes.notApplied('REMOVED_TEMP', 'LEFTOVER_TEMP', file, doctorFixes.nothingToDo)];
	}
	try {
		await unlink(file);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw errors.io('remove', file, error);
	}
	return [doctorFixes.removedTemp(file)];
}

/** chmod through a descriptor opened with O_NOFOLLOW, so a link swapped in meanwhile is never followed. */
async function tightenMode(file: string, directory: boolean, settings: FixSettings): Promise<DoctorFix[]> {
	const flags =
		constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (directory ? constants.O_DIRECTORY : 0);
	let handle: Awaited<ReturnType<typeof open>>;
	try {
		handle = await open(file, flags);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw errors.io('open', file, error);
	}
	try {
		const stats = await handle.stat();
		if (directory ? !stats.isDirectory() : !stats.isFile()) {
			return [doctorFixes.notApplied('TIGHTENED_MODE', 'BAD_MODE', file, doctorFixes.nothingToDo)];
		}
		const mode = stats.mode & 0o7777;
		const target = mode & (directory ? settings.dirMode : settings.fileMode);
		if (target === mode) return [];
		await handle.chmod(target);
		return [doctorFixes.tightened(file, mode, target)];
	} catch (error) {
		throw errors.io('change the mode of', file, error);
	} finally {
		await handle.close();
	}
}
