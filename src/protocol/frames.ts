/**
Schemas for the structured frames Claude Code 2.1.330 carries as compact JSON in an inbox entry's `text`.

Frames are loose objects: unknown keys are accepted and kept, because peers add fields between versions and a
reader that rejected them would strand the sender. `permission_response` is the exception: Claude Code validates it
with a union that strips unknown keys, so it is read that way here (extra keys dropped) and written strictly.
Field names mix snake_case (the permission pair) and camelCase (everything else) exactly as on the wire.
*/

import { z } from 'zod';
import {
	PermissionRequestFrame,
	PermissionResponseFrame,
	SandboxPermissionRequestFrame,
	SandboxPermissionResponseFrame,
} from './permission-frames.js';
import {
	PermissionBehavior,
	PermissionMode,
	PermissionRuleValue,
	PermissionUpdateDestination,
	WirePermissionMode,
} from './permissions.js';

export * from './permission-frames.js';
export * from './permissions.js';

// An ISO string by convention; Claude Code never checks the format, so readers here do not either.
const timestamp = z.string();

/** Why a teammate went idle. */
export const IdleReason = z.enum(['available', 'interrupted', 'failed']);
/** Why a teammate went idle. */
export type IdleReason = z.infer<typeof IdleReason>;

/** How the task a teammate just finished ended. */
export const CompletedStatus = z.enum(['resolved', 'blocked', 'failed']);
/** How the task a teammate just finished ended. */
export type CompletedStatus = z.infer<typeof CompletedStatus>;

/**
Teammate → lead: the teammate's turn ended. Length limits on `failureReason` and `result` are applied by the
sender (see `createIdleNotification`), not enforced on read, so an over-long frame from a peer still parses.
*/
export const IdleNotificationFrame = z.looseObject({
	type: z.literal('idle_notification'),
	from: z.string(),
	timestamp,
	idleReason: IdleReason.optional(),
	summary: z.string().optional(),
	completedTaskId: z.string().optional(),
	completedStatus: CompletedStatus.optional(),
	failureReason: z.string().optional(),
	result: z.string().optional(),
});
/** Teammate → lead: the teammate's turn ended. */
export type IdleNotificationFrame = z.infer<typeof IdleNotificationFrame>;

/** Lead → teammate: please shut down. */
export const ShutdownRequestFrame = z.looseObject({
	type: z.literal('shutdown_request'),
	requestId: z.string(),
	from: z.string(),
	reason: z.string().optional(),
	timestamp,
});
/** Lead → teammate: please shut down. */
export type ShutdownRequestFrame = z.infer<typeof ShutdownRequestFrame>;

/** Teammate → lead: shutting down now. `paneId` and `backendType` let the lead close the pane. */
export const ShutdownApprovedFrame = z.looseObject({
	type: z.literal('shutdown_approved'),
	requestId: z.string(),
	from: z.string(),
	timestamp,
	paneId: z.string().optional(),
	backendType: z.string().optional(),
});
/** Teammate → lead: shutting down now. */
export type ShutdownApprovedFrame = z.infer<typeof ShutdownApprovedFrame>;

/** Teammate → lead: declining to shut down, with a reason. */
export const ShutdownRejectedFrame = z.looseObject({
	type: z.literal('shutdown_rejected'),
	requestId: z.string(),
	from: z.string(),
	reason: z.string(),
	timestamp,
});
/** Teammate → lead: declining to shut down. */
export type ShutdownRejectedFrame = z.infer<typeof ShutdownRejectedFrame>;

/** Teammate → lead: a plan written in plan mode, awaiting approval. */
export const PlanApprovalRequestFrame = z.looseObject({
	type: z.literal('plan_approval_request'),
	from: z.string(),
	timestamp,
	planFilePath: z.string(),
	planContent: z.string(),
	requestId: z.string(),
});
/** Teammate → lead: a plan awaiting approval. */
export type PlanApprovalRequestFrame = z.infer<typeof PlanApprovalRequestFrame>;

/** Lead → teammate: the verdict on a plan. `planDigest` is the SHA-256 hex of the plan the lead saw. */
export const PlanApprovalResponseFrame = z.looseObject({
	type: z.literal('plan_approval_response'),
	requestId: z.string(),
	approved: z.boolean(),
	feedback: z.string().optional(),
	timestamp,
	permissionMode: WirePermissionMode.optional(),
	planDigest: z.string().optional(),
});
/** Lead → teammate: the verdict on a plan. */
export type PlanApprovalResponseFrame = z.infer<typeof PlanApprovalResponseFrame>;

