/**
Claude Code's command-hook protocol for permission decisions, as pure functions: the hook input read from stdin
(`PermissionRequest` and `PreToolUse`), and the stdout text that carries a decision back. Claude Code reads at most
10,000 characters of hook output, so every output is built to fit; one that cannot fit with an edited input becomes a
deny that says so, never an allow of something else. The `hook` command (`cli/hook-command.ts`) does the asking.
*/

import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { PermissionUpdate } from '../protocol/frames.js';
import type { PermissionOutcome } from '../worker/responses.js';

/** The hook events this adapter answers. */
export type HookEvent = 'PermissionRequest' | 'PreToolUse';

/** Claude Code reads at most this many characters of a hook's stdout. */
export const HOOK_OUTPUT_LIMIT = 10_000;

const common = {
	session_id: z.string(),
	cwd: z.string(),
	transcript_path: z.string().optional(),
	permission_mode: z.string().optional(),
	agent_id: z.string().optional(),
	agent_type: z.string().optional(),
	tool_name: z.string().min(1),
	tool_input: z.record(z.string(), z.unknown()),
};

/** `PermissionRequest`: a permission dialog would appear. It carries no `tool_use_id`. */
export const permissionRequestHookInput = z.looseObject({
	...common,
	hook_event_name: z.literal('PermissionRequest'),
	permission_suggestions: z.array(z.unknown()).optional(),
});

/** `PreToolUse`: every tool call, with its `tool_use_id`. */
export const preToolUseHookInput = z.looseObject({
	...common,
	hook_event_name: z.literal('PreToolUse'),
	tool_use_id: z.string().min(1),
});

/** A hook input this adapter answers (unknown fields are kept). */
export const hookInput = z.discriminatedUnion('hook_event_name', [permissionRequestHookInput, preToolUseHookInput]);
export type HookInput = z.infer<typeof hookInput>;

/**
What stdin held: a hook input; an `invalid` one of a known event (it can still be answered, with a deny); an event
this adapter does not answer; or text that names no event at all (`unreadable`).
*/
export type ParsedHookInput =
	| { kind: 'ok'; input: HookInput }
	| { kind: 'invalid'; event: HookEvent; problem: string }
	| { kind: 'unsupported'; event: string }
	| { kind: 'unreadable'; problem: string };

const EVENTS: readonly string[] = ['PermissionRequest', 'PreToolUse'];

/** Parse and check the hook input text; never throws. */
export function parseHookInput(text: string): ParsedHookInput {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		const reason = (error as Error).message.replace(/\s+/g, ' ').slice(0, 200);
		const detail = text.trim() === '' ? 'stdin was empty' : `stdin is not JSON (${reason})`;
		return { kind: 'unreadable', problem: detail };
	}
	const event =
		typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['hook_event_name'] : undefined;
	if (typeof event !== 'string') return { kind: 'unreadable', problem: 'stdin holds no hook_event_name' };
	if (!EVENTS.includes(event)) return { kind: 'unsupported', event };
	const parsed = hookInput.safeParse(value);
	if (parsed.success) return { kind: 'ok', input: parsed.data };
	const problem = parsed.error.issues
		.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`)
		.join('; ');
	return { kind: 'invalid', event: event as HookEvent, problem };
}

/**
What the hook says. `ask`: leave it to a person at Claude Code (a `PreToolUse` ask shows the dialog with `reason`;
for `PermissionRequest` it is no output, which shows the dialog). `none`: no decision at all (no output).
*/
export type HookDecision =
	| {
			behavior: 'allow';
			reason: string;
			updatedInput?: Record<string, unknown>;
			/** Whether `updatedInput` differs from the input asked about (an unchanged one may be dropped to fit). */
			inputChanged?: boolean;
			/** `PermissionRequest` only: updates for the session (`PreToolUse` output has no field for them). */
			updatedPermissions?: readonly PermissionUpdate[];
	  }
	| { behavior: 'deny'; message: string }
	| { behavior: 'ask'; reason: string }
	| { behavior: 'none' };

/** Options of {@link decisionFromOutcome}. */
export interface OutcomeDecisionOptions {
	/** The input asked about, to tell an edited input from the original. */
	input: Record<string, unknown>;
	/** What a wait that ran out becomes: a deny that names the wait, or a person at Claude Code. @default 'deny' */
	onTimeout?: 'deny' | 'ask';
}

/** The hook decision for a Worker's outcome. */
export function decisionFromOutcome(outcome: PermissionOutcome, options: OutcomeDecisionOptions): HookDecision {
	if (outcome.behavior === 'allow') {
		const inputChanged = !isDeepStrictEqual(outcome.updatedInput, options.input);
		return {
			behavior: 'allow',
			reason: inputChanged ? 'Allowed by the team lead, with an edited input' : 'Allowed by the team lead',
			updatedInput: outcome.updatedInput,
			inputChanged,
			...(outcome.permissionUpdates.length > 0 ? { updatedPermissions: outcome.permissionUpdates } : {}),
		};
	}
	if (outcome.reason === 'timeout' && options.onTimeout === 'ask') {
		return {
			behavior: 'ask',
			reason: `${outcome.message.replace(/, so the request was denied\.$/, '')}; asking here.`,
		};
	}
	return { behavior: 'deny', message: outcome.message };
}

/** The hook's stdout for `decision` ('' for no decision), at most {@link HOOK_OUTPUT_LIMIT} characters. */
export function renderHookOutput(event: HookEvent, decision: HookDecision): string {
	const text = serialize(event, decision);
	if (text.length <= HOOK_OUTPUT_LIMIT) return text;
	if (decision.behavior === 'allow') {
		if (decision.inputChanged === false) {
			const { updatedInput: _dropped, ...smaller } = decision;
			const without = serialize(event, smaller);
			if (without.length <= HOOK_OUTPUT_LIMIT) return without;
		}
		const message =
			`The team lead allowed this call, but the answer (${text.length} characters) does not fit in a hook's ` +
			`output (${HOOK_OUTPUT_LIMIT} at most), so it was denied here. Ask for a smaller call.`;
		return serialize(event, { behavior: 'deny', message });
	}
	if (decision.behavior === 'deny')
		return cutToFit(decision.message, (message) => serialize(event, { ...decision, message }));
	if (decision.behavior === 'ask')
		return cutToFit(decision.reason, (reason) => serialize(event, { ...decision, reason }));
	return text;
}

