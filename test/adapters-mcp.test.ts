import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { createPermissionPromptServer, servePermissionPrompt } from '../src/adapters/mcp-permission-server.js';
import { isMailboxError, outcomeMessages } from '../src/errors.js';
import { Leader, type LeaderOptions } from '../src/leader/leader.js';
import { Policy } from '../src/policy/policy.js';
import { approvedRequestFor, createPermissionResponse } from '../src/protocol/frame-builders.js';
import { encodeFrame } from '../src/protocol/frame-codec.js';
import type { PermissionRequestFrame } from '../src/protocol/frames.js';
import { createLeadKeyPair, withLeadSignature } from '../src/protocol/signing.js';
import { Team } from '../src/team/team.js';
import type { RejectedResponse } from '../src/worker/responses.js';
import { Worker } from '../src/worker/worker.js';
import { repoRoot } from './helpers/fork.js';
import { collect, nextRequest, track, until, within } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const fixture = path.join(repoRoot, 'test/fixtures/mcp-permission-server.ts');

/** Team `alpha` (members ann, bob) and a started Leader in this process; ann's Worker lives in the server. */
async function startLead(options: (team: Team) => Promise<LeaderOptions> = async () => ({})) {
	const root = tempDir();
	const team = await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
	const leader = track(new Leader(team, await options(team)));
	await leader.start();
	return { root, team, leader, requests: leader.requests() };
}

/** The fixture server for ann, spawned by the official MCP client over stdio; `stderr()` is what it wrote there. */
async function connectStdio(root: string, timeoutMs: number, leadVerifyKey?: string) {
	const transport = new StdioClientTransport({
		command: process.execPath,
		args: [
			'--import',
			'tsx',
			fixture,
			root,
			'alpha',
			'ann',
			String(timeoutMs),
			...(leadVerifyKey ? [leadVerifyKey] : []),
		],
		cwd: repoRoot,
		stderr: 'pipe',
	});
	let stderr = '';
	transport.stderr?.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const client = new Client({ name: 'swarm-mailbox-test', version: '1.0.0' });
	await client.connect(transport);
	track({ close: () => client.close() });
	return { client, transport, stderr: () => stderr };
}

/** Calls `permission_prompt` and decodes the one text item (a JSON string) it answers with. */
async function prompt(client: Client, args: Record<string, unknown>, options: Parameters<Client['callTool']>[2] = {}) {
	const result = await client.callTool({ name: 'permission_prompt', arguments: args }, undefined, options);
	const content = result.content as { type: string; text: string }[];
	expect(result.isError).toBeFalsy();
	expect(content).toHaveLength(1);
	expect(content[0]?.type).toBe('text');
	return JSON.parse(content[0]?.text ?? 'null') as Record<string, unknown>;
}

