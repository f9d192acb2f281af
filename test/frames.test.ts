import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffSchemas, renderSchemas, writeSchemas } from '../scripts/build-schemas.js';
import { isMailboxError } from '../src/errors.js';
import {
	inputDigest,
	mcpSkillInputDigest,
	permissionRequestDigest,
	planDigest,
	SORT_DEPTH_LIMIT,
} from '../src/protocol/digest.js';
import {
	approvedRequestFor,
	createIdleNotification,
	createPermissionRequest,
	createPermissionResponse,
	createPlanApprovalRequest,
	createPlanApprovalResponse,
	createSandboxPermissionRequest,
	createSandboxPermissionResponse,
	createShutdownApproved,
	createShutdownRejected,
	createShutdownRequest,
	createTaskAssignment,
	FAILURE_REASON_LIMIT,
	RESULT_LIMIT,
	RESULT_TRUNCATION_MARKER,
} from '../src/protocol/frame-builders.js';
import { encodeFrame, frameTypeOf, parseFrame } from '../src/protocol/frame-codec.js';
import { type FrameType, frameTypes, reservedTextTypes, validPermissionUpdates } from '../src/protocol/frames.js';
import {
	idPatterns,
	permissionRequestId,
	planApprovalRequestId,
	sandboxRequestId,
	shutdownRequestId,
} from '../src/protocol/ids.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TS = '2026-01-02T03:04:05.678Z';

// One hand-written frame per type, from the field lists in the 2.1.330 reference (section 4).
const examples: Record<FrameType, Record<string, unknown>> = {
	permission_request: {
		type: 'permission_request',
		request_id: 'perm-1767323045678-k3j9x0a',
		agent_id: 'researcher',
		tool_name: 'Bash',
		tool_use_id: 'toolu_01',
		description: 'List files',
		input: { command: 'ls' },
		permission_suggestions: [],
	},
	permission_response: {
		type: 'permission_response',
		request_id: 'perm-1767323045678-k3j9x0a',
		subtype: 'success',
		tool_use_id: 'toolu_01',
		approved_request: { tool_use_id: 'toolu_01', tool_name: 'Bash', input_digest: 'ab'.repeat(32) },
		response: {
			updated_input: { command: 'ls -la' },
			permission_updates: [
				{
					type: 'addRules',
					rules: [{ toolName: 'Bash', ruleContent: 'ls:*' }],
					behavior: 'allow',
					destination: 'session',
				},
			],
		},
	},
	sandbox_permission_request: {
		type: 'sandbox_permission_request',
		requestId: 'sandbox-1767323045678-0a1b2c3',
		workerId: 'researcher@my-team',
		workerName: 'researcher',
		workerColor: 'blue',
		hostPattern: { host: 'registry.npmjs.org' },
		createdAt: 1767323045678,
	},
	sandbox_permission_response: {
		type: 'sandbox_permission_response',
		requestId: 'sandbox-1767323045678-0a1b2c3',
		host: 'registry.npmjs.org',
		allow: true,
		timestamp: TS,
	},
	idle_notification: {
		type: 'idle_notification',
		from: 'researcher',
		timestamp: TS,
		idleReason: 'available',
		summary: '[to tester] done',
		completedTaskId: '3',
		completedStatus: 'resolved',
		result: 'All good',
	},
	shutdown_request: {
		type: 'shutdown_request',
		requestId: 'shutdown-1767323045678@researcher',
		from: 'team-lead',
		reason: 'done',
		timestamp: TS,
	},
	shutdown_approved: {
		type: 'shutdown_approved',
		requestId: 'shutdown-1767323045678@researcher',
		from: 'researcher',
		timestamp: TS,
		paneId: '%3',
		backendType: 'tmux',
	},
	shutdown_rejected: {
		type: 'shutdown_rejected',
		requestId: 'shutdown-1767323045678@researcher',
		from: 'researcher',
		reason: 'busy',
		timestamp: TS,
	},
	plan_approval_request: {
		type: 'plan_approval_request',
		from: 'researcher',
		timestamp: TS,
		planFilePath: '/tmp/plan.md',
		planContent: '# Plan\n1. Do it',
		requestId: 'plan_approval-1767323045678@researcher@my-team',
	},
	plan_approval_response: {
		type: 'plan_approval_response',
		requestId: 'plan_approval-1767323045678@researcher@my-team',
		approved: true,
		feedback: 'ok',
		timestamp: TS,
		permissionMode: 'acceptEdits',
		planDigest: sha256('# Plan\n1. Do it'),
	},
	task_assignment: {
		type: 'task_assignment',
		taskId: '3',
		subject: 'Write tests',
		description: 'Cover the codec',
		assignedBy: 'team-lead',
		timestamp: TS,
	},
	task_completed: {
		type: 'task_completed',
		from: 'researcher',
		taskId: '3',
		taskSubject: 'Write tests',
		timestamp: TS,
	},
	mode_set_request: { type: 'mode_set_request', mode: 'acceptEdits', from: 'team-lead' },
	team_permission_update: {
		type: 'team_permission_update',
		permissionUpdate: { type: 'addRules', rules: [{ toolName: 'Edit' }], behavior: 'allow', destination: 'session' },
		directoryPath: '/repo',
		toolName: 'Edit',
	},
};

