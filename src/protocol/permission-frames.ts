/**
The permission frames: tool-call asks (`permission_request` / `permission_response`) and sandbox network asks
(`sandbox_permission_request` / `sandbox_permission_response`). Re-exported by `frames.ts`.

`permission_response` is the one frame with a schema on Claude Code's side: a union on `subtype` that strips unknown
keys. It is read the same way here, and written strictly (never with a key a receiver would strip).
*/

import { z } from 'zod';

// Claude Code writes `new Date().toISOString()` but never checks the format, so neither do readers here.
const timestamp = z.string();

/** The MCP server behind an MCP-skill permission ask. Claude Code writes `{name, source}` but requires neither. */
export const McpServerInfo = z.looseObject({ name: z.string().optional(), source: z.string().optional() });
/** The MCP server behind an MCP-skill permission ask. */
export type McpServerInfo = z.infer<typeof McpServerInfo>;

/** The MCP skill a worker asks to use. Only `name` and `version` are required, as in Claude Code 2.1.330. */
export const McpSkillInfo = z.looseObject({
	name: z.string(),
	version: z.string(),
	uri: z.string().optional(),
	server_description: z.string().optional(),
});
/** The MCP skill a worker asks to use. */
export type McpSkillInfo = z.infer<typeof McpSkillInfo>;

/**
Whether a permission ask is an MCP-skill ask, by Claude Code 2.1.330's rule: `tool_kind` is "mcp_skill", or an
`mcp_skill` object is present. Such asks are digested with their server, skill, description and suggestions.
*/
export function isMcpSkillRequest(request: { tool_kind?: unknown; mcp_skill?: unknown }): boolean {
	return request.tool_kind === 'mcp_skill' || request.mcp_skill !== undefined;
}

/** Worker → lead: may this tool call run? `agent_id` holds the worker's name, not its `name@team` id. */
export const PermissionRequestFrame = z
	.looseObject({
		type: z.literal('permission_request'),
		request_id: z.string(),
		agent_id: z.string(),
		tool_name: z.string(),
		tool_use_id: z.string(),
		description: z.string(),
		input: z.record(z.string(), z.unknown()),
		permission_suggestions: z.array(z.unknown()).default([]),
		// A kind this library does not know yet is kept, not refused: only "mcp_skill" changes how the ask is bound.
		tool_kind: z.string().optional(),
		mcp_server: McpServerInfo.optional(),
		mcp_skill: McpSkillInfo.optional(),
	})
	.superRefine((frame, ctx) => {
		// The skill's name and version are what a person is shown and what the digest pins; without them an
		// MCP-skill ask cannot be judged.
		if (frame.tool_kind === 'mcp_skill' && frame.mcp_skill === undefined) {
			ctx.addIssue({ code: 'custom', path: ['mcp_skill'], message: 'required when tool_kind is "mcp_skill"' });
		}
	});
/** Worker → lead: may this tool call run? */
export type PermissionRequestFrame = z.infer<typeof PermissionRequestFrame>;
/** A `permission_request` before defaults are applied (`permission_suggestions` may be missing). */
export type PermissionRequestFrameInput = z.input<typeof PermissionRequestFrame>;

/**
The `permission_response` schemas, built over an object kind: `z.object` for reading (Claude Code's schema strips
unknown keys, so a future field must not make a worker refuse an answer; the extra keys are dropped, never acted on)
and `z.strictObject` for writing (this library never writes a key a receiver would have to strip).
*/
function permissionResponseSchemas(object: typeof z.object | typeof z.strictObject) {
	const approvedRequest = object({ tool_use_id: z.string(), tool_name: z.string(), input_digest: z.string() });
	const success = object({
		type: z.literal('permission_response'),
		request_id: z.string().min(1),
		subtype: z.literal('success'),
		tool_use_id: z.string().optional(),
		approved_request: approvedRequest.optional(),
		response: object({
			updated_input: z.record(z.string(), z.unknown()).optional(),
			// Items are checked one by one on use (see `validPermissionUpdates`); a bad item does not void the frame.
			permission_updates: z.array(z.unknown()).optional(),
		}).optional(),
	});
	const error = object({
		type: z.literal('permission_response'),
		request_id: z.string().min(1),
		subtype: z.literal('error'),
		tool_use_id: z.string().optional(),
		approved_request: approvedRequest.optional(),
		error: z.string(),
	});
	return { approvedRequest, frame: z.discriminatedUnion('subtype', [success, error]) };
}

const lenientResponse = permissionResponseSchemas(z.object);
const strictResponse = permissionResponseSchemas(z.strictObject);

/** Binds a permission answer to one tool call: the worker refuses the answer if any field differs. */
export const ApprovedRequest = lenientResponse.approvedRequest;
/** Binds a permission answer to one tool call. */
export type ApprovedRequest = z.infer<typeof ApprovedRequest>;

/**
Lead → worker: the answer to a `permission_response`. `success` allows the call, `error` denies it. Reading strips
unknown keys (as Claude Code 2.1.330 does); `request_id` must be non-empty in both branches.
*/
export const PermissionResponseFrame = lenientResponse.frame;
/** Lead → worker: the answer to a `permission_request`. */
export type PermissionResponseFrame = z.infer<typeof PermissionResponseFrame>;
/** The same frame as written by this library: no keys beyond the schema's. */
export const StrictPermissionResponseFrame = strictResponse.frame;

/** Worker → lead: the sandbox blocked network access to a host; may it connect? */
export const SandboxPermissionRequestFrame = z.looseObject({
	type: z.literal('sandbox_permission_request'),
	requestId: z.string(),
	workerId: z.string(),
	workerName: z.string(),
	workerColor: z.string().optional(),
	// Claude Code's lead drops requests with an empty host, so one is never a valid frame.
	hostPattern: z.looseObject({ host: z.string().min(1) }),
	createdAt: z.number(),
});
/** Worker → lead: the sandbox blocked network access to a host. */
export type SandboxPermissionRequestFrame = z.infer<typeof SandboxPermissionRequestFrame>;

/** Lead → worker: the answer to a `sandbox_permission_request`. */
export const SandboxPermissionResponseFrame = z.looseObject({
	type: z.literal('sandbox_permission_response'),
	requestId: z.string(),
	host: z.string(),
	allow: z.boolean(),
	timestamp,
});
/** Lead → worker: the answer to a `sandbox_permission_request`. */
export type SandboxPermissionResponseFrame = z.infer<typeof SandboxPermissionResponseFrame>;
