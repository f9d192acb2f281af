/**
What an answer says: the response frame a decision turns into (bound to the request's tool call and input digest), the
"always" rules it persists, and the audit line it leaves. Validates the decision before anything is claimed.
*/

import { errors } from '../errors.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { AnswerClaim, PendingRecord, RequestKind } from '../journal/pending-store.js';
import { type AlwaysScope, alwaysAllowUpdate, alwaysScopeOf } from '../policy/always-rule.js';
import { alwaysAllowRuleFor } from '../policy/policy.js';
import type { MatchContext } from '../policy/rule.js';
import { permissionRequestDigest } from '../protocol/digest.js';
import {
	approvedRequestFor,
	createPermissionResponse,
	createSandboxPermissionResponse,
} from '../protocol/frame-builders.js';
import { encodeFrame } from '../protocol/frame-codec.js';
import {
	type PermissionRequestFrame,
	type PermissionUpdate,
	type SandboxPermissionRequestFrame,
	validPermissionUpdates,
} from '../protocol/frames.js';
import type { Team } from '../team/team.js';

/** How to answer: allow (optionally with a changed input, updates for the worker, and "always"), or deny. */
export type AnswerDecision =
	| {
			behavior: 'allow';
			/** Replacement tool input; the worker ignores an empty object. Permission requests only. */
			updatedInput?: Record<string, unknown>;
			/** Updates the worker applies to its own session (validated; none are invented). Permission requests only. */
			permissionUpdates?: readonly PermissionUpdate[];
			/**
			Also persist an allow rule for this request (plus the `addRules` of `permissionUpdates`), and send it to the
			worker as a session `addRules` update so it allows the same call itself next time. `true` or `'exact'`: this
			call; `'prefix'`: its command prefix (`Bash(npm test:*)`), file directory or MCP server; `'tool'`: the tool.
			*/
			always?: boolean | AlwaysScope;
			/** Also send the worker's own `permission_suggestions` back as accepted updates. Permission requests only. */
			acceptSuggestions?: boolean;
	  }
	| { behavior: 'deny' /** @default 'Permission denied' */; message?: string };

/** The response text of an answer, and what "always" persists with it. */
export interface PreparedResponse {
	text: string;
	persistRules: string[];
	persistUpdates: PermissionUpdate[];
}

/** The host a sandbox request asks for. */
export function hostOf(record: PendingRecord): string {
	return (record.frame as SandboxPermissionRequestFrame).hostPattern.host;
}

/** The worker's directory from the roster, to anchor path rules. */
export async function workerContext(team: Team, worker: string): Promise<Partial<MatchContext>> {
	const member = (await team.members().catch(() => [])).find((candidate) => candidate.name === worker);
	return member?.cwd ? { cwd: member.cwd } : {};
}

/**
Build the response to `record` for `decision`.
@throws {MailboxError} `INVALID_ARGUMENT` for an `updatedInput` that is not a plain object, or invalid `permissionUpdates`.
*/
export async function prepareResponse(
	team: Team,
	record: PendingRecord,
	decision: AnswerDecision,
): Promise<PreparedResponse> {
	const persistRules: string[] = [];
	let persistUpdates: PermissionUpdate[] = [];
	const always = decision.behavior === 'allow' ? alwaysScopeOf(decision.always) : undefined;
	if (record.kind === 'sandbox') {
		const allow = decision.behavior === 'allow';
		if (always) persistRules.push(alwaysAllowRuleFor({ host: hostOf(record) }, {}, always));
		const frame = createSandboxPermissionResponse({ requestId: record.requestId, host: hostOf(record), allow });
		return { text: encodeFrame(frame), persistRules, persistUpdates };
	}
	const request = record.frame as PermissionRequestFrame;
	const bound = {
		requestId: record.requestId,
		toolUseId: request.tool_use_id,
		approvedRequest: approvedRequestFor(request),
	};
	if (decision.behavior === 'deny') {
		return {
			text: encodeFrame(createPermissionResponse({ ...bound, subtype: 'error', error: decision.message })),
			persistRules,
			persistUpdates,
		};
	}
	const { updatedInput, permissionUpdates = [] } = decision;
	if (
		updatedInput !== undefined &&
		(typeof updatedInput !== 'object' || updatedInput === null || Array.isArray(updatedInput))
	) {
		throw errors.invalidArgument('updatedInput', 'a plain object', updatedInput);
	}
	let updates = validPermissionUpdates(permissionUpdates);
	if (updates.length !== permissionUpdates.length) {
		throw errors.invalidArgument(
			'permissionUpdates',
			'valid PermissionUpdate items',
			JSON.stringify(permissionUpdates),
		);
	}
	if (decision.acceptSuggestions) updates = [...updates, ...validPermissionUpdates(request.permission_suggestions)];
	if (always) {
		const ctx = await workerContext(team, record.worker);
		const rule = alwaysAllowRuleFor({ toolName: request.tool_name, input: request.input }, ctx, always);
		persistRules.push(rule);
		persistUpdates = updates;
		// The worker gets the rule too: a Claude Code teammate then allows the same call without asking again.
		const update = alwaysAllowUpdate(rule);
		if (update) updates = [...updates, update];
	}
	const frame = createPermissionResponse({ ...bound, subtype: 'success', updatedInput, permissionUpdates: updates });
	return { text: encodeFrame(frame), persistRules, persistUpdates };
}

/** The audit line of a finished answer. */
export function auditRecordOf(record: PendingRecord, claim: AnswerClaim): AuditRecord {
	const kind: RequestKind = record.kind;
	const base = { time: claim.timestamp, requestId: record.requestId, kind, worker: record.worker };
	const subject =
		kind === 'sandbox'
			? { host: hostOf(record) }
			: {
					toolName: (record.frame as PermissionRequestFrame).tool_name,
					inputDigest: permissionRequestDigest(record.frame as PermissionRequestFrame),
				};
	return {
		...base,
		...subject,
		decision: claim.decision,
		decidedBy: claim.decidedBy,
		...(claim.message === undefined ? {} : { message: claim.message }),
		msgId: claim.msgId,
		...(claim.persistRules?.[0] === undefined ? {} : { persistedRule: claim.persistRules[0] }),
	};
}
