/**
The Claude side's answer to a permission check, as the Agent SDK's `canUseTool` and the CLI's
`--permission-prompt-tool` both expect it, built from a Worker's {@link PermissionOutcome}. Typed structurally so the
package never depends on the SDK.
*/

import type { PermissionUpdate } from '../protocol/frames.js';
import type { PermissionOutcome } from '../worker/responses.js';

/** A deny outcome of `Worker.requestPermission` (its `reason` says whether a person denied or nobody answered). */
export type DenyOutcome = Extract<PermissionOutcome, { behavior: 'deny' }>;

/**
The Agent SDK's `PermissionResult`. Allow always carries `updatedInput` (the CLI has required it at run time although
the SDK's type marks it optional), and `updatedPermissions` only when the lead sent some.
*/
export type PermissionResult =
	| {
			behavior: 'allow';
			updatedInput: Record<string, unknown>;
			updatedPermissions?: PermissionUpdate[];
			toolUseID?: string;
	  }
	| { behavior: 'deny'; message: string; interrupt?: boolean; toolUseID?: string };

/** Whether a deny should also stop the whole session: a fixed answer, or one per outcome. */
export type InterruptOption = boolean | ((outcome: DenyOutcome) => boolean);

/** Options of {@link toPermissionResult}. */
export interface PermissionResultOptions {
	/** Echoed as `toolUseID`, for hosts that match results to calls. @default omitted */
	toolUseID?: string | undefined;
	/** Set `interrupt: true` on a deny, which ends the agent's turn instead of letting it try something else. @default false */
	interrupt?: InterruptOption | undefined;
}

/** The SDK-shaped result for a Worker's outcome; pure. */
export function toPermissionResult(
	outcome: PermissionOutcome,
	options: PermissionResultOptions = {},
): PermissionResult {
	const { toolUseID, interrupt = false } = options;
	const echo = toolUseID === undefined ? {} : { toolUseID };
	if (outcome.behavior === 'allow') {
		const updates = outcome.permissionUpdates.length > 0 ? { updatedPermissions: outcome.permissionUpdates } : {};
		return { behavior: 'allow', updatedInput: outcome.updatedInput, ...updates, ...echo };
	}
	const stop = typeof interrupt === 'function' ? interrupt(outcome) : interrupt;
	return { behavior: 'deny', message: outcome.message, ...(stop ? { interrupt: true } : {}), ...echo };
}
