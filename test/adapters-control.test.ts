import { describe, expect, it } from 'vitest';
import {
	askFromControlRequest,
	fromControlResponse,
	parseControlPermissionRequest,
	parseControlPermissionResponse,
	toControlResponse,
} from '../src/adapters/control-protocol.js';
import { isMailboxError } from '../src/errors.js';
import type { PermissionUpdate } from '../src/protocol/frames.js';
import type { PermissionOutcome } from '../src/worker/responses.js';

const request = {
	request_id: 'req-1',
	request: {
		type: 'permission_request',
		tool_name: 'Bash',
		tool_input: { command: 'rm -rf build' },
		tool_use_id: 'tu-1',
		suggestions: ['allow_once'],
	},
};
const input = request.request.tool_input;
const update: PermissionUpdate = {
	type: 'addRules',
	rules: [{ toolName: 'Bash' }],
	behavior: 'allow',
	destination: 'session',
};

/** The error a call throws (or undefined). */
function thrown(call: () => unknown): unknown {
	try {
		call();
	} catch (error) {
		return error;
	}
	return undefined;
}

describe('control protocol: PermissionOutcome ⇄ permission_response', () => {
	const roundTrips: [string, PermissionOutcome, boolean, object][] = [
		[
			'allow, original input',
			{ behavior: 'allow', updatedInput: input, permissionUpdates: [], requestId: 'req-1' },
			false,
			{ type: 'allow', updated_input: input },
		],
		[
			'allow, replaced input',
			{ behavior: 'allow', updatedInput: { command: 'rm -rf build/tmp' }, permissionUpdates: [], requestId: 'req-1' },
			false,
			{ type: 'allow', updated_input: { command: 'rm -rf build/tmp' } },
		],
		[
			'deny',
			{ behavior: 'deny', message: 'not allowed', reason: 'denied', requestId: 'req-1' },
			false,
			{ type: 'deny', message: 'not allowed', interrupt: false },
		],
		[
			'deny and interrupt',
			{ behavior: 'deny', message: 'dangerous', reason: 'denied', requestId: 'req-1' },
			true,
			{ type: 'deny', message: 'dangerous', interrupt: true },
		],
	];

	it.each(roundTrips)('%s survives the round trip through JSON', (_name, outcome, interrupt, result) => {
		const response = toControlResponse(outcome, 'req-1', { interrupt });
		expect(response).toEqual({ kind: 'permission_response', request_id: 'req-1', result });
		const back = fromControlResponse(JSON.parse(JSON.stringify(response)), request);
		expect(back).toEqual({ outcome, interrupt });
		expect(fromControlResponse(JSON.stringify(response), JSON.stringify(request))).toEqual(back); // JSON text too
	});

	const lossy: [string, PermissionOutcome, PermissionOutcome][] = [
		[
			'permission updates (no field for them)',
			{ behavior: 'allow', updatedInput: input, permissionUpdates: [update], requestId: 'req-1' },
			{ behavior: 'allow', updatedInput: input, permissionUpdates: [], requestId: 'req-1' },
		],
		[
			'why a deny happened (it reads back as denied)',
			{ behavior: 'deny', message: 'No answer in time', reason: 'timeout', requestId: 'req-1' },
			{ behavior: 'deny', message: 'No answer in time', reason: 'denied', requestId: 'req-1' },
		],
	];

	it.each(lossy)('drops %s', (_name, outcome, expected) => {
		expect(fromControlResponse(toControlResponse(outcome, 'req-1'), request).outcome).toEqual(expected);
	});

	it('allow without updated_input, or with an empty one, runs the original input', () => {
		for (const result of [{ type: 'allow' }, { type: 'allow', updated_input: {} }]) {
			const back = fromControlResponse({ kind: 'permission_response', request_id: 'req-1', result }, request);
			expect(back).toEqual({
				outcome: { behavior: 'allow', updatedInput: input, permissionUpdates: [], requestId: 'req-1' },
				interrupt: false,
			});
		}
	});

	it('interrupt can be decided per outcome', () => {
		const interrupt = (outcome: { reason: string }) => outcome.reason === 'timeout';
		const timeout: PermissionOutcome = { behavior: 'deny', message: 'late', reason: 'timeout', requestId: 'p' };
		const denied: PermissionOutcome = { behavior: 'deny', message: 'no', reason: 'denied', requestId: 'p' };
		expect(toControlResponse(timeout, 'req-9', { interrupt }).result).toEqual({
			type: 'deny',
			message: 'late',
			interrupt: true,
		});
		expect(toControlResponse(denied, 'req-9', { interrupt }).result).toMatchObject({ interrupt: false });
	});

	it('reads the seed crate’s messages: a missing interrupt is false, suggestions default to []', () => {
		const response = parseControlPermissionResponse(
			'{"kind":"permission_response","request_id":"req-1","result":{"type":"deny","message":"dangerous"}}',
		);
		expect(response.result).toEqual({ type: 'deny', message: 'dangerous', interrupt: false });
		const { suggestions, ...rest } = request.request;
		const parsed = parseControlPermissionRequest({ request_id: 'req-2', request: rest, extra: 1 });
		expect(parsed).toEqual({ request_id: 'req-2', request: { ...rest, suggestions: [] } });
		expect(suggestions).toEqual(['allow_once']);
	});

	it('turns a control request into a Worker ask (the string suggestions are not forwarded)', () => {
		expect(askFromControlRequest(request, 'from the CLI')).toEqual({
			toolName: 'Bash',
			toolUseId: 'tu-1',
			input,
			description: 'from the CLI',
		});
	});

	const invalidResponses: [string, unknown, string][] = [
		['not JSON', '{"kind":', 'not JSON'],
		['not an object', 42, '(message)'],
		['another kind', { kind: 'hook_response', request_id: 'req-1', result: { type: 'allow' } }, 'kind'],
		['no request_id', { kind: 'permission_response', result: { type: 'allow' } }, 'request_id'],
		['unknown result type', { kind: 'permission_response', request_id: 'req-1', result: { type: 'ask' } }, 'result'],
		[
			'deny without a message',
			{ kind: 'permission_response', request_id: 'req-1', result: { type: 'deny' } },
			'message',
		],
		[
			'updated_input not an object',
			{ kind: 'permission_response', request_id: 'req-1', result: { type: 'allow', updated_input: ['ls'] } },
			'updated_input',
		],
	];

	it.each(invalidResponses)('refuses a response that is %s', (_name, value, where) => {
		const error = thrown(() => fromControlResponse(value, request));
		expect(isMailboxError(error, 'INVALID_CONTROL_MESSAGE')).toBe(true);
		expect((error as Error).message).toContain('permission_response');
		expect((error as Error).message).toContain(where);
	});

	const invalidRequests: [string, unknown, string][] = [
		['without tool_use_id', { ...request, request: { ...request.request, tool_use_id: undefined } }, 'tool_use_id'],
		['with an array input', { ...request, request: { ...request.request, tool_input: ['x'] } }, 'tool_input'],
		['of another type', { ...request, request: { ...request.request, type: 'hook_callback' } }, 'type'],
	];

	it.each(invalidRequests)('refuses a request %s', (_name, value, where) => {
		for (const call of [() => askFromControlRequest(value), () => fromControlResponse({}, value)]) {
			const error = thrown(call);
			expect(isMailboxError(error, 'INVALID_CONTROL_MESSAGE')).toBe(true);
			expect((error as Error).message).toContain(`permission_request: request.${where}`);
		}
	});

	it('refuses a response to another request', () => {
		const response = { kind: 'permission_response', request_id: 'req-2', result: { type: 'allow' } };
		const error = thrown(() => fromControlResponse(response, request));
		expect(isMailboxError(error, 'INVALID_CONTROL_MESSAGE')).toBe(true);
		expect((error as Error).message).toContain('"req-2", not "req-1"');
	});
});
