import { describe, expect, it } from 'vitest';
import { type CanUseToolCall, createCanUseTool } from '../src/adapters/can-use-tool.js';
import { isMailboxError } from '../src/errors.js';
import { Policy } from '../src/policy/policy.js';
import type { PermissionUpdate } from '../src/protocol/frames.js';
import type { PermissionOutcome, RejectedResponse } from '../src/worker/responses.js';
import type { SdkCanUseTool } from './helpers/agent-sdk.js';
import { sdkOptions } from './helpers/agent-sdk.js';
import { collect, nextRequest, startSwarm, until } from './helpers/swarm.js';

const addBashRule: PermissionUpdate = {
	type: 'addRules',
	rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }],
	behavior: 'allow',
	destination: 'session',
};

describe('createCanUseTool against a real leader', () => {
	it('allow echoes the input, or carries the replacement and the updates the lead sent', async () => {
		const { worker, requests } = await startSwarm();
		// Typed as the SDK types the option: this line is the compile-time check that it fits `canUseTool`.
		const canUseTool: SdkCanUseTool = createCanUseTool(worker);
		const input = { command: 'npm test' };
		const suggestions = [addBashRule, { type: 'setMode', mode: 'yolo', destination: 'session' }] as never;
		const first = canUseTool('Bash', input, sdkOptions({ description: 'Run the tests', suggestions }));
		const request = await nextRequest(requests);
		expect(request).toMatchObject({ toolName: 'Bash', toolUseId: 'toolu_1', description: 'Run the tests', input });
		expect(request.suggestions).toEqual([addBashRule]); // the invalid suggestion is not forwarded
		await request.approve();
		expect(await first).toEqual({ behavior: 'allow', updatedInput: input, toolUseID: 'toolu_1' });

		const second = canUseTool(
			'Bash',
			input,
			sdkOptions({ toolUseID: 'toolu_2', title: 'Claude wants to run npm test' }),
		);
		const again = await nextRequest(requests);
		expect(again).toMatchObject({ toolUseId: 'toolu_2', description: 'Claude wants to run npm test' });
		await again.approve({ updatedInput: { command: 'npm test -- --run' }, permissionUpdates: [addBashRule] });
		expect(await second).toEqual({
			behavior: 'allow',
			updatedInput: { command: 'npm test -- --run' },
			updatedPermissions: [addBashRule],
			toolUseID: 'toolu_2',
		});
	});

	it('answers concurrent calls each with its own decision, and takes a describe builder', async () => {
		const { worker, requests } = await startSwarm();
		const canUseTool = createCanUseTool(worker, {
			describe: (toolName, input) => `${toolName}: ${String(input['command'])}`,
			forwardSuggestions: false,
		});
		const calls = ['ls', 'pwd', 'whoami'].map((command, index) =>
			canUseTool('Bash', { command }, { toolUseID: `toolu_${index}`, suggestions: [addBashRule] }),
		);
		const seen = [await nextRequest(requests), await nextRequest(requests), await nextRequest(requests)];
		expect(seen.map((request) => request.description).sort()).toEqual(['Bash: ls', 'Bash: pwd', 'Bash: whoami']);
		expect(seen.every((request) => request.suggestions.length === 0)).toBe(true);
		for (const request of seen) {
			const command = String(request.input?.['command']);
			if (command === 'pwd') await request.deny('not pwd');
			else await request.approve({ updatedInput: { command: `${command} -a` } });
		}
		expect(await Promise.all(calls)).toEqual([
			{ behavior: 'allow', updatedInput: { command: 'ls -a' }, toolUseID: 'toolu_0' },
			{ behavior: 'deny', message: 'not pwd', toolUseID: 'toolu_1' },
			{ behavior: 'allow', updatedInput: { command: 'whoami -a' }, toolUseID: 'toolu_2' },
		]);
	});

	it('deny carries the message (policy or person), and interrupt when the option says so', async () => {
		const { worker, requests } = await startSwarm(async (team) => ({
			policy: await Policy.forTeam(team, { rules: { allow: ['Bash(npm test:*)'], deny: ['Bash(rm:*)'] } }),
		}));
		const outcomes: PermissionOutcome[] = [];
		const canUseTool = createCanUseTool(worker, {
			interrupt: (outcome) => outcome.message.includes('Friday'),
			onOutcome: (outcome) => outcomes.push(outcome),
		});
		expect(await canUseTool('Bash', { command: 'npm test' }, sdkOptions())).toEqual({
			behavior: 'allow',
			updatedInput: { command: 'npm test' },
			toolUseID: 'toolu_1',
		});
		const denied = await canUseTool('Bash', { command: 'rm -rf /' }, sdkOptions({ toolUseID: 'toolu_2' }));
		expect(denied).toEqual({ behavior: 'deny', message: 'Bash denied by rule Bash(rm:*)', toolUseID: 'toolu_2' });
		expect(outcomes[1]).toMatchObject({
			behavior: 'deny',
			reason: 'denied',
			message: 'Bash denied by rule Bash(rm:*)',
		});

		const asked = canUseTool('Bash', { command: 'git push' }, sdkOptions({ toolUseID: 'toolu_3' }));
		await (await nextRequest(requests)).deny('not on a Friday');
		expect(await asked).toEqual({
			behavior: 'deny',
			message: 'not on a Friday',
			interrupt: true,
			toolUseID: 'toolu_3',
		});
	});

	it('the SDK signal or the host signal ends the call as a deny, and the late answer is ignored', async () => {
		const { team, worker, requests } = await startSwarm();
		const rejected = collect<RejectedResponse>(worker, 'rejected');
		const host = new AbortController();
		const calls: CanUseToolCall[] = [];
		const reasons: string[] = [];
		const canUseTool = createCanUseTool(worker, {
			signal: host.signal,
			timeoutMs: 60_000,
			onOutcome: (outcome, call) => {
				calls.push(call);
				reasons.push(outcome.behavior === 'deny' ? outcome.reason : 'allow');
			},
		});
		const sdk = new AbortController();
		const first = canUseTool('Bash', { command: 'sleep 1' }, sdkOptions({ signal: sdk.signal }));
		const late = await nextRequest(requests);
		sdk.abort();
		expect(await first).toMatchObject({ behavior: 'deny', message: expect.stringContaining('aborted') });
		await late.approve();
		await until(() => rejected.length === 1, 'the late answer');
		expect(rejected[0]).toMatchObject({ reason: 'late', requestId: late.requestId });

		const second = canUseTool('Bash', { command: 'sleep 2' }, sdkOptions({ toolUseID: 'toolu_2' }));
		await nextRequest(requests);
		host.abort();
		expect(await second).toMatchObject({ behavior: 'deny', toolUseID: 'toolu_2' });
		expect(reasons).toEqual(['aborted', 'aborted']);
		expect(calls.map((call) => call.toolUseId)).toEqual(['toolu_1', 'toolu_2']);

		const before = await team.inbox('team-lead').read();
		const third = await canUseTool('Bash', { command: 'ls' }, sdkOptions({ toolUseID: 'toolu_3' }));
		expect(third).toMatchObject({ behavior: 'deny' }); // the host signal is already aborted: nothing is asked
		expect(await team.inbox('team-lead').read()).toEqual(before);
	});

	it('a lead that does not answer in time is a deny that says so', async () => {
		const { worker, requests } = await startSwarm();
		const reasons: string[] = [];
		const canUseTool = createCanUseTool(worker, {
			timeoutMs: 150,
			onOutcome: (outcome) => reasons.push(outcome.behavior === 'deny' ? outcome.reason : 'allow'),
		});
		const result = await canUseTool('Bash', { command: 'make' }, sdkOptions());
		expect(result).toMatchObject({ behavior: 'deny', toolUseID: 'toolu_1' });
		expect(result.behavior === 'deny' && result.message).toContain('within 150 ms');
		expect(reasons).toEqual(['timeout']);
		expect((await nextRequest(requests)).toolUseId).toBe('toolu_1'); // it was asked all the same
	});

	it('a closed worker denies instead of throwing; a bad timeoutMs throws at once', async () => {
		const { worker } = await startSwarm();
		const canUseTool = createCanUseTool(worker);
		await worker.close();
		const result = await canUseTool('Bash', { command: 'ls' }, sdkOptions());
		expect(result).toMatchObject({ behavior: 'deny', message: expect.stringContaining('closed') });
		for (const timeoutMs of [0, -1, Number.NaN]) {
			let thrown: unknown;
			try {
				createCanUseTool(worker, { timeoutMs });
			} catch (error) {
				thrown = error;
			}
			expect(isMailboxError(thrown, 'INVALID_ARGUMENT')).toBe(true);
		}
	});

	it('works when called by hand, without a context', async () => {
		const { worker, requests } = await startSwarm();
		const result = createCanUseTool(worker)('Read', { file_path: '/etc/hosts' });
		const request = await nextRequest(requests);
		expect(request.toolUseId).toMatch(/^toolu_swarm_/);
		await request.approve();
		expect(await result).toEqual({ behavior: 'allow', updatedInput: { file_path: '/etc/hosts' } });
	});
});
