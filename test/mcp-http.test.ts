/**
`mcp-permission-server --http`: a real MCP client from the SDK, over Streamable HTTP, against the CLI server process,
which asks a real `lead` process. Without the token, with a wrong one, or with a foreign Host header, it is refused.
*/

import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import { Team } from '../src/team/team.js';
import { startCli, startLead } from './helpers/cli.js';
import { track } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

interface Listening {
	url: string;
	token?: string;
	mcpConfig: { mcpServers: Record<string, { type: string; url: string; headers: Record<string, string> }> };
}

async function setUp(serverArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
	const root = tempDir();
	await Team.create('alpha', { root, members: [{ name: 'ann' }] });
	const policy = path.join(root, 'policy.json');
	writeFileSync(policy, JSON.stringify({ allow: ['Bash(npm test:*)'], deny: ['Bash(rm:*)'] }));
	await startLead(root, ['--policy', policy]);
	const args = ['mcp-permission-server', '--http', '--team', 'alpha', '--as', 'ann', '--timeout', '20000'];
	const server = startCli([...args, ...serverArgs], { root, env });
	const listening = (await server.nextEvent(
		(event) => event['event'] === 'listening',
		'listening',
	)) as unknown as Listening;
	return { root, server, listening };
}

async function connect(url: string, headers: Record<string, string>): Promise<Client> {
	const client = new Client({ name: 'http-test', version: '1.0.0' });
	await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
	track({ close: () => client.close() });
	return client;
}

async function ask(client: Client, command: string): Promise<Record<string, unknown>> {
	const result = await client.callTool({
		name: 'permission_prompt',
		arguments: { tool_name: 'Bash', input: { command }, tool_use_id: `toolu_http_${command.length}` },
	});
	const [item] = result.content as { type: string; text: string }[];
	return JSON.parse(item?.text ?? 'null') as Record<string, unknown>;
}

/** A raw POST, to send headers a fetch-based client cannot (a foreign Host). */
function rawPost(url: string, headers: Record<string, string>): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
			res.resume();
			resolve(res.statusCode ?? 0);
		});
		req.once('error', reject);
		req.end('{}');
	});
}

describe('mcp-permission-server --http', { timeout: 120_000 }, () => {
	it('a client with the printed token gets allow and deny from the lead; its printed config matches', async () => {
		const { listening } = await setUp();
		expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
		expect(listening.token).toMatch(/^[\w-]{40,}$/);
		const server = listening.mcpConfig.mcpServers['swarm-mailbox'];
		expect(server).toEqual({
			type: 'http',
			url: listening.url,
			headers: { Authorization: `Bearer ${listening.token}` },
		});
		const client = await connect(server?.url as string, server?.headers as Record<string, string>);
		expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(['permission_prompt']);
		expect(await ask(client, 'npm test')).toEqual({ behavior: 'allow', updatedInput: { command: 'npm test' } });
		expect(await ask(client, 'rm -rf /')).toMatchObject({
			behavior: 'deny',
			message: expect.stringContaining('Bash(rm:*)'),
		});
	});

	it('refuses a client without the token or with a wrong one (401), and a foreign Host header (403)', async () => {
		const { listening } = await setUp();
		await expect(connect(listening.url, {})).rejects.toThrow(/401|invalid_token|Unauthorized/i);
		await expect(connect(listening.url, { Authorization: 'Bearer wrong-token-of-some-length' })).rejects.toThrow(
			/401|invalid_token|Unauthorized/i,
		);
		expect(await rawPost(listening.url, {})).toBe(401);
		const auth = { Authorization: `Bearer ${listening.token}` };
		expect(await rawPost(listening.url, { ...auth, Host: 'attacker.example:80' })).toBe(403);
		expect(await rawPost(listening.url, auth)).toBe(400); // through both checks: `{}` is not an initialize request
	});

	it('takes its token from the environment and does not print it', async () => {
		const token = 'a-token-given-by-the-user-0123456789';
		const { server, listening } = await setUp([], { SWARM_MAILBOX_MCP_TOKEN: token });
		expect(listening.token).toBeUndefined();
		expect(server.stdout).not.toContain(token);
		expect(listening.mcpConfig.mcpServers['swarm-mailbox']?.headers).toEqual({
			// biome-ignore lint/suspicious/noTemplateCurlyInString: Claude Code expands it in an MCP config, not JavaScript
			Authorization: 'Bearer ${SWARM_MAILBOX_MCP_TOKEN}',
		});
		const client = await connect(listening.url, { Authorization: `Bearer ${token}` });
		expect(await ask(client, 'npm test -- --ci')).toMatchObject({ behavior: 'allow' });
		const stopped = await server.stop('SIGTERM');
		expect(stopped.code).toBe(0);
	});
});
