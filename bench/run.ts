/**
`npm run bench` (add `-- --quick` for a CI-sized run). Prints, for this machine:
send latency; throughput of 1, 8 and 32 writer processes into one inbox, ours against the older Claude Code
write path, interleaved rounds and medians; send-to-watcher latency across processes (notifications and polling);
send cost with 0 vs 1,000 undelivered entries. Exits non-zero if our path lost or failed a single message.
*/
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Inbox, Team, Worker } from '../src/index.js';
import { forkFixture, nextMessage, runWriters } from '../test/helpers/fork.js';
import { fixed, median, percentile, table } from './stats.js';

const quick = process.argv.includes('--quick');
const rounds = quick ? 1 : 3;
const root = mkdtempSync(path.join(tmpdir(), 'swarm-bench-'));
let sequence = 0;
const freshFile = () => {
	const dir = path.join(root, String(sequence++));
	mkdirSync(dir);
	return path.join(dir, 'team-lead.json');
};
let failures = 0;

async function sendLatency(backlog: number, sends: number): Promise<number[]> {
	const inbox = new Inbox(freshFile());
	await Promise.all(
		Array.from({ length: backlog }, (_, index) => inbox.send({ from: 'fill', text: `backlog ${index}` })),
	);
	const samples: number[] = [];
	for (let index = 0; index < sends; index++) {
		const started = performance.now();
		await inbox.send({ from: 'bench', text: `message ${index}` });
		samples.push(performance.now() - started);
		// Keep the "empty" inbox empty (untimed); the backlog case keeps its 1,000 undelivered entries.
		if (backlog === 0 && index % 10 === 9) await inbox.clear();
	}
	return samples;
}

async function throughput(script: string, writers: number, count: number) {
	const file = freshFile();
	const report = await runWriters(script, file, writers, count);
	const landed = JSON.parse(readFileSync(file, 'utf8')) as { text: string }[];
	const texts = new Set(landed.map((entry) => entry.text));
	const missingResolved = report.sent.filter((sent) => !texts.has(sent.text)).length;
	return {
		rate: (landed.length / report.elapsedMs) * 1000,
		lost: writers * count - landed.length,
		failed: report.failed.length,
		missingResolved,
		duplicates: landed.length - texts.size,
	};
}

async function watcherLatency(count: number, polling: boolean) {
	const file = freshFile();
	const inbox = new Inbox(file);
	const watcher = inbox.watch({ polling, rescanIntervalMs: 0 });
	await watcher.ready();
	const child = forkFixture(path.join(import.meta.dirname, 'pinger.ts'), [file, String(count), '3']);
	const sent = new Map<number, { started: number; resolved: number }>();
	child.on('message', (message: { kind: string; index: number; started: number; resolved: number }) => {
		if (message.kind === 'sent') sent.set(message.index, message);
	});
	await nextMessage(child, 'ready');
	const done = nextMessage(child, 'done');
	child.send('go');
	const yielded = new Map<number, number>();
	for await (const entry of watcher) {
		yielded.set(Number(entry.text), performance.timeOrigin + performance.now());
		if (yielded.size % 20 === 0) await inbox.ack(await inbox.read());
		if (yielded.size === count) break;
	}
	await done;
	const fromResolve: number[] = [];
	const fromStart: number[] = [];
	for (const [index, at] of yielded) {
		const times = sent.get(index);
		if (!times) continue;
		fromResolve.push(at - times.resolved);
		fromStart.push(at - times.started);
	}
	return { fromResolve, fromStart };
}

/** Worker → leader (policy decides at once, in its own process) → worker, sequential, durable writes both ways. */
async function permissionRoundTrip(count: number): Promise<number[]> {
	const teamsRoot = path.join(root, `team-${sequence++}`);
	const team = await Team.create('bench', { root: teamsRoot, members: [{ name: 'worker' }] });
	const leader = forkFixture(path.join(import.meta.dirname, '../test/fixtures/policy-leader.ts'), [teamsRoot, 'bench']);
	await nextMessage(leader, 'ready');
	const worker = new Worker(team, { name: 'worker' });
	const samples: number[] = [];
	try {
		for (let index = 0; index < count; index++) {
			const started = performance.now();
			const outcome = await worker.requestPermission({
				toolName: 'Bash',
				toolUseId: `t${index}`,
				input: { command: `echo ${index}` },
			});
			samples.push(performance.now() - started);
			if (outcome.behavior !== 'allow') failures++;
		}
	} finally {
		await worker.close();
		leader.kill('SIGKILL');
	}
	return samples;
}

