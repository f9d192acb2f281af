/**
"Always allow" that the worker understands: the persisted rule goes back to the worker as a session `addRules` update
(so a Claude Code teammate allows the identical call itself), "always" chooses its scope (this call, the command
prefix as Claude Code's dialog offers it, the whole tool), and the person can accept the worker's own suggestions.
*/

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alwaysAllowRuleFor, alwaysAllowUpdate, alwaysScopeOf } from '../src/policy/always-rule.js';
import { Policy } from '../src/policy/policy.js';
import type { PermissionUpdate } from '../src/protocol/frames.js';
import { Team } from '../src/team/team.js';
import { Worker } from '../src/worker/worker.js';
import { jsonOf, runCli, startLead } from './helpers/cli.js';
import { bash, nextRequest, startSwarm, track, within } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const session = (toolName: string, ruleContent?: string): PermissionUpdate => ({
	type: 'addRules',
	rules: [ruleContent === undefined ? { toolName } : { toolName, ruleContent }],
	behavior: 'allow',
	destination: 'session',
});

describe('always-allow scopes', () => {
	const ctx = { cwd: '/repo' };
	it.each<[string, { toolName: string; input: Record<string, unknown> }, string, string, string]>([
		['npm test', bash('npm test --watch'), 'Bash(npm test --watch)', 'Bash(npm test:*)', 'Bash'],
		['ls -la', bash('ls -la /tmp'), 'Bash(ls -la /tmp)', 'Bash(ls:*)', 'Bash'],
		['git push', bash('git push origin main'), 'Bash(git push origin main)', 'Bash(git push:*)', 'Bash'],
		[
			'an Edit',
			{ toolName: 'Edit', input: { file_path: 'src/a.ts' } },
			'Edit(//repo/src/a.ts)',
			'Edit(//repo/src/**)',
			'Edit',
		],
		[
			'an MCP tool',
			{ toolName: 'mcp__github__create_issue', input: { title: 'x' } },
			'mcp__github__create_issue',
			'mcp__github',
			'mcp__github__create_issue',
		],
		[
			'a WebFetch',
			{ toolName: 'WebFetch', input: { url: 'https://docs.example.com/a' } },
			'WebFetch(domain:docs.example.com)',
			'WebFetch(domain:docs.example.com)',
			'WebFetch',
		],
	])('%s: exact, prefix and tool rules', (_name, subject, exact, prefix, tool) => {
		expect(alwaysAllowRuleFor(subject, ctx)).toBe(exact);
		expect(alwaysAllowRuleFor(subject, ctx, 'exact')).toBe(exact);
		expect(alwaysAllowRuleFor(subject, ctx, 'prefix')).toBe(prefix);
		expect(alwaysAllowRuleFor(subject, ctx, 'tool')).toBe(tool);
	});

	it('refuses a prefix for compound or expanded commands, and any scope but exact for a host', () => {
		for (const command of ['npm test && rm -rf /', 'FOO=1 npm test', '"$X" run', 'a | b']) {
			expect(() => alwaysAllowRuleFor(bash(command), {}, 'prefix')).toThrow(/Cannot derive an "always allow" rule/);
		}
		expect(() => alwaysAllowRuleFor({ host: 'example.com' }, {}, 'tool')).toThrow(/hosts take "exact"/);
		expect(alwaysScopeOf(true)).toBe('exact');
		expect(alwaysScopeOf(false)).toBeUndefined();
		expect(() => alwaysScopeOf('everything')).toThrow(/`always`/);
		expect(alwaysAllowUpdate('Bash(npm test:*)')).toEqual(session('Bash', 'npm test:*'));
		expect(alwaysAllowUpdate('Edit')).toEqual(session('Edit'));
		// The worker compares an exact command as written: our matcher's escapes stay out of its update, and a `*`
		// (a wildcard to it) sends none rather than a wider rule.
		const escaped = alwaysAllowRuleFor(bash(String.raw`printf 'again\n' >> log`));
		expect(escaped).toBe(String.raw`Bash(printf 'again\\n' >> log)`);
		expect(alwaysAllowUpdate(escaped)).toEqual(session('Bash', String.raw`printf 'again\n' >> log`));
		expect(alwaysAllowUpdate(alwaysAllowRuleFor(bash('rm *.tmp')))).toBeUndefined();
	});
});

