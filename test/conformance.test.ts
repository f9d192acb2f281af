/**
Conformance with Claude Code 2.1.330 where a line-by-line read of the release found this library reading or writing
differently (issue 16): lenient `permission_response` parsing, MCP-skill asks, the "manual" mode, reserved names.
Real teams in temp directories, real inbox files.
*/

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { approvedRequestFor } from '../src/protocol/frame-builders.js';
import { encodeFrame, parseFrame } from '../src/protocol/frame-codec.js';
import { type PermissionRequestFrame, validPermissionUpdates } from '../src/protocol/frames.js';
import { Team } from '../src/team/team.js';
import type { RejectedResponse } from '../src/worker/responses.js';
import { Worker } from '../src/worker/worker.js';
import { collect, nextRequest, startSwarm, track, until, within } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

/** A team with worker `ann` (no leader running: the test plays the lead by writing its inbox entries). */
async function workerOnly() {
	const team = await Team.create('conf', { root: tempDir(), members: [{ name: 'ann' }] });
	const worker = track(new Worker(team, { name: 'ann', timeoutMs: 10_000 }));
	return { team, worker };
}

/** The request the worker wrote into the lead's inbox. */
async function sentRequest(team: Team): Promise<PermissionRequestFrame> {
	let frame: PermissionRequestFrame | undefined;
	await until(async () => {
		for (const entry of await team.inbox('team-lead').read()) {
			const parsed = parseFrame(entry.text);
			if (parsed.kind === 'frame' && parsed.frame.type === 'permission_request') frame = parsed.frame;
		}
		return frame !== undefined;
	}, 'the permission_request in the lead inbox');
	return frame as PermissionRequestFrame;
}

describe('permission_response is read leniently, bound strictly', () => {
	it('accepts an answer carrying unknown keys (top level, response, approved_request) and keeps them out', async () => {
		const { team, worker } = await workerOnly();
		const outcome = worker.requestPermission({ toolName: 'Bash', toolUseId: 'toolu_1', input: { command: 'ls' } });
		const request = await sentRequest(team);
		const text = JSON.stringify({
			type: 'permission_response',
			request_id: request.request_id,
			subtype: 'success',
			tool_use_id: 'toolu_1',
			approved_request: { ...approvedRequestFor(request), approved_by: 'future' },
			response: { updated_input: {}, permission_updates: [], note: 'a field of a later release' },
			future_field: { x: 1 },
		});
		await team.inbox('ann').send({ from: 'team-lead', text });
		const result = await within(outcome, 'the outcome');
		expect(result).toEqual({
			behavior: 'allow',
			updatedInput: { command: 'ls' },
			permissionUpdates: [],
			requestId: request.request_id,
		});
	});

	it('still refuses an answer bound to another input, even with unknown keys', async () => {
		const { team, worker } = await workerOnly();
		const rejected = collect<RejectedResponse>(worker, 'rejected');
		const outcome = worker.requestPermission(
			{ toolName: 'Bash', toolUseId: 'toolu_1', input: { command: 'ls' } },
			{ timeoutMs: 1_500 },
		);
		const request = await sentRequest(team);
		const other = { ...request, input: { command: 'rm -rf /' } };
		const text = JSON.stringify({
			type: 'permission_response',
			request_id: request.request_id,
			subtype: 'success',
			approved_request: { ...approvedRequestFor(other), extra: true },
			extra: true,
		});
		await team.inbox('ann').send({ from: 'team-lead', text });
		await until(() => rejected.length > 0, 'the rejection');
		expect(rejected[0]).toMatchObject({ reason: 'mismatch', requestId: request.request_id });
		expect(await outcome).toMatchObject({ behavior: 'deny', reason: 'timeout' });
	});

	it('refuses an error answer with an empty request_id as malformed', async () => {
		const { team, worker } = await workerOnly();
		const rejected = collect<RejectedResponse>(worker, 'rejected');
		const outcome = worker.requestPermission(
			{ toolName: 'Bash', toolUseId: 'toolu_1', input: { command: 'ls' } },
			{ timeoutMs: 1_500 },
		);
		await sentRequest(team);
		const text = JSON.stringify({ type: 'permission_response', request_id: '', subtype: 'error', error: 'no' });
		await team.inbox('ann').send({ from: 'team-lead', text });
		await until(() => rejected.length > 0, 'the rejection');
		expect(rejected[0]?.reason).toBe('malformed');
		expect(await outcome).toMatchObject({ behavior: 'deny', reason: 'timeout' });
	});

	it('writes strictly: encodeFrame refuses a key Claude Code would strip', () => {
		const frame = { type: 'permission_response', request_id: 'perm-1-a', subtype: 'error', error: 'x', note: 1 };
		expect(() => encodeFrame(frame as never)).toThrow(/`frame\.note` to be absent/);
		const parsed = parseFrame(JSON.stringify(frame));
		expect(parsed).toEqual({ kind: 'frame', frame: { ...frame, note: undefined } });
		expect(parsed.kind === 'frame' && 'note' in parsed.frame).toBe(false);
	});
});

