/**
Conformance with Claude Code 2.1.330 where a line-by-line read of the release found this library reading or writing
differently (issue 16): lenient `permission_response` parsing, MCP-skill asks, the "manual" mode, reserved names.
Real teams in temp directories, real inbox files.
*/

import { describe, expect, it } from 'vitest';
import { approvedRequestFor } from '../src/protocol/frame-builders.js';
import { encodeFrame, parseFrame } from '../src/protocol/frame-codec.js';
import { type PermissionRequestFrame, validPermissionUpdates } from '../src/protocol/frames.js';
import { Team } from '../src/team/team.js';
import type { RejectedResponse } from '../src/worker/responses.js';
import { Worker } from '../src/worker/worker.js';
import { collect, track, until, within } from './helpers/swarm.js';
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
