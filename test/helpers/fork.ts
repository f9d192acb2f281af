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
	const ready: Promise<void>[] = [];
	const done: Promise<void>[] = [];
	for (let index = 0; index < writers; index++) {
		const child = forkFixture(script, [file, String(index), String(count)]);
		children.push(child);
		ready.push(waitFor(child, (message) => message.kind === 'ready'));
		done.push(waitFor(child, (message) => message.kind === 'done'));
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

/** Resolve on the first IPC message matching `predicate`; reject if the child exits first. */
export function waitFor(child: ChildProcess, predicate: (message: { kind: string }) => boolean): Promise<void> {
	return new Promise((resolve, reject) => {
		const onMessage = (message: { kind: string }) => {
			if (!predicate(message)) return;
			cleanup();
			resolve();
		};
		const onExit = (code: number | null, signal: string | null) => {
			cleanup();
			reject(new Error(`fixture exited (code ${code}, signal ${signal}) before the expected message`));
		};
		const cleanup = () => {
			child.off('message', onMessage);
			child.off('exit', onExit);
		};
		child.on('message', onMessage);
		child.on('exit', onExit);
	});
}
