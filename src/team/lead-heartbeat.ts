/**
A lead's heartbeat, so a claim made on another machine can be judged without its pid and without its clock. While a
Leader runs, it rewrites `<team dir>/swarm-mailbox/lead-heartbeat.json` in place every `refreshMs` with its claim's
identity and a beat counter. Another machine reads that file fresh (`O_DIRECT`: no client cache) and compares beats,
never times: the claim is alive once a beat is seen to change, and dead once the same beat (or no heartbeat of this
claim at all) has been seen for the whole stale window, measured on the judge's own monotonic clock. Clock skew between
machines, or a step of the judge's clock, therefore never makes a live lead look dead.

A claim from this machine is still judged by its pid, as Claude Code judges it. A claim from another machine without
`refreshMs` (Claude Code's, or an older version of ours) promises no heartbeat and cannot be judged.
*/

import { constants } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../errors.js';
import { ensureDirectoryInRoot } from '../fs/directories.js';
import { open } from '../fs/fs-seam.js';
import { fileSystemOf } from '../fs/fs-type.js';
import { readFileFresh, readFileNoFollow } from '../fs/read-file.js';
import { judgeProcess, onThisMachine, type ProcessClaim, type ProcessState } from './lead-process.js';

/**
How long a lead's heartbeat may stay unchanged before its claim counts as dead, in ms, where no option says:
`SWARM_MAILBOX_LEAD_STALE_MS` (for the CLI's commands), else 30 s.
*/
export function defaultLeadStaleMs(): number {
	const value = Number(process.env.SWARM_MAILBOX_LEAD_STALE_MS);
	return process.env.SWARM_MAILBOX_LEAD_STALE_MS && Number.isFinite(value) && value > 0 ? value : 30_000;
}

/** A judge never waits longer than this for a heartbeat, whatever period a claim announces. */
const MAX_WINDOW_MS = 600_000;

/** The heartbeat file of a team directory. */
export function leadHeartbeatPath(teamDirectory: string): string {
	return path.join(teamDirectory, 'swarm-mailbox', 'lead-heartbeat.json');
}

/** The heartbeat period of a lead whose claim must stay visibly alive within `staleMs`: six beats per window. */
export function leadRefreshMs(staleMs: number): number {
	return Math.min(5_000, Math.max(50, Math.round(staleMs / 6)));
}

/** The window a judge waits: its own, stretched to three of the claim's beats so a slow-beating lead is never cut short. */
function windowOf(claim: ProcessClaim, staleMs: number): number {
	return Math.min(MAX_WINDOW_MS, Math.max(staleMs, 3 * (claim.refreshMs ?? 0)));
}

function beatText(claim: ProcessClaim, beat: number): string {
	const { pid, pidSpace, claimedAt } = claim;
	return `${JSON.stringify({ pid, pidSpace, claimedAt, beat })}\n`;
}

const writeFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/**
Write one beat in place. In place, not by rename: the file keeps its inode, so no client can hold a cached directory
entry of a replaced file; a reader that catches the write half done sees a changed value, which only a live writer
causes.
*/
async function writeBeat(file: string, claim: ProcessClaim, beat: number, mode: number): Promise<void> {
	let handle: Awaited<ReturnType<typeof open>>;
	try {
		handle = await open(file, writeFlags, mode);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw errors.unsafePath(file, 'it is a symbolic link');
		throw errors.io('write the lead heartbeat', file, error);
	}
	try {
		await handle.writeFile(beatText(claim, beat));
	} catch (error) {
		throw errors.io('write the lead heartbeat', file, error);
	} finally {
		await handle.close().catch(() => {});
	}
}

/** Where a team keeps its heartbeat: the teams root and the team directory's name below it. */
export interface HeartbeatPlace {
	root: string;
	directoryName: string;
	dirMode?: number;
	fileMode?: number;
}

