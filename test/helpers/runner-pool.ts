import type { ChildProcess } from 'node:child_process';
import { forkFixture, nextMessage } from './fork.js';

const script = 'test/fixtures/inbox-runner.ts';

export type Reply = { ok: true; value: unknown } | { ok: false; code: string; message: string } | { crashed: true };

export interface RunnerCommand {
	op: 'send' | 'read' | 'ack' | 'clear' | 'consume';
	file: string;
	text?: string;
	ids?: string[];
	timeoutMs?: number;
}

interface ResultMessage {
	kind: string;
	id: number;
	ok: boolean;
	value?: unknown;
	code?: string;
	message?: string;
}

/** One forked `inbox-runner` process: commands go out over IPC, each answered by its result or `{crashed}`. */
export class Runner {
	readonly exited: Promise<void>;
	readonly #child: ChildProcess;
	readonly #pending = new Map<number, (reply: Reply) => void>();
	#nextId = 0;

	private constructor(child: ChildProcess) {
		this.#child = child;
		child.on('message', (message: ResultMessage) => {
			if (message.kind !== 'result') return;
			const settle = this.#pending.get(message.id);
			this.#pending.delete(message.id);
			settle?.(
				message.ok
					? { ok: true, value: message.value }
					: { ok: false, code: message.code ?? '?', message: message.message ?? '' },
			);
		});
		this.exited = new Promise((resolve) => {
			child.once('exit', () => {
				for (const settle of this.#pending.values()) settle({ crashed: true });
				this.#pending.clear();
				resolve();
			});
		});
	}

	static async start(staleMs: number, scratch: string): Promise<Runner> {
		const child = forkFixture(script, [String(staleMs), scratch]);
		const runner = new Runner(child);
		await nextMessage(child, 'ready', 60_000);
		return runner;
	}

	/** Resolves with the command's result, or `{crashed: true}` if the process dies first. */
	request(command: RunnerCommand): Promise<Reply> {
		if (!this.#child.connected) return Promise.resolve({ crashed: true });
		const id = this.#nextId++;
		return new Promise((resolve) => {
			this.#pending.set(id, resolve);
			this.#child.send({ ...command, id });
		});
	}

	kill(): Promise<void> {
		this.#child.kill('SIGKILL');
		return this.exited;
	}
}

/** A fixed number of runner slots; a killed runner is replaced at once, so its successor warms up meanwhile. */
export class RunnerPool {
	readonly size: number;
	readonly #slots: Promise<Runner>[];
	readonly #start: () => Promise<Runner>;

	constructor(size: number, staleMs: number, scratch: string) {
		this.size = size;
		// A replacement nobody awaits yet must not count as an unhandled rejection; awaiting it still rejects.
		this.#start = () => {
			const started = Runner.start(staleMs, scratch);
			started.catch(() => {});
			return started;
		};
		this.#slots = Array.from({ length: size }, this.#start);
	}

	runner(slot: number): Promise<Runner> {
		return this.#slots[slot] as Promise<Runner>;
	}

	/** SIGKILL the runner in `slot` (kill -9: no cleanup, locks and temp files stay behind). */
	async kill(slot: number): Promise<void> {
		const runner = await this.runner(slot);
		await runner.kill();
		this.#slots[slot] = this.#start();
	}

	async close(): Promise<void> {
		await Promise.allSettled(this.#slots.map(async (slot) => (await slot).kill()));
	}
}