describe('parseFrame', () => {
	it.each(frameTypes)('parses a %s frame from the reference', (type) => {
		const example = examples[type];
		expect(parseFrame(JSON.stringify(example))).toEqual({ kind: 'frame', frame: example });
	});

	it('parses the error variant of permission_response and the MCP-skill permission_request', () => {
		const error = { type: 'permission_response', request_id: 'perm-1-a', subtype: 'error', error: 'Permission denied' };
		expect(parseFrame(JSON.stringify(error))).toEqual({ kind: 'frame', frame: error });
		const mcp = {
			...examples.permission_request,
			tool_kind: 'mcp_skill',
			mcp_server: { name: 'docs', source: 'project' },
			mcp_skill: { name: 'search', version: '1.0.0', uri: 'skill://docs/search' },
		};
		expect(parseFrame(JSON.stringify(mcp))).toEqual({ kind: 'frame', frame: mcp });
	});

	it('fills permission_suggestions with [] and keeps unknown keys on loose frames', () => {
		const { permission_suggestions: _, ...bare } = examples.permission_request;
		const result = parseFrame(JSON.stringify({ ...bare, future_field: 1 }));
		expect(result).toEqual({ kind: 'frame', frame: { ...bare, permission_suggestions: [], future_field: 1 } });
	});

	it.each<[string, Record<string, unknown>, string]>([
		['a missing required field', { ...examples.task_assignment, subject: undefined }, 'subject'],
		['a wrong field type', { ...examples.sandbox_permission_response, allow: 'yes' }, 'allow'],
		['an unknown enum value', { ...examples.idle_notification, idleReason: 'sleeping' }, 'idleReason'],
		['an unknown permission mode', { ...examples.plan_approval_response, permissionMode: 'sleepy' }, 'permissionMode'],
		['an empty success request_id', { ...examples.permission_response, request_id: '' }, 'request_id'],
		['an unknown subtype', { ...examples.permission_response, subtype: 'maybe' }, 'subtype'],
		[
			'an empty error request_id',
			{ type: 'permission_response', request_id: '', subtype: 'error', error: 'Permission denied' },
			'request_id',
		],
		[
			'an empty sandbox host',
			{ ...examples.sandbox_permission_request, hostPattern: { host: '' } },
			'hostPattern.host',
		],
		[
			'an MCP-skill ask without its skill',
			{ ...examples.permission_request, tool_kind: 'mcp_skill', mcp_server: { name: 'docs', source: 'project' } },
			'mcp_skill',
		],
		['an array as tool input', { ...examples.permission_request, input: ['ls'] }, 'input'],
	])('reports %s as invalid', (_name, frame, path) => {
		const result = parseFrame(JSON.stringify(frame));
		expect(result.kind).toBe('invalid');
		if (result.kind !== 'invalid') return;
		expect(result.type).toBe(frame['type']);
		expect(result.issues.map((issue) => issue.path)).toContain(path);
		expect(result.issues.every((issue) => issue.message.length > 0)).toBe(true);
	});

	it.each([
		'hello team',
		'',
		'{not json',
		'[1,2]',
		'null',
		'42',
		'"permission_request"',
		'{"from":"x"}',
		'{"type":"message","text":"hi"}',
		'{"type":"shutdown_response","request_id":"r","approve":true}',
		'{"type":7}',
		'{"type":"constructor"}',
		'{"type":"__proto__"}',
		'{"type":"toString"}',
	])('treats %j as plain text', (text) => {
		expect(parseFrame(text)).toEqual({ kind: 'text', text });
	});

	it('does not let __proto__ keys pollute prototypes', () => {
		const text =
			'{"__proto__":{"polluted":true},"type":"permission_request","request_id":"perm-1-a","agent_id":"w","tool_name":"Bash",' +
			'"tool_use_id":"t","description":"d","input":{"__proto__":{"polluted":true},"command":"ls"}}';
		const result = parseFrame(text);
		expect(result.kind).toBe('frame');
		if (result.kind !== 'frame' || result.frame.type !== 'permission_request') return;
		expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
		expect(Object.getPrototypeOf(result.frame)).toBe(Object.prototype);
		expect(Object.getPrototypeOf(result.frame.input)).toBe(Object.prototype);
		expect(result.frame['polluted']).toBeUndefined();
		expect(result.frame.input['polluted']).toBeUndefined();
		// The input is kept as sent (an own "__proto__" key included): it is digested and handed back to the tool.
		expect(Object.keys(result.frame.input)).toEqual(['__proto__', 'command']);
		expect(inputDigest('Bash', result.frame.input)).toBe(inputDigest('Bash', JSON.parse(text).input));
	});

	it('exposes the raw JSON type for reserved-type checks', () => {
		expect(frameTypeOf('{"type":"teammate_terminated","message":"x"}')).toBe('teammate_terminated');
		expect(frameTypeOf('plain')).toBeUndefined();
		for (const type of [...frameTypes, 'shutdown_response', 'teammate_terminated'])
			expect(reservedTextTypes.has(type)).toBe(true);
		expect(reservedTextTypes.has('message')).toBe(false);
	});
});