describe('"manual" permission mode reads as "default"', () => {
	it('in a plan approval: the worker leaves plan mode into "default"', async () => {
		const { team, worker } = await workerOnly();
		const outcome = worker.requestPlanApproval('# Plan', '/tmp/plan.md');
		let requestId: string | undefined;
		await until(async () => {
			const entry = (await team.inbox('team-lead').read())[0];
			const parsed = entry && parseFrame(entry.text);
			if (parsed?.kind === 'frame' && parsed.frame.type === 'plan_approval_request') requestId = parsed.frame.requestId;
			return requestId !== undefined;
		}, 'the plan request');
		const text = JSON.stringify({
			type: 'plan_approval_response',
			requestId,
			approved: true,
			timestamp: new Date().toISOString(),
			permissionMode: 'manual',
		});
		await team.inbox('ann').send({ from: 'team-lead', text });
		expect(await within(outcome, 'the plan outcome')).toMatchObject({ approved: true, permissionMode: 'default' });
	});

	it('in setMode updates', () => {
		const updates = validPermissionUpdates([
			{ type: 'setMode', mode: 'manual', destination: 'session' },
			{ type: 'setMode', mode: 'sleepy', destination: 'session' },
		]);
		expect(updates).toEqual([{ type: 'setMode', mode: 'default', destination: 'session' }]);
	});
});

describe('MCP-skill asks as Claude Code 2.1.330 judges them', () => {
	const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

	/** Write a raw permission_request from ann into the lead inbox, approve it, and return the response frame. */
	async function approveRaw(extra: Record<string, unknown>) {
		const { team, leader, requests } = await startSwarm();
		const frame = {
			type: 'permission_request',
			request_id: 'perm-1796288858155-abcdefg',
			agent_id: 'ann',
			tool_name: 'Skill',
			tool_use_id: 'toolu_9',
			description: 'Search the docs',
			input: { q: 'x' },
			...extra,
		};
		await team.inbox('team-lead').send({ from: 'ann', text: JSON.stringify(frame) });
		const request = await nextRequest(requests);
		await request.approve();
		await leader.flushed();
		const entry = (await team.inbox('ann').read())[0];
		const parsed = entry && parseFrame(entry.text);
		if (parsed?.kind !== 'frame' || parsed.frame.type !== 'permission_response') throw new Error('no response');
		return parsed.frame;
	}

	it('takes in an ask with only mcp_skill.{name, version} and no tool_kind, bound as an MCP skill', async () => {
		const response = await approveRaw({ mcp_skill: { name: 'search', version: '2' } });
		const expected = sha256(
			'Skill#mcp_skill\0{"description":"Search the docs","input":{"q":"x"},' +
				'"mcp_skill":{"name":"search","version":"2"},"permission_suggestions":[]}',
		);
		expect(response.approved_request?.input_digest).toBe(expected);
	});

	it('takes in an ask with tool_kind "mcp_skill", a bare skill and a server without a source', async () => {
		const response = await approveRaw({
			tool_kind: 'mcp_skill',
			mcp_server: { name: 'docs' },
			mcp_skill: { name: 'search', version: '2' },
		});
		const expected = sha256(
			'Skill#mcp_skill\0{"description":"Search the docs","input":{"q":"x"},"mcp_server":{"name":"docs"},' +
				'"mcp_skill":{"name":"search","version":"2"},"permission_suggestions":[]}',
		);
		expect(response.approved_request?.input_digest).toBe(expected);
	});

	it('refuses an MCP-skill ask whose skill lacks its version', () => {
		const frame = {
			type: 'permission_request',
			request_id: 'perm-1-a',
			agent_id: 'ann',
			tool_name: 'Skill',
			tool_use_id: 't',
			description: '',
			input: {},
			mcp_skill: { name: 'search' },
		};
		expect(parseFrame(JSON.stringify(frame))).toMatchObject({ kind: 'invalid', type: 'permission_request' });
	});
});

describe('reserved teammate names, judged after Claude Code 2.1.330 folds them', () => {
	it.each([
		['team-1ead', 'a digit posing as "l"'],
		['TEAM-IEAD', 'a capital I posing as "l"'],
		['MAIN', 'upper case (the I must not fold away "main")'],
		['syst\u0435m', 'a Cyrillic "е"'],
		['team\u2013lead', 'an en dash'],
		['\u200buser', 'an invisible character'],
		['1A72482C\u2013E378\u201341BC\u20138331\u2013A0F77F2CF0B4', 'a session id with Unicode dashes'],
		['ann\uff20alpha', 'an agent id with a full-width @'],
	])('refuses %j (%s) when a teammate is added', async (name) => {
		const team = await Team.create('names', { root: tempDir() });
		await expect(team.addMember({ name })).rejects.toMatchObject({
			code: 'INVALID_NAME',
			message: expect.stringMatching(/reserved by Claude Code|shaped like a session id|shaped like an agent id/),
		});
		expect((await team.members()).map((member) => member.name)).toEqual(['team-lead']);
	});

	it('keeps accepting ordinary names that merely contain a reserved word', async () => {
		const team = await Team.create('names', { root: tempDir() });
		for (const name of ['mainframe', 'team-lead-2', 'user1', 'systems', 'lead', 'team_lead']) {
			await team.addMember({ name });
		}
		expect((await team.members()).length).toBe(7);
	});
});
