/**
`swarm-mailbox hook` as Claude Code runs it: a child process with the hook input on stdin, against a real `lead`
process (answers from its policy, from `--auto`, or from `approve` / `deny` in another process). Also `config`, whose
printed command is run through the shell exactly as Claude Code would run it.
*/

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { createPermissionResponse } from '../src/protocol/frame-builders.js';
import { encodeFrame } from '../src/protocol/frame-codec.js';
import { createLeadKeyPair } from '../src/protocol/signing.js';
import { Team } from '../src/team/team.js';
import { type CliResult, cliArgs, jsonOf, runCli, startLead } from './helpers/cli.js';
import { repoRoot } from './helpers/fork.js';
import { track } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

/** Run `command` (argv, or a shell line) with `stdin` written and closed, as Claude Code runs a hook. */
function runWithStdin(command: string[] | string, stdin: string, cwd = repoRoot): Promise<CliResult> {
	const child =
		typeof command === 'string'
			? spawn('/bin/sh', ['-c', command], { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
			: spawn(process.execPath, command, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	child.stdout.setEncoding('utf8').on('data', (text: string) => {
		stdout += text;
	});
	child.stderr.setEncoding('utf8').on('data', (text: string) => {
		stderr += text;
	});
	const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
	child.stdin.end(stdin);
	return new Promise((resolve) => {
		child.once('close', (code, signal) => {
			clearTimeout(deadline);
			resolve({ code, signal, stdout, stderr });
		});
	});
}

/** `swarm-mailbox --root <root> hook --team alpha --as ann …` with `input` on stdin. */
function hook(root: string, input: unknown, flags: string[] = []): Promise<CliResult> {
	const text = typeof input === 'string' ? input : JSON.stringify(input);
	return runWithStdin([...cliArgs, '--root', root, 'hook', '--team', 'alpha', '--as', 'ann', ...flags], text);
}

const session = {
	session_id: 'sess-1',
	transcript_path: '/tmp/t.jsonl',
	cwd: '/work/project',
	permission_mode: 'default',
};

function preToolUse(toolName: string, toolInput: Record<string, unknown>, toolUseId = 'toolu_pre_1') {
	return {
		...session,
		hook_event_name: 'PreToolUse',
		tool_name: toolName,
		tool_input: toolInput,
		tool_use_id: toolUseId,
	};
}

function permissionRequest(toolName: string, toolInput: Record<string, unknown>) {
	return { ...session, hook_event_name: 'PermissionRequest', tool_name: toolName, tool_input: toolInput };
}

async function team(members = ['ann']) {
	const root = tempDir();
	await Team.create('alpha', { root, members: members.map((name) => ({ name })) });
	return root;
}

function policyFile(root: string, policy: object): string {
	const file = path.join(root, 'policy.json');
	writeFileSync(file, JSON.stringify(policy));
	return file;
}

/** What the lead's inbox holds (nothing when the file was never written). */
function leadInbox(root: string): unknown[] {
	const file = path.join(root, 'alpha', 'inboxes', 'team-lead.json');
	return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown[]) : [];
}

/** The hook's one JSON output, with exit 0. */
function outputOf(result: CliResult): { hookSpecificOutput: Record<string, unknown> } {
	expect(result.code, result.stderr).toBe(0);
	return jsonOf(result) as { hookSpecificOutput: Record<string, unknown> };
}

describe('hook: decisions from a running lead', { timeout: 120_000 }, () => {
	it('PreToolUse: a person approves with an edited input from another process; the hook allows with updatedInput', async () => {
		const root = await team();
		const { lead } = await startLead(root, []);
		const run = hook(root, preToolUse('Bash', { command: 'npm test' }, 'toolu_edit_1'), ['--timeout', '30000']);
		const request = await lead.nextEvent((event) => event['event'] === 'request', 'the hook request', 45_000);
		expect(request).toMatchObject({
			worker: 'ann',
			toolName: 'Bash',
			toolUseId: 'toolu_edit_1',
			input: { command: 'npm test' },
		});
		expect(request['description']).toContain('sess-1');
		expect(request['description']).toContain('/work/project');
		const edited = { command: 'npm test -- --ci' };
		const approved = await runCli(
			['approve', 'alpha', request['requestId'] as string, '--input', JSON.stringify(edited)],
			{ root },
		);
		expect(approved.code, approved.stderr).toBe(0);
		expect(outputOf(await run)).toEqual({
			hookSpecificOutput: {
				hookEventName: 'PreToolUse',
				permissionDecision: 'allow',
				permissionDecisionReason: 'Allowed by the team lead, with an edited input',
				updatedInput: edited,
			},
		});
	});

	it('PermissionRequest: the lead allows with updatedInput and denies with its message', async () => {
		const root = await team();
		const policy = policyFile(root, { allow: ['Bash(npm test:*)'] });
		const { lead } = await startLead(root, ['--policy', policy]);
		const allowed = await hook(root, permissionRequest('Bash', { command: 'npm test' }), ['--timeout', '30000']);
		expect(outputOf(allowed)).toEqual({
			hookSpecificOutput: {
				hookEventName: 'PermissionRequest',
				decision: { behavior: 'allow', updatedInput: { command: 'npm test' } },
			},
		});

		const run = hook(root, permissionRequest('Bash', { command: 'git push' }), ['--timeout', '30000']);
		const request = await lead.nextEvent(
			(event) => event['event'] === 'request' && (event['input'] as { command?: string }).command === 'git push',
			'the git push request',
			45_000,
		);
		expect(request['toolUseId']).toMatch(/^toolu_hook_/); // PermissionRequest carries no tool_use_id
		const message = 'No pushes today: open a PR instead.';
		const denied = await runCli(['deny', 'alpha', request['requestId'] as string, '--message', message], { root });
		expect(denied.code, denied.stderr).toBe(0);
		expect(outputOf(await run)).toEqual({
			hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message } },
		});
	});

	it('PreToolUse: a deny from the lead carries its message as the reason', async () => {
		const root = await team();
		await startLead(root, ['--policy', policyFile(root, { deny: ['Bash(rm:*)'] })]);
		const output = outputOf(await hook(root, preToolUse('Bash', { command: 'rm -rf build' }), ['--timeout', '30000']));
		expect(output.hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'deny' });
		expect(output.hookSpecificOutput['permissionDecisionReason']).toContain('Bash(rm:*)');
		expect(output.hookSpecificOutput).not.toHaveProperty('updatedInput');
	});

	it("hook processes waiting at once as the same worker each get their own answer, not each other's", async () => {
		const root = await team();
		const { lead } = await startLead(root, []);
		const commands = ['echo 1', 'echo 2', 'echo 3'];
		const runs = commands.map((command, i) =>
			hook(root, preToolUse('Bash', { command }, `toolu_par_${i}`), ['--timeout', '30000']),
		);
		const requests = await Promise.all(
			commands.map((command) =>
				lead.nextEvent(
					(event) => event['event'] === 'request' && (event['input'] as { command?: string }).command === command,
					command,
					45_000,
				),
			),
		);
		// Every answer lands while the other hooks watch the same inbox: without sharing, they would take it.
		const approvals = await Promise.all(
			requests.map((request) => runCli(['approve', 'alpha', request['requestId'] as string], { root })),
		);
		expect(approvals.map((result) => result.code)).toEqual([0, 0, 0]);
		const results = await Promise.all(runs);
		expect(results.map((result) => outputOf(result).hookSpecificOutput['updatedInput'])).toEqual(
			commands.map((command) => ({ command })),
		);
	});
	it('--lead-verify-key: an answer signed with the matching key allows; under another key it is a deny', async () => {
		const root = await team();
		const keys = createLeadKeyPair();
		const keyFile = path.join(root, 'lead-key.pem');
		writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
		await startLead(root, ['--auto', 'allow', '--signing-key', keyFile]);
		const [matching, other] = await Promise.all([
			hook(root, preToolUse('Bash', { command: 'ls' }, 'toolu_sig_1'), ['--lead-verify-key', keys.verifyKey]),
			hook(root, preToolUse('Bash', { command: 'pwd' }, 'toolu_sig_2'), [
				'--lead-verify-key',
				createLeadKeyPair().verifyKey,
			]),
		]);
		expect(outputOf(matching).hookSpecificOutput).toMatchObject({ permissionDecision: 'allow' });
		const refused = outputOf(other).hookSpecificOutput;
		expect(refused).toMatchObject({ permissionDecision: 'deny' });
		expect(refused['permissionDecisionReason']).toContain('could not be verified');
	});
});

