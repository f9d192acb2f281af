import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { Leader } from '../src/leader/leader.js';
import { alwaysAllowRuleFor, Policy } from '../src/policy/policy.js';
import type { PermissionUpdate } from '../src/protocol/frames.js';
import { bash, collect, nextRequest, settledFlag, startSwarm, until, within } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const ctx = { cwd: '/repo', projectRoot: '/repo', homeDir: '/home/me' };

describe('Policy decisions', () => {
	it('denies first, then allows, then asks; unmatched calls fall back to ask (or deny)', () => {
		const policy = new Policy({
			rules: { allow: ['Bash(npm test:*)', 'Read(/src/**)'], deny: ['Bash(git push:*)'], ask: ['Bash(npm publish)'] },
			context: ctx,
		});
		expect(policy.decideTool('Bash', { command: 'npm test -- --watch' })).toMatchObject({
			behavior: 'allow',
			rule: 'Bash(npm test:*)',
		});
		expect(policy.decideTool('Bash', { command: 'npm test && git push origin' })).toMatchObject({ behavior: 'deny' });
		expect(policy.decideTool('Bash', { command: 'npm publish' })).toMatchObject({ behavior: 'ask' });
		expect(policy.decideTool('Read', { file_path: '/repo/src/a.ts' })).toMatchObject({ behavior: 'allow' });
		expect(policy.decideTool('Read', { file_path: 'src/a.ts' }, { cwd: '/elsewhere' })).toMatchObject({
			behavior: 'ask',
		});
		expect(policy.decideTool('Bash', { command: 'make' }).behavior).toBe('ask');
		expect(new Policy({ fallback: 'deny' }).decideTool('Bash', { command: 'make' }).behavior).toBe('deny');

		const hosts = new Policy({ rules: { networkAllow: ['*.npmjs.org'], deny: ['WebFetch(domain:evil.example)'] } });
		expect(hosts.decideHost('registry.npmjs.org')).toMatchObject({ behavior: 'allow', rule: '*.npmjs.org' });
		expect(hosts.decideHost('evil.example').behavior).toBe('deny');
		expect(hosts.decideHost('*.evil.example').behavior).toBe('deny');
		expect(hosts.decideHost('example.com').behavior).toBe('ask');
		expect(() => new Policy({ askTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
	});

	it('derives exact "always allow" rules: nothing is generalised', () => {
		expect(alwaysAllowRuleFor({ toolName: 'Bash', input: { command: ' ls *.txt ' } })).toBe('Bash(ls \\*.txt)');
		expect(alwaysAllowRuleFor({ toolName: 'Bash', input: { command: 'git commit -m "(wip)"' } })).toBe(
			'Bash(git commit -m "\\(wip\\)")',
		);
		expect(alwaysAllowRuleFor({ toolName: 'Edit', input: { file_path: 'src/a[1].ts' } }, ctx)).toBe(
			'Edit(//repo/src/a\\[1\\].ts)',
		);
		expect(alwaysAllowRuleFor({ toolName: 'WebFetch', input: { url: 'https://Docs.Example.com/x' } })).toBe(
			'WebFetch(domain:docs.example.com)',
		);
		expect(alwaysAllowRuleFor({ host: 'API.example.com.' })).toBe('WebFetch(domain:api.example.com)');
		expect(alwaysAllowRuleFor({ toolName: 'mcp__github__create_issue', input: { title: 'x' } })).toBe(
			'mcp__github__create_issue',
		);
		expect(() => alwaysAllowRuleFor({ toolName: 'Bash', input: {} })).toThrow(
			expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
		);
		expect(() => alwaysAllowRuleFor({ host: '*.example.com' })).toThrow(
			expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
		);

		const exact = new Policy({
			rules: { allow: [alwaysAllowRuleFor({ toolName: 'Bash', input: { command: 'ls *.txt' } })] },
		});
		expect(exact.decideTool('Bash', { command: 'ls *.txt' }).behavior).toBe('allow');
		expect(exact.decideTool('Bash', { command: 'ls secret.txt' }).behavior).toBe('ask');
		const edit = new Policy({ rules: { allow: ['Edit(//repo/src/a\\[1\\].ts)'] }, context: ctx });
		expect(edit.decideTool('Edit', { file_path: '/repo/src/a[1].ts' }).behavior).toBe('allow');
		expect(edit.decideTool('Edit', { file_path: '/repo/src/a1.ts' }).behavior).toBe('ask');
	});

	it('persists under a lock: concurrent writers in two objects keep every rule', async () => {
		const rulesFile = path.join(tempDir(), 'state', 'rules.json');
		const [a, b] = [new Policy({ rulesFile }), new Policy({ rulesFile })];
		await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).allowAlways(`Bash(echo ${i})`)));
		const saved = JSON.parse(readFileSync(rulesFile, 'utf8'));
		expect(saved.version).toBe(1);
		expect(saved.allow).toHaveLength(20);
		await a.refresh();
		expect(a.decideTool('Bash', { command: 'echo 7' }).behavior).toBe('allow');
		expect(await a.allowAlways('Bash(echo 7)')).toBe(false); // already there
	});

	it('never persists a setMode update (nor directory updates); addRules are kept', async () => {
		const rulesFile = path.join(tempDir(), 'rules.json');
		const policy = new Policy({ rulesFile });
		const result = await policy.persistUpdates([
			{ type: 'setMode', mode: 'bypassPermissions', destination: 'localSettings' },
			{ type: 'addDirectories', directories: ['/'], destination: 'session' },
			{ type: 'addRules', rules: [{ toolName: 'Read' }], behavior: 'allow', destination: 'session' },
			{
				type: 'addRules',
				rules: [{ toolName: 'Bash', ruleContent: 'rm:*' }],
				behavior: 'deny',
				destination: 'session',
			},
			{ nonsense: true },
		]);
		expect(result.persisted).toEqual(['allow:Read', 'deny:Bash(rm:*)']);
		expect(result.skipped.map((skip) => skip.reason)).toEqual([
			'a mode change is never persisted',
			'addDirectories is not persisted',
			'not a valid permission update',
		]);
		const text = readFileSync(rulesFile, 'utf8');
		expect(text).not.toMatch(/mode|bypassPermissions|addDirectories/);
		expect(JSON.parse(text)).toMatchObject({ allow: ['Read'], deny: ['Bash(rm:*)'] });
	});

	it('keeps "always" rules in memory when it has no rules file', async () => {
		const policy = new Policy();
		expect(await policy.allowAlways('Bash(make)')).toBe(true);
		expect(policy.decideTool('Bash', { command: 'make' }).behavior).toBe('allow');
		expect(policy.toJSON().allow).toEqual(['Bash(make)']);
	});

	it('refuses a corrupt rules file without touching it', async () => {
		const { writeFileSync } = await import('node:fs');
		const rulesFile = path.join(tempDir(), 'rules.json');
		writeFileSync(rulesFile, '{"allow": ["Bash("]}');
		await expect(new Policy({ rulesFile }).load()).rejects.toMatchObject({ code: 'CORRUPT_CONFIG' });
		expect(readFileSync(rulesFile, 'utf8')).toBe('{"allow": ["Bash("]}');
	});
});