describe('always-allow sent back to the worker', () => {
	it('carries the persisted rule as a session addRules update, for each scope', async () => {
		const { team, worker, requests } = await startSwarm(async (team) => ({ policy: await Policy.forTeam(team) }));
		const exact = worker.requestPermission(bash('git status'));
		await (await nextRequest(requests)).approve({ always: true });
		expect(await within(exact, 'exact')).toMatchObject({ permissionUpdates: [session('Bash', 'git status')] });

		const prefix = worker.requestPermission(bash('npm test --watch', 'toolu_2'));
		const answered = await (await nextRequest(requests)).approve({ always: 'prefix' });
		expect(answered.persistedRule).toBe('Bash(npm test:*)');
		expect(await within(prefix, 'prefix')).toMatchObject({ permissionUpdates: [session('Bash', 'npm test:*')] });
		// The lead's policy now allows the prefix too: no person is asked.
		expect(await worker.requestPermission(bash('npm test -- --run', 'toolu_3'))).toMatchObject({
			behavior: 'allow',
			permissionUpdates: [],
		});

		const tool = worker.requestPermission({ toolName: 'Read', toolUseId: 'toolu_4', input: { file_path: '/x' } });
		await (await nextRequest(requests)).approve({ always: 'tool' });
		expect(await within(tool, 'tool')).toMatchObject({ permissionUpdates: [session('Read')] });
		const rules = JSON.parse(readFileSync(Policy.rulesFileOf(team), 'utf8')).allow;
		expect(rules).toEqual(['Bash(git status)', 'Bash(npm test:*)', 'Read']);
	});

	it("sends the worker's own suggestions back when the person accepts them", async () => {
		const { worker, requests } = await startSwarm();
		const suggestions: PermissionUpdate[] = [
			{ type: 'addDirectories', directories: ['/tmp/out'], destination: 'session' },
		];
		const outcome = worker.requestPermission({ ...bash('echo hi > /tmp/out/x'), suggestions });
		const request = await nextRequest(requests);
		expect(request.suggestions).toEqual(suggestions);
		await request.approve({ acceptSuggestions: true });
		expect(await within(outcome, 'the allow')).toMatchObject({ behavior: 'allow', permissionUpdates: suggestions });
	});
});

describe('approve --always[=scope] and --suggestions (CLI)', () => {
	it('answers with the chosen scope and the suggestions; refuses an unknown scope', async () => {
		const root = tempDir();
		await Team.create('alpha', { root, members: [{ name: 'ann' }] });
		const { lead } = await startLead(root, []);
		const suggestion: PermissionUpdate = { type: 'addDirectories', directories: ['/tmp/out'], destination: 'session' };
		// The worker is this process (the CLI's own \`request\` takes no suggestions); lead and answers are CLI processes.
		const worker = track(new Worker(await Team.open('alpha', { root }), { name: 'ann', timeoutMs: 30_000 }));
		const asks = worker.requestPermission({ ...bash('npm test --watch'), suggestions: [suggestion] });
		const { requestId } = await lead.nextEvent((e) => e['event'] === 'request', 'request event');
		const refused = await runCli(['approve', 'alpha', String(requestId), '--always=everything'], { root });
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(/everything/);
		const approved = await runCli(
			['--json', 'approve', 'alpha', String(requestId), '--always=prefix', '--suggestions'],
			{ root },
		);
		expect(jsonOf(approved)).toMatchObject({ decision: 'allow', persistedRule: 'Bash(npm test:*)' });
		expect(await within(asks, 'the allow')).toMatchObject({
			behavior: 'allow',
			permissionUpdates: [suggestion, session('Bash', 'npm test:*')],
		});
		await lead.stop();
	});
});
