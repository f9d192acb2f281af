/**
The `swarm-mailbox/protocol` entry point: building blocks for tools that speak the team files directly or extend
the library. The zod schemas of the frames and entries, request ids and digests, the signing primitives, rule
parsing and matching, host patterns, team path helpers, and the audit log reader. Most apps need only the main entry.
*/

export {
	ControlPermissionRequest,
	ControlPermissionResponse,
	ControlPermissionResult,
} from './adapters/control-protocol.js';
export type { BuildResult } from './inbox/entry.js';
export { buildEntry, entryKey, inboxEntrySchema } from './inbox/entry.js';
export { AuditLog } from './journal/audit-log.js';
export { hostMatches, isValidHost } from './policy/host-pattern.js';
export { alwaysAllowRuleFor } from './policy/policy.js';
export { formatRule, parseRule, ruleMatches } from './policy/rule.js';
export { RuleSet } from './policy/rule-set.js';
export { inputDigest, permissionRequestDigest, planDigest } from './protocol/digest.js';
export { frameJsonSchema } from './protocol/frame-json-schema.js';
export { frameSchemas, frameTypes, protocolFrameTypes } from './protocol/frames.js';
export { permissionRequestId, planApprovalRequestId, sandboxRequestId, shutdownRequestId } from './protocol/ids.js';
export {
	leadSignaturePayload,
	parseVerifyKey,
	signLeadEntry,
	verifyKeyFor,
	withLeadSignature,
} from './protocol/signing.js';
export { memberColors } from './team/config.js';
export {
	formatAgentId,
	LEAD_NAME,
	resolveTeamsRoot,
	sanitizePathComponent,
	sanitizeTeamDirName,
} from './team/paths.js';
