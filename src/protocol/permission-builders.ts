/**
Builders for the permission frames (tool-call and sandbox asks and answers), re-exported by `frame-builders.ts`.
*/

import { permissionRequestDigest } from './digest.js';
import type {
	ApprovedRequest,
	McpServerInfo,
	McpSkillInfo,
	PermissionRequestFrame,
	PermissionRequestFrameInput,
	PermissionResponseFrame,
	PermissionUpdate,
	SandboxPermissionRequestFrame,
	SandboxPermissionResponseFrame,
} from './frames.js';
import { permissionRequestId, sandboxRequestId } from './ids.js';

/**
Drops undefined-valued keys so built frames compare field-for-field with what Claude Code writes; key order is kept.
@internal Shared with `frame-builders.ts`; not part of the public API.
*/
export function defined<T extends object>(frame: T): T {
	return Object.fromEntries(Object.entries(frame).filter(([, value]) => value !== undefined)) as T;
}

/** Options for {@link createPermissionRequest}. */
export interface PermissionRequestOptions {
	/** The worker's NAME (not `name@team`). Written to `agent_id`; Claude Code's lead drops the ask unless it equals the entry's `from`. */
	agentName: string;
	toolName: string;
	toolUseId: string;
	/** What the tool will do, for the person deciding. For an MCP skill, the skill summary. */
	description: string;
	input: Record<string, unknown>;
	permissionSuggestions?: readonly PermissionUpdate[];
	/** Marks the ask as an MCP-skill ask (`tool_kind: "mcp_skill"`). */
	mcp?: { server: McpServerInfo; skill: McpSkillInfo };
	/** Defaults to a fresh `perm-<ms>-<7 base36>` id. */
	requestId?: string;
}

/** A `permission_request` (worker → lead). `permission_suggestions` defaults to `[]`. */
export function createPermissionRequest(options: PermissionRequestOptions): PermissionRequestFrame {
	const { mcp } = options;
	return defined({
		type: 'permission_request',
		request_id: options.requestId ?? permissionRequestId(),
		agent_id: options.agentName,
		tool_name: options.toolName,
		tool_use_id: options.toolUseId,
		description: options.description,
		input: options.input,
		permission_suggestions: [...(options.permissionSuggestions ?? [])],
		tool_kind: mcp && ('mcp_skill' as const),
		mcp_server: mcp?.server,
		mcp_skill: mcp?.skill,
	});
}

/** The `approved_request` that binds an answer to `request`; the worker refuses the answer if its call differs. */
export function approvedRequestFor(request: PermissionRequestFrameInput): ApprovedRequest {
	return {
		tool_use_id: request.tool_use_id,
		tool_name: request.tool_name,
		input_digest: permissionRequestDigest(request),
	};
}

interface PermissionResponseBase {
	requestId: string;
	toolUseId?: string;
	/** Strongly recommended: see {@link approvedRequestFor}. Without it the answer is accepted "unbound". */
	approvedRequest?: ApprovedRequest;
}

/** Options for an allowing {@link createPermissionResponse}. */
export interface PermissionAllowOptions extends PermissionResponseBase {
	subtype: 'success';
	/** Replacement tool input. A worker ignores an empty object and runs its original input. */
	updatedInput?: Record<string, unknown>;
	permissionUpdates?: readonly PermissionUpdate[];
}

/** Options for a denying {@link createPermissionResponse}. */
export interface PermissionDenyOptions extends PermissionResponseBase {
	subtype: 'error';
	/** Feedback for the worker. Empty or missing becomes "Permission denied", as in Claude Code. */
	error?: string;
}

/** A `permission_response` (lead → worker): `success` allows the call, `error` denies it. */
export function createPermissionResponse(
	options: PermissionAllowOptions | PermissionDenyOptions,
): PermissionResponseFrame {
	const head = {
		type: 'permission_response' as const,
		request_id: options.requestId,
		subtype: options.subtype,
		tool_use_id: options.toolUseId,
		approved_request: options.approvedRequest,
	};
	if (options.subtype === 'error') {
		return defined({ ...head, subtype: 'error' as const, error: options.error || 'Permission denied' });
	}
	// `response` is always present, possibly empty: older workers read it without checking it exists.
	const updates = options.permissionUpdates && [...options.permissionUpdates];
	const response = defined({ updated_input: options.updatedInput, permission_updates: updates });
	return defined({ ...head, subtype: 'success' as const, response });
}

/** A `sandbox_permission_request` (worker → lead) for network access to `host`. */
export function createSandboxPermissionRequest(options: {
	/** The worker's agent id (`name@team`). */
	workerId: string;
	workerName: string;
	workerColor?: string;
	host: string;
	/** Defaults to a fresh `sandbox-<ms>-<7 base36>` id. */
	requestId?: string;
}): SandboxPermissionRequestFrame {
	const now = Date.now();
	return defined({
		type: 'sandbox_permission_request',
		requestId: options.requestId ?? sandboxRequestId(now),
		workerId: options.workerId,
		workerName: options.workerName,
		workerColor: options.workerColor,
		hostPattern: { host: options.host },
		createdAt: now,
	});
}

/** A `sandbox_permission_response` (lead → worker). `host` must echo the asked host or the worker treats it as deny. */
export function createSandboxPermissionResponse(options: {
	requestId: string;
	host: string;
	allow: boolean;
}): SandboxPermissionResponseFrame {
	const { requestId, host, allow } = options;
	return { type: 'sandbox_permission_response', requestId, host, allow, timestamp: new Date().toISOString() };
}
