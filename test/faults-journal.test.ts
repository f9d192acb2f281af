/**
File-system faults in the leader's own files, injected through the seam: the pending journal (record, the exactly-once
claim, completion) and the audit log, one fault per run, each in a fresh team. After each: the failure surfaces as a
typed `MailboxError` naming the journal or audit file (a `failure` event of the Leader, or the rejection of
`approve()`); once the fault is gone the request is answered exactly once (one allow for the worker, one audit line,
every answer entry for it the same msg_id, the journal finished), and the next request goes through.

How each is healed is part of the contract and asserted as "no later than": a journal-and-claim file that never got
a name, a failed audit line or completion is retried by the Leader itself (`retryIntervalMs`); one that got its names
but failed after (the claim link, the directory flush) leaves a journaled request that the retried intake takes for a
duplicate, so it waits for the next recovery sweep (`recoveryIntervalMs`, 30 s by default; here triggered by calling
`recover()`, which is what the sweep does). A restart heals everything, and is the last resort the test falls back to.
*/
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isMailboxError, type MailboxError } from '../src/errors.js';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { pendingDirectoryOf } from '../src/journal/pending-store.js';
import { Leader, type LeaderOptions } from '../src/leader/leader.js';
import { Policy } from '../src/policy/policy.js';
import type { Team } from '../src/team/team.js';
import type { PermissionOutcome, RejectedResponse } from '../src/worker/responses.js';
import type { Worker } from '../src/worker/worker.js';
import { clearFaults, type FaultRule, injectFaults, tempFilesUnder } from './helpers/faults.js';
import { bash, collect, nextRequest, settledFlag, startSwarm, track, until } from './helpers/swarm.js';

afterEach(() => clearFaults());

const heals = ['by itself', 'by recover()', 'by a restart'] as const;
type Heal = (typeof heals)[number];

interface JournalStep {
	name: string;
	rule: FaultRule;
	heal: Heal;
	/** The fault is swallowed (nothing to report) and leaves one temp file, pruned by a later start. */
	swallowed?: boolean;
}

const pending = '/swarm-mailbox/pending/';
const journalTemp = /\.json\.tmp\.[0-9a-f]{8}$/;
/** The policy path: the request is journaled and its answer claimed in one file, linked under both names. */
const steps: JournalStep[] = [
	{
		name: 'intake: EACCES reading the journal',
		rule: { op: 'open', path: pending, suffix: '.json', code: 'EACCES' },
		heal: 'by itself',
	},
	{
		name: 'journal and claim: EACCES creating their file',
		rule: { op: 'open', path: pending, pattern: journalTemp, code: 'EACCES' },
		heal: 'by itself',
	},
	{
		name: 'journal and claim: ENOSPC writing it',
		rule: { op: 'write', path: pending, pattern: journalTemp, code: 'ENOSPC' },
		heal: 'by itself',
	},
	{
		name: 'journal and claim: EIO on its fsync',
		rule: { op: 'fsync', path: pending, pattern: journalTemp, code: 'EIO' },
		heal: 'by itself',
	},
	{
		name: 'journal and claim: EACCES linking the record',
		rule: { op: 'link', path: pending, pattern: journalTemp, code: 'EACCES' },
		heal: 'by itself',
	},
	{
		name: 'journal and claim: EACCES linking the claim (the record stays, unclaimed)',
		rule: { op: 'link', path: pending, pattern: journalTemp, nth: 2, code: 'EACCES' },
		heal: 'by recover()',
	},
	{
		name: 'journal and claim: EACCES removing its temp file',
		rule: { op: 'unlink', path: pending, pattern: journalTemp, code: 'EACCES' },
		heal: 'by itself',
		swallowed: true,
	},
	{
		name: 'journal and claim: EIO flushing the directory',
		rule: { op: 'fsync', suffix: '/pending', code: 'EIO' },
		heal: 'by recover()',
	},
	{
		name: 'audit: EACCES opening the log',
		rule: { op: 'open', path: 'audit.jsonl', code: 'EACCES' },
		heal: 'by itself',
	},
	{
		name: 'audit: ENOSPC appending the line',
		rule: { op: 'write', path: 'audit.jsonl', code: 'ENOSPC' },
		heal: 'by itself',
	},
	{ name: 'audit: EIO on its fsync', rule: { op: 'fsync', path: 'audit.jsonl', code: 'EIO' }, heal: 'by itself' },
	{
		// The delivery leaves its directory flush to the log's batch: a failure there fails the line, which is retried.
		// (The first flush of that directory is the worker's, for its request.)
		name: 'audit: EIO flushing the delivered answer’s directory before the line',
		rule: { op: 'fsync', suffix: '/inboxes', nth: 2, code: 'EIO' },
		heal: 'by itself',
	},
	{
		name: 'complete: EACCES removing the record',
		rule: { op: 'unlink', path: pending, suffix: '.json', code: 'EACCES' },
		heal: 'by itself',
	},
];

