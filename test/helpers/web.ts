import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import type { NetworkOutcome, PermissionOutcome } from '../../src/worker/responses.js';
import type { PermissionAsk } from '../../src/worker/worker.js';
import { forkFixture, repoRoot } from './fork.js';

/** $CHROMIUM_PATH when set (only it), else Debian's Chromium. */
const candidates = process.env['CHROMIUM_PATH']
	? [process.env['CHROMIUM_PATH']]
	: ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
export const browserPath = candidates.find((candidate) => existsSync(candidate));

/**
Whether the browser tests run. Under CI=true a missing browser fails the file (see `requireBrowser`); elsewhere the
tests are skipped with a printed reason.
*/
export const browserTests = browserPath !== undefined || process.env['CI'] === 'true';
if (!browserTests) {
	console.warn('Skipping the web page browser tests: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH).');
}

export async function launchBrowser(): Promise<Browser> {
	if (!browserPath)
		throw new Error('No Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH); CI needs it.');
	// Root (CI) cannot use Chromium's sandbox.
	return chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
}

/** A forked worker process (test/fixtures/web-worker.ts) whose asks resolve to their full outcome. */
export class WorkerProcess {
	readonly child: ChildProcess;
	readonly #outcomes = new Map<string, (outcome: PermissionOutcome) => void>();
	readonly ready: Promise<void>;

	constructor(root: string, team: string, name: string) {
		this.child = forkFixture(path.join(repoRoot, 'test', 'fixtures', 'web-worker.ts'), [root, team, name]);
		this.ready = new Promise((resolve, reject) => {
			this.child.once('exit', (code) => reject(new Error(`worker ${name} exited (${code}) before it was ready`)));
			this.child.on('message', (message: { kind: string; toolUseId: string; outcome: PermissionOutcome }) => {
				if (message.kind === 'ready') resolve();
				if (message.kind === 'outcome') this.#outcomes.get(message.toolUseId)?.(message.outcome);
			});
		});
	}

	/** Ask the lead; resolves with the worker's outcome. */
	ask(ask: PermissionAsk): Promise<PermissionOutcome> {
		return new Promise((resolve) => {
			this.#outcomes.set(ask.toolUseId, resolve);
			this.child.send({ kind: 'ask', ask });
		});
	}

	/** Ask for sandbox network access to `host`. */
	network(host: string): Promise<NetworkOutcome> {
		return new Promise((resolve) => {
			this.#outcomes.set(host, resolve as never);
			this.child.send({ kind: 'network', host });
		});
	}

	async close(): Promise<void> {
		if (this.child.exitCode !== null || !this.child.connected) return;
		const exited = new Promise((resolve) => this.child.once('exit', resolve));
		this.child.send('finish');
		const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
		await exited;
		clearTimeout(timer);
	}
}
