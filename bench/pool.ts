/**
A pool of forked bench children (child.ts), started and warmed up once, then reused by every section: forking 64
processes per contention round would cost more than the round. The pool grows on demand to the largest job so far.
A job hands one command to each of several children; each prepares (opens its inbox, starts its watcher…) and
reports, and only once all are prepared does the caller start the clock and say go, so no process start-up or
preparation is ever timed.
*/

import { type ChildProcess, fork } from 'node:child_process';
import type { ChildCommand, FromChild, ToChild } from './child-commands.js';

export interface Job<T> {
	/** Resolves once every child has prepared its command. */
	prepared: Promise<void>;
	/** Let every child run (after `prepared`); resolves with their results, in command order. */
	go(): Promise<T[]>;
}

const startDeadlineMs = 300_000;
const jobDeadlineMs = 600_000;

export class Pool {
	readonly #script: string;
	readonly #children: ChildProcess[] = [];
	#jobs = 0;

	constructor(script: string) {
		this.#script = script;
	}

	get size(): number {
		return this.#children.length;
	}

	/** Fork children until there are `size`, and wait until each new one has warmed up. */
	async ensure(size: number): Promise<void> {
		const added: ChildProcess[] = [];
		while (this.#children.length < size) {
			const child = fork(this.#script, [], { stdio: 'inherit' });
			this.#children.push(child);
			added.push(child);
		}
		await Promise.all(added.map((child) => reply(child, (message) => message.kind === 'ready', startDeadlineMs)));
	}

	/** Child `i` gets `commands[i]`. */
	job<T>(commands: ChildCommand[]): Job<T> {
		const job = ++this.#jobs;
		let results: Promise<FromChild>[] = [];
		let children: ChildProcess[] = [];
		const prepared = (async () => {
			await this.ensure(commands.length);
			children = this.#children.slice(0, commands.length);
			results = children.map((child) =>
				reply(child, (message) => message.kind === 'result' && message.job === job, jobDeadlineMs),
			);
			// A child that fails while preparing must not leave an unobserved rejection behind.
			for (const result of results) result.catch(() => {});
			await Promise.all(
				children.map((child, index) => {
					const answer = reply(child, (message) => message.kind === 'prepared' && message.job === job, jobDeadlineMs);
					send(child, { job, command: commands[index] as ChildCommand });
					return answer;
				}),
			);
		})();
		return {
			prepared,
			go: async () => {
				await prepared;
				for (const child of children) send(child, { job, go: true });
				const messages = await Promise.all(results);
				return messages.map((message) => (message as { result: T }).result);
			},
		};
	}

	close(): void {
		for (const child of this.#children) if (child.exitCode === null) child.kill('SIGKILL');
	}
}

function send(child: ChildProcess, message: ToChild): void {
	child.send(message);
}

/** The first message matching `matches`; rejects on an `error` reply, on exit, or at the deadline. */
function reply(child: ChildProcess, matches: (message: FromChild) => boolean, deadlineMs: number): Promise<FromChild> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(
			() => done(new Error(`bench child ${child.pid}: no reply within ${deadlineMs} ms`)),
			deadlineMs,
		);
		const onMessage = (message: FromChild) => {
			if (message.kind === 'error') done(new Error(`bench child ${child.pid}: ${message.message}`));
			else if (matches(message)) done(undefined, message);
		};
		const onExit = (code: number | null, signal: string | null) =>
			done(new Error(`bench child ${child.pid} exited (code ${code}, signal ${signal})`));
		const done = (error: Error | undefined, message?: FromChild) => {
			clearTimeout(timer);
			child.off('message', onMessage);
			child.off('exit', onExit);
			if (error) reject(error);
			else resolve(message as FromChild);
		};
		child.on('message', onMessage);
		child.on('exit', onExit);
	});
}
