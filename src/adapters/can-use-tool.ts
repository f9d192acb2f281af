/**
The Agent SDK's `canUseTool` callback, answered by the team lead: each tool call the SDK asks about becomes a
`permission_request` in the lead's inbox, and the lead's answer (or a timeout, or an abort) becomes the SDK's
`PermissionResult`. The types mirror the SDK's structurally, so `query({options: {canUseTool}})` type-checks without
this package depending on the SDK.
*/

import { randomUUID } from 'node:crypto';
import { errors } from '../errors.js';
import { validPermissionUpdates } from '../protocol/frames.js';
import type { PermissionOutcome } from '../worker/responses.js';
import type { PermissionAsk, Worker } from '../worker/worker.js';
import { anySignal, askLead } from './ask-lead.js';
import { type InterruptOption, type PermissionResult, toPermissionResult } from './permission-result.js';

/**
The third argument of the SDK's `canUseTool`: only the fields read here (the SDK sends more, and they are ignored).
All are optional so the callback can also be called by hand.
*/
export interface CanUseToolContext {
	/** Aborted when the SDK no longer needs the answer; the call then ends as a deny. */
	signal?: AbortSignal;
	/** The tool call's id: sent as `tool_use_id`, so the lead's answer is bound to this call, and echoed back. */
	toolUseID?: string;
	/** The SDK's suggested permission updates; the valid ones go to the lead as `permission_suggestions`. */
	suggestions?: readonly unknown[];
	/** The SDK's description of the call, shown to the lead by default. */
	description?: string;
	/** The SDK's prompt title, shown to the lead when there is no `description`. */
	title?: string;
}

/** One tool call, as handed to {@link CanUseToolOptions.onOutcome}. */
export interface CanUseToolCall {
	toolName: string;
	input: Record<string, unknown>;
	toolUseId: string;
}

/** Options of {@link createCanUseTool}. */
export interface CanUseToolOptions {
	/** How long each call waits for the lead, in ms (`Infinity`: no limit). @default the worker's `timeoutMs` */
	timeoutMs?: number;
	/** Ends every waiting call as a deny, e.g. when the host shuts down. Combined with the SDK's per-call signal. */
	signal?: AbortSignal;
	/**
	The `description` the lead sees for a call.
	@default the SDK's `description`, else its `title`, else ''
	*/
	describe?: (toolName: string, input: Record<string, unknown>, context: CanUseToolContext) => string;
	/** Send the SDK's suggestions to the lead, which may approve with them. @default true */
	forwardSuggestions?: boolean;
	/** Whether a deny also interrupts the session (`interrupt: true`), fixed or per outcome. @default false */
	interrupt?: InterruptOption;
	/** Sees each outcome before the result is returned, with its `reason` (e.g. to log timeouts). Must not throw. */
	onOutcome?: (outcome: PermissionOutcome, call: CanUseToolCall) => void;
}

/** A function with the Agent SDK's `canUseTool` signature. */
export type CanUseTool = (
	toolName: string,
	input: Record<string, unknown>,
	context?: CanUseToolContext,
) => Promise<PermissionResult>;

const describeFromContext = (_toolName: string, _input: Record<string, unknown>, context: CanUseToolContext) =>
	context.description ?? context.title ?? '';

/**
A `canUseTool` for the Agent SDK that asks the team lead through `worker`. Allow always carries `updatedInput` (the
lead's replacement, else the original input) and carries `updatedPermissions` when the lead sent some; every other
ending (a person's deny, a policy deny, timeout, abort, an unusable mailbox) is a deny whose `message` says why.
@throws {MailboxError} `INVALID_ARGUMENT` for a `timeoutMs` that is not > 0.
@example
```ts
const worker = new Worker(await Team.open('alpha'), { name: 'researcher' });
for await (const message of query({ prompt, options: { canUseTool: createCanUseTool(worker) } })) { … }
```
*/
export function createCanUseTool(worker: Worker, options: CanUseToolOptions = {}): CanUseTool {
	const { timeoutMs, signal: hostSignal, describe = describeFromContext, forwardSuggestions = true } = options;
	const { interrupt, onOutcome } = options;
	if (timeoutMs !== undefined && !(timeoutMs > 0)) {
		throw errors.invalidArgument('timeoutMs', 'a number of ms > 0 (or Infinity)', timeoutMs);
	}
	return async (toolName, input, context = {}) => {
		// The SDK always sends an id; a hand-made call still needs one to bind the lead's answer to.
		const toolUseId = context.toolUseID ?? `toolu_swarm_${randomUUID()}`;
		const ask: PermissionAsk = {
			toolName,
			toolUseId,
			input,
			description: describe(toolName, input, context),
			suggestions: forwardSuggestions ? validPermissionUpdates(context.suggestions ?? []) : [],
		};
		const linked = anySignal(context.signal, hostSignal);
		let outcome: PermissionOutcome;
		try {
			const wait = { ...(linked.signal ? { signal: linked.signal } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
			outcome = await askLead(worker, ask, wait);
		} finally {
			linked.dispose();
		}
		onOutcome?.(outcome, { toolName, input, toolUseId });
		return toPermissionResult(outcome, { toolUseID: context.toolUseID, interrupt });
	};
}
