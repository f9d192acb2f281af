/**
Section 12: how fast the `swarm-mailbox` command starts, as a ratio to bare Node start-up (`node -e 0`) measured in
the same minutes, so the figure does not depend on the machine's speed. The command is bundled from the working tree
exactly as `prepare` ships it (see shipped-cli.ts). Two commands: `--version` (the floor: no
command module is loaded) and a `request` that a running lead's policy allows (what a runner pays on every tool call:
start, ask, wait for the answer, exit). The three are run in turn, so a busy moment slows all of them alike.
*/

import { type ChildProcess, spawnSync } from 'node:child_process';
import { Team } from '../src/team/team.js';
import { type BenchContext, stop } from './context.js';
import type { SectionResult } from './results.js';
import { shippedCli } from './shipped-cli.js';
import { fixed, median } from './stats.js';

function timed(args: string[]): { ms: number; status: number | null; stdout: string; stderr: string } {
	const started = performance.now();
	const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
	return { ms: performance.now() - started, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function leaderReady(child: ChildProcess): Promise<void> {
	return new Promise((resolve, reject) => {
		child.on('message', (message: { kind?: string }) => message.kind === 'ready' && resolve());
		child.once('exit', (code) => reject(new Error(`bench leader exited (${code}) before it was ready`)));
	});
}

export async function startup(bench: BenchContext): Promise<SectionResult> {
	const cli = shippedCli();
	const { main } = cli;

	const root = bench.freshDir('startup');
	await Team.create('start', { root, members: [{ name: 'w' }] });
	const leader = bench.fork(bench.bundle.leader, [root, 'start', '0']);
	const runs = bench.quick ? 5 : 21;
	const samples = { bare: [] as number[], version: [] as number[], request: [] as number[] };
	try {
		await leaderReady(leader);
		const input = JSON.stringify({ command: 'git status' });
		const request = [main, '--root', root, 'request', 'start', '--as', 'w', '--tool', 'Bash', '--input', input];
		timed([main, '--version']); // warm the file cache once, untimed
		for (let i = 0; i < runs; i++) {
			samples.bare.push(timed(['-e', '0']).ms);
			const version = timed([main, '--version']);
			if (version.status !== 0) bench.fail(`startup: --version exited ${version.status}: ${version.stderr}`);
			samples.version.push(version.ms);
			const asked = timed(request);
			if (asked.status !== 0 || !asked.stdout.includes('"behavior":"allow"')) {
				bench.fail(`startup: request exited ${asked.status}: ${asked.stdout}${asked.stderr}`);
			}
			samples.request.push(asked.ms);
		}
	} finally {
		await stop(leader);
		cli.remove();
	}

	const bare = median(samples.bare);
	const version = median(samples.version);
	const request = median(samples.request);
	return {
		section: {
			title: '14. CLI start-up',
			intro:
				`Wall time of a whole process, median of ${runs} runs of each, taken in turn: bare Node, the bundled ` +
				'command printing its version, and a `request` that a lead (its own process, a policy allowing Bash) answers.',
			headers: ['command', 'p50 ms', '÷ node -e 0'],
			rows: [
				['node -e 0', fixed(bare), '1.00×'],
				['swarm-mailbox --version', fixed(version), `${fixed(version / bare)}×`],
				['swarm-mailbox request (allowed by policy)', fixed(request), `${fixed(request / bare)}×`],
			],
			notes: ['The request includes the round trip to the lead and its durable writes (see section 1).'],
		},
		goals: [
			{ goal: 'CLI --version ≤ 2× node -e 0', measured: `${fixed(version / bare)}×`, met: version <= 2 * bare },
			{
				goal: 'CLI request allowed by policy ≤ 3× node -e 0',
				measured: `${fixed(request / bare)}×`,
				met: request <= 3 * bare,
			},
		],
	};
}
