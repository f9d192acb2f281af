/**
The main entry: what an app needs to run a team (Team, Inbox, Worker, Leader, Policy), the errors, the adapters for
Claude Code's SDKs, and the frame builders and parsers. Building blocks for protocol work (zod schemas, ids, digests,
signing primitives, rule parsing, the audit log) are in `swarm-mailbox/protocol`; the MCP server is in
`swarm-mailbox/mcp`.
*/

export type { CanUseTool, CanUseToolCall, CanUseToolContext, CanUseToolOptions } from './adapters/can-use-tool.js';
export { createCanUseTool } from './adapters/can-use-tool.js';
export type {
	ControlDecision,
	ControlPermissionRequest,
	ControlPermissionResponse,
	ControlPermissionResult,
	ControlResponseOptions,
} from './adapters/control-protocol.js';
export {
	askFromControlRequest,
	fromControlResponse,
	parseControlPermissionRequest,
	parseControlPermissionResponse,
	toControlResponse,
} from './adapters/control-protocol.js';
export type {
	DenyOutcome,
	InterruptOption,
	PermissionResult,
	PermissionResultOptions,
} from './adapters/permission-result.js';
export { toPermissionResult } from './adapters/permission-result.js';
export type { DoctorOptions } from './doctor/doctor.js';
export { diagnoseTeam } from './doctor/doctor.js';
export type { DoctorProblem, DoctorProblemCode, DoctorSeverity } from './doctor/messages.js';
export type { DoctorFix, DoctorFixCode, DoctorReport } from './doctor/report.js';
export { formatDoctorReport } from './doctor/report.js';
export type { MailboxErrorCode, MailboxErrorOptions } from './errors.js';
export { isMailboxError, MailboxError } from './errors.js';
export type { InboxEntry, OutgoingEntry } from './inbox/entry.js';
export { Inbox } from './inbox/inbox.js';
export type {
	InboxEvents,
	InboxOptions,
	InboxSnapshot,
	InvalidEntryEvent,
	OperationOptions,
	SendOptions,
} from './inbox/options.js';
export type { QuarantineEvent } from './inbox/plan.js';
export type { InboxWatcher, WatchOptions } from './inbox/watch.js';
export type { AuditLogOptions, AuditRecord, DecidedBy } from './journal/audit-log.js';
export type { PendingRecord, RequestKind } from './journal/pending-store.js';
export type { AnswerResult } from './leader/answer.js';
export type { DropReason } from './leader/intake.js';
export type {
	DecideContext,
	DecideFunction,
	DecideRequest,
	DroppedRequest,
	LeadDisplaced,
	LeaderEvents,
	LeaderOptions,
	LeadTakeover,
	RemoteAnswerOptions,
} from './leader/leader.js';
export { Leader } from './leader/leader.js';
export type { ApproveOptions, DenyOptions, PendingRequest } from './leader/pending-request.js';
export type { AnswerDecision } from './leader/response.js';
export type { AlwaysScope } from './policy/always-rule.js';
export type { AlwaysAllowSubject, PersistResult, PolicyDecision, PolicyOptions } from './policy/policy.js';
export { Policy } from './policy/policy.js';
export type { MatchContext, PermissionRule, RuleMatchOptions, ToolInput } from './policy/rule.js';
export type { HostDecision, RuleBehavior, RuleSet, RuleSetSpec, ToolDecision } from './policy/rule-set.js';
export type {
	IdleNotificationOptions,
	PermissionAllowOptions,
	PermissionDenyOptions,
	PermissionRequestOptions,
	PlanApprovalResponseOptions,
} from './protocol/frame-builders.js';
export {
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
} from './protocol/frame-builders.js';
export type { FrameIssue, ParsedText } from './protocol/frame-codec.js';
export { encodeFrame, frameTypeOf, isFrameType, parseFrame } from './protocol/frame-codec.js';
export type {
	ApprovedRequest,
	CompletedStatus,
	Frame,
	FrameInput,
	FrameInputOf,
	FrameOf,
	FrameType,
	IdleNotificationFrame,
	IdleReason,
	McpServerInfo,
	McpSkillInfo,
	ModeSetRequestFrame,
	PermissionMode,
	PermissionRequestFrame,
	PermissionRequestFrameInput,
	PermissionResponseFrame,
	PermissionUpdate,
	PlanApprovalRequestFrame,
	PlanApprovalResponseFrame,
	SandboxPermissionRequestFrame,
	SandboxPermissionResponseFrame,
	ShutdownApprovedFrame,
	ShutdownRejectedFrame,
	ShutdownRequestFrame,
	TaskAssignmentFrame,
	TaskCompletedFrame,
	TeamPermissionUpdateFrame,
} from './protocol/frames.js';
export { frameTypes } from './protocol/frames.js';
export type {
	CheckedEntry,
	LeadClassification,
	LeadEntrySigner,
	LeadKeyPair,
	LeadSignedFields,
	LeadVerifierOptions,
	VerifyKey,
} from './protocol/signing.js';
export { createLeadKeyPair, keyPerRecipient, LeadVerifier } from './protocol/signing.js';
export type { TeamConfig, TeamMember } from './team/config.js';
export type { ProcessClaim, ProcessState } from './team/lead-process.js';
export type { ClaimLeadOptions, CreateTeamOptions, LeadClaim, MemberInput, TeamOptions } from './team/team.js';
export { Team } from './team/team.js';
export type {
	DenyReason,
	LeadEntryVerifier,
	NetworkOutcome,
	PermissionOutcome,
	PlanOutcome,
	Provenance,
	RejectedResponse,
} from './worker/responses.js';
export type { PermissionAsk, WaitOptions, WorkerEvents, WorkerOptions } from './worker/worker.js';
export { Worker } from './worker/worker.js';
