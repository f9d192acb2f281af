export type { AuditLogOptions, AuditRecord, DecidedBy } from './audit-log.js';
export { AuditLog } from './audit-log.js';
export type { InboxEntry, OutgoingEntry } from './entry.js';
export { buildEntry, entryKey, inboxEntrySchema } from './entry.js';
export type { MailboxErrorCode, MailboxErrorOptions } from './errors.js';
export { isMailboxError, MailboxError } from './errors.js';
export type { InboxEvents, InboxOptions, InboxSnapshot, InvalidEntryEvent, OperationOptions } from './inbox.js';
export { Inbox } from './inbox.js';
export type { QuarantineEvent } from './inbox-store.js';
export type { WatchOptions } from './inbox-watch.js';
export { InboxWatcher } from './inbox-watch.js';
export type { DroppedRequest, LeaderEvents, LeaderOptions, RemoteAnswerOptions } from './leader.js';
export { Leader } from './leader.js';
export {
	formatAgentId,
	LEAD_NAME,
	resolveTeamsRoot,
	sanitizePathComponent,
	sanitizeTeamDirName,
} from './paths.js';
export type { ApproveOptions, DenyOptions } from './pending-request.js';
export { PendingRequest } from './pending-request.js';
export { hostMatches, isValidHost } from './policy/host-pattern.js';
export type { AlwaysAllowSubject, PersistResult, PolicyDecision, PolicyOptions } from './policy/policy.js';
export { alwaysAllowRuleFor, Policy } from './policy/policy.js';
export type { MatchContext, PermissionRule } from './policy/rule.js';
export { formatRule, parseRule, ruleMatches } from './policy/rule.js';
export type { HostDecision, RuleBehavior, RuleSetSpec, ToolDecision } from './policy/rule-set.js';
export { RuleSet } from './policy/rule-set.js';
export { inputDigest, permissionRequestDigest, planDigest } from './protocol/digest.js';
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
export type { ParsedText } from './protocol/frame-codec.js';
export { encodeFrame, frameTypeOf, isFrameType, parseFrame } from './protocol/frame-codec.js';
export { frameJsonSchema } from './protocol/frame-json-schema.js';
export type { Frame, FrameType, PermissionMode, PermissionUpdate } from './protocol/frames.js';
export { frameSchemas, frameTypes, protocolFrameTypes } from './protocol/frames.js';
export { permissionRequestId, planApprovalRequestId, sandboxRequestId, shutdownRequestId } from './protocol/ids.js';
export type { LeadClassification, LeadKeyPair, LeadVerifierOptions } from './protocol/signing.js';
export {
	createLeadKeyPair,
	LeadVerifier,
	leadSignaturePayload,
	parseVerifyKey,
	signLeadEntry,
	verifyKeyFor,
	withLeadSignature,
} from './protocol/signing.js';
export type { CreateTeamOptions, MemberInput, TeamOptions } from './team.js';
export { Team } from './team.js';
export type { TeamConfig, TeamMember } from './team-config.js';
export { memberColors } from './team-config.js';
export type { PermissionAsk, WaitOptions, WorkerEvents, WorkerOptions } from './worker.js';
export { Worker } from './worker.js';
export type {
	DenyReason,
	LeadEntryVerifier,
	NetworkOutcome,
	PermissionOutcome,
	PlanOutcome,
	RejectedResponse,
} from './worker-responses.js';
