/**
The hook with the real Claude Code client (2.1.330, `claude -p`, offline against a mock of the Messages API): the
`settings.json` that `config hooks` prints is installed in a project, the mock makes the model call Bash once, and the
`tool_result` Claude Code sends back shows what happened to the call. A real `lead` process answers. Also the MCP
permission-prompt tool over HTTP, with the config `mcp-permission-server --http` prints.

The client comes from `$CLAUDE_CODE_BIN`, else `~/.cache/swarm-mailbox/claude-code-2.1.330/claude` (`.ci/run` puts it
there). Without it the tests fail under CI and are skipped, with the reason printed, elsewhere.
*/

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Team } from '../src/team/team.js';
import { jsonOf, runCli, startCli, startLead } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

const claude =
	process.env['CLAUDE_CODE_BIN'] ?? path.join(homedir(), '.cache/swarm-mailbox/claude-code-2.1.330/claude');
const present = existsSync(claude);
if (!present && process.env['CI'] !== 'true') {
	console.warn(
		`Skipping the real Claude Code hook tests: no client at ${claude} (set CLAUDE_CODE_BIN, or run .ci/run).`,
	);
}
const API_KEY = 'sk-ant-swarm-mailbox-test-0123456789';

interface ToolResult {
	content: unknown;
	is_error?: boolean;
}

/** A Messages API mock: the first turn calls Bash with `command`, the next (with the tool result) ends the turn. */
class MockModel {
	readonly results: ToolResult[] = [];
	readonly #server: Server;

	constructor(command: string) {
		this.#server = createServer((request, response) => {
			let body = '';
			request.setEncoding('utf8').on('data', (chunk: string) => {
				body += chunk;
			});
			request.on('end', () => {
				if (!request.url?.startsWith('/v1/messages') || request.url.includes('count_tokens')) {
					response.writeHead(200, { 'content-type': 'application/json' }).end('{"input_tokens":1}');
					return;
				}
				const { messages = [], model } = JSON.parse(body || '{}') as {
					messages?: { content: unknown }[];
					model?: string;
				};
				const last = messages.at(-1)?.content;
				const results = Array.isArray(last) ? (last as { type: string }[]).filter((c) => c.type === 'tool_result') : [];
				this.results.push(...(results as unknown as ToolResult[]));
				const block =
					results.length > 0
						? { start: { type: 'text', text: '' }, delta: { type: 'text_delta', text: 'done' }, stop: 'end_turn' }
						: {
								start: { type: 'tool_use', id: 'toolu_real_1', name: 'Bash', input: {} },
								delta: { type: 'input_json_delta', partial_json: JSON.stringify({ command, description: 'run it' }) },
								stop: 'tool_use',
							};
				const message = {
					id: 'msg_mock',
					type: 'message',
					role: 'assistant',
					model,
					content: [],
					stop_reason: null,
					usage: { input_tokens: 1, output_tokens: 1 },
				};
				const events: [string, object][] = [
					['message_start', { message }],
					['content_block_start', { index: 0, content_block: block.start }],
					['content_block_delta', { index: 0, delta: block.delta }],
					['content_block_stop', { index: 0 }],
					['message_delta', { delta: { stop_reason: block.stop, stop_sequence: null }, usage: { output_tokens: 1 } }],
					['message_stop', {}],
				];
				response.writeHead(200, { 'content-type': 'text/event-stream' });
				for (const [type, data] of events)
					response.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
				response.end();
			});
		});
	}

	async start(): Promise<string> {
		await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
		return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
	}

	close(): Promise<void> {
		return new Promise((resolve) => this.#server.close(() => resolve()));
	}
}

const mocks: MockModel[] = [];
afterEach(async () => {
	for (const mock of mocks.splice(0)) await mock.close();
});

/** A team with a running lead, a project whose settings run the printed hook, and a mock asking for `command`. */
async function setUp(event: 'PermissionRequest' | 'PreToolUse', command: string, leadArgs: string[]) {
	const root = tempDir();
	await Team.create('alpha', { root, members: [{ name: 'ann' }] });
	const printed = await runCli(
		['config', 'hooks', '--team', 'alpha', '--as', 'ann', '--event', event, '--timeout', '40000'],
		{ root },
	);
	expect(printed.code, printed.stderr).toBe(0);
	const project = tempDir('claude-project-');
	mkdirSync(path.join(project, '.claude'));
	writeFileSync(path.join(project, '.claude', 'settings.json'), JSON.stringify(jsonOf(printed)));
	const mock = new MockModel(command);
	mocks.push(mock);
	const { lead } = await startLead(root, leadArgs);
	return { root, project, lead, mock, baseUrl: await mock.start() };
}

