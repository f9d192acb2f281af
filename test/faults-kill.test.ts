/**
SIGKILL of the permission protocol's processes at seeded random points (the seed is printed; FAULT_SEED replays it).
Writers killed mid-send are covered by crash.test.ts. Here:
- a worker process is killed while its requests are on their way (mid-send, waiting for the lead, or while the answer
  is being delivered): each request that reached the lead is answered exactly once, the answers nobody read stay in
  the dead worker's inbox (one per request, never two), and a later worker process for that name finds them
  answering nothing it asked and clears them without acting on any;
- the leader process is killed several times in a row, each time at a random point of a stream of requests, and a
  new one started: every request is still answered exactly once (one outcome per request, one audit line, a finished
  journal), and a worker sees a re-sent answer at most as a late duplicate.
*/
import type { ChildProcess } from 'node:child_process';
import { readdirSync, watch } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMailboxError } from '../src/errors.js';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { pendingDirectoryOf } from '../src/journal/pending-store.js';
import { Leader } from '../src/leader/leader.js';
import type { PendingRequest } from '../src/leader/pending-request.js';
import { Policy } from '../src/policy/policy.js';
import { parseFrame } from '../src/protocol/frame-codec.js';
import { Team } from '../src/team/team.js';
import type { RejectedResponse } from '../src/worker/responses.js';
import { Worker } from '../src/worker/worker.js';
import { exited, forkTracked } from './helpers/fault-fixtures.js';
import { faultSeed } from './helpers/faults.js';
import { type FixtureMessage, nextMessage } from './helpers/fork.js';
import { collect, track, until, within } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

/** Shared by every process of a team here, so a lock a killed process held is taken over within 2 s. */
const STALE_MS = 2_000;
const workerScript = 'test/fixtures/permission-worker.ts';
const leaderScript = 'test/fixtures/policy-leader.ts';

const audit = (team: Team) => new AuditLog(auditLogPath(team.directory)).read();
const openJournal = (team: Team) => readdirSync(pendingDirectoryOf(team)).filter((name) => name.endsWith('.json'));

async function newTeam() {
	const root = tempDir();
	const team = await Team.create('alpha', { root, staleMs: STALE_MS, members: [{ name: 'ann' }, { name: 'bob' }] });
	return { root, team };
}

/** The request id an entry answers (permission_response frames carry `request_id`). */
function answeredRequest(text: string): string | undefined {
	const parsed = parseFrame(text);
	return parsed.kind === 'frame' && parsed.frame.type === 'permission_response' ? parsed.frame.request_id : undefined;
}

function outcomesOf(child: ChildProcess): Map<string, number> {
	const outcomes = new Map<string, number>();
	child.on('message', (message: FixtureMessage) => {
		if (message.kind !== 'outcome') return;
		const id = message['requestId'] as string;
		outcomes.set(id, (outcomes.get(id) ?? 0) + 1);
	});
	return outcomes;
}

type KillPoint = 'sending' | 'waiting' | 'answering';
const killPoints: KillPoint[] = ['sending', 'waiting', 'answering'];

