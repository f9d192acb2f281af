import { describe, expect, it } from 'vitest';
import {
	decisionFromOutcome,
	HOOK_OUTPUT_LIMIT,
	type HookEvent,
	parseHookInput,
	renderHookOutput,
} from '../src/adapters/claude-hook.js';

const base = { session_id: 's', cwd: '/p', transcript_path: '/t', permission_mode: 'default' };

describe('claude hook adapter: input', () => {
	it('reads both events, keeps unknown fields, and tells invalid, unsupported and unreadable input apart', () => {
		const pre = {
			...base,
			hook_event_name: 'PreToolUse',
			tool_name: 'Bash',
			tool_input: { command: 'ls' },
			tool_use_id: 't1',
			extra: 1,
		};
		expect(parseHookInput(JSON.stringify(pre))).toEqual({ kind: 'ok', input: pre });
		const perm = {
			...base,
			hook_event_name: 'PermissionRequest',
			tool_name: 'Bash',
			tool_input: {},
			permission_suggestions: [],
		};
		expect(parseHookInput(JSON.stringify(perm))).toMatchObject({ kind: 'ok' });

		const noId = { ...pre, tool_use_id: undefined };
		expect(parseHookInput(JSON.stringify(noId))).toMatchObject({
			kind: 'invalid',
			event: 'PreToolUse',
			problem: expect.stringContaining('tool_use_id'),
		});
		const arrayInput = { ...perm, tool_input: [] };
		expect(parseHookInput(JSON.stringify(arrayInput))).toMatchObject({
			kind: 'invalid',
			problem: expect.stringContaining('tool_input'),
		});
		expect(parseHookInput(JSON.stringify({ ...base, hook_event_name: 'Stop' }))).toEqual({
			kind: 'unsupported',
			event: 'Stop',
		});
		for (const text of ['', 'nope', 'null', '"PreToolUse"', '{"hook_event_name":7}']) {
			expect(parseHookInput(text), text).toMatchObject({ kind: 'unreadable' });
		}
	});
});

describe('claude hook adapter: output', () => {
	const input = { command: 'npm test' };
	const allow = (updatedInput: Record<string, unknown>) =>
		decisionFromOutcome({ behavior: 'allow', updatedInput, permissionUpdates: [], requestId: 'r' }, { input });

	it('maps outcomes: allow (edited or not), deny, and a timeout to deny or, by choice, ask', () => {
		expect(allow(input)).toMatchObject({ behavior: 'allow', inputChanged: false, reason: 'Allowed by the team lead' });
		expect(allow({ command: 'npm test -- --ci' })).toMatchObject({ inputChanged: true });
		const timeout = {
			behavior: 'deny',
			reason: 'timeout',
			message: 'No answer … within 5 ms, so the request was denied.',
			requestId: 'r',
		} as const;
		expect(decisionFromOutcome(timeout, { input })).toEqual({ behavior: 'deny', message: timeout.message });
		expect(decisionFromOutcome(timeout, { input, onTimeout: 'ask' })).toEqual({
			behavior: 'ask',
			reason: 'No answer … within 5 ms; asking here.',
		});
		const denied = { ...timeout, reason: 'denied', message: 'no' } as const;
		expect(decisionFromOutcome(denied, { input, onTimeout: 'ask' })).toEqual({ behavior: 'deny', message: 'no' });
	});

	it('PermissionRequest carries updatedPermissions; PreToolUse has no field for them; ask is no output there', () => {
		const updates = [{ type: 'setMode', mode: 'acceptEdits', destination: 'session' }] as const;
		const decision = decisionFromOutcome(
			{ behavior: 'allow', updatedInput: input, permissionUpdates: [...updates], requestId: 'r' },
			{ input },
		);
		expect(JSON.parse(renderHookOutput('PermissionRequest', decision))).toEqual({
			hookSpecificOutput: {
				hookEventName: 'PermissionRequest',
				decision: { behavior: 'allow', updatedInput: input, updatedPermissions: updates },
			},
		});
		expect(JSON.parse(renderHookOutput('PreToolUse', decision)).hookSpecificOutput).not.toHaveProperty(
			'updatedPermissions',
		);
		expect(renderHookOutput('PermissionRequest', { behavior: 'ask', reason: 'x' })).toBe('');
		expect(renderHookOutput('PreToolUse', { behavior: 'none' })).toBe('');
	});

	it(`never prints more than ${HOOK_OUTPUT_LIMIT} characters, and never allows something else to fit`, () => {
		const huge = { content: 'x'.repeat(20_000) };
		for (const event of ['PermissionRequest', 'PreToolUse'] as HookEvent[]) {
			const unchanged = decisionFromOutcome(
				{ behavior: 'allow', updatedInput: huge, permissionUpdates: [], requestId: 'r' },
				{ input: huge },
			);
			const kept = renderHookOutput(event, unchanged);
			expect(kept.length).toBeLessThanOrEqual(HOOK_OUTPUT_LIMIT);
			expect(kept).toContain('allow'); // the original input runs: nothing is lost by leaving it out
			expect(kept).not.toContain('updatedInput');

			const edited = decisionFromOutcome(
				{ behavior: 'allow', updatedInput: huge, permissionUpdates: [], requestId: 'r' },
				{ input },
			);
			const refused = JSON.parse(renderHookOutput(event, edited)) as { hookSpecificOutput: Record<string, unknown> };
			expect(JSON.stringify(refused)).toMatch(/"(permissionDecision|behavior)":"deny"/);

			const escapes = '\u0001'.repeat(30_000); // six characters each once escaped
			const long = renderHookOutput(event, { behavior: 'deny', message: escapes });
			expect(long.length).toBeLessThanOrEqual(HOOK_OUTPUT_LIMIT);
			expect(JSON.stringify(JSON.parse(long))).toContain('(cut)');
		}
	});
});
