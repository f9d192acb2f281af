import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { isMailboxError, type MailboxError } from '../src/errors.js';
import type { QuarantineEvent } from '../src/inbox/plan.js';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { type AnswerClaim, PendingStore } from '../src/journal/pending-store.js';
import { classifyEntry } from '../src/leader/intake.js';
import { type LeadDisplaced, Leader, type LeadTakeover } from '../src/leader/leader.js';
import { prepareResponse } from '../src/leader/response.js';
import { createPermissionRequest } from '../src/protocol/frame-builders.js';
import { encodeFrame } from '../src/protocol/frame-codec.js';
import { pidSpace, processStart } from '../src/team/lead-process.js';
import { Team } from '../src/team/team.js';
import { Worker } from '../src/worker/worker.js';
import { runCli } from './helpers/cli.js';
import { forkTracked, killTracked, nextMessage } from './helpers/fork.js';
import { bash, collect, nextRequest, track, until, within } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const sleepers: ChildProcess[] = [];
afterEach(() => {
	killTracked();
	for (const child of sleepers.splice(0))
		if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const holderScript = 'test/fixtures/lead-holder.ts';

async function newTeam() {
	const root = tempDir();
	const team = await Team.create('alpha', { root, staleMs: 2_000, members: [{ name: 'ann' }, { name: 'bob' }] });
	return { root, team };
}

/** A forked library Leader, started (or refused). */
async function holder(root: string, mode?: 'takeover') {
	const child = forkTracked(holderScript, [root, 'alpha', ...(mode ? [mode] : [])]);
	const first = await nextMessage(child, (message) => message.kind === 'ready' || message.kind === 'refused', 30_000);
	return { child, first };
}

function exited(child: ChildProcess): Promise<void> {
	return new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve();
		else child.once('exit', () => resolve());
	});
}

/** A process that lives until killed (not a Leader): an owner of claims, a Claude Code lead stand-in. */
function sleeper(): ChildProcess {
	const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
	sleepers.push(child);
	return child;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
	const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
	await exited(child);
	return child.pid as number;
}

describe('one lead per team', () => {
	it('a second Leader is refused (LEAD_ACTIVE, naming pid and host) while the first lives, and takes over after SIGKILL', async () => {
		const { root, team } = await newTeam();
		const { child, first } = await holder(root);
		expect(first).toMatchObject({ kind: 'ready', name: 'team-lead' });
		expect(await team.leadProcess()).toMatchObject({ pid: child.pid, pidSpace: pidSpace() });

		const second = new Leader(team);
		const refusal = await second.start().then(
			() => undefined,
			(error: unknown) => error as MailboxError,
		);
		expect(isMailboxError(refusal, 'LEAD_ACTIVE')).toBe(true);
		expect(refusal?.message).toContain(`process ${child.pid} on ${hostname()}`);
		await second.close();
		expect((await team.leadProcess())?.pid).toBe(child.pid); // the refused one wrote nothing

		child.kill('SIGKILL');
		await exited(child);
		const third = track(new Leader(team));
		const takeovers = collect<LeadTakeover>(third, 'takeover');
		await third.start();
		expect(takeovers).toHaveLength(1);
		expect(takeovers[0]).toMatchObject({ state: 'dead', previous: { pid: child.pid } });
		expect(takeovers[0]?.message).toContain(`process ${child.pid}`);
		expect(await team.leadProcess()).toMatchObject({ pid: process.pid, procStart: processStart(process.pid) });
		await third.close();
		expect(await team.leadProcess()).toBeUndefined(); // close() releases
	});

	it('a forked Leader is refused while one runs here; `takeover` forces it, and the first one then stops by itself', async () => {
		const { root, team } = await newTeam();
		// A short stale window: the first looks at its claim every 100 ms (window / 6).
		const first = track(new Leader(team, { leadStaleMs: 600 }));
		const displaced = collect<LeadDisplaced>(first, 'displaced');
		const requests = first.requests();
		await first.start();
		const refused = await holder(root);
		expect(refused.first).toMatchObject({ kind: 'refused', code: 'LEAD_ACTIVE' });
		expect(refused.first['message']).toContain(`process ${process.pid}`);

		const forced = await holder(root, 'takeover');
		expect(forced.first).toMatchObject({ kind: 'ready' });
		expect((await team.leadProcess())?.pid).toBe(forced.child.pid);
		await until(() => displaced.length === 1, 'displaced');
		expect(displaced[0]?.by.pid).toBe(forced.child.pid);
		expect(displaced[0]?.error.code).toBe('LEAD_DISPLACED');
		expect(displaced[0]?.error.message).toContain(`process ${forced.child.pid} on ${hostname()}`);
		expect(await requests.next()).toEqual({ done: true, value: undefined }); // it closed itself
		expect((await team.leadProcess())?.pid).toBe(forced.child.pid); // not ours any more: left alone
	});

	it('judges claims as Claude Code does: a live pid without procStart holds; a reused pid, another host or a malformed claim is taken over', async () => {
		const { team } = await newTeam();
		const live = sleeper();
		const claims: [unknown, 'refused' | LeadTakeover['state']][] = [
			// Claude Code on a platform without procStart: claimed before the process started counts as alive only
			// when the process started no later than 2 s after the claim.
			[{ pid: live.pid, pidSpace: pidSpace(), claimedAt: Date.now() }, 'refused'],
			[{ pid: process.pid, pidSpace: pidSpace(), claimedAt: Date.now(), procStart: '1' }, 'dead'], // pid reused
			[{ pid: process.pid, pidSpace: pidSpace(), claimedAt: 0 }, 'dead'], // started long after the claim
			[{ pid: await deadPid(), pidSpace: pidSpace(), claimedAt: Date.now() }, 'dead'],
			[{ pid: live.pid, pidSpace: 'elsewhere#pid:[4026531836]', claimedAt: Date.now() }, 'unknown'],
			[{ pid: 'one' }, 'unknown'],
		];
		for (const [claim, expected] of claims) {
			await team.updateConfig((config) => {
				config.leadProcess = claim;
			});
			const leader = new Leader(team);
			const takeovers = collect<LeadTakeover>(leader, 'takeover');
			const outcome = await leader.start().then(
				() => takeovers[0]?.state,
				(error: unknown) => (isMailboxError(error, 'LEAD_ACTIVE') ? 'refused' : error),
			);
			await leader.close();
			expect(outcome, JSON.stringify(claim)).toBe(expected);
		}
	});
});

