/**
Which process holds a claim, made and judged as Claude Code 2.1.330 makes and judges its `leadProcess`: the pid, the
"pid space" (host name plus the pid namespace, so a pid is only compared with pids of the same namespace), the claim
time, and on Linux the process's start time (field 22 of `/proc/<pid>/stat`), which tells a live holder from a reused
pid. The same record names the owner of an answer claim in the leader's journal.

Two extra fields tell machines apart and say how a claim is kept alive (Claude Code checks only the four above on read
and ignores others): `bootId`, the kernel's boot id, since two machines may share a host name and the initial pid
namespace's link is the same on every machine; `refreshMs`, the period of the lead's heartbeat (see `lead-heartbeat.ts`).
A pid is checked only on the machine that made the claim ({@link onThisMachine}); a claim from another machine is
judged by its heartbeat, or not at all.
*/

import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { readFileSync } from '../fs/fs-seam.js';

/** A process claim, as Claude Code records `leadProcess` in `config.json`. */
export interface ProcessClaim {
	pid: number;
	/** `<hostname>#<pid namespace link>` (`host#pid:[4026531836]`), or the host name alone. */
	pidSpace: string;
	/** Epoch ms of the claim. */
	claimedAt: number;
	/** Start time of `pid` in clock ticks since boot (Linux only), as a string. */
	procStart?: string;
	/** Ours: the claiming machine's boot id (`/proc/sys/kernel/random/boot_id`). */
	bootId?: string;
	/** Ours: the claim's heartbeat is refreshed this often, in ms (`<team dir>/swarm-mailbox/lead-heartbeat.json`). */
	refreshMs?: number;
}

/** What can be said about the process of a claim. `unknown`: another host or pid namespace, or a malformed claim. */
export type ProcessState = 'alive' | 'dead' | 'unknown';

let ownSpace: string | undefined;

/** This process's pid space (computed once, as Claude Code caches it). */
export function pidSpace(): string {
	if (ownSpace === undefined) {
		let namespace = '';
		try {
			namespace = `#${readlinkSync('/proc/self/ns/pid')}`;
		} catch {
			// not Linux, or /proc not mounted: the host name alone
		}
		ownSpace = `${hostname()}${namespace}`;
	}
	return ownSpace;
}

/** The host part of a pid space. */
export function hostOfSpace(space: string): string {
	const hash = space.indexOf('#');
	return hash === -1 ? space : space.slice(0, hash);
}

function statFields(pid: number): string[] | undefined {
	if (process.platform !== 'linux') return undefined;
	try {
		const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name (field 2) may hold spaces and parentheses: fields are counted after its last `)`.
		return text.slice(text.lastIndexOf(')') + 2).split(' ');
	} catch {
		return undefined;
	}
}

/** Field 22 of `/proc/<pid>/stat` (start time in ticks since boot), or `undefined` off Linux or when unreadable. */
export function processStart(pid: number): string | undefined {
	return statFields(pid)?.[19];
}

let ownBoot: string | null | undefined;

/** This machine's boot id (unique per machine and boot), or `undefined` where the kernel does not say. */
export function bootId(): string | undefined {
	if (ownBoot === undefined) {
		try {
			ownBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
		} catch {
			ownBoot = null;
		}
	}
	return ownBoot ?? undefined;
}

let ownIdentity: Omit<ProcessClaim, 'claimedAt'> | undefined;

/** This process's pid, pid space and start time (read once). */
export function thisProcess(): Omit<ProcessClaim, 'claimedAt'> {
	if (ownIdentity === undefined) {
		const start = processStart(process.pid);
		ownIdentity = { pid: process.pid, pidSpace: pidSpace(), ...(start === undefined ? {} : { procStart: start }) };
	}
	return ownIdentity;
}

