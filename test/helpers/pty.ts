import { stripVTControlCharacters } from 'node:util';
import { type IPty, spawn } from 'node-pty';
import { afterEach } from 'vitest';
import { cliArgs } from './cli.js';
import { repoRoot } from './fork.js';

const open = new Set<PtySession>();

afterEach(async () => {
	const sessions = [...open];
	open.clear();
	for (const session of sessions) session.kill('SIGKILL');
	await Promise.all(sessions.map((session) => session.exited));
});

/** The CLI on a real pseudo-terminal: what it draws is kept, and is read back with the escape sequences stripped. */
export class PtySession {
	readonly #pty: IPty;
	/** Everything written to the terminal, escape sequences included. */
	raw = '';
	readonly exited: Promise<{ exitCode: number; signal?: number | undefined }>;
	#exited = false;
	readonly #waiters = new Set<() => void>();

	constructor(args: string[], options: { cols?: number; rows?: number } = {}) {
		this.#pty = spawn(process.execPath, [...cliArgs, ...args], {
			name: 'xterm-256color',
			cols: options.cols ?? 120,
			rows: options.rows ?? 40,
			cwd: repoRoot,
			env: { ...process.env, NO_COLOR: '1' } as Record<string, string>,
		});
		open.add(this);
		this.#pty.onData((data) => {
			this.raw += data;
			this.#wake();
		});
		this.exited = new Promise((resolve) => {
			this.#pty.onExit((result) => {
				this.#exited = true;
				open.delete(this);
				this.#wake();
				resolve(result);
			});
		});
	}

	#wake(): void {
		for (const wake of this.#waiters) wake();
	}

	/** A position in the output; pass it to `waitFor` to look only at what was drawn after it. */
	mark(): number {
		return this.raw.length;
	}

	/** The text drawn since `since`, escape sequences stripped. */
	text(since = 0): string {
		return stripVTControlCharacters(this.raw.slice(since));
	}

	/** Resolves with the text drawn since `since` once it contains `pattern`; rejects after `ms` or on exit. */
	async waitFor(pattern: string | RegExp, since = 0, ms = 20_000): Promise<string> {
		const deadline = Date.now() + ms;
		for (;;) {
			const text = this.text(since);
			if (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) return text;
			const left = deadline - Date.now();
			if (this.#exited || left <= 0) {
				const why = this.#exited ? 'the CLI exited first' : `not within ${ms} ms`;
				throw new Error(`screen never showed ${String(pattern)}: ${why}\n--- screen ---\n${text}`);
			}
			await new Promise<void>((resolve) => {
				const wake = () => {
					clearTimeout(timer);
					this.#waiters.delete(wake);
					resolve();
				};
				const timer = setTimeout(wake, left);
				this.#waiters.add(wake);
			});
		}
	}

	/** Type `keys` as a person would. */
	press(keys: string): void {
		this.#pty.write(keys);
	}

	kill(signal: NodeJS.Signals = 'SIGTERM'): void {
		if (!this.#exited) this.#pty.kill(signal);
	}
}