/** `render(text)` with `text` cut (by halves, since JSON escapes make its length in the output unknown) until it fits. */
function cutToFit(text: string, render: (text: string) => string): string {
	let kept = text.length;
	for (;;) {
		kept = Math.floor(kept / 2);
		const output = render(`${text.slice(0, kept)}… (cut)`);
		if (output.length <= HOOK_OUTPUT_LIMIT || kept === 0) return output;
	}
}

function serialize(event: HookEvent, decision: HookDecision): string {
	const output = hookOutput(event, decision);
	return output === undefined ? '' : `${JSON.stringify(output)}\n`;
}

/** The hook output object for `decision`, or `undefined` for no output. */
export function hookOutput(event: HookEvent, decision: HookDecision): object | undefined {
	if (decision.behavior === 'none') return undefined;
	if (event === 'PreToolUse') {
		const base = { hookEventName: 'PreToolUse' as const };
		if (decision.behavior === 'deny') {
			return {
				hookSpecificOutput: { ...base, permissionDecision: 'deny', permissionDecisionReason: decision.message },
			};
		}
		if (decision.behavior === 'ask') {
			return { hookSpecificOutput: { ...base, permissionDecision: 'ask', permissionDecisionReason: decision.reason } };
		}
		const input = decision.updatedInput === undefined ? {} : { updatedInput: decision.updatedInput };
		return {
			hookSpecificOutput: { ...base, permissionDecision: 'allow', permissionDecisionReason: decision.reason, ...input },
		};
	}
	// A PermissionRequest hook that gives no decision lets Claude Code show its dialog: that is "ask" here.
	if (decision.behavior === 'ask') return undefined;
	const base = { hookEventName: 'PermissionRequest' as const };
	if (decision.behavior === 'deny') {
		return { hookSpecificOutput: { ...base, decision: { behavior: 'deny', message: decision.message } } };
	}
	const allow = {
		behavior: 'allow',
		...(decision.updatedInput === undefined ? {} : { updatedInput: decision.updatedInput }),
		...(decision.updatedPermissions === undefined ? {} : { updatedPermissions: decision.updatedPermissions }),
	};
	return { hookSpecificOutput: { ...base, decision: allow } };
}

/** The request's description for the lead: which Claude Code session asks, and from where. */
export function describeHookCall(input: HookInput): string {
	const agent = input.agent_type === undefined ? '' : ` (subagent ${input.agent_type})`;
	return `Claude Code ${input.hook_event_name} hook: session ${input.session_id}${agent} in ${input.cwd}`;
}
