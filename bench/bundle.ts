/**
The bench's child processes, bundled once per run with esbuild into plain ES modules. Forking `node --import tsx`
costs about 0.75 s of CPU per process on a 2-core machine (the loader thread transforms every file), which with 64
writer processes would outweigh the measurement; a bundle starts in about 0.2 s. The library code is the same source,
only concatenated; packages stay external, so the bundle lives in the repository's `.bench-tmp/` (gitignored), where
`node_modules` resolves.
*/

import { rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const entries = {
	/** Pool member: writes and asks on command (see child.ts). */
	child: 'child.ts',
	/** A swarm-mailbox Leader with a policy (see leader-process.ts). */
	leader: 'leader-process.ts',
	/** The older Claude Code lead: 500 ms inbox polls (see baseline-leader.ts). */
	baselineLeader: 'baseline-leader.ts',
	/** Sends messages for the watcher latency figures (see pinger.ts). */
	pinger: 'pinger.ts',
	/** A fresh writer process for the cold send path (see cold-writer.ts). */
	coldWriter: 'cold-writer.ts',
} as const;

export type Bundle = Record<keyof typeof entries, string> & { remove(): void };

export async function bundleChildren(): Promise<Bundle> {
	const outdir = path.join(import.meta.dirname, '..', '.bench-tmp', `children-${process.pid}`);
	await build({
		entryPoints: Object.values(entries).map((file) => path.join(import.meta.dirname, file)),
		outdir,
		outExtension: { '.js': '.mjs' },
		bundle: true,
		packages: 'external',
		platform: 'node',
		format: 'esm',
		target: 'node20',
		logLevel: 'warning',
	});
	const scripts = Object.fromEntries(
		Object.entries(entries).map(([key, file]) => [key, path.join(outdir, file.replace(/\.ts$/, '.mjs'))]),
	) as Record<keyof typeof entries, string>;
	return { ...scripts, remove: () => rmSync(outdir, { recursive: true, force: true }) };
}
