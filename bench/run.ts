/**
`npm run bench`: this library against the older Claude Code path, side by side, on this machine. Sections:
1. permission round trip (1 worker, and 16 workers at once); 2. contention (1..64 writer processes into one inbox);
3. send cost against undelivered entries; 4. the lead at rest (idle CPU, memory with pending requests); 5. network
file system mode (polling); 6. send → watcher latency; 7. a watching lead while teammates exchange messages;
8. the Claude Code hook per tool call; 9. the approval page; 10. a lead with a long history; 11. the cold send path;
12. `decide` in code against the policy; 13. a mixed team (Claude Code-style writers with and without ours);
14. CLI start-up against bare Node; 15. teams across machines (two sshfs mounts).
Prints Markdown; a full run also writes bench/RESULTS.md. Exits 1 if any run of ours lost, failed, duplicated or
refused anything.

Options: `--quick` (small samples, 5 s idle window: for CI; prints only), `--write` (write RESULTS.md even when
quick), `--only=2,3` (just those sections; never writes RESULTS.md), `--dir=<path>` (where the run's files go).

The run's files go under `.bench-tmp/` in the repository by default, not the system temp directory: `npm test`
creates and removes thousands of files there, and on a file system like this VM's (ext4 without a journal)
creating files near them stays about ten times slower for minutes afterwards (see conditions.ts), which CI, running the
bench right after the tests, would measure instead of this library. The conditions at the start are printed either way.
*/

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { backlog } from './backlog.js';
import { bundleChildren } from './bundle.js';
import { coldWriters } from './cold-writers.js';
import { conditionLine, measureConditions } from './conditions.js';
import { contention } from './contention.js';
import { BenchContext } from './context.js';
import { deciderRoundTrips } from './decider.js';
import { history } from './history.js';
import { hookCalls } from './hook.js';
import { leaderIdle } from './leader-idle.js';
import { describeMachine, machineLines } from './machine.js';
import { mixedTeam } from './mixed-team.js';
import { neighbourTraffic } from './neighbour-traffic.js';
import { networkFileSystem } from './nfs.js';
import { Pool } from './pool.js';
import {
	type Goal,
	goalsSection,
	renderSection,
	type Section,
	type SectionResult,
	verdict,
	writeReport,
} from './results.js';
import { networkFileSystemRoundTrips, type PermissionFigures, permissionRoundTrips } from './round-trip.js';
import { startup } from './startup.js';
import { watchLatency } from './watch-latency.js';
import { webPage } from './web.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
	.find((arg) => arg.startsWith('--only='))
	?.slice('--only='.length)
	.split(',')
	.map(Number);
const write = only === undefined && (!quick || args.includes('--write'));
const command = ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
const resultsFile = path.join(import.meta.dirname, 'RESULTS.md');

let permissions: PermissionFigures | undefined;
const plan: [number, (bench: BenchContext) => Promise<SectionResult>][] = [
	[
		1,
		async (bench) => {
			permissions = await permissionRoundTrips(bench);
			return permissions.result;
		},
	],
	[2, contention],
	[3, backlog],
	[4, leaderIdle],
	[5, (bench) => networkFileSystemRoundTrips(bench, permissions)],
	[6, watchLatency],
	[7, neighbourTraffic],
	[8, hookCalls],
	[9, webPage],
	[10, history],
	[11, coldWriters],
	[12, deciderRoundTrips],
	[13, mixedTeam],
	[14, startup],
	[15, networkFileSystem],
];

const began = performance.now();
const date = new Date();
const parent = path.resolve(
	args.find((arg) => arg.startsWith('--dir='))?.slice('--dir='.length) ??
		path.join(import.meta.dirname, '..', '.bench-tmp'),
);
mkdirSync(parent, { recursive: true });
const root = mkdtempSync(path.join(parent, 'swarm-bench-'));
const machine = [...machineLines(describeMachine(root), parent), conditionLine(measureConditions(root))];
console.log(`# swarm-mailbox bench (${quick ? 'quick' : 'full'})\n\n${machine.join('\n')}\n`);

const bundle = await bundleChildren();
const pool = new Pool(bundle.child);
const bench = new BenchContext({ quick, root, bundle, pool });
const sections: Section[] = [];
const goals: Goal[] = [];
try {
	for (const [number, measure] of plan) {
		if (only && !only.includes(number)) continue;
		const started = performance.now();
		const { section, goals: reached } = await measure(bench);
		sections.push(section);
		goals.push(...reached);
		const seconds = ((performance.now() - started) / 1000).toFixed(1);
		console.log(`${renderSection(section)}\n\n(${seconds} s, with ${pool.size} pool processes started so far)\n`);
	}
	const summary = goalsSection(goals);
	sections.push(summary);
	console.log(renderSection(summary));
} finally {
	pool.close();
	bundle.remove();
	rmSync(root, { recursive: true, force: true });
}

const { failures } = bench;
const elapsedMs = performance.now() - began;
if (write) {
	writeReport(resultsFile, { quick, date, command, machine, sections, failures, elapsedMs });
	console.log(`\nWrote ${path.relative(process.cwd(), resultsFile)}.`);
}
console.log(`\n${verdict(failures)}\nDone in ${(elapsedMs / 1000).toFixed(0)} s.`);
if (failures.length > 0) process.exit(1);