describe('hook: no answer in time', { timeout: 120_000 }, () => {
	it('denies naming the wait, or with --on-timeout ask leaves the decision to Claude Code', async () => {
		const root = await team(); // nobody leads
		const flags = ['--timeout', '700'];
		const pre = outputOf(await hook(root, preToolUse('Bash', { command: 'ls' }), flags));
		expect(pre.hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'deny' });
		expect(pre.hookSpecificOutput['permissionDecisionReason']).toMatch(/No answer from the team lead .*within 700 ms/);
		const perm = outputOf(await hook(root, permissionRequest('Bash', { command: 'ls' }), flags));
		expect(perm.hookSpecificOutput).toMatchObject({ decision: { behavior: 'deny' } });
		expect((perm.hookSpecificOutput['decision'] as { message: string }).message).toContain('700 ms');

		const ask = [...flags, '--on-timeout', 'ask'];
		const preAsk = outputOf(await hook(root, preToolUse('Bash', { command: 'ls' }), ask));
		expect(preAsk.hookSpecificOutput).toMatchObject({ permissionDecision: 'ask' });
		expect(preAsk.hookSpecificOutput['permissionDecisionReason']).toContain('700 ms');
		const permAsk = await hook(root, permissionRequest('Bash', { command: 'ls' }), ask);
		expect(permAsk).toMatchObject({ code: 0, stdout: '' }); // no decision: Claude Code shows its dialog
		expect(leadInbox(root)).toHaveLength(4); // every one of them did ask
	});
});

