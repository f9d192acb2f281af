/**
A pool member (see pool.ts): warms up both write paths, reports ready, then serves jobs. Each job is two messages: a
command, which the child prepares (opens the inbox, starts watching or polling, warms up) and confirms; then `go`,
on which it runs and sends back the result. Jobs come one at a time.
*/

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareAsker } from './asker.js';
import { prepareBaselineAsker } from './baseline-asker.js';
import type { ChildCommand, FromChild, ToChild } from './child-commands.js';
import { prepareWriter, warmUpWriters } from './writers.js';

const reply = (message: FromChild) => process.send?.(message);
const prepared = new Map<number, () => Promise<unknown>>();

async function prepare(command: ChildCommand): Promise<() => Promise<unknown>> {
	if (command.role === 'write') return prepareWriter(command);
	if (command.impl === 'ours') return prepareAsker(command);
	return prepareBaselineAsker(command);
}

async function handle(message: ToChild): Promise<void> {
	const { job } = message;
	try {
		if ('command' in message) {
			prepared.set(job, await prepare(message.command));
			reply({ kind: 'prepared', job });
			return;
		}
		const run = prepared.get(job);
		prepared.delete(job);
		if (!run) throw new Error(`job ${job} was not prepared`);
		reply({ kind: 'result', job, result: await run() });
	} catch (error) {
		reply({ kind: 'error', job, message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
	}
}

process.on('message', (message: ToChild) => void handle(message));
const scratch = await mkdtemp(path.join(tmpdir(), 'swarm-bench-warmup-'));
await warmUpWriters(scratch);
await rm(scratch, { recursive: true, force: true });
reply({ kind: 'ready' });