describe('answer claims carry their owner', () => {
	/** A journaled request with a claim made by `owner` `ageMs` ago, as a CLI `approve` that is still delivering. */
	async function claimedBy(team: Team, owner: ChildProcess, ageMs: number) {
		const frame = createPermissionRequest({
			agentName: 'ann',
			toolName: 'Bash',
			toolUseId: 'toolu_9',
			description: '',
			input: { command: 'make' },
			permissionSuggestions: [],
		});
		const intake = classifyEntry({ from: 'ann', text: encodeFrame(frame), timestamp: new Date().toISOString() });
		if (intake.kind !== 'request') throw new Error('not a request');
		const store = new PendingStore(team);
		await store.record(intake.record);
		// An answer claimed (response fixed up front) but not delivered yet.
		const { text } = await prepareResponse(team, intake.record, { behavior: 'allow' });
		const start = processStart(owner.pid as number);
		const claim: AnswerClaim = {
			version: 1,
			requestId: frame.request_id,
			worker: 'ann',
			decision: 'allow',
			decidedBy: 'cli',
			msgId: crypto.randomUUID(),
			timestamp: new Date().toISOString(),
			text,
			claimedAt: Date.now() - ageMs,
			owner: { pid: owner.pid as number, pidSpace: pidSpace(), ...(start ? { procStart: start } : {}) },
		};
		await store.claim(intake.record.key, claim);
		return claim;
	}

	it("neither start() nor the sweep re-delivers a live owner's claim; once the owner is killed, it is delivered once", async () => {
		const { team } = await newTeam();
		const owner = sleeper();
		const claim = await claimedBy(team, owner, 60_000);
		const leader = track(new Leader(team));
		const decided = collect<{ msgId: string }>(leader, 'decided');
		await leader.start(); // recovers everything it may
		await leader.recover({ olderThanMs: 30_000 }); // the sweep: the claim is 60 s old
		expect(await team.inbox('ann').read()).toEqual([]);
		expect(decided).toEqual([]);

		owner.kill('SIGKILL');
		await exited(owner);
		await leader.recover({ olderThanMs: 30_000 });
		expect((await team.inbox('ann').read()).map((entry) => entry.msg_id)).toEqual([claim.msgId]);
		expect(decided.map((record) => record.msgId)).toEqual([claim.msgId]);
		await leader.recover();
		expect(await team.inbox('ann').read()).toHaveLength(1);
	});

	it('a claim that outlives the lease is delivered even while its owner lives (it hangs)', async () => {
		const { team } = await newTeam();
		const owner = sleeper();
		const claim = await claimedBy(team, owner, 2_000);
		const leader = track(new Leader(team, { claimLeaseMs: 1_000 }));
		await leader.start();
		expect((await team.inbox('ann').read()).map((entry) => entry.msg_id)).toEqual([claim.msgId]);
	});
});

describe('the lead as the roster names it', () => {
	it("a Leader without `name` reads the inbox of the roster's lead and answers from it", async () => {
		const { team } = await newTeam();
		await team.updateConfig((config) => {
			const lead = config.members[0] as { name: string; agentId: string };
			lead.name = 'boss';
			lead.agentId = 'boss@alpha';
			config.leadAgentId = 'boss@alpha';
		});
		const leader = track(new Leader(team));
		await leader.start();
		expect(leader.name).toBe('boss');
		const worker = track(new Worker(team, { name: 'ann', timeoutMs: 10_000 }));
		const outcome = worker.requestPermission(bash('ls'));
		const request = await nextRequest(leader.requests());
		await request.approve();
		expect(await outcome).toMatchObject({ behavior: 'allow' });
		expect((await team.inbox('ann').read()).every((entry) => entry.from === 'boss')).toBe(true);
	});
});

