import { randomInt } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type FileSystemFaults, type FileSystemOp, setFileSystemFaults } from '../../src/fs/fs-seam.js';

/** One injected fault: calls of `op` whose path contains `path` are counted; calls `nth` .. `nth + times - 1` fail. */
export interface FaultRule {
	op: FileSystemOp;
	/** A substring of the path (an empty string or absent matches every path). */
	path?: string;
	/** And how the path ends. */
	suffix?: string;
	/** And a pattern the path matches. */
	pattern?: RegExp;
	/** 1-based index among the matching calls of the first faulty one. @default 1 */
	nth?: number;
	/** How many matching calls fail from `nth` on (`0`: all of them). @default 1 */
	times?: number;
	/** The errno code to fail with (ENOSPC, EACCES, EIO, …). */
	code?: string;
	/** Instead of failing, block the whole process this long before the call runs (a stalled holder: GC, swap, SIGSTOP). */
	stallMs?: number;
	/** Create this file (with the real fs) just before stalling, so another process can see the stall begin. */
	marker?: string;
}

/** A fault that fired. */
export interface FiredFault {
	op: FileSystemOp;
	path: string;
	code?: string;
	stallMs?: number;
}

/** An error shaped like the one Node's fs raises for `code`. */
export function fsError(code: string, op: FileSystemOp, file: string): NodeJS.ErrnoException {
	const error: NodeJS.ErrnoException = new Error(`${code}: injected fault, ${op} '${file}'`);
	error.code = code;
	error.syscall = op;
	error.path = file;
	return error;
}

const stallCell = new Int32Array(new SharedArrayBuffer(4));

/** An injector that applies `rules`, and the record of what fired. Each rule counts its own matching calls. */
export function faultPlan(rules: readonly FaultRule[]): { faults: FileSystemFaults; fired: FiredFault[] } {
	const seen = rules.map(() => 0);
	const fired: FiredFault[] = [];
	const faults: FileSystemFaults = (op, file) => {
		for (const [index, rule] of rules.entries()) {
			if (rule.op !== op || !file.includes(rule.path ?? '') || !file.endsWith(rule.suffix ?? '')) continue;
			if (rule.pattern && !rule.pattern.test(file)) continue;
			const count = ++seen[index]!;
			const first = rule.nth ?? 1;
			const times = rule.times ?? 1;
			if (count < first || (times > 0 && count >= first + times)) continue;
			if (rule.stallMs !== undefined) {
				if (rule.marker) writeFileSync(rule.marker, `${process.pid}\n`);
				fired.push({ op, path: file, stallMs: rule.stallMs });
				// A synchronous stall: no timer, no I/O callback of this process runs meanwhile.
				Atomics.wait(stallCell, 0, 0, rule.stallMs);
				continue;
			}
			const code = rule.code ?? 'EIO';
			fired.push({ op, path: file, code });
			return fsError(code, op, file);
		}
		return undefined;
	};
	return { faults, fired };
}

/** Install `rules` in this process; returns the record of fired faults. Remove with {@link clearFaults}. */
export function injectFaults(rules: readonly FaultRule[]): FiredFault[] {
	const plan = faultPlan(rules);
	setFileSystemFaults(plan.faults);
	return plan.fired;
}

export function clearFaults(): void {
	setFileSystemFaults(undefined);
}

/** Every call this process makes through the seam while `run` runs, in order (nothing fails). */
export async function traceCalls(run: () => Promise<unknown>): Promise<{ op: FileSystemOp; path: string }[]> {
	const calls: { op: FileSystemOp; path: string }[] = [];
	setFileSystemFaults((op, file) => {
		calls.push({ op, path: file });
		return undefined;
	});
	try {
		await run();
	} finally {
		setFileSystemFaults(undefined);
	}
	return calls;
}

/** Temp files of our atomic writes (`*.tmp.<8 hex>`) anywhere under `dir`. */
export function tempFilesUnder(dir: string): string[] {
	if (!existsSync(dir)) return [];
	return readdirSync(dir, { recursive: true, encoding: 'utf8' })
		.filter((name) => /\.tmp\.[0-9a-f]{8}$/.test(name))
		.map((name) => path.join(dir, name));
}

/** Small seeded PRNG (mulberry32): the same seed replays the same plan. */
export function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
	};
}

/**
The seed of a randomised test: `FAULT_SEED` when set (to replay a failure), else a fresh one. It is printed either way,
so a failing run names the seed that replays it.
*/
export function faultSeed(test: string): { seed: number; random: () => number } {
	const fromEnv = process.env['FAULT_SEED'];
	const seed = fromEnv ? Number(fromEnv) : randomInt(2 ** 31);
	console.info(`[${test}] seed ${seed} (replay with FAULT_SEED=${seed})`);
	return { seed, random: mulberry32(seed) };
}