describe('hook: local policy', { timeout: 120_000 }, () => {
	it('decides matching calls without reaching the lead; the rest go to the lead', async () => {
		const root = await team(); // nobody leads: an ask would time out
		const policy = policyFile(root, { allow: ['Read', 'Grep'], deny: ['Bash(rm:*)'] });
		const flags = ['--policy', policy, '--timeout', '700'];
		const read = outputOf(await hook(root, preToolUse('Read', { file_path: '/work/project/a.ts' }), flags));
		expect(read.hookSpecificOutput).toMatchObject({ permissionDecision: 'allow' });
		expect(read.hookSpecificOutput['permissionDecisionReason']).toContain('Read');
		const rm = outputOf(await hook(root, preToolUse('Bash', { command: 'rm -rf /' }), flags));
		expect(rm.hookSpecificOutput).toMatchObject({ permissionDecision: 'deny' });
		expect(rm.hookSpecificOutput['permissionDecisionReason']).toContain('Bash(rm:*)');
		expect(leadInbox(root)).toEqual([]);

		const other = outputOf(await hook(root, preToolUse('Bash', { command: 'make' }), flags));
		expect(other.hookSpecificOutput['permissionDecisionReason']).toContain('No answer from the team lead');
		expect(leadInbox(root)).toHaveLength(1);
	});

	it('fallback "deny" denies unmatched calls locally; an unreadable policy file is a deny that names it', async () => {
		const root = await team();
		const strict = policyFile(root, { allow: ['Read'], fallback: 'deny' });
		const denied = outputOf(await hook(root, preToolUse('Bash', { command: 'ls' }), ['--policy', strict]));
		expect(denied.hookSpecificOutput).toMatchObject({ permissionDecision: 'deny' });
		const missing = path.join(root, 'nope.json');
		const broken = outputOf(await hook(root, preToolUse('Read', { file_path: '/x' }), ['--policy', missing]));
		expect(broken.hookSpecificOutput).toMatchObject({ permissionDecision: 'deny' });
		expect(broken.hookSpecificOutput['permissionDecisionReason']).toContain(missing);
		expect(leadInbox(root)).toEqual([]);
	});
});

