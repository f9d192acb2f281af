import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Fork a TypeScript fixture through tsx, the same loader the tests run under. */
export function forkFixture(script: string, args: string[], options: { silent?: boolean } = {}): ChildProcess {
	return fork(script, args, {
		// FIXTURE_EXEC_ARGV adds node flags (e.g. --cpu-prof) when profiling fixtures by hand.
		execArgv: ['--import', 'tsx', ...(process.env['FIXTURE_EXEC_ARGV'] ?? '').split(' ').filter(Boolean)],
		cwd: repoRoot,
		stdio: options.silent ? 'pipe' : 'inherit',
	});
}

export interface WriterReport {
	sent: { id: string; text: string }[];
	failed: { text: string; code: string }[];
	/** From "go" to the last writer's "done", every writer having been started and ready before. */
	elapsedMs: number;
}

/** Run `writers` forked writer processes against `file`, started and ready before the clock starts. */
export async function runWriters(
	script: string,
	file: string,
	writers: number,
	count: number,
	timeoutMs = 120_000,
): Promise<WriterReport> {
	const children: ChildProcess[] = [];
	const report: WriterReport = { sent: [], failed: [], elapsedMs: 0 };
	const ready: Promise<FixtureMessage>[] = [];
	const done: Promise<FixtureMessage>[] = [];
	for (let index = 0; index < writers; index++) {
		const child = forkFixture(script, [file, String(index), String(count)]);
		children.push(child);
		ready.push(nextMessage(child, 'ready', timeoutMs));
		done.push(nextMessage(child, 'done', timeoutMs));
		child.on('message', (message: { kind: string; id: string; text: string; code: string }) => {
			if (message.kind === 'sent') report.sent.push({ id: message.id, text: message.text });
			if (message.kind === 'failed') report.failed.push({ text: message.text, code: message.code });
		});
	}
	const timer = setTimeout(() => {
		for (const child of children) child.kill('SIGKILL');
	}, timeoutMs);
	try {
		await Promise.all(ready);
		const started = performance.now();
		for (const child of children) child.send('go');
		await Promise.all(done);
		report.elapsedMs = performance.now() - started;
		await Promise.all(
			children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null)),
		);
	} finally {
		clearTimeout(timer);
	}
	return report;
}

export interface FixtureMessage {
	kind: string;
	[field: string]: unknown;
}

/** The first IPC message of `kind` (or matching a predicate); rejects if the child exits first or `deadlineMs` passes. */
export function nextMessage(
	child: ChildProcess,
	kind: string | ((message: FixtureMessage) => boolean),
	deadlineMs = 60_000,
): Promise<FixtureMessage> {
	const matches = typeof kind === 'string' ? (message: FixtureMessage) => message.kind === kind : kind;
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => {
			cleanup();
			reject(new Error(`no matching message from fixture ${child.pid} within ${deadlineMs} ms`));
		}, deadlineMs);
		const onMessage = (message: FixtureMessage) => {
			if (!matches(message)) return;
			cleanup();
			resolve(message);
		};
		// 'exit' can come before the last messages the child sent are read from the channel: fail only once the
		// channel is closed (every message before its end has been emitted by then).
		const onExit = (code: number | null, signal: string | null) => {
			const fail = () => {
				cleanup();
				reject(new Error(`fixture exited (code ${code}, signal ${signal}) before the expected message`));
			};
			if (child.connected) child.once('disconnect', fail);
			else setImmediate(fail);
			failLater = fail;
		};
		let failLater: (() => void) | undefined;
		const cleanup = () => {
			clearTimeout(timer);
			child.off('message', onMessage);
			child.off('exit', onExit);
			if (failLater) child.off('disconnect', failLater);
		};
		child.on('message', onMessage);
		child.on('exit', onExit);
	});
}

/** Resolve on the first message matching `predicate` (no deadline of its own). */
export function waitFor(child: ChildProcess, predicate: (message: FixtureMessage) => boolean): Promise<void> {
	return nextMessage(child, predicate, 2 ** 31 - 1).then(() => {});
}

const tracked: ChildProcess[] = [];

/** `forkFixture`, SIGKILLed after the test if it is still running (register `killTracked` in `afterEach`). */
export function forkTracked(script: string, args: string[]): ChildProcess {
	const child = forkFixture(script, args);
	tracked.push(child);
	return child;
}

/** Kill every child `forkTracked` started that is still running. */
export function killTracked(): void {
	for (const child of tracked.splice(0))
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
