/** A description of the machine the bench ran on, so figures from different machines are never compared blind. */

import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
	cpu: string;
	cores: number;
	ramGiB: number;
	node: string;
	kernel: string;
	/** File system of the directory the bench writes in, with its mount options (Linux: from /proc/mounts). */
	fileSystem: string;
	/** 1-minute load average when the bench started: other work on the machine skews every figure. */
	loadAverage: number;
}

export function describeMachine(directory: string): Machine {
	return {
		cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
		cores: os.availableParallelism(),
		ramGiB: os.totalmem() / 2 ** 30,
		node: process.version,
		kernel: `${os.type()} ${os.release()} (${os.arch()})`,
		fileSystem: fileSystemOf(directory),
		loadAverage: os.loadavg()[0] ?? Number.NaN,
	};
}

/** The mount with the longest path prefix of `directory`, as `<type> on <mount point> (<device>)`. */
function fileSystemOf(directory: string): string {
	let mounts: string;
	try {
		mounts = readFileSync('/proc/mounts', 'utf8');
	} catch {
		return 'unknown (no /proc/mounts)';
	}
	const target = realpathSync(directory);
	let best: { device: string; point: string; type: string; options: string } | undefined;
	for (const line of mounts.split('\n')) {
		const [device, rawPoint, type, options = ''] = line.split(' ');
		if (!device || !rawPoint || !type) continue;
		// /proc/mounts escapes spaces and other specials as octal.
		const point = rawPoint.replace(/\\([0-7]{3})/g, (_, octal: string) =>
			String.fromCharCode(Number.parseInt(octal, 8)),
		);
		const inside = point === '/' || target === point || target.startsWith(`${point}/`);
		if (inside && point.length >= (best?.point.length ?? 0)) best = { device, point, type, options };
	}
	if (!best) return 'unknown';
	const journal = best.type === 'ext4' ? ext4Journal(best.device) : '';
	return `${best.type}${journal} on ${best.point} (${best.device}, ${best.options})`;
}

/**
Whether an ext4 device has a journal: jbd2 lists each journal it runs in /proc/fs/jbd2 as `<device>-<inode>`.
Without one, fsync flushes blocks directly, and new inodes skip recently freed ones (see conditions.ts).
*/
function ext4Journal(device: string): string {
	try {
		const name = device.split('/').pop() ?? device;
		return readdirSync('/proc/fs/jbd2').some((entry) => entry.startsWith(`${name}-`)) ? '' : ' without a journal';
	} catch {
		return '';
	}
}

export function machineLines(machine: Machine, directory: string): string[] {
	return [
		`- CPU: ${machine.cpu}, ${machine.cores} cores; RAM ${machine.ramGiB.toFixed(1)} GiB`,
		`- ${machine.kernel}; Node ${machine.node}`,
		`- bench dir ${directory}: ${machine.fileSystem}`,
		`- 1-minute load average at start: ${machine.loadAverage.toFixed(2)}`,
	];
}
