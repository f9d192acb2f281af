/**
`npm run demo`: a Leader with a small policy and a scripted person, and four real worker processes asking it for tools
and hosts, in a temporary teams root that is removed at the end. Prints one row per decision and exits 1 if any
decision is not the one the scenario expects (or anything fails), so it doubles as an end-to-end check.
Flags: `--fallback=deny` makes the policy deny what no rule covers instead of asking the person (the rows the person
or the timeout should decide then fail the check).
*/

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type AuditRecord, Leader, Policy, Team } from '../src/index.js';
import { runPerson } from './person.js';
import { actualOf, header, mismatchOf, row, separator } from './report.js';
import { asks, type OutcomeMessage, rules, thinkMs, workers } from './scenario.js';

/** The whole run, startup included, must fit in this; past it the demo fails and cleans up. */
const DEADLINE_MS = 30_000;

const { values } = parseArgs({ options: { fallback: { type: 'string', default: 'ask' } } });
const fallback = values.fallback === 'deny' ? 'deny' : 'ask';
const workerScript = fileURLToPath(new URL('./worker.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const log = (text: string) => console.log(text);

const started = performance.now();
const stop = new AbortController();
const deadline = setTimeout(
	() => stop.abort(new Error(`the demo did not finish within ${DEADLINE_MS} ms`)),
	DEADLINE_MS,
);
process.once('SIGINT', () => stop.abort(new Error('interrupted')));
const root = await mkdtemp(path.join(tmpdir(), 'swarm-demo-'));
const children: { name: string; child: ChildProcess; exited: Promise<unknown> }[] = [];
let leader: Leader | undefined;
let person: Promise<void> | undefined;
let mismatches = 0;
let failed = false;

/** Resolves with the child's next message of `kind`; rejects if it exits first. */
function next(child: ChildProcess, kind: string): Promise<unknown> {
	return new Promise((resolve, reject) => {
		const onMessage = (message: { kind?: string }) => {
			if (message.kind !== kind) return;
			child.off('exit', onExit);
			child.off('message', onMessage);
			resolve(message);
		};
		const onExit = (code: number | null, signal: string | null) => {
			child.off('message', onMessage);
			reject(new Error(`worker ${child.pid} exited (code ${code}, signal ${signal}) before "${kind}"`));
		};
		child.on('message', onMessage);
		child.once('exit', onExit);
	});
}

async function main(): Promise<void> {
	const team = await Team.create('demo', { root, members: workers.map((name) => ({ name })) });
	const policy = new Policy({ rules, fallback });
	leader = new Leader(team, { policy });
	const records = new Map<string, AuditRecord>();
	const recorded = new Map<string, (record: AuditRecord) => void>();
	leader.on('decided', (record) => {
		records.set(record.requestId, record);
		recorded.get(record.requestId)?.(record);
	});
	leader.on('failure', (error) => stop.abort(error));
	await leader.start();
	person = runPerson(leader, { thinkMs, log: (text) => log(`  · ${text}`), signal: stop.signal }).catch(
		(error: unknown) => stop.abort(error),
	);
	const recordOf = (requestId: string) =>
		records.get(requestId) ?? new Promise<AuditRecord>((resolve) => recorded.set(requestId, resolve));

	log(`team "demo" in ${root} (removed at the end)`);
	log(`leader policy: allow ${rules.allow?.join(', ')}, network ${rules.networkAllow?.join(', ')}`);
	log(`               deny ${rules.deny?.join(', ')}, network ${rules.networkDeny?.join(', ')}; else ${fallback}`);
	for (const name of workers) {
		const child = fork(workerScript, [root, team.name, name], { execArgv: ['--import', 'tsx'], cwd: repoRoot });
		children.push({ name, child, exited: new Promise((resolve) => child.once('exit', resolve)) });
	}
	await Promise.all(children.map(({ child }) => next(child, 'ready')));
	const pids = children.map(({ name, child }) => `${name} (pid ${child.pid})`).join(', ');
	log(`workers ${pids} ready after ${(performance.now() - started).toFixed(0)} ms\n`);
	log(header);
	log(separator);

	const rows = children.map(({ child }) => {
		const done = next(child, 'done');
		const shown: Promise<void>[] = [];
		child.on('message', (message: OutcomeMessage) => {
			if (message.kind !== 'outcome') return;
			const ask = asks.find((candidate) => candidate.id === message.id);
			if (!ask) return stop.abort(new Error(`a worker reported an unknown request ${message.id}`));
			// Only an answer from the leader has a record; a worker-side end (timeout, …) has none.
			const answered = message.reason === 'allowed' || message.reason === 'denied';
			const lead = answered ? recordOf(message.requestId) : undefined;
			shown.push(
				(async () => {
					const actual = actualOf(message, await lead);
					const mismatch = mismatchOf(ask.expect, actual);
					if (mismatch) mismatches++;
					log(row(ask, message, actual, mismatch));
				})(),
			);
		});
		child.send('go');
		return done.then(() => Promise.all(shown));
	});
	await Promise.all(rows);
	const codes = await Promise.all(children.map(({ exited }) => exited));
	if (codes.some((code) => code !== 0)) throw new Error(`a worker exited with code ${codes.find((c) => c !== 0)}`);
}

const aborted = new Promise<never>((_, reject) => {
	stop.signal.addEventListener('abort', () => reject(stop.signal.reason), { once: true });
});
try {
	await Promise.race([main(), aborted]);
} catch (error) {
	console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
	failed = true;
} finally {
	clearTimeout(deadline);
	for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
	await Promise.all(children.map(({ exited }) => exited));
	stop.abort(new Error('finished'));
	await leader?.close();
	await person;
	await rm(root, { recursive: true, force: true });
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
const verdict =
	mismatches === 0
		? `${asks.length} of ${asks.length} decisions as expected`
		: `${mismatches} of ${asks.length} decisions NOT as expected`;
if (!failed) log(`\n${verdict}`);
log(`${failed ? '\n' : ''}workers exited, temp root removed, ${seconds} s`);
process.exitCode = failed || mismatches > 0 ? 1 : 0;