describe('hook: bad input and setup', { timeout: 120_000 }, () => {
	it('stdin that is not a hook input takes the error path: exit 2, one line on stderr, nothing on stdout', async () => {
		const root = await team();
		for (const stdin of ['garbage', '', '[1,2]', '{"tool_name":"Bash"}']) {
			const result = await hook(root, stdin);
			expect(result, stdin).toMatchObject({ code: 2, stdout: '' });
			expect(result.stderr).toMatch(/^swarm-mailbox hook: .+\n$/);
		}
		const other = await hook(root, { ...session, hook_event_name: 'PostToolUse', tool_name: 'Bash' });
		expect(other).toMatchObject({ code: 1, stdout: '' });
		expect(other.stderr).toContain('PostToolUse is not a permission event');
		expect(leadInbox(root)).toEqual([]);
	});

	it('a known event with a malformed input, a bad flag, or a missing team is a deny saying so (exit 0)', async () => {
		const root = await team();
		const malformed = outputOf(await hook(root, { ...session, hook_event_name: 'PreToolUse', tool_name: 'Bash' }));
		expect(malformed.hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'deny' });
		expect(malformed.hookSpecificOutput['permissionDecisionReason']).toContain('tool_input');
		const noTeam = await runWithStdin(
			[...cliArgs, '--root', root, 'hook', '--team', 'nope', '--as', 'ann'],
			JSON.stringify(permissionRequest('Bash', { command: 'ls' })),
		);
		const decision = outputOf(noTeam).hookSpecificOutput['decision'] as { behavior: string; message: string };
		expect(decision.behavior).toBe('deny');
		expect(decision.message).toContain('TEAM_NOT_FOUND');
		const badTimeout = outputOf(await hook(root, preToolUse('Bash', { command: 'ls' }), ['--timeout', 'soon']));
		expect(badTimeout.hookSpecificOutput['permissionDecisionReason']).toContain('--timeout');
	});

	it("leaves other processes' answers in the worker's inbox, and clears one nobody claimed for a minute", async () => {
		const root = await team();
		const teamHandle = await Team.open('alpha', { root });
		const old = new Date(Date.now() - 5 * 60_000).toISOString();
		const orphan = createPermissionResponse({ requestId: 'perm-1-orphan1', subtype: 'success', toolUseId: 'toolu_x' });
		const fresh = createPermissionResponse({ requestId: 'perm-2-fresh01', subtype: 'success', toolUseId: 'toolu_y' });
		const inbox = teamHandle.inbox('ann');
		await inbox.send({ from: 'team-lead', text: encodeFrame(orphan), timestamp: old });
		await inbox.send({ from: 'team-lead', text: encodeFrame(fresh) });
		await hook(root, preToolUse('Bash', { command: 'ls' }), ['--timeout', '500']);
		const left = (await inbox.read()).map((entry) => entry.text);
		expect(left).toEqual([encodeFrame(fresh)]); // another process may still be waiting for this one
	});
});

describe('config', { timeout: 120_000 }, () => {
	it('hooks: valid JSON for both events whose command, run by the shell from elsewhere, asks the lead', async () => {
		const root = await team();
		const policy = policyFile(root, { allow: ['Read'] });
		const printed = await runCli(['config', 'hooks', '--team', 'alpha', '--as', 'ann', '--policy', policy], { root });
		expect(printed.code, printed.stderr).toBe(0);
		type Handler = { type: string; command: string; timeout: number };
		const config = jsonOf(printed) as { hooks: Record<string, { matcher: string; hooks: Handler[] }[]> };
		expect(Object.keys(config.hooks).sort()).toEqual(['PermissionRequest', 'PreToolUse']);
		const [group] = config.hooks['PreToolUse'] ?? [];
		const handler = group?.hooks[0] as Handler;
		expect(handler).toMatchObject({ type: 'command', timeout: 150 });
		expect(handler.command).toContain(process.execPath);
		expect(handler.command).toContain(policy);

		await startLead(root, ['--auto', 'allow']);
		const elsewhere = tempDir();
		const asked = await runWithStdin(handler.command, JSON.stringify(preToolUse('Bash', { command: 'ls' })), elsewhere);
		expect(outputOf(asked).hookSpecificOutput).toMatchObject({ permissionDecision: 'allow' });
		const local = await runWithStdin(
			handler.command,
			JSON.stringify(preToolUse('Read', { file_path: '/x' })),
			elsewhere,
		);
		expect(outputOf(local).hookSpecificOutput['permissionDecisionReason']).toContain("hook's policy");
	});

	it('mcp: a stdio MCP config whose server starts and offers permission_prompt; a missing team is an error', async () => {
		const root = await team();
		const printed = await runCli(['config', 'mcp', '--team', 'alpha', '--as', 'ann', '--timeout', '5000'], { root });
		expect(printed.code, printed.stderr).toBe(0);
		const config = jsonOf(printed) as { mcpServers: Record<string, { type: string; command: string; args: string[] }> };
		const server = config.mcpServers['swarm-mailbox'];
		expect(server).toMatchObject({ type: 'stdio', command: process.execPath });
		const transport = new StdioClientTransport({
			command: server?.command as string,
			args: server?.args as string[],
			cwd: tempDir(),
			stderr: 'pipe',
		});
		const client = new Client({ name: 'config-test', version: '1.0.0' });
		await client.connect(transport);
		track({ close: () => client.close() });
		expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['permission_prompt']);

		const missing = await runCli(['config', 'hooks', '--team', 'nope', '--as', 'ann'], { root });
		expect(missing.code).toBe(2);
		expect(missing.stderr).toContain('TEAM_NOT_FOUND');
	});
});