describe('encodeFrame', () => {
	it.each(frameTypes)('round-trips a %s frame as compact JSON', (type) => {
		const text = encodeFrame(examples[type] as never);
		expect(text).toBe(JSON.stringify(examples[type]));
		expect(text).not.toMatch(/\n|": |", "/);
		expect(parseFrame(text)).toEqual({ kind: 'frame', frame: examples[type] });
	});

	it('applies defaults before writing', () => {
		const { permission_suggestions: _, ...bare } = examples.permission_request;
		expect(JSON.parse(encodeFrame(bare as never))).toEqual(examples.permission_request);
	});

	it.each([
		['a non-object', 'hello', /`frame`/],
		['an unknown type', { type: 'message' }, /`frame\.type`.*permission_request/],
		['a missing field', { ...examples.task_assignment, assignedBy: undefined }, /`frame\.assignedBy` to be a string/],
		[
			'an empty success request_id',
			{ ...examples.permission_response, request_id: '' },
			/`frame\.request_id` to be a string of at least 1/,
		],
		[
			'a bad enum',
			{ ...examples.idle_notification, completedStatus: 'done' },
			/`frame\.completedStatus` to be one of "resolved"/,
		],
		[
			'an unknown subtype',
			{ ...examples.permission_response, subtype: 'maybe' },
			/`frame\.subtype` to be one of "success", "error"/,
		],
		[
			'an extra key on permission_response',
			{ ...examples.permission_response, note: 'x' },
			/`frame\.note` to be absent/,
		],
	])('refuses %s with an INVALID_ARGUMENT MailboxError', (_name, frame, message) => {
		let thrown: unknown;
		try {
			encodeFrame(frame as never);
		} catch (error) {
			thrown = error;
		}
		expect(isMailboxError(thrown, 'INVALID_ARGUMENT')).toBe(true);
		expect((thrown as Error).message).toMatch(message);
	});
});

describe('builders', () => {
	it('createPermissionRequest fills the id and default suggestions, with the reference field names', () => {
		const frame = createPermissionRequest({
			agentName: 'researcher',
			toolName: 'Bash',
			toolUseId: 'toolu_01',
			description: 'List',
			input: { command: 'ls' },
		});
		expect(frame).toEqual({
			type: 'permission_request',
			request_id: expect.stringMatching(/^perm-\d{13}-[0-9a-z]{7}$/),
			agent_id: 'researcher',
			tool_name: 'Bash',
			tool_use_id: 'toolu_01',
			description: 'List',
			input: { command: 'ls' },
			permission_suggestions: [],
		});
		expect(Object.keys(frame)).toEqual([
			'type',
			'request_id',
			'agent_id',
			'tool_name',
			'tool_use_id',
			'description',
			'input',
			'permission_suggestions',
		]);
	});

	it('createPermissionRequest marks MCP-skill asks', () => {
		const mcp = {
			server: { name: 'docs', source: 'project' },
			skill: { name: 'search', version: '1.0.0', uri: 'skill://docs/search' },
		};
		const frame = createPermissionRequest({
			agentName: 'w',
			toolName: 'Skill',
			toolUseId: 't',
			description: 'Search docs',
			input: {},
			mcp,
		});
		expect(frame).toMatchObject({ tool_kind: 'mcp_skill', mcp_server: mcp.server, mcp_skill: mcp.skill });
		expect(parseFrame(encodeFrame(frame)).kind).toBe('frame');
	});

	it('createPermissionResponse builds both subtypes exactly', () => {
		const request = createPermissionRequest({
			agentName: 'w',
			toolName: 'Bash',
			toolUseId: 't1',
			description: 'd',
			input: { command: 'ls' },
		});
		const approved = approvedRequestFor(request);
		expect(approved).toEqual({
			tool_use_id: 't1',
			tool_name: 'Bash',
			input_digest: inputDigest('Bash', { command: 'ls' }),
		});
		const allow = createPermissionResponse({
			subtype: 'success',
			requestId: request.request_id,
			toolUseId: 't1',
			approvedRequest: approved,
		});
		expect(allow).toEqual({
			type: 'permission_response',
			request_id: request.request_id,
			subtype: 'success',
			tool_use_id: 't1',
			approved_request: approved,
			response: {},
		});
		const withUpdates = createPermissionResponse({
			subtype: 'success',
			requestId: 'perm-1-a',
			updatedInput: { command: 'ls -a' },
			permissionUpdates: [{ type: 'setMode', mode: 'acceptEdits', destination: 'session' }],
		});
		expect(withUpdates).toEqual({
			type: 'permission_response',
			request_id: 'perm-1-a',
			subtype: 'success',
			response: {
				updated_input: { command: 'ls -a' },
				permission_updates: [{ type: 'setMode', mode: 'acceptEdits', destination: 'session' }],
			},
		});
		expect(createPermissionResponse({ subtype: 'error', requestId: 'perm-1-a', error: '' })).toEqual({
			type: 'permission_response',
			request_id: 'perm-1-a',
			subtype: 'error',
			error: 'Permission denied',
		});
		expect(
			createPermissionResponse({ subtype: 'error', requestId: 'perm-1-a', error: 'Use git ls-files' }),
		).toHaveProperty('error', 'Use git ls-files');
		for (const frame of [allow, withUpdates]) expect(parseFrame(encodeFrame(frame))).toEqual({ kind: 'frame', frame });
	});

	it('sandbox builders fill id, createdAt and timestamp', () => {
		const before = Date.now();
		const request = createSandboxPermissionRequest({ workerId: 'w@t', workerName: 'w', host: 'example.com' });
		expect(request).toEqual({
			type: 'sandbox_permission_request',
			requestId: expect.stringMatching(/^sandbox-\d{13}-[0-9a-z]{7}$/),
			workerId: 'w@t',
			workerName: 'w',
			hostPattern: { host: 'example.com' },
			createdAt: expect.any(Number),
		});
		expect(request.createdAt).toBeGreaterThanOrEqual(before);
		const response = createSandboxPermissionResponse({
			requestId: request.requestId,
			host: 'example.com',
			allow: false,
		});
		expect(response).toEqual({
			type: 'sandbox_permission_response',
			requestId: request.requestId,
			host: 'example.com',
			allow: false,
			timestamp: expect.stringMatching(ISO),
		});
	});

	it('shutdown builders use the reference shapes', () => {
		const request = createShutdownRequest({ target: 'researcher' });
		expect(request).toEqual({
			type: 'shutdown_request',
			requestId: expect.stringMatching(/^shutdown-\d{13}@researcher$/),
			from: 'team-lead',
			timestamp: expect.stringMatching(ISO),
		});
		expect(createShutdownRequest({ target: 'r', reason: 'done' })).toHaveProperty('reason', 'done');
		const approved = createShutdownApproved({
			requestId: request.requestId,
			from: 'researcher',
			paneId: '%1',
			backendType: 'tmux',
		});
		expect(Object.keys(approved)).toEqual(['type', 'requestId', 'from', 'timestamp', 'paneId', 'backendType']);
		const rejected = createShutdownRejected({ requestId: request.requestId, from: 'researcher', reason: 'busy' });
		expect(rejected).toEqual({
			type: 'shutdown_rejected',
			requestId: request.requestId,
			from: 'researcher',
			reason: 'busy',
			timestamp: expect.stringMatching(ISO),
		});
		expect(() => createShutdownRejected({ requestId: 'x', from: 'r', reason: '' })).toThrow(/non-empty/);
	});

	it('plan approval builders fill the id and digest, and map "manual" to "default"', () => {
		const request = createPlanApprovalRequest({ from: 'researcher', planFilePath: '/p.md', planContent: 'plan' });
		expect(request).toEqual({
			type: 'plan_approval_request',
			from: 'researcher',
			timestamp: expect.stringMatching(ISO),
			planFilePath: '/p.md',
			planContent: 'plan',
			requestId: expect.stringMatching(/^plan_approval-\d{13}@researcher@default$/),
		});
		expect(
			createPlanApprovalRequest({ from: 'r', teamName: 'alpha', planFilePath: '', planContent: '' }).requestId,
		).toMatch(/@r@alpha$/);
		const response = createPlanApprovalResponse({
			requestId: request.requestId,
			approved: true,
			permissionMode: 'manual',
			planContent: 'plan',
		});
		expect(response).toEqual({
			type: 'plan_approval_response',
			requestId: request.requestId,
			approved: true,
			timestamp: expect.stringMatching(ISO),
			permissionMode: 'default',
			planDigest: sha256('plan'),
		});
		expect(createPlanApprovalResponse({ requestId: 'x', approved: false, feedback: 'no' })).not.toHaveProperty(
			'planDigest',
		);
	});

	it('createIdleNotification defaults to "available" and applies the length limits', () => {
		expect(createIdleNotification({ from: 'w' })).toEqual({
			type: 'idle_notification',
			from: 'w',
			timestamp: expect.stringMatching(ISO),
			idleReason: 'available',
		});
		const long = createIdleNotification({
			from: 'w',
			idleReason: 'failed',
			failureReason: 'x'.repeat(500),
			result: 'y'.repeat(9000),
		});
		expect(long.failureReason).toHaveLength(FAILURE_REASON_LIMIT);
		expect(long.result).toHaveLength(RESULT_LIMIT);
		expect(long.result?.endsWith(RESULT_TRUNCATION_MARKER)).toBe(true);
		expect(createIdleNotification({ from: 'w', result: 'short' }).result).toBe('short');
		const emoji = createIdleNotification({ from: 'w', failureReason: 'a' + '😀'.repeat(150) });
		expect(emoji.failureReason?.length).toBe(FAILURE_REASON_LIMIT - 1);
	});

	it('createTaskAssignment uses the reference fields', () => {
		expect(createTaskAssignment({ taskId: '1', subject: 's', description: 'd', assignedBy: 'team-lead' })).toEqual({
			type: 'task_assignment',
			taskId: '1',
			subject: 's',
			description: 'd',
			assignedBy: 'team-lead',
			timestamp: expect.stringMatching(ISO),
		});
	});
});

describe('ids', () => {
	it('have Claude Code shapes with seven crypto base36 characters', () => {
		expect(permissionRequestId(1700000000000)).toMatch(/^perm-1700000000000-[0-9a-z]{7}$/);
		expect(sandboxRequestId(1700000000000)).toMatch(/^sandbox-1700000000000-[0-9a-z]{7}$/);
		expect(shutdownRequestId('bob', 5)).toBe('shutdown-5@bob');
		expect(planApprovalRequestId('bob', '', 5)).toBe('plan_approval-5@bob@default');
		expect(planApprovalRequestId('bob', 'alpha', 5)).toBe('plan_approval-5@bob@alpha');
		const ids = new Set(Array.from({ length: 2000 }, () => permissionRequestId(1)));
		expect(ids.size).toBe(2000);
		for (const id of ids) expect(id).toMatch(idPatterns.permission);
	});
});

describe('digests', () => {
	it('match a hand-computed SHA-256', () => {
		expect(inputDigest('Bash', { command: 'ls' })).toBe(sha256('Bash\0{"command":"ls"}'));
		expect(inputDigest('Edit', { b: [{ z: 1, y: 2 }], a: { d: 1, c: undefined } })).toBe(
			sha256('Edit\0{"a":{"d":1},"b":[{"y":2,"z":1}]}'),
		);
		expect(planDigest('# Plan')).toBe(sha256('# Plan'));
	});

	it('are stable under key reordering but not array reordering', () => {
		const a = { command: 'ls', options: { all: true, long: false, nested: { x: 1, y: [1, 2] } } };
		const b = { options: { nested: { y: [1, 2], x: 1 }, long: false, all: true }, command: 'ls' };
		expect(inputDigest('Bash', a)).toBe(inputDigest('Bash', b));
		expect(inputDigest('Bash', { list: [1, 2] })).not.toBe(inputDigest('Bash', { list: [2, 1] }));
		expect(inputDigest('Bash', a)).not.toBe(inputDigest('Read', a));
	});

	it(`sort objects down to level ${SORT_DEPTH_LIMIT} (as Claude Code 2.1.330) and leave deeper ones as sent`, () => {
		const nest = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { k: nest(depth - 1, leaf) });
		const wrapped = (depth: number, inner: string) => '{"k":'.repeat(depth) + inner + '}'.repeat(depth);
		// Level 32 is still sorted: the bytes are those of the sorted object.
		expect(inputDigest('T', nest(SORT_DEPTH_LIMIT, { b: 1, a: 2 }))).toBe(
			sha256(`T\0${wrapped(SORT_DEPTH_LIMIT, '{"a":2,"b":1}')}`),
		);
		// Level 33 is past the walk: keys stay in the order sent.
		expect(inputDigest('T', nest(SORT_DEPTH_LIMIT + 1, { b: 1, a: 2 }))).toBe(
			sha256(`T\0${wrapped(SORT_DEPTH_LIMIT + 1, '{"b":1,"a":2}')}`),
		);
	});

	it('cover the MCP-skill fields for MCP-skill asks', () => {
		const parts = {
			input: { q: 'x' },
			mcp_server: { name: 'docs', source: 'project' },
			mcp_skill: { name: 'search', version: '1', uri: 'u' },
			description: 'Search',
			permission_suggestions: [],
		};
		const expected = sha256(
			'Skill#mcp_skill\0{"description":"Search","input":{"q":"x"},"mcp_server":{"name":"docs","source":"project"},' +
				'"mcp_skill":{"name":"search","uri":"u","version":"1"},"permission_suggestions":[]}',
		);
		expect(mcpSkillInputDigest('Skill', parts)).toBe(expected);
		const request = createPermissionRequest({
			agentName: 'w',
			toolName: 'Skill',
			toolUseId: 't',
			description: 'Search',
			input: { q: 'x' },
			mcp: { server: parts.mcp_server, skill: parts.mcp_skill },
		});
		expect(permissionRequestDigest(request)).toBe(expected);
	});

	it('keep __proto__ keys as data and refuse values without a JSON form', () => {
		const input = JSON.parse('{"__proto__":{"x":1},"a":1}') as Record<string, unknown>;
		expect(inputDigest('T', input)).toBe(sha256('T\0{"__proto__":{"x":1},"a":1}'));
		expect(({} as Record<string, unknown>)['x']).toBeUndefined();
		expect(() => inputDigest('T', undefined)).toThrow(/JSON-serialisable/);
		expect(() => inputDigest('T', { n: 1n })).toThrow(/JSON-serialisable/);
	});
});

