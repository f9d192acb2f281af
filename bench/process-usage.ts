/**
CPU and memory of a forked bench process, asked for over IPC: the child calls `serveUsage()`, the parent
`queryUsage(child)`. Memory is read after a full collection when the child runs with `--expose-gc`, so the heap
figure is what is live, not what the collector has not got round to.
*/

import type { ChildProcess } from 'node:child_process';
import { nextMessage } from '../test/helpers/fork.js';

export interface Usage {
	/** User + system CPU since the process started, ms. */
	cpuMs: number;
	rssBytes: number;
	heapUsedBytes: number;
}

/** In the child: answer `{cmd: 'usage'}` with `{kind: 'usage', usage}`. */
export function serveUsage(): void {
	process.on('message', (message: { cmd?: string }) => {
		if (message?.cmd !== 'usage') return;
		// CPU first: the collection below must not be billed to the next measured window.
		const cpu = process.cpuUsage();
		(globalThis as { gc?: () => void }).gc?.();
		const memory = process.memoryUsage();
		const usage: Usage = {
			cpuMs: (cpu.user + cpu.system) / 1000,
			rssBytes: memory.rss,
			heapUsedBytes: memory.heapUsed,
		};
		process.send?.({ kind: 'usage', usage });
	});
}

export async function queryUsage(child: ChildProcess): Promise<Usage> {
	const reply = nextMessage(child, 'usage', 30_000);
	child.send({ cmd: 'usage' });
	return (await reply)['usage'] as Usage;
}