/** A running lead's heartbeat: the first beat is written by `begin()`, then one every `claim.refreshMs`. */
export class LeadHeartbeat {
	readonly file: string;
	readonly #place: HeartbeatPlace;
	readonly #claim: ProcessClaim;
	#beat = 0;
	#timer: NodeJS.Timeout | undefined;
	#writing: Promise<void> | undefined;
	#failing = false;
	#closed = false;

	constructor(place: HeartbeatPlace, claim: ProcessClaim) {
		this.#place = place;
		this.#claim = claim;
		this.file = leadHeartbeatPath(path.join(place.root, place.directoryName));
	}

	/** Write the first beat (before the claim is recorded, so a judge that sees the claim finds its heartbeat). */
	async begin(): Promise<void> {
		const { root, directoryName, dirMode = 0o700, fileMode = 0o600 } = this.#place;
		await ensureDirectoryInRoot(root, [directoryName, 'swarm-mailbox'], dirMode);
		await writeBeat(this.file, this.#claim, this.#beat, fileMode);
	}

	/** How often it beats, in ms: the claim's `refreshMs`. */
	get refreshMs(): number {
		return this.#claim.refreshMs ?? leadRefreshMs(defaultLeadStaleMs());
	}

	/** Keep beating until `close()`. A failed beat is reported to `onError` once, until one succeeds again. */
	start(onError: (error: unknown) => void = () => {}): void {
		if (this.#timer || this.#closed) return;
		this.#timer = setInterval(() => {
			if (this.#writing) return; // a slow server: never pile beats up
			this.#writing = writeBeat(this.file, this.#claim, ++this.#beat, this.#place.fileMode ?? 0o600)
				.then(
					() => {
						this.#failing = false;
					},
					(error: unknown) => {
						if (!this.#failing && !this.#closed) onError(error);
						this.#failing = true;
					},
				)
				.finally(() => {
					this.#writing = undefined;
				});
		}, this.refreshMs);
		this.#timer.unref();
	}

	/** Stop beating (the file stays: removing it would let a client cache its absence). */
	async close(): Promise<void> {
		this.#closed = true;
		clearInterval(this.#timer);
		this.#timer = undefined;
		await this.#writing;
	}
}

/**
The beat of `claim` in `file` as the server has it now; -1 when the file is absent or holds another claim's (or a
half-written) beat; `undefined` when it cannot be read, which proves nothing either way.
*/
async function readBeat(file: string, claim: ProcessClaim): Promise<number | undefined> {
	let bytes: Buffer | undefined;
	try {
		// On a network file system a fresh read (no client cache); locally the page cache is the file.
		const network = (await fileSystemOf(path.dirname(file))).network;
		bytes = network ? await readFileFresh(file) : (await readFileNoFollow(file))?.bytes;
	} catch {
		return undefined;
	}
	if (!bytes) return -1;
	try {
		const value = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
		const same = value.pid === claim.pid && value.pidSpace === claim.pidSpace && value.claimedAt === claim.claimedAt;
		return same && typeof value.beat === 'number' && Number.isSafeInteger(value.beat) ? value.beat : -1;
	} catch {
		return -1; // caught mid-write: only a live writer leaves it so for long enough to matter, and then it differs
	}
}

/** Options of {@link judgeLead} and {@link watchLead}. */
export interface JudgeLeadOptions {
	/** The team directory (where `swarm-mailbox/lead-heartbeat.json` is). */
	directory: string;
	/** How long an unchanged heartbeat means a dead lead, on this process's clock, in ms. @default 30_000 */
	staleMs?: number;
}

/** Each claim's beat as last seen, when it was first seen with that value, and when last looked at (monotonic ms). */
const looks = new Map<string, { beat: number; since: number; at: number }>();

function keyOf(file: string, claim: ProcessClaim): string {
	return `lead\0${file}\0${claim.pidSpace}\0${claim.pid}\0${claim.claimedAt}`;
}

interface Look {
	/** Undefined: unreadable, which proves nothing. */
	beat?: number;
	/** A beat of this claim seen to change since the previous look (within the window): it lives. */
	changed: boolean;
	/** The same beat (or none of this claim) seen for the whole window: it is dead. */
	stale: boolean;
}

/**
One fresh read of a heartbeat from elsewhere, compared with the previous look. Durations are measured on this
process's monotonic clock (`performance.now()`), so neither another machine's clock nor a step of this one (NTP)
changes a verdict; `observedStale` in `fs/lock.ts` is the same idea on the wall clock.
*/
async function look(claim: ProcessClaim, options: JudgeLeadOptions): Promise<Look> {
	const file = leadHeartbeatPath(options.directory);
	const beat = await readBeat(file, claim);
	if (beat === undefined) return { changed: false, stale: false };
	// The content is read fresh; only "absent" can be a cached answer (a client's negative directory entry).
	const cacheMs = beat === -1 ? (await fileSystemOf(path.dirname(file))).attributeCacheMs : 0;
	const window = windowOf(claim, options.staleMs ?? defaultLeadStaleMs());
	const key = keyOf(file, claim);
	const now = performance.now();
	const seen = looks.get(key);
	if (seen && seen.beat === beat) {
		seen.at = now;
		return { beat, changed: false, stale: now - seen.since >= window + cacheMs };
	}
	looks.set(key, { beat, since: now, at: now });
	if (looks.size > 256) looks.delete(looks.keys().next().value as string);
	// Only a real beat of this claim proves life: -1 (another claim's beat, a half-written file) may be a dead one's.
	return { beat, changed: seen !== undefined && beat >= 0 && now - seen.at <= window, stale: false };
}

/**
One look at the recorded lead. A claim made on this machine is judged by its pid (`judgeProcess`). One made elsewhere
with a heartbeat is `dead` once the same beat (or none of this claim) has been seen for the whole window (a first look
never is: nothing was watched yet), `alive` when its beat changed since this process's previous look within the
window, else `unknown`. One made elsewhere without a heartbeat is `unknown`.
*/
export async function judgeLead(claim: ProcessClaim, options: JudgeLeadOptions): Promise<ProcessState> {
	if (onThisMachine(claim) || claim.refreshMs === undefined) return judgeProcess(claim);
	const { changed, stale } = await look(claim, options);
	return stale ? 'dead' : changed ? 'alive' : 'unknown';
}

/**
Watch the recorded lead until it is judged: at once for a claim of this machine (by its pid) or one without a
heartbeat (`unknown`); for one with a heartbeat from elsewhere, `alive` as soon as its beat changes while watched,
`dead` once it has not for the window. Bounded: the window plus the attribute-cache time and one beat.
*/
export async function watchLead(
	claim: ProcessClaim,
	options: JudgeLeadOptions & { signal?: AbortSignal | undefined },
): Promise<ProcessState> {
	if (onThisMachine(claim) || claim.refreshMs === undefined) return judgeProcess(claim);
	const first = await look(claim, options);
	if (first.stale) return 'dead';
	const window = windowOf(claim, options.staleMs ?? defaultLeadStaleMs());
	const { attributeCacheMs } = await fileSystemOf(options.directory);
	const pollMs = Math.max(25, Math.min(claim.refreshMs / 2, window / 20, 1_000));
	const deadline = performance.now() + window + attributeCacheMs + claim.refreshMs + 5 * pollMs;
	while (performance.now() < deadline) {
		try {
			await sleep(pollMs, undefined, { signal: options.signal });
		} catch {
			throw errors.aborted('Judging the recorded lead', options.signal?.reason);
		}
		const next = await look(claim, options);
		if (next.stale) return 'dead';
		if (next.changed) return 'alive';
	}
	return 'alive'; // unreachable in practice (the window ends first); unproven either way, so the safe verdict
}
