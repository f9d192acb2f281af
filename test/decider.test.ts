import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MailboxError } from '../src/errors.js';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { pendingDirectoryOf } from '../src/journal/pending-store.js';
import type { DecideContext, DecideRequest } from '../src/leader/leader.js';
import type { AnswerDecision } from '../src/leader/response.js';
import { Policy } from '../src/policy/policy.js';
import type { PermissionUpdate } from '../src/protocol/frames.js';
import type { Team } from '../src/team/team.js';
import { runCli } from './helpers/cli.js';
import { bash, collect, nextRequest, settledFlag, startSwarm, until } from './helpers/swarm.js';

const audit = (team: Team) => new AuditLog(auditLogPath(team.directory)).read();

/** Names in the journal directory: a decided request leaves no `<key>.json` record for a person. */
const journalFiles = (team: Team) => readdirSync(pendingDirectoryOf(team)).sort();

describe('Leader decide(): a runner decides in code on the fast path', () => {
	it('allows and denies, sync and async, answered the policy way and logged as the decider', async () => {
		const seen: DecideRequest[] = [];
		const { team, leader, worker } = await startSwarm({
			decide: async (request) => {
				seen.push(request);
				if (request.toolName === 'Bash' && String(request.input['command']).startsWith('npm ')) {
					return { behavior: 'allow' };
				}
				await new Promise((resolve) => setTimeout(resolve, 1));
				return { behavior: 'deny', message: `no ${String(request.input['command'])}` };
			},
		});
		expect(
			await worker.requestPermission({
				...bash('npm test'),
				description: 'run the tests',
				suggestions: [{ type: 'addRules', rules: [{ toolName: 'Bash' }], behavior: 'allow', destination: 'session' }],
			}),
		).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test' } });
		expect(await worker.requestPermission(bash('rm -rf /', 'toolu_2'))).toMatchObject({
			behavior: 'deny',
			reason: 'denied',
			message: 'no rm -rf /',
		});
		expect(seen[0]).toMatchObject({
			kind: 'permission',
			worker: 'ann',
			toolName: 'Bash',
			toolUseId: 'toolu_1',
			input: { command: 'npm test' },
			description: 'run the tests',
			suggestions: [{ type: 'addRules', behavior: 'allow' }],
			host: undefined,
		});
		await leader.flushed();
		const lines = await audit(team);
		expect(lines.map((line) => [line.decision, line.decidedBy])).toEqual([
			['allow', 'decider'],
			['deny', 'decider'],
		]);
		expect(journalFiles(team).filter((name) => name.endsWith('.json'))).toEqual([]); // no record for a person
		expect(await leader.pending()).toEqual([]);
	});

	it('allows with an edited input and permission updates; sees sandbox requests with their host', async () => {
		const updates: PermissionUpdate[] = [
			{ type: 'addRules', rules: [{ toolName: 'Read' }], behavior: 'allow', destination: 'session' },
		];
		const seen: DecideRequest[] = [];
		const { worker } = await startSwarm({
			decide: (request) => {
				seen.push(request);
				if (request.kind === 'sandbox') return { behavior: request.host === 'registry.npmjs.org' ? 'allow' : 'deny' };
				return { behavior: 'allow', updatedInput: { command: 'npm test -- --run' }, permissionUpdates: updates };
			},
		});
		expect(await worker.requestPermission(bash('npm test'))).toEqual({
			behavior: 'allow',
			updatedInput: { command: 'npm test -- --run' },
			permissionUpdates: updates,
			requestId: expect.any(String),
		});
		expect(await worker.requestNetworkAccess('registry.npmjs.org')).toMatchObject({ allow: true });
		expect(await worker.requestNetworkAccess('example.com')).toMatchObject({ allow: false, reason: 'denied' });
		expect(seen[1]).toMatchObject({ kind: 'sandbox', toolName: undefined, host: 'registry.npmjs.org', input: {} });
	});

	it('comes after the policy rules (deny and allow), before its fallback and before a person', async () => {
		const asked: string[] = [];
		const said: DecideContext['policy'][] = [];
		const { worker } = await startSwarm(async (team) => ({
			policy: await Policy.forTeam(team, {
				rules: { allow: ['Bash(ls:*)'], deny: ['Bash(rm:*)'] },
				fallback: 'deny',
			}),
			decide: (request, context) => {
				asked.push(String(request.input['command']));
				said.push(context.policy);
				return request.input['command'] === 'make' ? { behavior: 'allow' } : undefined;
			},
		}));
		expect(await worker.requestPermission(bash('ls -l'))).toMatchObject({ behavior: 'allow' });
		expect(await worker.requestPermission(bash('rm x', 'toolu_2'))).toMatchObject({ behavior: 'deny' });
		expect(await worker.requestPermission(bash('make', 'toolu_3'))).toMatchObject({ behavior: 'allow' });
		const fallback = await worker.requestPermission(bash('cargo build', 'toolu_4'));
		expect(fallback).toMatchObject({ behavior: 'deny', message: expect.stringContaining('denied by default') });
		expect(asked).toEqual(['make', 'cargo build']);
		// What the policy said: its fallback deny, which stands when decide returns undefined.
		expect(said[1]).toMatchObject({ behavior: 'deny', fallback: true });
	});

	it('undefined, a throw, a malformed or refused decision, and a timeout each fall through to a person (never an allow)', async () => {
		let abortedBy: unknown;
		const { team, leader, worker, requests } = await startSwarm({
			decideTimeoutMs: 200,
			decide: (request, context: DecideContext) => {
				const command = String(request.input['command']);
				if (command === 'undecided') return undefined;
				if (command === 'throws') throw new Error('classifier offline');
				if (command === 'malformed') return { behavior: 'maybe' } as never;
				if (command === 'refused') return { behavior: 'allow', updatedInput: 'rm -rf /' as never };
				return new Promise((resolve) => {
					context.signal.addEventListener('abort', () => {
						abortedBy = context.signal.reason;
						resolve({ behavior: 'allow' }); // too late: never used
					});
				});
			},
		});
		const failures = collect<MailboxError>(leader, 'failure');
		for (const [index, command] of ['undecided', 'throws', 'malformed', 'refused', 'slow'].entries()) {
			const outcome = worker.requestPermission(bash(command, `toolu_${index}`));
			const request = await nextRequest(requests);
			expect(request.input).toEqual({ command });
			expect(settledFlag(outcome)()).toBe(false);
			await request.deny('a person said no');
			expect(await outcome).toMatchObject({ behavior: 'deny', message: 'a person said no' });
		}
		expect(failures.map((failure) => failure.code)).toEqual(Array(4).fill('DECIDER_FAILED'));
		expect(failures[0]?.message).toContain('classifier offline');
		expect(failures[3]?.message).toContain('200 ms');
		expect((abortedBy as MailboxError).code).toBe('TIMEOUT');
		expect((await audit(team)).map((line) => line.decidedBy)).toEqual(Array(5).fill('person'));
	});

	it('close() aborts a decision in progress; the request stays journaled for the next start', async () => {
		let signal: AbortSignal | undefined;
		const { team, leader, worker } = await startSwarm({
			decide: (_request, context) => {
				signal = context.signal;
				return new Promise(() => {}); // never settles
			},
		});
		void worker.requestPermission(bash('make'), { timeoutMs: 60_000 });
		await until(() => signal !== undefined, 'decide called');
		await leader.close();
		expect(signal?.aborted).toBe(true);
		expect(journalFiles(team).filter((name) => name.endsWith('.json'))).toHaveLength(1);
	});

	it('while an async decide works, the allow it may give is written ahead: an allow sends that answer, anything else drops it', async () => {
		const gates: ((decision: AnswerDecision | undefined) => void)[] = [];
		const { team, worker, requests, leader } = await startSwarm({
			decide: () => new Promise<AnswerDecision | undefined>((resolve) => gates.push(resolve)),
		});
		const aheadFiles = () => journalFiles(team).filter((name) => /\.json\.tmp\.[0-9a-f]{8}$/.test(name));
		/** Ask, and once the decide function waits, read the answer written ahead: the claim of a plain allow. */
		const ask = async (command: string, id: string, suggestions: PermissionUpdate[] = []) => {
			const outcome = worker.requestPermission({ ...bash(command, id), suggestions });
			await until(() => gates.length > 0 && aheadFiles().length === 1, 'the answer written ahead');
			const [name] = aheadFiles();
			const ahead = JSON.parse(readFileSync(path.join(pendingDirectoryOf(team), name as string), 'utf8'));
			expect(ahead).toMatchObject({ requestId: expect.any(String), decision: 'allow', decidedBy: 'decider' });
			return { outcome, msgId: ahead.msgId as string, decide: gates.shift() as (typeof gates)[number] };
		};

		const allowed = await ask('make', 'toolu_1');
		allowed.decide({ behavior: 'allow' });
		expect(await allowed.outcome).toMatchObject({ behavior: 'allow', updatedInput: { command: 'make' } });

		const denied = await ask('rm -rf /', 'toolu_2');
		denied.decide({ behavior: 'deny', message: 'no' });
		expect(await denied.outcome).toMatchObject({ behavior: 'deny', message: 'no' });

		const edited = await ask('npm test', 'toolu_3');
		edited.decide({ behavior: 'allow', updatedInput: { command: 'npm test -- --run' } });
		expect(await edited.outcome).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test -- --run' } });

		const undecided = await ask('deploy', 'toolu_4');
		undecided.decide(undefined);
		const request = await nextRequest(requests);
		await request.approve();
		expect(await undecided.outcome).toMatchObject({ behavior: 'allow' });

		// An allow that also accepts the worker's suggestions is another answer: sent with them, not the one written ahead.
		const suggestions: PermissionUpdate[] = [
			{
				type: 'addRules',
				rules: [{ toolName: 'Bash', ruleContent: 'npm ci' }],
				behavior: 'allow',
				destination: 'session',
			},
		];
		const accepting = await ask('npm ci', 'toolu_6', suggestions);
		accepting.decide({ behavior: 'allow', acceptSuggestions: true });
		expect(await accepting.outcome).toMatchObject({ behavior: 'allow', permissionUpdates: suggestions });

		// An allow that comes over a second later is sent fresh: the one written ahead would carry a stale timestamp.
		const late = await ask('make', 'toolu_5');
		await new Promise((resolve) => setTimeout(resolve, 1_100));
		late.decide({ behavior: 'allow' });
		expect(await late.outcome).toMatchObject({ behavior: 'allow' });

		await leader.flushed();
		const lines = await audit(team);
		expect(lines.map((line) => line.msgId === allowed.msgId)).toEqual([true, false, false, false, false, false]);
		expect(lines.map((line) => line.msgId)).not.toContain(late.msgId);
		expect(lines.map((line) => line.msgId)).not.toContain(accepting.msgId);
		expect(lines.map((line) => line.msgId)).not.toContain(denied.msgId);
		expect(lines.map((line) => line.msgId)).not.toContain(edited.msgId);
		expect(lines.map((line) => line.msgId)).not.toContain(undecided.msgId);
		await until(() => aheadFiles().length === 0, 'no answer written ahead left behind');
	});

	it('answers a worker in another process (the CLI `request`)', async () => {
		const { root, team } = await startSwarm({
			decide: (request) => ({ behavior: 'deny', message: `${request.worker} may not run ${request.toolName}` }),
		});
		const asked = await runCli(
			['--json', 'request', 'alpha', '--as', 'bob', '--tool', 'Bash', '--input', '{"command":"make"}'],
			{ root },
		);
		expect(asked.code).toBe(1);
		expect(JSON.parse(asked.stdout)).toMatchObject({ behavior: 'deny', message: 'bob may not run Bash' });
		await until(async () => (await audit(team)).length === 1, 'the audit line');
		expect((await audit(team))[0]).toMatchObject({ worker: 'bob', decidedBy: 'decider', decision: 'deny' });
	});
});