describe('a worker whose lead is gone', () => {
	it("fails fast with reason 'no-lead' when the recorded lead process is dead on this host, and sends nothing", async () => {
		const { root, team } = await newTeam();
		const { child } = await holder(root);
		child.kill('SIGKILL');
		await exited(child);
		const worker = track(new Worker(team, { name: 'ann', timeoutMs: 60_000 }));
		const started = Date.now();
		const outcome = await worker.requestPermission(bash('ls'));
		expect(outcome).toMatchObject({ behavior: 'deny', reason: 'no-lead' });
		expect(outcome.behavior === 'deny' && outcome.message).toContain(`process ${child.pid}`);
		expect(Date.now() - started).toBeLessThan(5_000);
		expect(await worker.requestNetworkAccess('example.com')).toMatchObject({ allow: false, reason: 'no-lead' });
		expect(await team.inbox('team-lead').read()).toEqual([]);
		// A runner whose supervisor restarts the lead asks its workers to wait for the next one.
		const patient = track(new Worker(team, { name: 'bob', timeoutMs: 300, waitForLead: true }));
		expect(await patient.requestPermission(bash('ls'))).toMatchObject({ behavior: 'deny', reason: 'timeout' });
		expect(await team.inbox('team-lead').read()).toHaveLength(1);
	});

	it("ends a waiting request as 'no-lead' when the lead dies meanwhile", async () => {
		const { root, team } = await newTeam();
		const { child } = await holder(root);
		const worker = track(new Worker(team, { name: 'ann', timeoutMs: 60_000 }));
		const outcome = worker.requestPermission(bash('ls'));
		await until(async () => (await Leader.listPending(team)).length === 1, 'the request journaled');
		child.kill('SIGKILL');
		await exited(child);
		const ended = await within(outcome, 'the no-lead outcome', 10_000);
		expect(ended).toMatchObject({ behavior: 'deny', reason: 'no-lead' });
	});

	it('waits as usual when the lead lives, or runs on another host (not judgeable)', async () => {
		const { root, team } = await newTeam();
		await team.updateConfig((config) => {
			config.leadProcess = { pid: 999_999, pidSpace: 'elsewhere', claimedAt: Date.now() };
		});
		const worker = track(new Worker(team, { name: 'ann', timeoutMs: 300 }));
		expect(await worker.requestPermission(bash('ls'))).toMatchObject({ behavior: 'deny', reason: 'timeout' });

		await holder(root, 'takeover'); // a live lead in another process
		const asked = worker.requestPermission(bash('pwd', 'toolu_2'), { timeoutMs: 20_000 });
		const pwd = async () => (await Leader.listPending(team)).find((request) => request.input?.['command'] === 'pwd');
		await until(async () => (await pwd()) !== undefined, 'the request journaled');
		await (await pwd())?.approve();
		expect(await within(asked, 'answer')).toMatchObject({ behavior: 'allow' });
	});
});

describe('a leader that reports everything', () => {
	it('reports `decided` for an answer given by the CLI in another process, once', async () => {
		const { root, team } = await newTeam();
		const leader = track(new Leader(team));
		const decided = collect<{ requestId: string; decidedBy: string }>(leader, 'decided');
		await leader.start();
		const worker = track(new Worker(team, { name: 'ann' }));
		const outcome = worker.requestPermission(bash('make'));
		const request = await nextRequest(leader.requests());
		const approved = await runCli(['approve', 'alpha', request.requestId], { root });
		expect(approved.code).toBe(0);
		expect(await outcome).toMatchObject({ behavior: 'allow' });
		await until(() => decided.length > 0, 'decided from the audit log');
		expect(decided).toEqual([expect.objectContaining({ requestId: request.requestId, decidedBy: 'cli' })]);
		expect(await new AuditLog(auditLogPath(team.directory)).read()).toHaveLength(1);
	});

	it('reports a quarantined lead inbox and its invalid entries', async () => {
		const { team } = await newTeam();
		const leader = track(new Leader(team));
		const quarantined = collect<QuarantineEvent>(leader, 'quarantine');
		const invalid = collect<{ reason: string }>(leader, 'invalid');
		await leader.start();
		const { writeFileSync } = await import('node:fs');
		const file = team.inbox('team-lead').path;
		writeFileSync(file, JSON.stringify([{ from: 'ann' }, { from: 'ann', text: 'hi', timestamp: 'now' }]));
		await until(() => invalid.length > 0, 'invalid entry reported');
		writeFileSync(file, '[{"from": "ann", "text": "hi", "timestamp": "now"}, {');
		await until(() => quarantined.length > 0, 'quarantine reported');
		expect(quarantined[0]).toMatchObject({ path: file });
	});
});
