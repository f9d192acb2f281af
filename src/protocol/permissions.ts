/**
Permission vocabulary shared by the Agent SDK and the mailbox: permission modes and the `PermissionUpdate` union
that a `permission_response` carries in `response.permission_updates`.
*/

import { z } from 'zod';

/** A session permission mode, as the Agent SDK and Claude Code name them. */
export const PermissionMode = z.enum(['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk', 'auto']);
/** A session permission mode, as the Agent SDK and Claude Code name them. */
export type PermissionMode = z.infer<typeof PermissionMode>;

/**
A permission mode as read from a frame: Claude Code 2.1.330 reads "manual" as "default" (in a plan approval's
`permissionMode` and in `setMode` updates), so it parses here as "default" instead of failing the frame.
*/
export const WirePermissionMode = z
	.enum([...PermissionMode.options, 'manual'])
	.transform((mode): PermissionMode => (mode === 'manual' ? 'default' : mode));

/** Where a permission update is stored. `session` updates are never persisted. */
export const PermissionUpdateDestination = z.enum([
	'userSettings',
	'projectSettings',
	'localSettings',
	'session',
	'cliArg',
]);
/** Where a permission update is stored. `session` updates are never persisted. */
export type PermissionUpdateDestination = z.infer<typeof PermissionUpdateDestination>;

/** What a permission rule does when it matches. */
export const PermissionBehavior = z.enum(['allow', 'deny', 'ask']);
/** What a permission rule does when it matches. */
export type PermissionBehavior = z.infer<typeof PermissionBehavior>;

/** One rule: a tool name plus optional content, as in the settings syntax `ToolName(content)`. */
export const PermissionRuleValue = z.looseObject({ toolName: z.string(), ruleContent: z.string().optional() });
/** One rule: a tool name plus optional content, as in the settings syntax `ToolName(content)`. */
export type PermissionRuleValue = z.infer<typeof PermissionRuleValue>;

const rulesUpdate = z.looseObject({
	type: z.enum(['addRules', 'replaceRules', 'removeRules']),
	rules: z.array(PermissionRuleValue),
	behavior: PermissionBehavior,
	destination: PermissionUpdateDestination,
});

const setModeUpdate = z.looseObject({
	type: z.literal('setMode'),
	mode: WirePermissionMode,
	destination: PermissionUpdateDestination,
});

const directoriesUpdate = z.looseObject({
	type: z.enum(['addDirectories', 'removeDirectories']),
	directories: z.array(z.string()),
	destination: PermissionUpdateDestination,
});

/** A change to permission rules, the permission mode, or the allowed directories. */
export const PermissionUpdate = z.discriminatedUnion('type', [rulesUpdate, setModeUpdate, directoriesUpdate]);
/** A change to permission rules, the permission mode, or the allowed directories. */
export type PermissionUpdate = z.infer<typeof PermissionUpdate>;

/**
Keeps the items that are valid `PermissionUpdate`s and drops the rest, which is what a Claude Code worker does with
`permission_updates`: one bad item must not cost the others.
*/
export function validPermissionUpdates(items: readonly unknown[]): PermissionUpdate[] {
	const valid: PermissionUpdate[] = [];
	for (const item of items) {
		const result = PermissionUpdate.safeParse(item);
		if (result.success) valid.push(result.data);
	}
	return valid;
}