/** `claude -p` in `project`, offline, with a clean environment (plus `extraEnv`); resolves when it exits. */
function runClaude(
	project: string,
	baseUrl: string,
	extraArgs: string[] = [],
	extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
	const config = tempDir('claude-config-');
	const home = tempDir('claude-home-');
	writeFileSync(
		path.join(config, '.claude.json'),
		JSON.stringify({
			hasCompletedOnboarding: true,
			projects: { [project]: { hasTrustDialogAccepted: true } },
			customApiKeyResponses: { approved: [API_KEY.slice(-20)] },
		}),
	);
	const env = {
		PATH: '/usr/bin:/bin',
		HOME: home,
		CLAUDE_CONFIG_DIR: config,
		ANTHROPIC_BASE_URL: baseUrl,
		ANTHROPIC_API_KEY: API_KEY,
		CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
		DISABLE_AUTOUPDATER: '1',
		...extraEnv,
	};
	const child = spawn(claude, ['-p', 'run the command', '--permission-mode', 'default', ...extraArgs], {
		cwd: project,
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	child.stdout.setEncoding('utf8').on('data', (text: string) => {
		output += text;
	});
	child.stderr.setEncoding('utf8').on('data', (text: string) => {
		output += text;
	});
	const deadline = setTimeout(() => child.kill('SIGKILL'), 90_000);
	return new Promise((resolve) => {
		child.once('close', (code) => {
			clearTimeout(deadline);
			resolve({ code, output });
		});
	});
}

describe.skipIf(!present && process.env['CI'] !== 'true')(
	'hook with the real Claude Code client',
	{ timeout: 150_000 },
	() => {
		it('is installed by CI', () => {
			expect(existsSync(claude), `no Claude Code client at ${claude}`).toBe(true);
		});

		it('PermissionRequest: the lead approves an edited command and Claude Code runs the edit', async () => {
			const { root, project, lead, mock, baseUrl } = await setUp('PermissionRequest', 'touch original-ran', []);
			const run = runClaude(project, baseUrl);
			const request = await lead.nextEvent((event) => event['event'] === 'request', 'the hook request', 60_000);
			expect(request).toMatchObject({ worker: 'ann', toolName: 'Bash', input: { command: 'touch original-ran' } });
			expect(request['description']).toContain(`PermissionRequest hook: session `);
			const approved = await runCli(
				[
					'approve',
					'alpha',
					request['requestId'] as string,
					'--input',
					JSON.stringify({ command: 'echo edited-by-lead' }),
				],
				{ root },
			);
			expect(approved.code, approved.stderr).toBe(0);
			const { code, output } = await run;
			expect(code, output).toBe(0);
			expect(mock.results).toEqual([expect.objectContaining({ content: 'edited-by-lead', is_error: false })]);
			expect(existsSync(path.join(project, 'original-ran'))).toBe(false);
		});

		it("PreToolUse: the lead's deny blocks the call and its reason reaches the model", async () => {
			const policy = path.join(tempDir(), 'policy.json');
			writeFileSync(policy, JSON.stringify({ deny: ['Bash(touch:*)'] }));
			const { project, mock, baseUrl } = await setUp('PreToolUse', 'touch denied-file', ['--policy', policy]);
			const { code, output } = await runClaude(project, baseUrl);
			expect(code, output).toBe(0);
			expect(mock.results).toHaveLength(1);
			expect(mock.results[0]).toMatchObject({ is_error: true });
			expect(JSON.stringify(mock.results[0]?.content)).toContain('Bash(touch:*)');
			expect(existsSync(path.join(project, 'denied-file'))).toBe(false);
		});

		it('PreToolUse: the lead approves an edited command and Claude Code runs the edit', async () => {
			const { root, project, lead, mock, baseUrl } = await setUp('PreToolUse', 'touch original-file', []);
			const run = runClaude(project, baseUrl);
			const request = await lead.nextEvent((event) => event['event'] === 'request', 'the hook request', 60_000);
			expect(request['toolUseId']).toBe('toolu_real_1'); // PreToolUse carries the call's id
			const edited = { command: 'touch allowed-file && echo ran' };
			const approved = await runCli(
				['approve', 'alpha', request['requestId'] as string, '--input', JSON.stringify(edited)],
				{
					root,
				},
			);
			expect(approved.code, approved.stderr).toBe(0);
			const { code, output } = await run;
			expect(code, output).toBe(0);
			expect(mock.results).toEqual([expect.objectContaining({ content: 'ran', is_error: false })]);
			expect(existsSync(path.join(project, 'allowed-file'))).toBe(true);
			expect(existsSync(path.join(project, 'original-file'))).toBe(false);
		});

		it('MCP over HTTP: the printed config (token from the environment) serves --permission-prompt-tool', async () => {
			const token = 'a-token-the-user-chose-0123456789';
			const { root, project, mock, baseUrl } = await setUp('PreToolUse', 'touch prompted-file && echo ran', [
				'--auto',
				'allow',
			]);
			rmSync(path.join(project, '.claude', 'settings.json')); // no hooks: the prompt tool asks here
			const args = ['mcp-permission-server', '--http', '--team', 'alpha', '--as', 'ann', '--timeout', '40000'];
			const server = startCli(args, { root, env: { SWARM_MAILBOX_MCP_TOKEN: token } });
			const listening = await server.nextEvent((event) => event['event'] === 'listening', 'listening', 60_000);
			const mcpConfig = path.join(project, 'mcp.json');
			writeFileSync(mcpConfig, JSON.stringify(listening['mcpConfig']));
			const prompt = ['--mcp-config', mcpConfig, '--permission-prompt-tool', 'mcp__swarm-mailbox__permission_prompt'];
			const { code, output } = await runClaude(project, baseUrl, prompt, { SWARM_MAILBOX_MCP_TOKEN: token });
			expect(code, output).toBe(0);
			expect(mock.results).toEqual([expect.objectContaining({ content: 'ran', is_error: false })]);
			expect(existsSync(path.join(project, 'prompted-file'))).toBe(true);
			await server.stop();
		});
	},
);
