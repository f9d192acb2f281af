/**
Typed builders for the frames this library sends. They take camelCase options, emit the exact wire field names,
and fill in what Claude Code fills in itself: request ids, ISO timestamps, `createdAt`, and defaults. They return
frame objects; pass one to `encodeFrame` to get an entry's `text`.
*/

import { errors } from '../errors.js';
import { planDigest } from './digest.js';
import type {
	CompletedStatus,
	IdleNotificationFrame,
	IdleReason,
	PermissionMode,
	PlanApprovalRequestFrame,
	PlanApprovalResponseFrame,
	ShutdownApprovedFrame,
	ShutdownRejectedFrame,
	ShutdownRequestFrame,
	TaskAssignmentFrame,
} from './frames.js';
import { planApprovalRequestId, shutdownRequestId } from './ids.js';
import { defined } from './permission-builders.js';

export {
	approvedRequestFor,
	createPermissionRequest,
	createPermissionResponse,
	createSandboxPermissionRequest,
	createSandboxPermissionResponse,
	type PermissionAllowOptions,
	type PermissionDenyOptions,
	type PermissionRequestOptions,
} from './permission-builders.js';

/** Longest `failureReason` Claude Code sends in an `idle_notification`. */
export const FAILURE_REASON_LIMIT = 200;
/** Longest `result` Claude Code sends in an `idle_notification`, marker included. */
export const RESULT_LIMIT = 4000;
/** Appended to an `idle_notification` result that had to be cut. */
export const RESULT_TRUNCATION_MARKER = '[result truncated — ask the agent for the rest via SendMessage]';

function cut(text: string, max: number): string {
	if (text.length <= max) return text;
	const head = text.slice(0, max);
	// Never leave half a surrogate pair behind: it would serialise as a lone \ud8xx escape.
	return /[\ud800-\udbff]$/.test(head) ? head.slice(0, -1) : head;
}

/** A `shutdown_request` (lead → teammate), with id `shutdown-<ms>@<target>`. */
export function createShutdownRequest(options: {
	/** The teammate's name. */
	target: string;
	/** The lead's name; defaults to "team-lead". */
	from?: string;
	reason?: string;
}): ShutdownRequestFrame {
	const now = Date.now();
	return defined({
		type: 'shutdown_request',
		requestId: shutdownRequestId(options.target, now),
		from: options.from ?? 'team-lead',
		reason: options.reason,
		timestamp: new Date(now).toISOString(),
	});
}

/** A `shutdown_approved` (teammate → lead). Include `paneId` and `backendType` so the lead can close the pane. */
export function createShutdownApproved(options: {
	requestId: string;
	from: string;
	paneId?: string;
	backendType?: string;
}): ShutdownApprovedFrame {
	const { requestId, from, paneId, backendType } = options;
	return defined({
		type: 'shutdown_approved',
		requestId,
		from,
		timestamp: new Date().toISOString(),
		paneId,
		backendType,
	});
}

/**
A `shutdown_rejected` (teammate → lead).
@throws {MailboxError} `INVALID_ARGUMENT` when `reason` is empty: Claude Code requires a reason to decline.
*/
export function createShutdownRejected(options: {
	requestId: string;
	from: string;
	reason: string;
}): ShutdownRejectedFrame {
	const { requestId, from, reason } = options;
	if (typeof reason !== 'string' || reason === '') {
		throw errors.invalidArgument('reason', 'a non-empty string (declining a shutdown needs a reason)', reason);
	}
	return { type: 'shutdown_rejected', requestId, from, reason, timestamp: new Date().toISOString() };
}

/** A `plan_approval_request` (teammate → lead), with id `plan_approval-<ms>@<from>@<team or "default">`. */
export function createPlanApprovalRequest(options: {
	/** The teammate's name. */
	from: string;
	/** The team name in the id; empty or missing becomes "default". */
	teamName?: string;
	planFilePath: string;
	planContent: string;
}): PlanApprovalRequestFrame {
	const now = Date.now();
	return {
		type: 'plan_approval_request',
		from: options.from,
		timestamp: new Date(now).toISOString(),
		planFilePath: options.planFilePath,
		planContent: options.planContent,
		requestId: planApprovalRequestId(options.from, options.teamName, now),
	};
}

/** Options for {@link createPlanApprovalResponse}. */
export interface PlanApprovalResponseOptions {
	requestId: string;
	approved: boolean;
	feedback?: string;
	/** The mode the teammate leaves plan mode into. "manual" is written as "default", as Claude Code does. */
	permissionMode?: PermissionMode | 'manual';
	/**
	The plan that was shown, to compute `planDigest` from. A keyed Claude Code teammate treats an approval without
	the right digest as a rejection, so pass this (or `planDigest`) when approving.
	*/
	planContent?: string;
	/** A precomputed `planDigest`; ignored when `planContent` is given. */
	planDigest?: string;
}

/** A `plan_approval_response` (lead → teammate). */
export function createPlanApprovalResponse(options: PlanApprovalResponseOptions): PlanApprovalResponseFrame {
	const mode = options.permissionMode === 'manual' ? 'default' : options.permissionMode;
	return defined({
		type: 'plan_approval_response',
		requestId: options.requestId,
		approved: options.approved,
		feedback: options.feedback,
		timestamp: new Date().toISOString(),
		permissionMode: mode,
		planDigest: options.planContent === undefined ? options.planDigest : planDigest(options.planContent),
	});
}

/** Options for {@link createIdleNotification}. */
export interface IdleNotificationOptions {
	/** The teammate's name. */
	from: string;
	/** Defaults to "available", what a teammate sends at the end of an ordinary turn. */
	idleReason?: IdleReason;
	summary?: string;
	completedTaskId?: string;
	completedStatus?: CompletedStatus;
	/** Cut to 200 characters (`FAILURE_REASON_LIMIT`). */
	failureReason?: string;
	/** Cut to 4000 characters (`RESULT_LIMIT`), ending with `RESULT_TRUNCATION_MARKER`, when longer. */
	result?: string;
}

function truncateResult(result: string): string {
	if (result.length <= RESULT_LIMIT) return result;
	return cut(result, RESULT_LIMIT - RESULT_TRUNCATION_MARKER.length - 1) + '\n' + RESULT_TRUNCATION_MARKER;
}

/** An `idle_notification` (teammate → lead): the teammate's turn ended. */
export function createIdleNotification(options: IdleNotificationOptions): IdleNotificationFrame {
	const { failureReason, result } = options;
	return defined({
		type: 'idle_notification',
		from: options.from,
		timestamp: new Date().toISOString(),
		idleReason: options.idleReason ?? 'available',
		summary: options.summary,
		completedTaskId: options.completedTaskId,
		completedStatus: options.completedStatus,
		failureReason: failureReason === undefined ? undefined : cut(failureReason, FAILURE_REASON_LIMIT),
		result: result === undefined ? undefined : truncateResult(result),
	});
}

/** A `task_assignment` (assigner → new owner). Send it with the entry's `from` set to `assignedBy`. */
export function createTaskAssignment(options: {
	taskId: string;
	subject: string;
	description: string;
	/** The assigner's name. */
	assignedBy: string;
}): TaskAssignmentFrame {
	const { taskId, subject, description, assignedBy } = options;
	return { type: 'task_assignment', taskId, subject, description, assignedBy, timestamp: new Date().toISOString() };
}