describe('permission updates', () => {
	it('keep the valid items and drop the rest', () => {
		const good = [
			{
				type: 'addRules',
				rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }],
				behavior: 'allow',
				destination: 'localSettings',
			},
			{ type: 'setMode', mode: 'plan', destination: 'session' },
			{ type: 'removeDirectories', directories: ['/tmp'], destination: 'cliArg' },
		];
		const bad = [
			{ type: 'setMode', mode: 'fullAccess', destination: 'session' },
			{ type: 'addRules', rules: [], behavior: 'maybe', destination: 'session' },
			null,
			'x',
		];
		expect(validPermissionUpdates([...bad, ...good])).toEqual(good);
	});
});

describe('schemas folder', () => {
	it('matches what scripts/build-schemas.ts produces', async () => {
		expect(await diffSchemas()).toEqual([]);
	});

	it('is written completely and detects stale or leftover files', async () => {
		const dir = await mkdtemp(join(tmpdir(), 'frames-schemas-'));
		try {
			await writeFile(join(dir, 'gone.schema.json'), '{}');
			await writeSchemas(dir);
			expect((await readdir(dir)).sort()).toEqual([...renderSchemas().keys()].sort());
			expect(await diffSchemas(dir)).toEqual([]);
			await writeFile(join(dir, 'task_completed.schema.json'), '{}');
			await writeFile(join(dir, 'extra.schema.json'), '{}');
			expect((await diffSchemas(dir)).sort()).toEqual(['extra.schema.json', 'task_completed.schema.json']);
		} finally {
			await rm(dir, { recursive: true, force: true });
		}
	});
});