/** Assigner → new owner: a task now belongs to the recipient. */
export const TaskAssignmentFrame = z.looseObject({
	type: z.literal('task_assignment'),
	taskId: z.string(),
	subject: z.string(),
	description: z.string(),
	assignedBy: z.string(),
	timestamp,
});
/** Assigner → new owner: a task now belongs to the recipient. */
export type TaskAssignmentFrame = z.infer<typeof TaskAssignmentFrame>;

/** A task finished. Claude Code has the schema but no sender. */
export const TaskCompletedFrame = z.looseObject({
	type: z.literal('task_completed'),
	from: z.string().optional(),
	taskId: z.string(),
	taskSubject: z.string().optional(),
	timestamp: timestamp.optional(),
});
/** A task finished. */
export type TaskCompletedFrame = z.infer<typeof TaskCompletedFrame>;

/** Legacy lead → teammate mode change. Claude Code 2.1.330 refuses it on receipt; recognise it, never obey it. */
export const ModeSetRequestFrame = z.looseObject({
	type: z.literal('mode_set_request'),
	mode: PermissionMode,
	from: z.string(),
});
/** Legacy lead → teammate mode change; refuse on receipt. */
export type ModeSetRequestFrame = z.infer<typeof ModeSetRequestFrame>;

/** Legacy lead → teammates rule push. Claude Code 2.1.330 refuses it on receipt; recognise it, never obey it. */
export const TeamPermissionUpdateFrame = z.looseObject({
	type: z.literal('team_permission_update'),
	permissionUpdate: z.looseObject({
		type: z.literal('addRules'),
		rules: z.array(PermissionRuleValue),
		behavior: PermissionBehavior,
		destination: PermissionUpdateDestination,
	}),
	directoryPath: z.string(),
	toolName: z.string(),
});
/** Legacy lead → teammates rule push; refuse on receipt. */
export type TeamPermissionUpdateFrame = z.infer<typeof TeamPermissionUpdateFrame>;

/** Every frame schema, keyed by the frame's `type`. */
export const frameSchemas = {
	permission_request: PermissionRequestFrame,
	permission_response: PermissionResponseFrame,
	sandbox_permission_request: SandboxPermissionRequestFrame,
	sandbox_permission_response: SandboxPermissionResponseFrame,
	idle_notification: IdleNotificationFrame,
	shutdown_request: ShutdownRequestFrame,
	shutdown_approved: ShutdownApprovedFrame,
	shutdown_rejected: ShutdownRejectedFrame,
	plan_approval_request: PlanApprovalRequestFrame,
	plan_approval_response: PlanApprovalResponseFrame,
	task_assignment: TaskAssignmentFrame,
	task_completed: TaskCompletedFrame,
	mode_set_request: ModeSetRequestFrame,
	team_permission_update: TeamPermissionUpdateFrame,
} as const;

/** The `type` of a structured frame. */
export type FrameType = keyof typeof frameSchemas;
/** The parsed frame of one type. */
export type FrameOf<T extends FrameType> = z.infer<(typeof frameSchemas)[T]>;
/** What a caller may pass to be encoded as a frame of one type (defaults not yet applied). */
export type FrameInputOf<T extends FrameType> = z.input<(typeof frameSchemas)[T]>;
/** Any parsed frame; narrow it with `frame.type`. */
export type Frame = { [T in FrameType]: FrameOf<T> }[FrameType];
/** Any frame a caller may encode. */
export type FrameInput = { [T in FrameType]: FrameInputOf<T> }[FrameType];

/** Every frame type, in `frameSchemas` order. */
export const frameTypes = Object.keys(frameSchemas) as FrameType[];

/**
The types Claude Code routes to protocol handlers instead of the model. `shutdown_response` is listed although it
is only ever a SendMessage tool input, never a file frame.
*/
export const protocolFrameTypes: ReadonlySet<string> = new Set([
	'permission_request',
	'permission_response',
	'sandbox_permission_request',
	'sandbox_permission_response',
	'shutdown_request',
	'shutdown_response',
	'shutdown_approved',
	'team_permission_update',
	'mode_set_request',
	'plan_approval_request',
	'plan_approval_response',
]);

/** JSON `type` values a plain-text message must not carry, or a receiver would mistake it for a system frame. */
export const reservedTextTypes: ReadonlySet<string> = new Set([
	...protocolFrameTypes,
	'idle_notification',
	'teammate_terminated',
	'task_assignment',
	'task_completed',
	'shutdown_rejected',
]);