console.log(
	`# swarm-mailbox bench (${quick ? 'quick' : 'full'}): ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`,
);

const latency = await sendLatency(0, quick ? 200 : 1000);
console.log('## Send latency (one process, durable: fsync of file and directory)\n');
table(['sends', 'p50 ms', 'p99 ms'], [[latency.length, fixed(median(latency)), fixed(percentile(latency, 0.99))]]);

const roundTrips = await permissionRoundTrip(quick ? 100 : 1000);
console.log('\n## Permission round trip: worker → leader policy (separate process) → worker, sequential\n');
table(
	['requests', 'p50 ms', 'p99 ms'],
	[[roundTrips.length, fixed(median(roundTrips)), fixed(percentile(roundTrips, 0.99))]],
);

const writerCounts = [1, 8, 32];
const count = quick ? 10 : 30;
const results = new Map<string, ReturnType<typeof throughput> extends Promise<infer R> ? R[] : never>();
for (let round = 0; round < rounds; round++) {
	for (const writers of writerCounts) {
		for (const [name, script] of [
			['swarm-mailbox', '../test/fixtures/writer.ts'],
			['older Claude Code path', './baseline-writer.ts'],
		] as const) {
			const run = await throughput(path.join(import.meta.dirname, script), writers, count);
			const key = `${name}|${writers}`;
			results.set(key, [...(results.get(key) ?? []), run]);
			if (name === 'swarm-mailbox' && (run.lost || run.failed || run.missingResolved || run.duplicates)) failures++;
		}
	}
}
console.log(
	`\n## Throughput: N writer processes × ${count} sequential sends into one inbox (median of ${rounds} interleaved rounds)\n`,
);
table(
	['writers', 'ours msg/s', 'ours lost', 'baseline msg/s', 'baseline lost', 'ratio'],
	writerCounts.map((writers) => {
		const ours = results.get(`swarm-mailbox|${writers}`) ?? [];
		const base = results.get(`older Claude Code path|${writers}`) ?? [];
		const oursRate = median(ours.map((run) => run.rate));
		const baseRate = median(base.map((run) => run.rate));
		const lost = (runs: typeof ours) => runs.map((run) => run.lost).join('/');
		return [writers, fixed(oursRate, 0), lost(ours), fixed(baseRate, 0), lost(base), `${fixed(oursRate / baseRate)}×`];
	}),
);

console.log(
	'\n## Send → watcher latency across processes (ms; "from resolve" can be negative: the watcher sees the rename before send() finishes its directory fsync)\n',
);
const latencyRows: (string | number)[][] = [];
for (const polling of [false, true]) {
	const { fromResolve, fromStart } = await watcherLatency(quick ? 100 : 500, polling);
	latencyRows.push([
		polling ? 'polling (network fs)' : 'notifications',
		fromStart.length,
		fixed(median(fromStart)),
		fixed(percentile(fromStart, 0.99)),
		fixed(median(fromResolve)),
		fixed(percentile(fromResolve, 0.99)),
	]);
}
table(['watcher', 'messages', 'from start p50', 'from start p99', 'from resolve p50', 'from resolve p99'], latencyRows);

const backlogSamples = new Map<number, number[]>([
	[0, []],
	[1000, []],
]);
for (let round = 0; round < rounds; round++) {
	for (const backlog of [0, 1000]) backlogSamples.get(backlog)?.push(median(await sendLatency(backlog, 200)));
}
const empty = median(backlogSamples.get(0) ?? []);
const full = median(backlogSamples.get(1000) ?? []);
console.log(`\n## Send cost against undelivered entries (median of per-round p50, ${rounds} interleaved rounds)\n`);
table(
	['undelivered', 'send p50 ms', 'vs empty'],
	[
		[0, fixed(empty), '1.00×'],
		[1000, fixed(full), `${fixed(full / empty)}×`],
	],
);

rmSync(root, { recursive: true, force: true });
if (failures > 0) {
	console.error(`\nFAILED: ${failures} run(s) of ours lost, failed or duplicated a message.`);
	process.exit(1);
}