describe('permission_prompt over stdio (the MCP client spawns the server)', () => {
	it('lists the tool, answers allow and deny from the lead, and stops when the client closes stdin', async () => {
		const { root, requests } = await startLead(async (team) => ({
			policy: await Policy.forTeam(team, { rules: { allow: ['Bash(npm test:*)'], deny: ['Bash(rm:*)'] } }),
		}));
		const { client, stderr } = await connectStdio(root, 60_000);
		const { tools } = await client.listTools();
		expect(tools.map((tool) => tool.name)).toEqual(['permission_prompt']);
		expect(tools[0]?.inputSchema).toMatchObject({
			type: 'object',
			properties: { tool_name: { type: 'string' }, input: { type: 'object' }, tool_use_id: { type: 'string' } },
			required: ['tool_name', 'input'],
		});

		const input = { command: 'npm test' };
		expect(await prompt(client, { tool_name: 'Bash', input, tool_use_id: 'toolu_1' })).toEqual({
			behavior: 'allow',
			updatedInput: input,
		});
		const denied = await prompt(client, { tool_name: 'Bash', input: { command: 'rm -rf /' }, tool_use_id: 'toolu_2' });
		expect(denied).toEqual({ behavior: 'deny', message: expect.stringContaining('rm') });

		// Not covered by a rule: a person answers, here with a replacement input.
		const asked = prompt(client, { tool_name: 'Bash', input: { command: 'git push' }, tool_use_id: 'toolu_3' });
		const request = await nextRequest(requests);
		expect(request).toMatchObject({ worker: 'ann', toolName: 'Bash', toolUseId: 'toolu_3' });
		await request.approve({ updatedInput: { command: 'git push --dry-run' } });
		expect(await asked).toEqual({ behavior: 'allow', updatedInput: { command: 'git push --dry-run' } });

		const unbound = prompt(client, { tool_name: 'WebFetch', input: { url: 'https://example.com' } });
		const fresh = await nextRequest(requests);
		expect(fresh.toolUseId).toMatch(/^toolu_swarm_/); // no tool_use_id: a fresh one binds the answer
		await fresh.deny('no fetching');
		expect(await unbound).toEqual({ behavior: 'deny', message: 'no fetching' });

		const bad = await client.callTool({ name: 'permission_prompt', arguments: { tool_name: 'Bash' } });
		expect(bad.isError).toBe(true); // arguments are validated before anything is asked

		await client.close();
		await until(() => stderr().includes('served: closed'), 'the server to stop after stdin closed');
	});

	it('a lead that does not answer in time gets a clear deny; the signal stops the server', async () => {
		const { root, requests } = await startLead();
		const { client, transport, stderr } = await connectStdio(root, 300);
		const result = await prompt(client, { tool_name: 'Bash', input: { command: 'make' }, tool_use_id: 'toolu_1' });
		expect(result).toEqual({ behavior: 'deny', message: outcomeMessages.timeout('team-lead', 300) });
		expect((await nextRequest(requests)).toolUseId).toBe('toolu_1');

		let exited = false;
		client.onclose = () => {
			exited = true;
		};
		process.kill(transport.pid as number, 'SIGUSR2'); // the fixture aborts servePermissionPrompt's signal
		await until(() => exited, 'the server process to exit on its own');
		expect(stderr()).toContain('served: closed');
	});

	it('with --lead-verify-key, a signed answer allows and an unsigned one denies', async () => {
		const keys = createLeadKeyPair();
		const { root, team, requests } = await startLead(async () => ({
			signer: (entry) => withLeadSignature(entry, keys.privateKey),
		}));
		const { client } = await connectStdio(root, 60_000, keys.verifyKey);
		const signed = prompt(client, { tool_name: 'Bash', input: { command: 'ls' }, tool_use_id: 'toolu_1' });
		await (await nextRequest(requests)).approve();
		expect(await signed).toEqual({ behavior: 'allow', updatedInput: { command: 'ls' } });

		const forged = prompt(client, { tool_name: 'Bash', input: { command: 'curl x | sh' }, tool_use_id: 'toolu_2' });
		const request = await nextRequest(requests);
		const frame = request.frame as PermissionRequestFrame;
		const answer = createPermissionResponse({
			requestId: request.requestId,
			subtype: 'success',
			toolUseId: frame.tool_use_id,
			approvedRequest: approvedRequestFor(frame),
		});
		await team.inbox('ann').send({ from: 'team-lead', text: encodeFrame(answer) }); // right names, no signature
		expect(await forged).toEqual({ behavior: 'deny', message: outcomeMessages.unverified() });
	});

	it('refuses to start on a missing team, a bad verify key or bad options, before touching stdio', async () => {
		const root = tempDir();
		const missing = await servePermissionPrompt({ team: 'nope', as: 'ann', root }).catch((error: unknown) => error);
		expect(isMailboxError(missing, 'TEAM_NOT_FOUND')).toBe(true);
		await Team.create('alpha', { root, members: [{ name: 'ann' }] });
		const badKey = await servePermissionPrompt({ team: 'alpha', as: 'ann', root, leadVerifyKey: 'nope' }).catch(
			(error: unknown) => error,
		);
		expect(isMailboxError(badKey, 'INVALID_KEY')).toBe(true);
		const worker = new Worker(await Team.open('alpha', { root }), { name: 'ann' });
		for (const options of [{ timeoutMs: 0 }, { progressIntervalMs: -1 }, { progressIntervalMs: Number.NaN }]) {
			const invalid = (() => {
				try {
					createPermissionPromptServer(worker, options);
				} catch (error) {
					return error;
				}
			})();
			expect(isMailboxError(invalid, 'INVALID_ARGUMENT')).toBe(true);
		}
	});
});

describe('createPermissionPromptServer in process', () => {
	async function connectInMemory(progressIntervalMs?: number) {
		const lead = await startLead();
		const worker = track(new Worker(lead.team, { name: 'ann' }));
		const reasons: string[] = [];
		const server = createPermissionPromptServer(worker, {
			name: 'team-alpha',
			describe: (toolName, input) => `${toolName} ${JSON.stringify(input)}`,
			onOutcome: (outcome) => reasons.push(outcome.behavior === 'deny' ? outcome.reason : 'allow'),
			...(progressIntervalMs === undefined ? {} : { progressIntervalMs }),
		});
		const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
		await server.connect(serverSide);
		const client = new Client({ name: 'swarm-mailbox-test', version: '1.0.0' });
		await client.connect(clientSide);
		track({ close: () => client.close() });
		return { ...lead, worker, client, reasons };
	}

	it('reports progress while a person decides, when the client asks for it', async () => {
		const { client, requests } = await connectInMemory(20);
		const progress: { progress: number; message?: string }[] = [];
		const call = prompt(
			client,
			{ tool_name: 'Bash', input: { command: 'deploy' }, tool_use_id: 'toolu_1' },
			{ onprogress: (event) => progress.push(event), resetTimeoutOnProgress: true },
		);
		const request = await nextRequest(requests);
		expect(request.description).toBe('Bash {"command":"deploy"}');
		await until(() => progress.length >= 2, 'two progress notifications');
		await request.approve();
		expect(await call).toEqual({ behavior: 'allow', updatedInput: { command: 'deploy' } });
		expect(progress[0]).toEqual({ progress: 1, message: 'Waiting for the team lead' });
		expect(client.getServerVersion()?.name).toBe('team-alpha');
	});

	it('a call the client cancels stops waiting, and the late answer is ignored', async () => {
		const { client, worker, requests, reasons } = await connectInMemory();
		const rejected = collect<RejectedResponse>(worker, 'rejected');
		const controller = new AbortController();
		const call = client.callTool(
			{ name: 'permission_prompt', arguments: { tool_name: 'Bash', input: { command: 'x' } } },
			undefined,
			{ signal: controller.signal },
		);
		const request = await nextRequest(requests);
		controller.abort();
		await expect(within(call, 'the cancelled call')).rejects.toThrow();
		// The server saw the cancellation and the worker ended the request, so the answer arrives late.
		await until(() => reasons.length === 1, 'the cancelled outcome');
		expect(reasons).toEqual(['aborted']);
		await request.approve();
		await until(() => rejected.length === 1, 'the late answer');
		expect(rejected[0]).toMatchObject({ reason: 'late', requestId: request.requestId });
	});
});
