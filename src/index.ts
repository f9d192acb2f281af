export type { CanUseTool, CanUseToolCall, CanUseToolContext, CanUseToolOptions } from './adapters/can-use-tool.js';
export { createCanUseTool } from './adapters/can-use-tool.js';
export type { ControlDecision, ControlResponseOptions } from './adapters/control-protocol.js';
export {
	askFromControlRequest,
	ControlPermissionRequest,
	ControlPermissionResponse,
	ControlPermissionResult,
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
export type { BuildResult, InboxEntry, OutgoingEntry } from './inbox/entry.js';
export { buildEntry, entryKey, inboxEntrySchema } from './inbox/entry.js';
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
export type { WatchOptions } from './inbox/watch.js';
export { InboxWatcher } from './inbox/watch.js';
export type { AuditLogOptions, AuditRecord, DecidedBy } from './journal/audit-log.js';
export { AuditLog } from './journal/audit-log.js';
export type { PendingRecord, RequestKind } from './journal/pending-store.js';
export type { AnswerResult } from './leader/answer.js';
export type { DropReason } from './leader/intake.js';
export type {
	DecideContext,
	DecideFunction,
	DecideRequest,
	DroppedRequest,
	LeaderEvents,
	LeaderOptions,
	LeadTakeover,
	RemoteAnswerOptions,
} from './leader/leader.js';
export { Leader } from './leader/leader.js';
export type { ApproveOptions, DenyOptions } from './leader/pending-request.js';
export { PendingRequest } from './leader/pending-request.js';
export type { AnswerDecision } from './leader/response.js';
export type { AlwaysScope } from './policy/always-rule.js';
export { hostMatches, isValidHost } from './policy/host-pattern.js';
export type { AlwaysAllowSubject, PersistResult, PolicyDecision, PolicyOptions } from './policy/policy.js';
export { alwaysAllowRuleFor, Policy } from './policy/policy.js';
export type { MatchContext, PermissionRule, RuleMatchOptions, ToolInput } from './policy/rule.js';
export { formatRule, parseRule, ruleMatches } from './policy/rule.js';
export type { HostDecision, RuleBehavior, RuleSetSpec, ToolDecision } from './policy/rule-set.js';
export { RuleSet } from './policy/rule-set.js';
export { inputDigest, permissionRequestDigest, planDigest } from './protocol/digest.js';
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
export { frameJsonSchema } from './protocol/frame-json-schema.js';
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
export { frameSchemas, frameTypes, protocolFrameTypes } from './protocol/frames.js';
export { permissionRequestId, planApprovalRequestId, sandboxRequestId, shutdownRequestId } from './protocol/ids.js';
export type {
	CheckedEntry,
	LeadClassification,
	LeadEntrySigner,
	LeadKeyPair,
	LeadSignedFields,
	LeadVerifierOptions,
	VerifyKey,
} from './protocol/signing.js';
export {
	createLeadKeyPair,
	keyPerRecipient,
	LeadVerifier,
	leadSignaturePayload,
	parseVerifyKey,
	signLeadEntry,
	verifyKeyFor,
	withLeadSignature,
} from './protocol/signing.js';
export type { TeamConfig, TeamMember } from './team/config.js';
export { memberColors } from './team/config.js';
export type { ProcessClaim, ProcessState } from './team/lead-process.js';
export {
	formatAgentId,
	LEAD_NAME,
	resolveTeamsRoot,
	sanitizePathComponent,
	sanitizeTeamDirName,
} from './team/paths.js';
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
