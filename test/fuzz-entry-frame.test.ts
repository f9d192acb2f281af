/**
Property tests of entry validation and frame parsing on hostile values: the entry schema agrees with an independent
reading of the 2.1.330 rules, frame parsing never throws, and nothing leaks onto Object.prototype.
*/
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEntry, describeInvalid, isValidEntry } from '../src/inbox/entry.js';
import { encodeFrame, frameTypeOf, isFrameType, parseFrame } from '../src/protocol/frame-codec.js';
import { check, fuzzOptions } from './helpers/fuzz.js';
import { anyString, codeUnit, deepText, hostileKey, jsonText, shallowEntryText } from './helpers/inbox-arbitraries.js';

/** The 2.1.330 entry rules, written from the reference: a plain object, three string fields, four optional strings, an optional boolean. */
function referenceIsValid(value: unknown): boolean {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const record = value as Record<string, unknown>;
	if (!['from', 'text', 'timestamp'].every((key) => typeof record[key] === 'string')) return false;
	if (record['read'] !== undefined && typeof record['read'] !== 'boolean') return false;
	return ['type', 'color', 'summary', 'from_plugin'].every(
		(key) => record[key] === undefined || typeof record[key] === 'string',
	);
}

/** Render pairs as a JSON object text, so `__proto__` stays an own data key. */
function objectText(pairs: [string, string][]): string {
	return `{${pairs.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
}

const anyValueText = fc.oneof(
	{ weight: 10, arbitrary: jsonText },
	{ weight: 1, arbitrary: fc.constant(deepText(100_000)) },
);

/** A pairs list with one key set to another value, one key removed, or a hostile key added. */
function mutated(pairs: [string, string][]): fc.Arbitrary<[string, string][]> {
	const keys = pairs.map(([key]) => key);
	return fc.oneof(
		fc
			.tuple(fc.constantFrom(...keys), anyValueText)
			.map(([key, value]) => pairs.map(([k, v]): [string, string] => [k, k === key ? value : v])),
		fc.constantFrom(...keys).map((key) => pairs.filter(([k]) => k !== key)),
		fc.tuple(hostileKey, anyValueText).map((extra) => [...pairs, extra]),
	);
}

const entryValueText = fc.oneof(
	shallowEntryText,
	shallowEntryText
		.chain((text) => mutated(Object.entries(JSON.parse(text)).map(([k, v]) => [k, JSON.stringify(v)])))
		.map(objectText),
	jsonText,
);

// A valid example of every frame type; mutations of them explore the schema edges.
const validFrames: Record<string, unknown>[] = [
	{
		type: 'permission_request',
		request_id: 'perm-1-abcdefg',
		agent_id: 'w',
		tool_name: 'Bash',
		tool_use_id: 't',
		description: 'd',
		input: { command: 'ls' },
		permission_suggestions: [],
	},
	{
		type: 'permission_response',
		request_id: 'perm-1',
		subtype: 'success',
		response: { updated_input: {}, permission_updates: [] },
	},
	{ type: 'permission_response', request_id: 'perm-1', subtype: 'error', error: 'Permission denied' },
	{
		type: 'sandbox_permission_request',
		requestId: 's',
		workerId: 'w@t',
		workerName: 'w',
		hostPattern: { host: 'example.com' },
		createdAt: 1,
	},
	{ type: 'sandbox_permission_response', requestId: 's', host: 'example.com', allow: true, timestamp: 't' },
	{ type: 'idle_notification', from: 'w', timestamp: 't', idleReason: 'available' },
	{ type: 'shutdown_request', requestId: 'shutdown-1@w', from: 'team-lead', timestamp: 't' },
	{ type: 'shutdown_approved', requestId: 'shutdown-1@w', from: 'w', timestamp: 't' },
	{ type: 'shutdown_rejected', requestId: 'shutdown-1@w', from: 'w', reason: 'busy', timestamp: 't' },
	{ type: 'plan_approval_request', from: 'w', timestamp: 't', planFilePath: '/p', planContent: 'plan', requestId: 'r' },
	{ type: 'plan_approval_response', requestId: 'r', approved: true, timestamp: 't', permissionMode: 'default' },
	{ type: 'task_assignment', taskId: '1', subject: 's', description: 'd', assignedBy: 'team-lead', timestamp: 't' },
	{ type: 'task_completed', taskId: '1' },
	{ type: 'mode_set_request', mode: 'plan', from: 'team-lead' },
	{
		type: 'team_permission_update',
		permissionUpdate: { type: 'addRules', rules: [{ toolName: 'Bash' }], behavior: 'allow', destination: 'session' },
		directoryPath: '/',
		toolName: 'Bash',
	},
];

const frameText = fc.oneof(
	fc.constantFrom(...validFrames).map((frame) => JSON.stringify(frame)),
	fc
		.constantFrom(...validFrames)
		.chain((frame) => mutated(Object.entries(frame).map(([k, v]) => [k, JSON.stringify(v)])))
		.map(objectText),
	fc.tuple(fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'), jsonText).map(([type, rest]) =>
		objectText([
			['type', JSON.stringify(type)],
			['x', rest],
		]),
	),
	fc.string({ unit: codeUnit, maxLength: 100 }),
	jsonText,
);

let prototypeKeys: string[];
beforeAll(() => {
	prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
});
afterAll(() => {
	// Nothing parsed above may have added to the shared prototype.
	expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
});

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

describe('entry and frame fuzzing', () => {
	it('the entry schema agrees with the reference rules on arbitrary values, and reporting never throws', async () => {
		await check(
			fc.property(entryValueText, (text) => {
				const value: unknown = JSON.parse(text);
				expect(isValidEntry(value)).toBe(referenceIsValid(value));
				expect(describeInvalid(value) === 'valid').toBe(referenceIsValid(value));
			}),
			fuzzOptions(400),
		);
	});

	it('buildEntry never throws, and what it builds is a valid entry carrying the given fields', async () => {
		const input = fc.oneof(
			fc.record({ from: anyString, text: anyString }, { requiredKeys: [] }),
			fc.record({ from: anyString, text: anyString, summary: anyString, color: anyString, msg_id: fc.uuid() }),
			fc.anything(),
		);
		await check(
			fc.property(input, (value) => {
				const built = buildEntry(value as Parameters<typeof buildEntry>[0]);
				if (!built.ok) return;
				expect(isValidEntry(built.entry)).toBe(true);
				const given = value as Record<string, unknown>;
				expect([built.entry.from, built.entry.text]).toEqual([given['from'], given['text']]);
			}),
			fuzzOptions(300),
		);
	});

	it('parseFrame never throws and classifies by the own `type` key; a parsed frame re-encodes to itself', async () => {
		await check(
			fc.property(frameText, (text) => {
				const parsed = parseFrame(text);
				frameTypeOf(text);
				const json = parseJson(text);
				const type =
					typeof json === 'object' && json !== null && !Array.isArray(json)
						? Object.getOwnPropertyDescriptor(json, 'type')?.value
						: undefined;
				const known = text.trimStart().startsWith('{') && isFrameType(type);
				expect(parsed.kind === 'text').toBe(!known);
				if (parsed.kind === 'invalid') expect(parsed.type).toBe(type);
				if (parsed.kind !== 'frame') return;
				expect(parsed.frame.type).toBe(type);
				if (text.length > 100_000) return; // a 100k-deep extra key is beyond JSON.stringify, and so beyond encodeFrame
				const again = parseFrame(encodeFrame(parsed.frame));
				expect(again.kind === 'frame' && again.frame.type).toBe(type);
			}),
			fuzzOptions(400),
		);
		for (const frame of validFrames) expect(parseFrame(JSON.stringify(frame)).kind).toBe('frame');
	});
});