/** A person's approval: the request was journaled when it came in, and the claim is a file of its own. */
const claimSteps: Omit<JournalStep, 'heal'>[] = [
	{ name: 'claim: EIO reading the record', rule: { op: 'read', path: pending, suffix: '.json', code: 'EIO' } },
	{ name: 'claim: ENOSPC writing the claim', rule: { op: 'write', path: '.answer.tmp.', code: 'ENOSPC' } },
	{ name: 'claim: EIO on its fsync', rule: { op: 'fsync', path: '.answer.tmp.', code: 'EIO' } },
	{ name: 'claim: EACCES linking it into place', rule: { op: 'link', path: '.answer.tmp.', code: 'EACCES' } },
	{ name: 'claim: EIO flushing the directory', rule: { op: 'fsync', suffix: '/pending', code: 'EIO' } },
];

const audit = (team: Team) => new AuditLog(auditLogPath(team.directory)).read();

/** Open records, and claims: those in the journal and the tombstones of finished requests (by the hour). */
function journal(team: Team) {
	const directory = pendingDirectoryOf(team);
	const names = readdirSync(directory);
	const answered = path.join(directory, 'answered');
	const tombstones = names.includes('answered')
		? readdirSync(answered).flatMap((hour) => readdirSync(path.join(answered, hour)))
		: [];
	return {
		open: names.filter((name) => name.endsWith('.json')),
		claims: [...names, ...tombstones].filter((name) => name.endsWith('.answer')),
	};
}

/** Wait up to `ms` for `settled`; whether it did. */
async function settledWithin(settled: () => boolean, ms: number): Promise<boolean> {
	await until(settled, 'settled', ms).catch(() => {});
	return settled();
}

/** After the fault: one allow, one audit line, one msg_id for every answer entry, a finished journal. */
async function expectAnsweredOnce(
	team: Team,
	leader: Leader,
	worker: Worker,
	outcome: PermissionOutcome,
	rejected: RejectedResponse[],
	options: { temps: number },
) {
	expect(outcome).toMatchObject({ behavior: 'allow' });
	await until(async () => (await audit(team)).length === 1 && journal(team).open.length === 0, 'a finished answer');
	// A retried answer finishes (and queues its request's ack) after the caller's flushed(): wait for that ack too.
	await leader.flushed();
	const [line] = await audit(team);
	expect(line).toMatchObject({ requestId: outcome.requestId, decision: 'allow' });
	expect(journal(team)).toEqual({ open: [], claims: [expect.stringMatching(/\.answer$/)] });
	// A re-sent answer is the same entry (same msg_id): the worker ignores it as late, never acts on it twice.
	for (const event of rejected) {
		expect(event).toMatchObject({ reason: 'late', requestId: outcome.requestId });
		expect(event.entry.msg_id).toBe(line?.msgId);
	}
	await worker.flushed(); // its acks rewrite its inbox: no temp file of theirs is in flight below
	expect(tempFilesUnder(team.directory)).toEqual(
		options.temps === 0 ? [] : [expect.stringMatching(/\.(json|answer)\.tmp\./)],
	);
}

