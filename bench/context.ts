/** What every bench section shares: the run's sizes, its temp directory, the child pool, and the failure record. */

import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Bundle } from './bundle.js';
import type { Pool } from './pool.js';

export interface Sizes {
	/** Sequential permission round trips of one worker (ours). */
	roundTrips: number;
	/** Workers asking at once, and the sequential round trips of each. */
	concurrentWorkers: number;
	roundTripsPerWorker: number;
	/** The same through the older path, whose every round trip costs hundreds of ms of polling. */
	baselineRoundTrips: number;
	baselineRoundTripsPerWorker: number;
	/** A baseline ask with no answer after this long counts as unanswered. */
	baselineDeadlineMs: number;
	/** Round trips in network file system mode (polling watchers). */
	pollingRoundTrips: number;
	writerLevels: number[];
	messagesPerWriter: number;
	contentionRounds: number;
	backlogLevels: number[];
	backlogSends: number;
	backlogRounds: number;
	idleMs: number;
	pendingRequests: number;
	watcherMessages: number;
	/** Sends into a teammate's inbox while a lead of the same team watches. */
	neighbourSends: number;
}

export function sizesFor(quick: boolean): Sizes {
	const shared = {
		concurrentWorkers: 16,
		baselineDeadlineMs: 5_000,
		writerLevels: [1, 8, 16, 32, 64],
		backlogLevels: [0, 100, 1_000, 10_000],
		pendingRequests: 1_000,
	};
	if (quick) {
		return {
			...shared,
			roundTrips: 100,
			roundTripsPerWorker: 5,
			baselineRoundTrips: 4,
			baselineRoundTripsPerWorker: 2,
			pollingRoundTrips: 20,
			messagesPerWriter: 10,
			contentionRounds: 1,
			backlogSends: 20,
			backlogRounds: 1,
			idleMs: 5_000,
			watcherMessages: 50,
			neighbourSends: 50,
		};
	}
	return {
		...shared,
		roundTrips: 1_000,
		roundTripsPerWorker: 100,
		baselineRoundTrips: 60,
		baselineRoundTripsPerWorker: 10,
		pollingRoundTrips: 200,
		messagesPerWriter: 30,
		contentionRounds: 5,
		backlogSends: 200,
		backlogRounds: 3,
		idleMs: 60_000,
		watcherMessages: 500,
		neighbourSends: 500,
	};
}

export class BenchContext {
	readonly quick: boolean;
	readonly sizes: Sizes;
	/** The temp directory every section writes under. */
	readonly root: string;
	readonly bundle: Bundle;
	readonly pool: Pool;
	/** Runs of ours that lost, failed, duplicated or refused something; any makes the bench exit non-zero. */
	readonly failures: string[] = [];
	#sequence = 0;

	constructor(options: { quick: boolean; root: string; bundle: Bundle; pool: Pool }) {
		this.quick = options.quick;
		this.sizes = sizesFor(options.quick);
		this.root = options.root;
		this.bundle = options.bundle;
		this.pool = options.pool;
	}

	/** A new empty directory under the root. */
	freshDir(label = 'run'): string {
		const directory = path.join(this.root, `${label}-${this.#sequence++}`);
		mkdirSync(directory, { recursive: true });
		return directory;
	}

	fail(detail: string): void {
		this.failures.push(detail);
		console.error(`  FAILED: ${detail}`);
	}

	/** Fork one of the bundled long-lived processes (leaders, pinger) with `--expose-gc` for memory readings. */
	fork(script: string, args: string[]): ChildProcess {
		return fork(script, args, { execArgv: ['--expose-gc'], stdio: 'inherit' });
	}
}

/** SIGKILL a child and wait until it is gone, so the next measurement does not share the CPU with it. */
export async function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGKILL');
	await exited;
}
