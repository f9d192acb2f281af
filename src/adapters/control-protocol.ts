/**
Pure conversions between a Worker's decision ({@link PermissionOutcome}) and the permission handshake of the CLI's
stream-json control protocol, in the shapes the `claude-cli-sdk` crate types:

- request (CLI → host): `{request_id, request: {type: 'permission_request', tool_name, tool_input, tool_use_id,
  suggestions: string[]}}`;
- response (host → CLI): `{kind: 'permission_response', request_id, result: {type: 'allow', updated_input?} |
  {type: 'deny', message, interrupt}}`, where `interrupt: true` ends the whole session, not only the tool call.

Incoming messages are validated (unknown keys are ignored); a bad one throws `INVALID_CONTROL_MESSAGE`. The control
response has no room for permission updates or for why a deny happened, so those do not survive a round trip.
*/

import { z } from 'zod';
import { errors } from '../errors.js';
import type { PermissionOutcome } from '../worker/responses.js';
import type { PermissionAsk } from '../worker/worker.js';
import type { InterruptOption } from './permission-result.js';

const toolInput = z.record(z.string(), z.unknown());

/** CLI → host: may this tool call run? `suggestions` are the CLI's free-form hints (e.g. `allow_once`). */
export const ControlPermissionRequest = z.object({
	request_id: z.string().min(1),
	request: z.object({
		type: z.literal('permission_request'),
		tool_name: z.string().min(1),
		tool_input: toolInput,
		tool_use_id: z.string().min(1),
		suggestions: z.array(z.string()).default([]),
	}),
});
/** CLI → host: may this tool call run? */
export type ControlPermissionRequest = z.infer<typeof ControlPermissionRequest>;

/** The decision inside a control `permission_response`. */
export const ControlPermissionResult = z.discriminatedUnion('type', [
	z.object({ type: z.literal('allow'), updated_input: toolInput.optional() }),
	z.object({ type: z.literal('deny'), message: z.string(), interrupt: z.boolean().default(false) }),
]);
/** The decision inside a control `permission_response`. */
export type ControlPermissionResult = z.infer<typeof ControlPermissionResult>;

/** Host → CLI: the answer to one control `permission_request`. */
export const ControlPermissionResponse = z.object({
	kind: z.literal('permission_response'),
	request_id: z.string().min(1),
	result: ControlPermissionResult,
});
/** Host → CLI: the answer to one control `permission_request`. */
export type ControlPermissionResponse = z.infer<typeof ControlPermissionResponse>;

function parse<T>(schema: z.ZodType<T>, kind: string, value: unknown): T {
	const result = schema.safeParse(value);
	if (result.success) return result.data;
	const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`);
	throw errors.invalidControlMessage(kind, issues.join('; '));
}

/**
Validates a control `permission_request` (an object, or its JSON text).
@throws {MailboxError} `INVALID_CONTROL_MESSAGE` when it is not one.
*/
export function parseControlPermissionRequest(value: unknown): ControlPermissionRequest {
	return parse(ControlPermissionRequest, 'permission_request', decodeJson(value, 'permission_request'));
}

/**
Validates a control `permission_response` (an object, or its JSON text); a missing `interrupt` reads as false.
@throws {MailboxError} `INVALID_CONTROL_MESSAGE` when it is not one.
*/
export function parseControlPermissionResponse(value: unknown): ControlPermissionResponse {
	return parse(ControlPermissionResponse, 'permission_response', decodeJson(value, 'permission_response'));
}

function decodeJson(value: unknown, kind: string): unknown {
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch (cause) {
		throw errors.invalidControlMessage(kind, `its text is not JSON (${(cause as Error).message})`);
	}
}

/**
The Worker ask for a control request. The CLI's string `suggestions` are not `PermissionUpdate`s, so none are sent.
@throws {MailboxError} `INVALID_CONTROL_MESSAGE` when `request` is not a valid control `permission_request`.
*/
export function askFromControlRequest(request: unknown, description = ''): PermissionAsk {
	const { tool_name, tool_input, tool_use_id } = parseControlPermissionRequest(request).request;
	return { toolName: tool_name, toolUseId: tool_use_id, input: tool_input, description };
}

/** Options of {@link toControlResponse}. */
export interface ControlResponseOptions {
	/** Whether a deny ends the whole session, fixed or per outcome. @default false */
	interrupt?: InterruptOption;
}

/**
The control `permission_response` answering `requestId` with `outcome`. Allow always carries `updated_input` (the
lead's replacement, else the original input); a deny carries its message and `interrupt`.
*/
export function toControlResponse(
	outcome: PermissionOutcome,
	requestId: string,
	options: ControlResponseOptions = {},
): ControlPermissionResponse {
	const { interrupt = false } = options;
	if (outcome.behavior === 'allow') {
		return {
			kind: 'permission_response',
			request_id: requestId,
			result: { type: 'allow', updated_input: outcome.updatedInput },
		};
	}
	const stop = typeof interrupt === 'function' ? interrupt(outcome) : interrupt;
	const result = { type: 'deny' as const, message: outcome.message, interrupt: stop };
	return { kind: 'permission_response', request_id: requestId, result };
}

/** A control response read back as a Worker-style outcome, plus its `interrupt` flag. */
export interface ControlDecision {
	outcome: PermissionOutcome;
	/** Deny only: the session is to end. Always false for allow. */
	interrupt: boolean;
}

/**
Reads a control `permission_response` as the outcome of `request` (its `requestId` is the control `request_id`).
Allow without `updated_input`, or with an empty one, runs the original `tool_input`, as on the mailbox; a deny's
`reason` is `denied`, and there are never permission updates.
@throws {MailboxError} `INVALID_CONTROL_MESSAGE` when either message is invalid or the response answers another request.
*/
export function fromControlResponse(response: unknown, request: unknown): ControlDecision {
	const answered = parseControlPermissionRequest(request);
	const { request_id: requestId, result } = parseControlPermissionResponse(response);
	if (requestId !== answered.request_id) throw errors.controlRequestMismatch(answered.request_id, requestId);
	if (result.type === 'deny') {
		return {
			outcome: { behavior: 'deny', message: result.message, reason: 'denied', requestId },
			interrupt: result.interrupt,
		};
	}
	const updated = result.updated_input;
	const updatedInput = updated !== undefined && Object.keys(updated).length > 0 ? updated : answered.request.tool_input;
	return { outcome: { behavior: 'allow', updatedInput, permissionUpdates: [], requestId }, interrupt: false };
}