describe('a fault in the journal or the audit log while a policy answers', () => {
	it.each(steps)('$name', async ({ rule, heal, swallowed }) => {
		let options: LeaderOptions = {};
		const { team, leader, worker } = await startSwarm(async (created) => {
			options = { policy: await Policy.forTeam(created, { rules: { allow: ['Bash'] } }), retryIntervalMs: 100 };
			return options;
		});
		await worker.ready();
		const failures = collect<MailboxError>(leader, 'failure');
		const rejected = collect<RejectedResponse>(worker, 'rejected');
		const fired = injectFaults([rule]);
		const outcome = worker.requestPermission(bash('make'), { timeoutMs: 60_000 });
		await until(() => fired.length > 0, 'the fault to fire');
		clearFaults();

		const answered = settledFlag(outcome);
		let healed: Heal = 'by itself';
		let current = leader;
		if (!(await settledWithin(answered, heal === 'by itself' ? 10_000 : 300))) {
			healed = 'by recover()';
			await current.recover();
			if (!(await settledWithin(answered, 500))) {
				healed = 'by a restart';
				await current.close();
				current = track(new Leader(team, options));
				await current.start();
				await settledWithin(answered, 10_000);
			}
		}
		expect(answered(), 'answered once the fault is gone').toBe(true);
		expect(heals.indexOf(healed), `healed ${healed}`).toBeLessThanOrEqual(heals.indexOf(heal));

		if (swallowed) expect(failures).toEqual([]);
		else {
			expect(failures.length, 'the failure is reported').toBeGreaterThan(0);
			for (const failure of failures) {
				expect(isMailboxError(failure)).toBe(true);
				// Names the leader's own file that failed, not just "the inbox of team-lead".
				expect(failure.message).toContain(`${team.directory}/swarm-mailbox`);
			}
		}
		await current.flushed();
		await expectAnsweredOnce(team, current, worker, await outcome, rejected, { temps: swallowed ? 1 : 0 });
		// And the next request goes through as usual.
		expect(await worker.requestPermission(bash('make again'), { timeoutMs: 10_000 })).toMatchObject({
			behavior: 'allow',
		});
		await current.flushed();

		// A new Leader answers nothing again: an inbox entry still there is dropped as a duplicate, and the lead's
		// inbox ends empty.
		await current.close();
		const next = track(new Leader(team, options));
		const decided = collect(next, 'decided');
		const dropped = collect<{ reason: string }>(next, 'dropped');
		await next.start();
		await until(async () => (await team.inbox('team-lead').read()).length === 0, 'the lead inbox drained');
		await next.flushed();
		expect(decided).toEqual([]);
		for (const event of dropped) expect(event.reason).toBe('duplicate');
		expect(await audit(team)).toHaveLength(2);
	});
});

describe('a fault while a person’s approval claims the answer', () => {
	it.each(claimSteps)('$name: approve() rejects, typed; the answer still goes out once', async ({ rule }) => {
		const { team, leader, worker, requests } = await startSwarm({ retryIntervalMs: 100 });
		const rejected = collect<RejectedResponse>(worker, 'rejected');
		const outcome = worker.requestPermission(bash('deploy'), { timeoutMs: 60_000 });
		const request = await nextRequest(requests);
		const fired = injectFaults([rule]);
		const first = await request.approve().then(
			() => undefined,
			(error: unknown) => error,
		);
		clearFaults();
		expect(fired).toHaveLength(1);
		expect(isMailboxError(first, 'IO'), String(first)).toBe(true);
		expect((first as MailboxError).message).toContain(pendingDirectoryOf(team));

		// Approving again either claims it now, or finds the claim the failed call made (its directory flush failed):
		// then the journal holds a claimed, undelivered answer, which the next recovery sweep delivers.
		const second = await request.approve().then(
			() => 'answered',
			(error: unknown) => error,
		);
		if (second !== 'answered') {
			expect(isMailboxError(second, 'ALREADY_ANSWERED'), String(second)).toBe(true);
			await leader.recover();
		}
		await leader.flushed();
		await expectAnsweredOnce(team, leader, worker, await outcome, rejected, { temps: 0 });
	});
});
