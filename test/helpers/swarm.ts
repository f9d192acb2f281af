import type { EventEmitter } from 'node:events';
import { afterEach } from 'vitest';
import { Leader, type LeaderOptions } from '../../src/leader/leader.js';
import type { PendingRequest } from '../../src/leader/pending-request.js';
import { Team } from '../../src/team/team.js';
import { Worker, type WorkerOptions } from '../../src/worker/worker.js';
import { tempDir } from './temp.js';

const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
	for (const item of opened.splice(0).reverse()) await item.close();
});

/** Close `item` after the test (before its directory is removed). */
export function track<T extends { close(): Promise<void> }>(item: T): T {
	opened.push(item);
	return item;
}

/** A team `alpha` with members ann and bob in a fresh root, a started Leader, and a Worker for ann. */
export async function startSwarm(
	leaderOptions: LeaderOptions | ((team: Team) => Promise<LeaderOptions>) = {},
	workerOptions: Partial<WorkerOptions> = {},
) {
	const root = tempDir();
	const team = await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
	const options = typeof leaderOptions === 'function' ? await leaderOptions(team) : leaderOptions;
	const leader = track(new Leader(team, options));
	await leader.start();
	const worker = track(new Worker(team, { name: 'ann', ...workerOptions }));
	return { root, team, leader, worker, requests: leader.requests() };
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
	});
	try {
		return await Promise.race([promise, deadline]);
	} finally {
		clearTimeout(timer);
	}
}

/** The next request a person is asked about. */
export async function nextRequest(requests: AsyncIterator<PendingRequest>, ms = 10_000): Promise<PendingRequest> {
	const result = await within(requests.next(), 'pending request', ms);
	if (result.done) throw new Error('requests() ended');
	return result.value;
}

/** Every `event` payload `emitter` emits from now on. */
export function collect<T>(emitter: EventEmitter, event: string): T[] {
	const seen: T[] = [];
	emitter.on(event, (payload: T) => seen.push(payload));
	return seen;
}

/** Resolve once `check` holds, polling every 10 ms up to `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
	const deadline = Date.now() + ms;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

/** A Bash permission ask. */
export function bash(command: string, toolUseId = 'toolu_1') {
	return { toolName: 'Bash', toolUseId, input: { command } };
}

/** Whether a promise has settled (checked after the current microtasks). */
export function settledFlag(promise: Promise<unknown>): () => boolean {
	let settled = false;
	promise.then(
		() => {
			settled = true;
		},
		() => {
			settled = true;
		},
	);
	return () => settled;
}