/**
A claim for this process, made now. With `refreshMs` it is a lead's claim: it also names this machine's boot id and
promises a heartbeat refreshed that often.
*/
export function claimForThisProcess(now = Date.now(), refreshMs?: number): ProcessClaim {
	if (refreshMs === undefined) return { ...thisProcess(), claimedAt: now };
	const boot = bootId();
	return { ...thisProcess(), claimedAt: now, ...(boot === undefined ? {} : { bootId: boot }), refreshMs };
}

/** Whether `claim` was made on this machine, in this pid namespace: only then can its pid be checked here. */
export function onThisMachine(claim: ProcessClaim): boolean {
	if (claim.pidSpace !== pidSpace()) return false;
	// Same host name and namespace link, yet another machine (or a boot before this one): its pid means nothing here.
	const boot = bootId();
	return claim.bootId === undefined || boot === undefined || claim.bootId === boot;
}

/** `value` as a claim when it has the fields Claude Code checks on read, else `undefined`. */
export function parseProcessClaim(value: unknown): ProcessClaim | undefined {
	if (typeof value !== 'object' || value === null) return undefined;
	const { pid, pidSpace: space, claimedAt, procStart } = value as Record<string, unknown>;
	if (!Number.isSafeInteger(pid) || typeof space !== 'string' || typeof claimedAt !== 'number') return undefined;
	if (!Number.isFinite(claimedAt) || (procStart !== undefined && typeof procStart !== 'string')) return undefined;
	const { bootId: boot, refreshMs } = value as Record<string, unknown>;
	return {
		pid: pid as number,
		pidSpace: space,
		claimedAt,
		...(procStart === undefined ? {} : { procStart: procStart as string }),
		// Ours only, and advisory: a malformed one is left out rather than voiding the claim.
		...(typeof boot === 'string' && boot !== '' ? { bootId: boot } : {}),
		...(typeof refreshMs === 'number' && Number.isFinite(refreshMs) && refreshMs > 0 ? { refreshMs } : {}),
	};
}

/** Boot time in epoch ms, from `/proc/stat`'s `btime`. */
function bootTimeMs(): number | undefined {
	try {
		const match = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
		return match ? Number(match[1]) * 1000 : undefined;
	} catch {
		return undefined;
	}
}

/**
Whether the process of `claim` still runs. Only a claim from this pid space (and machine: {@link onThisMachine}) can be
judged; it is dead when the pid is gone (ESRCH; EPERM counts as alive), a zombie, or now a different process (another
start time, or without a recorded one, started more than 2 s after the claim). A lead's claim from elsewhere is judged
by its heartbeat (`judgeLead` in `lead-heartbeat.ts`).
*/
export function judgeProcess(claim: ProcessClaim | undefined): ProcessState {
	if (claim === undefined || !onThisMachine(claim)) return 'unknown';
	if (claim.pid < 2 || claim.pid > 2 ** 31 - 1) return 'unknown';
	try {
		process.kill(claim.pid, 0);
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
	}
	const fields = statFields(claim.pid);
	if (fields === undefined) return 'alive';
	if (fields[0] === 'Z' || fields[0] === 'X') return 'dead';
	const start = fields[19];
	if (start === undefined) return 'alive';
	if (claim.procStart !== undefined) return start === claim.procStart ? 'alive' : 'dead';
	const boot = bootTimeMs();
	// Ticks at the usual 100 per second, as Claude Code assumes.
	if (boot !== undefined && boot + (Number(start) / 100) * 1000 > claim.claimedAt + 2_000) return 'dead';
	return 'alive';
}

/** Whether `claim` is this very process. */
export function isThisProcess(claim: ProcessClaim | undefined): boolean {
	return claim !== undefined && claim.pid === process.pid && onThisMachine(claim);
}

/** Whether `a` and `b` are the same claim (the same process, claiming at the same time). */
export function sameClaim(a: ProcessClaim, b: ProcessClaim): boolean {
	return a.pid === b.pid && a.pidSpace === b.pidSpace && a.claimedAt === b.claimedAt;
}
