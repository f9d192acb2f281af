/**
Turning an inbox entry's `text` into a frame and back. Reading never throws: a peer's malformed frame is data to
report, not a crash. Writing validates first, so this library never puts a frame on disk that a Claude Code
receiver would drop.
*/

import { errors, type MailboxError } from '../errors.js';
import {
	type Frame,
	type FrameInput,
	type FrameType,
	frameSchemas,
	frameTypes,
	StrictPermissionResponseFrame,
} from './frames.js';

/** One reason a frame failed its schema. `path` is dotted (`response.updated_input`), empty for the frame itself. */
export interface FrameIssue {
	path: string;
	message: string;
}

/** What an entry's `text` holds: a valid frame, plain text, or a frame of a known type that fails its schema. */
export type ParsedText =
	| { kind: 'frame'; frame: Frame }
	| { kind: 'text'; text: string }
	| { kind: 'invalid'; type: FrameType; issues: FrameIssue[] };

// Structural view shared by all zod issues; avoids depending on zod's internal issue union.
interface ZodIssueLike {
	code: string;
	path: PropertyKey[];
	message: string;
	expected?: unknown;
	origin?: string;
	minimum?: unknown;
	values?: readonly unknown[];
	options?: readonly unknown[];
	keys?: readonly string[];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` names a frame type this library has a schema for. */
export function isFrameType(value: unknown): value is FrameType {
	// hasOwn, so inherited names such as "constructor" or "__proto__" are not mistaken for frame types.
	return typeof value === 'string' && Object.hasOwn(frameSchemas, value);
}

function readJsonObject(text: string): Record<string, unknown> | undefined {
	// Most entries are prose; skip the parse attempt unless the text could be an object.
	if (!text.trimStart().startsWith('{')) return undefined;
	try {
		const value: unknown = JSON.parse(text);
		return isPlainObject(value) ? value : undefined;
	} catch {
		return undefined;
	}
}

/**
The JSON `type` of a text that is a JSON object with a string `type`, known to this library or not; otherwise
undefined. Use it with `reservedTextTypes` to refuse plain messages that would pass for system frames.
*/
export function frameTypeOf(text: string): string | undefined {
	const type = readJsonObject(text)?.['type'];
	return typeof type === 'string' ? type : undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
	return path.map(String).join('.');
}

function parseAs(type: FrameType, value: unknown) {
	// Widened once here: each schema accepts unknown input, and the caller keys the result by `type`.
	const schema = frameSchemas[type] as {
		safeParse(value: unknown): ReturnType<(typeof frameSchemas)[FrameType]['safeParse']>;
	};
	return schema.safeParse(value);
}

/**
Classifies an entry's `text`. Never throws.
- `frame`: JSON with a known `type` that passes its schema; defaults are applied and unknown keys kept.
- `invalid`: JSON with a known `type` that fails its schema. Claude Code drops such frames; so should callers.
- `text`: anything else, including JSON whose `type` is missing or unknown to this library.
*/
export function parseFrame(text: string): ParsedText {
	const json = readJsonObject(text);
	const type = json?.['type'];
	if (json === undefined || !isFrameType(type)) return { kind: 'text', text };
	const result = parseAs(type, json);
	if (result.success) return { kind: 'frame', frame: keepToolInputs(result.data as Frame, json) };
	const issues = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
	return { kind: 'invalid', type, issues };
}

/**
zod copies objects key by key, and an own `__proto__` key (legal in JSON) does not survive the copy. Tool inputs are
digested and handed back to the tool, so they must stay exactly as sent: put the sender's objects back.
*/
function keepToolInputs(frame: Frame, json: Record<string, unknown>): Frame {
	const isObject = (value: unknown): value is Record<string, unknown> =>
		typeof value === 'object' && value !== null && !Array.isArray(value);
	if (frame.type === 'permission_request' && isObject(json['input'])) frame.input = json['input'];
	if (frame.type === 'permission_response' && frame.subtype === 'success' && frame.response) {
		const sent = (json['response'] as Record<string, unknown> | undefined)?.['updated_input'];
		if (isObject(sent)) frame.response.updated_input = sent;
	}
	return frame;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
	let value = root;
	for (const key of path) {
		if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
		value = (value as Record<PropertyKey, unknown>)[key];
	}
	return value;
}

function withArticle(noun: string): string {
	return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function issueError(type: FrameType, frame: unknown, issue: ZodIssueLike): MailboxError {
	const what = ['frame', ...issue.path].map(String).join('.');
	const received = valueAt(frame, issue.path);
	switch (issue.code) {
		case 'invalid_type':
			return errors.invalidArgument(what, withArticle(String(issue.expected)), received);
		case 'too_small':
			if (issue.origin === 'string') {
				return errors.invalidArgument(what, `a string of at least ${String(issue.minimum)} character(s)`, received);
			}
			break;
		case 'invalid_value':
		case 'invalid_union': {
			const allowed = issue.values ?? issue.options;
			if (allowed === undefined) break;
			return errors.invalidArgument(what, `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, received);
		}
		case 'unrecognized_keys': {
			const key = issue.keys?.[0] ?? '';
			const extra = valueAt(frame, [...issue.path, key]);
			return errors.invalidArgument(`${what}.${key}`, `absent (${type} frames allow no extra keys)`, extra);
		}
	}
	return errors.invalidArgument(what, `valid (${issue.message})`, received);
}

/**
Validates a frame and serialises it as compact JSON, ready for an entry's `text`. Defaults are applied first
(for example `permission_suggestions: []`), and keys stay in the order the schema lists them.
@throws {MailboxError} `INVALID_ARGUMENT` naming the first offending field, when the frame fails its schema.
*/
export function encodeFrame(frame: FrameInput): string {
	const input: unknown = frame;
	if (!isPlainObject(input)) throw errors.invalidArgument('frame', 'a frame object', input);
	const type = input['type'];
	if (!isFrameType(type)) throw errors.invalidArgument('frame.type', `one of ${frameTypes.join(', ')}`, type);
	// Written strictly: a key Claude Code's schema would strip is a caller's mistake, not something to send.
	const result = type === 'permission_response' ? StrictPermissionResponseFrame.safeParse(input) : parseAs(type, input);
	if (!result.success) throw issueError(type, input, result.error.issues[0] as ZodIssueLike);
	return JSON.stringify(result.data);
}
