/**
How fast this machine is at the start of a run, measured in the bench directory just before section 1, so runs made
in different minutes can be read side by side. Two things move every figure here from one minute to the next:
- File creation. On ext4 without a journal (this VM's root), a new inode is never one freed in the last 60 s (360 s
  while its inode table block is unwritten), and finding one means walking past every such inode in the group: after
  a large tree was removed nearby, creating a file costs about 0.2 ms instead of 0.017 ms, for minutes. Each round trip
  creates three files and two lock directories.
- The CPU itself: the same work costs more CPU time in some minutes than in others.
*/

import { closeSync, fsyncSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fixed, median } from './stats.js';

export interface Conditions {
	/** Median time to create (and close) an empty file in a fresh directory, ms. */
	createMs: number;
	/** Median time of a durable replace: temp file written and fsynced, renamed over, directory fsynced, ms. */
	durableReplaceMs: number;
	/** Median time of a fixed piece of JavaScript (JSON of an inbox of 200 entries, both ways, 20 times), ms. */
	cpuMs: number;
}

const creates = 200;
const replaces = 100;
const cpuRounds = 30;

function timed(count: number, step: (index: number) => void): number {
	const samples: number[] = [];
	for (let index = 0; index < count; index++) {
		const started = performance.now();
		step(index);
		samples.push(performance.now() - started);
	}
	return median(samples);
}

function fsyncPath(target: string): void {
	const fd = openSync(target, 'r');
	try {
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
}

const inbox = Array.from({ length: 200 }, (_, index) => ({
	from: `worker-${index % 16}`,
	text: JSON.stringify({
		type: 'permission_request',
		request_id: `perm-${index}`,
		input: { command: `echo ${index}` },
	}),
	timestamp: new Date(1_800_000_000_000 + index).toISOString(),
	read: false,
	msg_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
}));

/** Measure in a fresh directory under `root` (removed afterwards: a few hundred inodes, too few to slow what follows). */
export function measureConditions(root: string): Conditions {
	const directory = mkdtempSync(path.join(root, 'conditions-'));
	try {
		const createMs = timed(creates, (index) => closeSync(openSync(path.join(directory, `new-${index}`), 'wx')));
		const target = path.join(directory, 'inbox.json');
		const bytes = Buffer.from(JSON.stringify(inbox.slice(0, 4), null, 2));
		const durableReplaceMs = timed(replaces, (index) => {
			const temp = `${target}.tmp.${index}`;
			const fd = openSync(temp, 'wx', 0o600);
			try {
				writeSync(fd, bytes);
				fsyncSync(fd);
			} finally {
				closeSync(fd);
			}
			renameSync(temp, target);
			fsyncPath(directory);
		});
		const cpuMs = timed(cpuRounds, () => {
			for (let round = 0; round < 20; round++) JSON.parse(JSON.stringify(inbox));
		});
		return { createMs, durableReplaceMs, cpuMs };
	} finally {
		rmSync(directory, { recursive: true, force: true });
	}
}

export function conditionLine(conditions: Conditions): string {
	return (
		`- conditions at start (medians): create a file ${fixed(conditions.createMs, 3)} ms, durable replace ` +
		`${fixed(conditions.durableReplaceMs, 3)} ms, CPU reference ${fixed(conditions.cpuMs)} ms ` +
		'(see bench/conditions.ts: after a large tree was removed nearby, creating a file here costs about 0.2 ms)'
	);
}
