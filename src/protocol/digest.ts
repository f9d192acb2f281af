/**
Digests that bind an answer to the exact request it answers. A worker compares them before acting on a
`permission_response` or `plan_approval_response`, so they must match Claude Code's byte for byte.
*/

import { createHash } from 'node:crypto';
import { errors } from '../errors.js';
import { isMcpSkillRequest, type PermissionRequestFrameInput } from './permission-frames.js';

/**
The deepest level whose objects get their keys sorted. The top-level value is level 0 and every object or array
entered adds one, so objects at levels 0 to 32 are sorted, as Claude Code 2.1.330 does (its walk stops only past
level 32). Anything deeper is left exactly as the JSON round-trip produced it (keys in their original order), not
truncated or rejected: such inputs still digest the same on both sides.
*/
export const SORT_DEPTH_LIMIT = 32;

/** SHA-256 of a string's UTF-8 bytes, as lowercase hex. */
export function sha256Hex(text: string): string {
	return createHash('sha256').update(text, 'utf8').digest('hex');
}

function sortKeys(value: unknown, depth: number): unknown {
	if (depth > SORT_DEPTH_LIMIT || value === null || typeof value !== 'object') return value;
	if (Array.isArray(value)) return value.map((item) => sortKeys(item, depth + 1));
	const record = value as Record<string, unknown>;
	// fromEntries defines own data properties, so a "__proto__" key stays a key instead of replacing the prototype.
	// Integer-like keys still serialise first in numeric order: that is how JSON.stringify walks any plain object.
	return Object.fromEntries(
		Object.keys(record)
			.sort()
			.map((key) => [key, sortKeys(record[key], depth + 1)]),
	);
}

/**
The canonical JSON used by digests: a JSON round-trip (so `toJSON`, `undefined` and non-finite numbers behave as
they do on the wire), then object keys sorted recursively up to `SORT_DEPTH_LIMIT`; arrays keep their order.
@throws {MailboxError} `INVALID_ARGUMENT` when the value has no JSON form (undefined, a function, a BigInt, a cycle).
*/
export function canonicalJson(value: unknown): string {
	let roundTripped: string | undefined;
	try {
		roundTripped = JSON.stringify(value);
	} catch {
		roundTripped = undefined;
	}
	if (roundTripped === undefined) throw errors.invalidArgument('input', 'a JSON-serialisable value', value);
	return JSON.stringify(sortKeys(JSON.parse(roundTripped), 0));
}

/** The `input_digest` of a tool call: SHA-256 hex of `toolName + "\0" + canonicalJson(input)`. */
export function inputDigest(toolName: string, input: unknown): string {
	return sha256Hex(toolName + '\0' + canonicalJson(input));
}

/** The parts of an MCP-skill permission ask that its digest covers. */
export interface McpSkillDigestParts {
	input: unknown;
	mcp_server?: unknown;
	mcp_skill?: unknown;
	description: string;
	permission_suggestions: readonly unknown[];
}

/**
The `input_digest` of an MCP-skill ask. It covers the server, skill, description and suggestions as well as the
input, so a lead's approval cannot be replayed against a different skill that takes the same arguments.
*/
export function mcpSkillInputDigest(toolName: string, parts: McpSkillDigestParts): string {
	const { input, mcp_server, mcp_skill, description, permission_suggestions } = parts;
	return inputDigest(`${toolName}#mcp_skill`, { input, mcp_server, mcp_skill, description, permission_suggestions });
}

/** The `input_digest` a `permission_response` must carry to approve this request, whichever kind of ask it is. */
export function permissionRequestDigest(request: PermissionRequestFrameInput): string {
	if (isMcpSkillRequest(request)) {
		// The worker digests its own copy, where missing suggestions are already [].
		const permission_suggestions = request.permission_suggestions ?? [];
		return mcpSkillInputDigest(request.tool_name, { ...request, permission_suggestions });
	}
	return inputDigest(request.tool_name, request.input);
}

/** The `planDigest` of a plan: SHA-256 hex of its text. */
export function planDigest(planContent: string): string {
	return sha256Hex(planContent);
}
