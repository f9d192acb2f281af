import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach } from 'vitest';
import { repoRoot } from './fork.js';

/** The CLI run from source, as the tests run it: `node --import tsx src/cli/main.ts`. */
export const cliArgs = ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts')];

export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

export interface CliOptions {
	/** Passed as `--root` unless undefined. */
	root?: string;
	env?: NodeJS.ProcessEnv;
	/** Kill the process (and fail) after this many ms. @default 60_000 */
	deadlineMs?: number;
}

const running = new Set<ChildProcess>();

afterEach(async () => {
	const children = [...running];
	running.clear();
	for (const child of children) child.kill('SIGKILL');
	await Promise.all(children.map((child) => (child.exitCode === null ? exitOf(child) : undefined)));
});

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
	return new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null)
			resolve({ code: child.exitCode, signal: child.signalCode });
		else child.once('exit', (code, signal) => resolve({ code, signal }));
	});
}

/** A running CLI process with its output collected as it comes. */
export class CliProcess {
	readonly child: ChildProcess;
	stdout = '';
	stderr = '';
	readonly exited: Promise<CliResult>;
	readonly #waiters = new Set<() => void>();

	constructor(args: string[], options: CliOptions = {}) {
		const rootArgs = options.root === undefined ? [] : ['--root', options.root];
		this.child = spawn(process.execPath, [...cliArgs, ...rootArgs, ...args], {
			cwd: repoRoot,
			env: { ...process.env, NO_COLOR: '1', ...options.env },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		running.add(this.child);
		this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
			this.stdout += text;
			for (const wake of this.#waiters) wake();
		});
		this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
			this.stderr += text;
		});
		const deadline = setTimeout(() => this.child.kill('SIGKILL'), options.deadlineMs ?? 60_000);
		this.exited = exitOf(this.child).then(({ code, signal }) => {
			clearTimeout(deadline);
			running.delete(this.child);
			for (const wake of this.#waiters) wake();
			return { code, signal, stdout: this.stdout, stderr: this.stderr };
		});
	}

	/** Complete stdout lines parsed as JSON. */
	get events(): Record<string, unknown>[] {
		return this.stdout
			.split('\n')
			.filter((line) => line.trim() !== '')
			.map((line) => JSON.parse(line) as Record<string, unknown>);
	}

	/** The first JSON line on stdout matching `predicate`; rejects after `ms` or when the process exits first. */
	async nextEvent(
		predicate: (event: Record<string, unknown>) => boolean,
		what: string,
		ms = 20_000,
	): Promise<Record<string, unknown>> {
		const deadline = Date.now() + ms;
		for (;;) {
			const lines = this.stdout.split('\n').slice(0, -1);
			const found = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find(predicate);
			if (found) return found;
			if (this.child.exitCode !== null || this.child.signalCode !== null) {
				throw new Error(`${what}: the CLI exited first\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
			}
			const left = deadline - Date.now();
			if (left <= 0) throw new Error(`${what}: not within ${ms} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
			await this.#changed(left);
		}
	}

	/** Resolves on the next output or exit, or after `ms`. */
	#changed(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const wake = () => {
				clearTimeout(timer);
				this.#waiters.delete(wake);
				resolve();
			};
			const timer = setTimeout(wake, ms);
			this.#waiters.add(wake);
		});
	}

	/** Send `signal` and wait for the exit. */
	async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult> {
		this.child.kill(signal);
		return this.exited;
	}
}

/** Run the CLI to completion. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
	return new CliProcess(args, options).exited;
}

/** Start a CLI process that keeps running (a leader, `inbox --follow`, a waiting `request`). */
export function startCli(args: string[], options: CliOptions = {}): CliProcess {
	return new CliProcess(args, options);
}

/** Start `lead <team> --json …` and wait for its `ready` event. */
export async function startLead(root: string, args: string[], team = 'alpha') {
	const lead = startCli(['--json', 'lead', team, ...args], { root });
	const ready = await lead.nextEvent((event) => event['event'] === 'ready', 'lead ready');
	return { lead, ready };
}

/** The parsed JSON that `result` printed on stdout (one value). */
export function jsonOf(result: CliResult): unknown {
	try {
		return JSON.parse(result.stdout);
	} catch {
		throw new Error(
			`stdout is not one JSON value (exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
		);
	}
}