describe('Policy in the Leader', () => {
	it('allows and denies at once, without asking anyone, and logs the rule', async () => {
		const policy = new Policy({ rules: { allow: ['Bash(echo:*)'], deny: ['Bash(rm:*)'] } });
		const { team, leader, worker, requests } = await startSwarm({ policy });
		const asked = settledFlag(requests.next());
		expect(await worker.requestPermission(bash('echo hi'))).toMatchObject({ behavior: 'allow' });
		const denied = await worker.requestPermission(bash('rm -rf /', 'toolu_2'));
		expect(denied).toMatchObject({ behavior: 'deny', reason: 'denied' });
		expect(denied.behavior === 'deny' && denied.message).toContain('Bash(rm:*)');
		expect(asked()).toBe(false);
		await leader.flushed(); // the audit line follows the answer
		const lines = await new AuditLog(auditLogPath(team.directory)).read();
		expect(lines.map((line) => [line.decision, line.decidedBy])).toEqual([
			['allow', 'policy'],
			['deny', 'policy'],
		]);
		expect(lines[0]?.message).toContain('Bash(echo:*)');
	});

	it('leaves asks to a person, and denies them once askTimeoutMs passes', async () => {
		const policy = new Policy({ askTimeoutMs: 200 });
		const { team, worker, requests } = await startSwarm({ policy });
		const started = Date.now();
		const outcome = await worker.requestPermission(bash('deploy'));
		expect(Date.now() - started).toBeGreaterThanOrEqual(190);
		expect(outcome).toMatchObject({ behavior: 'deny', reason: 'denied' });
		expect(outcome.behavior === 'deny' && outcome.message).toContain('200 ms');
		await expect((await nextRequest(requests)).approve()).rejects.toMatchObject({ code: 'ALREADY_ANSWERED' });
		const log = new AuditLog(auditLogPath(team.directory));
		await until(async () => (await log.read()).length > 0, 'audit line (written after the answer)');
		expect((await log.read()).map((line) => line.decidedBy)).toEqual(['timeout']);
	});

	it('retries a request whose intake failed (rules file unreadable) once the file is fixed, without a restart', async () => {
		const { team, leader, worker } = await startSwarm(async (team) => ({
			policy: await Policy.forTeam(team, { rules: { allow: ['Bash(echo:*)'] } }),
			retryIntervalMs: 100,
		}));
		const failures = collect<Error>(leader, 'failure');
		const rulesFile = Policy.rulesFileOf(team);
		writeFileSync(rulesFile, '{"allow": [');
		const outcome = worker.requestPermission(bash('echo hi'));
		await until(() => failures.length > 0, 'intake failure');
		expect(failures[0]).toMatchObject({ code: 'CORRUPT_CONFIG' });
		writeFileSync(rulesFile, '{"allow": []}');
		expect(await within(outcome, 'answer after the fix')).toMatchObject({ behavior: 'allow' });
	});

	it('persists "always allow" and applies it to later requests, also one persisted by a CLI', async () => {
		const { team, leader, worker, requests } = await startSwarm(async (team) => ({
			policy: await Policy.forTeam(team),
		}));
		const first = worker.requestPermission(bash('git status'));
		const answered = await (await nextRequest(requests)).approve({ always: true });
		expect(answered.persistedRule).toBe('Bash(git status)');
		expect(await first).toMatchObject({ behavior: 'allow' });
		const rulesFile = Policy.rulesFileOf(team);
		expect(JSON.parse(readFileSync(rulesFile, 'utf8')).allow).toEqual(['Bash(git status)']);
		expect(await worker.requestPermission(bash('git status', 'toolu_2'))).toMatchObject({ behavior: 'allow' });
		const other = worker.requestPermission(bash('git status; rm -rf ~', 'toolu_3'));
		const asked = await nextRequest(requests);
		expect(asked.input).toEqual({ command: 'git status; rm -rf ~' });
		await asked.deny();
		expect(await other).toMatchObject({ behavior: 'deny' });

		const net = worker.requestNetworkAccess('Example.com');
		await (await nextRequest(requests)).approve({ always: true });
		expect(await net).toMatchObject({ allow: true });
		expect(await worker.requestNetworkAccess('example.com')).toMatchObject({ allow: true });

		const viaCli = worker.requestPermission(bash('make lint', 'toolu_4'));
		await until(async () => (await Leader.listPending(team)).length === 1, 'journaled request');
		const [pending] = await Leader.listPending(team);
		await Leader.answer(team, pending?.requestId as string, { behavior: 'allow', always: true }, { decidedBy: 'cli' });
		expect(await viaCli).toMatchObject({ behavior: 'allow' });
		expect(await worker.requestPermission(bash('make lint', 'toolu_5'))).toMatchObject({ behavior: 'allow' });

		await leader.flushed();
		const lines = await new AuditLog(auditLogPath(team.directory)).read();
		expect(lines.map((line) => line.decidedBy)).toEqual([
			'person',
			'policy',
			'person',
			'person',
			'policy',
			'cli',
			'policy',
		]);
		expect(JSON.parse(readFileSync(rulesFile, 'utf8')).allow).toEqual([
			'Bash(git status)',
			'WebFetch(domain:example.com)',
			'Bash(make lint)',
		]);
	});

	it('passes a setMode update to the worker as given but never persists it', async () => {
		const { team, worker, requests } = await startSwarm(async (team) => ({ policy: await Policy.forTeam(team) }));
		const updates: PermissionUpdate[] = [
			{ type: 'setMode', mode: 'bypassPermissions', destination: 'session' },
			{ type: 'addRules', rules: [{ toolName: 'Read' }], behavior: 'allow', destination: 'session' },
		];
		const outcome = worker.requestPermission(bash('npm ci'));
		await (await nextRequest(requests)).approve({ always: true, permissionUpdates: updates });
		// The persisted rule goes back too, as a session rule the worker applies itself.
		const sessionRule = { type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'npm ci' }], behavior: 'allow' };
		expect(await outcome).toMatchObject({
			behavior: 'allow',
			permissionUpdates: [...updates, { ...sessionRule, destination: 'session' }],
		});
		const text = readFileSync(Policy.rulesFileOf(team), 'utf8');
		expect(JSON.parse(text).allow).toEqual(['Bash(npm ci)', 'Read']);
		expect(text).not.toMatch(/setMode|bypassPermissions|"mode"/);
	});
});
