import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import type { FaultRule, FiredFault } from './faults.js';
import { type FixtureMessage, forkFixture, nextMessage } from './fork.js';

const children: ChildProcess[] = [];

afterEach(() => {
	for (const child of children.splice(0)) if (isRunning(child)) child.kill('SIGKILL');
});

export function isRunning(child: ChildProcess): boolean {
	return child.exitCode === null && child.signalCode === null;
}

/** Fork a fixture that is SIGKILLed after the test if still running. */
export function forkTracked(script: string, args: string[]): ChildProcess {
	const child = forkFixture(script, args);
	children.push(child);
	return child;
}

export function exited(child: ChildProcess): Promise<void> {
	if (!isRunning(child)) return Promise.resolve();
	return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Options of `test/fixtures/fault-sender.ts`. */
export interface SenderOptions {
	from?: string;
	count?: number;
	staleMs?: number;
	lockTimeoutMs?: number;
	fsync?: boolean;
	skewMs?: number;
	faults?: FaultRule[];
}

export interface SenderReport {
	sent: { id: string; text: string }[];
	failed: { text: string; code: string; message: string }[];
	fired: FiredFault[];
}

/** A forked sender, ready (faults installed); `go()` starts its sends and resolves with its report. */
export async function startSender(file: string, options: SenderOptions) {
	const child = forkTracked('test/fixtures/fault-sender.ts', [file, JSON.stringify(options)]);
	const report: SenderReport = { sent: [], failed: [], fired: [] };
	child.on('message', (message: FixtureMessage) => {
		if (message.kind === 'sent') report.sent.push(message as never);
		if (message.kind === 'failed') report.failed.push(message as never);
		if (message.kind === 'done') report.fired = message['fired'] as FiredFault[];
	});
	await nextMessage(child, 'ready', 30_000);
	return {
		child,
		go: async (deadlineMs = 30_000): Promise<SenderReport> => {
			const done = nextMessage(child, 'done', deadlineMs);
			child.send('go');
			await done;
			await exited(child);
			return report;
		},
	};
}

/** Poll until `condition` holds (file-system state another process creates), or fail after `deadlineMs`. */
export async function waitUntil(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
	const end = Date.now() + deadlineMs;
	while (!condition()) {
		if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 5));
	}
}

export const fileExists = (file: string) => () => existsSync(file);

/** The entries of an inbox file, which must parse as an array. */
export function inboxEntries(file: string): { from: string; text: string; msg_id: string }[] {
	const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
	if (!Array.isArray(parsed)) throw new Error(`${file} is not an array`);
	return parsed as { from: string; text: string; msg_id: string }[];
}