describe('a worker killed mid-request', () => {
	it('has each request that reached the lead answered exactly once, the answer left in its inbox', async () => {
		const { random } = faultSeed('worker kills');
		// Every kill point once, then a seeded one; the moment within each point is seeded too.
		const plan = [...killPoints, killPoints[Math.floor(random() * killPoints.length)] as KillPoint];
		for (const [round, point] of plan.entries()) {
			const { root, team } = await newTeam();
			const leader = track(new Leader(team)); // no policy: a person (this test) decides, when it chooses
			await leader.start();
			const offered: PendingRequest[] = [];
			const stream = leader.requests();
			void (async () => {
				for await (const request of stream) offered.push(request);
			})();
			const count = 2;
			const worker = forkTracked(workerScript, [root, 'alpha', 'ann', String(count)]);
			const outcomes = outcomesOf(worker);
			await nextMessage(worker, 'ready', 30_000);
			const jitterMs = Math.floor(random() * (point === 'answering' ? 150 : point === 'sending' ? 10 : 20));
			const approvals: Promise<unknown>[] = [];
			const approveAll = () => {
				for (const request of offered.splice(0)) approvals.push(request.approve());
			};
			// Mid-send: killed as its write to the lead's inbox begins (lock, spool or temp file appear), plus 0-9 ms.
			const writing = new Promise<void>((resolve) => {
				const watcher = watch(path.dirname(team.inbox('team-lead').path), (_, name) => {
					if (!name?.startsWith('team-lead.json')) return;
					watcher.close();
					resolve();
				});
			});
			worker.send('go');
			if (point === 'sending') {
				await within(writing, 'the worker writing its requests');
				await new Promise((resolve) => setTimeout(resolve, jitterMs));
			} else {
				await until(() => offered.length === count, `round ${round}: both requests offered`);
				if (point === 'answering') {
					approveAll();
					await new Promise((resolve) => setTimeout(resolve, jitterMs));
				}
			}
			worker.kill('SIGKILL');
			await exited(worker);

			// Whatever the dead worker left waiting in the spool is committed by the next writer of the lead's inbox
			// (here an ack of nothing); then every request that reached the lead is taken in and offered.
			await team.inbox('team-lead').ack(['nothing-to-ack']);
			await until(async () => (await team.inbox('team-lead').read()).length === 0, 'the lead inbox taken in');
			await leader.flushed();
			approveAll();
			const answers = await Promise.all(approvals);
			const answered = new Set(answers.map((answer) => (answer as { requestId: string }).requestId));
			expect(answered.size, `round ${round} (${point})`).toBe(answers.length);
			// A second answer to any of them is refused.
			for (const id of answered) {
				const again = await Leader.answer(team, id, { behavior: 'deny' }).catch((error: unknown) => error);
				expect(isMailboxError(again, 'ALREADY_ANSWERED'), String(again)).toBe(true);
			}
			const lines = await audit(team);
			expect(lines.map((line) => line.requestId).sort()).toEqual([...answered].sort());
			expect(openJournal(team)).toEqual([]);

			// The dead worker's inbox: one entry per answered request it had not acted on, never two for one request.
			const left = (await team.inbox('ann').read()).map((entry) => answeredRequest(entry.text));
			console.info(
				`[worker kills] round ${round}: killed ${point} (+${jitterMs} ms); ${answered.size} answered, ` +
					`${outcomes.size} seen by the worker, ${left.length} left in its inbox`,
			);
			expect(new Set(left).size, 'no request answered twice').toBe(left.length);
			for (const id of answered) {
				if (!outcomes.has(id)) expect(left, `the answer to ${id} is left for the dead worker`).toContain(id);
			}
			for (const id of left) expect(answered.has(id as string)).toBe(true);

			// A later worker process of that name acts on none of them, and clears them.
			const next = track(new Worker(team, { name: 'ann' }));
			const rejected = collect<RejectedResponse>(next, 'rejected');
			await next.ready();
			await until(() => rejected.length === left.length, 'the stale answers seen');
			for (const event of rejected) expect(event.reason).toBe('unknown-request');
			await next.flushed();
			expect(await team.inbox('ann').read()).toEqual([]);
			await next.close();
			await stream.return?.();
			await leader.close();
		}
	}, 90_000);
});

describe('a leader killed at random points of a stream', () => {
	it('answers every request exactly once across several kills and restarts', async () => {
		const { random } = faultSeed('leader kills');
		const { root, team } = await newTeam();
		// Enough requests that three leaders, each killed within 20 ms of a few answers, cannot answer them all.
		const perWorker = 20;
		const workers = ['ann', 'bob'].map((name) =>
			forkTracked(workerScript, [root, 'alpha', name, String(perWorker), 'one-by-one']),
		);
		const outcomes = workers.map(outcomesOf);
		const settled = () => outcomes.reduce((sum, map) => sum + map.size, 0);
		await within(Promise.all(workers.map((child) => nextMessage(child, 'ready', 30_000))), 'workers ready', 30_000);
		for (const child of workers) child.send('go');

		// Three leaders are killed, each after a seeded number of its own answers plus 0-20 ms (anywhere in the
		// intake, claim, delivery, audit and completion of the next ones); a fourth, in this process, finishes.
		for (let kill = 0; kill < 3; kill++) {
			const decisions = 1 + Math.floor(random() * 4);
			const jitterMs = Math.floor(random() * 20);
			const leader = forkTracked(leaderScript, [root, 'alpha']);
			let decided = 0;
			const killed = exited(leader);
			leader.on('message', (message: FixtureMessage) => {
				if (message.kind === 'decided' && ++decided === decisions) setTimeout(() => leader.kill('SIGKILL'), jitterMs);
			});
			await within(killed, `leader ${kill} killed`, 60_000);
			console.info(`[leader kills] leader ${kill}: killed ${jitterMs} ms after its answer #${decisions}`);
		}
		expect(settled()).toBeLessThan(2 * perWorker);
		const policy = await Policy.forTeam(team, { rules: { allow: ['Bash'] } });
		const last = track(new Leader(team, { policy }));
		await last.start();
		await until(() => settled() === 2 * perWorker, 'every outcome', 60_000);

		const reports = await Promise.all(
			workers.map(async (child) => {
				const done = nextMessage(child, 'done', 15_000);
				child.send('finish');
				return (await done)['rejected'] as { requestId?: string; reason: string }[];
			}),
		);
		for (const map of outcomes) for (const times of map.values()) expect(times).toBe(1);
		await last.flushed();
		const known = new Set(outcomes.flatMap((map) => [...map.keys()]));
		for (const rejection of reports.flat()) {
			expect(rejection.reason).toBe('late');
			expect(known.has(rejection.requestId as string)).toBe(true);
		}
		const lines = await audit(team);
		expect(lines.map((line) => line.requestId).sort()).toEqual([...known].sort());
		expect(openJournal(team)).toEqual([]);
	}, 120_000);
});
