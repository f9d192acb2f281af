/**
The worker's half of the answer rules, as pure functions: which lead answers a waiting request may accept, and what
outcome each produces. `worker.ts` routes entries here; nothing in this file touches the file system.
*/

import { outcomeMessages } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import { parseFrame } from '../protocol/frame-codec.js';
import type { PermissionMode } from '../protocol/frames.js';
import {
	type PermissionResponseFrame,
	type PermissionUpdate,
	type PlanApprovalResponseFrame,
	type SandboxPermissionResponseFrame,
	validPermissionUpdates,
} from '../protocol/frames.js';

/** How a lead entry's origin was judged, as `LeadVerifier.classify` reports it. */
export type Provenance = 'verified' | 'forged' | 'unverifiable';

/** Judges lead entries (e.g. `new LeadVerifier(verifyKey)` from `protocol/signing.ts`). Called once per entry. */
export interface LeadEntryVerifier {
	classify(entry: InboxEntry): Provenance;
}

/** Why a request ended without an allow. */
/** Why a request ended denied: the lead said no, or it never answered (`no-lead`: its recorded process is gone). */
export type DenyReason = 'denied' | 'timeout' | 'aborted' | 'unverified' | 'send-failed' | 'closed' | 'no-lead';

/** The answer to `requestPermission`, in the shape of the Agent SDK's `PermissionResult` plus provenance. */
export type PermissionOutcome =
	| {
			behavior: 'allow';
			/** The lead's `updated_input` when it has keys, else the original input. */
			updatedInput: Record<string, unknown>;
			/** The valid items of the lead's `permission_updates`. */
			permissionUpdates: PermissionUpdate[];
			requestId: string;
	  }
	| { behavior: 'deny'; message: string; reason: DenyReason; requestId: string };

/** The answer to `requestNetworkAccess`. `host-mismatch`: the lead answered for another host, which counts as deny. */
export interface NetworkOutcome {
	allow: boolean;
	host: string;
	reason: 'allowed' | 'denied' | 'host-mismatch' | Exclude<DenyReason, 'denied'>;
	requestId: string;
}

/** The answer to `requestPlanApproval`. `digest-mismatch`: an approval of a different plan, which counts as rejection. */
export interface PlanOutcome {
	approved: boolean;
	reason: 'approved' | 'rejected' | 'digest-mismatch' | Exclude<DenyReason, 'denied'>;
	requestId: string;
	feedback?: string;
	/** The mode to leave plan mode into, when approved. */
	permissionMode?: PermissionMode;
}

/** A lead-answer entry the worker did not act on (it is acked all the same). */
export interface RejectedResponse {
	reason: 'wrong-sender' | 'unknown-request' | 'late' | 'mismatch' | 'unverified' | 'malformed';
	entry: InboxEntry;
	requestId?: string;
	detail: string;
}

/** A permission request waiting for its answer. */
export interface PendingPermission {
	kind: 'permission';
	requestId: string;
	toolUseId: string;
	toolName: string;
	input: Record<string, unknown>;
	digest: string;
	settle: (outcome: PermissionOutcome) => void;
}

export interface PendingSandbox {
	kind: 'sandbox';
	requestId: string;
	host: string;
	settle: (outcome: NetworkOutcome) => void;
}

export interface PendingPlan {
	kind: 'plan';
	requestId: string;
	planDigest: string;
	settle: (outcome: PlanOutcome) => void;
}

export type PendingAnswer = PendingPermission | PendingSandbox | PendingPlan;

/** The pending kind each answer frame type answers. */
export const answerKinds = {
	permission_response: 'permission',
	sandbox_permission_response: 'sandbox',
	plan_approval_response: 'plan',
} as const;

export type AnswerFrame = PermissionResponseFrame | SandboxPermissionResponseFrame | PlanApprovalResponseFrame;

export function requestIdOf(frame: AnswerFrame): string {
	return frame.type === 'permission_response' ? frame.request_id : frame.requestId;
}

/** Why a permission answer is not bound to the pending call, or `undefined` when it is (or is unbound). */
export function bindingMismatch(frame: PermissionResponseFrame, pending: PendingPermission): string | undefined {
	if (frame.tool_use_id !== undefined && frame.tool_use_id !== pending.toolUseId) {
		return `tool_use_id ${JSON.stringify(frame.tool_use_id)} is not the pending call's ${JSON.stringify(pending.toolUseId)}`;
	}
	const bound = frame.approved_request;
	if (bound === undefined) return undefined;
	if (bound.tool_use_id !== pending.toolUseId) return 'approved_request.tool_use_id differs from the pending call';
	if (bound.tool_name !== pending.toolName) return `approved_request names tool ${JSON.stringify(bound.tool_name)}`;
	if (bound.input_digest !== pending.digest) return 'approved_request.input_digest does not match the pending input';
	return undefined;
}

/** The outcome of an accepted permission answer. */
export function permissionOutcome(frame: PermissionResponseFrame, pending: PendingPermission): PermissionOutcome {
	const { requestId } = pending;
	if (frame.subtype === 'error') return { behavior: 'deny', message: frame.error, reason: 'denied', requestId };
	const updated = frame.response?.updated_input;
	const updatedInput = updated !== undefined && Object.keys(updated).length > 0 ? updated : pending.input;
	const permissionUpdates = validPermissionUpdates(frame.response?.permission_updates ?? []);
	return { behavior: 'allow', updatedInput, permissionUpdates, requestId };
}

/** The outcome of an accepted sandbox answer: an answer for another host is a deny. */
export function networkOutcome(frame: SandboxPermissionResponseFrame, pending: PendingSandbox): NetworkOutcome {
	const { requestId, host } = pending;
	if (frame.host !== host) return { allow: false, host, reason: 'host-mismatch', requestId };
	return { allow: frame.allow, host, reason: frame.allow ? 'allowed' : 'denied', requestId };
}

/**
The outcome of an accepted plan answer. An approval whose `planDigest` names another plan is a rejection; when the
worker verifies lead entries, an approval without a digest is too (Claude Code's keyed rule).
*/
export function planOutcome(frame: PlanApprovalResponseFrame, pending: PendingPlan, keyed: boolean): PlanOutcome {
	const { requestId } = pending;
	const feedback = frame.feedback === undefined ? {} : { feedback: frame.feedback };
	if (!frame.approved) return { approved: false, reason: 'rejected', requestId, ...feedback };
	const digestOk = frame.planDigest === undefined ? !keyed : frame.planDigest === pending.planDigest;
	if (!digestOk) return { approved: false, reason: 'digest-mismatch', requestId, ...feedback };
	const mode = frame.permissionMode === undefined ? {} : { permissionMode: frame.permissionMode };
	return { approved: true, reason: 'approved', requestId, ...feedback, ...mode };
}

/** The outcome that ends a request without an answer from the lead. */
export function unansweredOutcome(
	pending: PendingAnswer,
	reason: Exclude<DenyReason, 'denied'>,
	message: string,
): void {
	const { requestId } = pending;
	if (pending.kind === 'permission') pending.settle({ behavior: 'deny', message, reason, requestId });
	else if (pending.kind === 'sandbox') pending.settle({ allow: false, host: pending.host, reason, requestId });
	else pending.settle({ approved: false, reason, requestId });
}

/** What the worker does with one entry of its inbox. */
export type Verdict =
	| { kind: 'message' }
	| { kind: 'accept' }
	| { kind: 'reject'; reason: RejectedResponse['reason']; detail: string; requestId?: string };

/** What {@link judgeEntry} needs to know about the worker. */
export interface JudgeContext {
	leaderName: string;
	pending: ReadonlyMap<string, PendingAnswer>;
	/** Ids of requests that ended recently (their answers are `late`). */
	settled: ReadonlySet<string>;
	verifier?: LeadEntryVerifier | undefined;
}

/**
Judges one entry: not an answer frame → `message`; an answer from the lead, to a waiting request, bound to its call and
(with a verifier) verified → the request is settled (`accept`); anything else → `reject`, never allowing. An answer
that fails verification still ends the request it names, as a denial (`unverified`).
*/
export function judgeEntry(entry: InboxEntry, ctx: JudgeContext): Verdict {
	const parsed = parseFrame(entry.text);
	const type = parsed.kind === 'frame' ? parsed.frame.type : parsed.kind === 'invalid' ? parsed.type : undefined;
	if (type === undefined || !Object.hasOwn(answerKinds, type)) return { kind: 'message' };
	const reject = (reason: RejectedResponse['reason'], detail: string, requestId?: string): Verdict =>
		requestId === undefined ? { kind: 'reject', reason, detail } : { kind: 'reject', reason, detail, requestId };
	if (parsed.kind !== 'frame') {
		const issues = parsed.kind === 'invalid' ? parsed.issues : [];
		return reject('malformed', issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
	}
	const frame = parsed.frame as AnswerFrame;
	const requestId = requestIdOf(frame);
	if (entry.from !== ctx.leaderName) {
		return reject('wrong-sender', `sent by ${JSON.stringify(entry.from)}, not the team lead`, requestId);
	}
	const pending = ctx.pending.get(requestId);
	if (pending?.kind !== answerKinds[frame.type]) {
		const late = ctx.settled.has(requestId);
		return reject(late ? 'late' : 'unknown-request', late ? 'the request already ended' : 'no such request', requestId);
	}
	const mismatch =
		frame.type === 'permission_response' && pending.kind === 'permission' && bindingMismatch(frame, pending);
	if (mismatch) return reject('mismatch', mismatch, requestId);
	const { verifier } = ctx;
	const provenance = verifier?.classify(entry);
	if (verifier && provenance !== 'verified') {
		unansweredOutcome(pending, 'unverified', outcomeMessages.unverified());
		return reject('unverified', `the answer is ${provenance}`, requestId);
	}
	if (frame.type === 'permission_response' && pending.kind === 'permission')
		pending.settle(permissionOutcome(frame, pending));
	if (frame.type === 'sandbox_permission_response' && pending.kind === 'sandbox')
		pending.settle(networkOutcome(frame, pending));
	if (frame.type === 'plan_approval_response' && pending.kind === 'plan')
		pending.settle(planOutcome(frame, pending, !!verifier));
	return { kind: 'accept' };
}

/**
A `shutdown_request` is a command only the lead may give: one from anyone else, or (with a verifier) one that does not
verify, is refused instead of being handed to the application. `undefined` when the entry is not refused.
*/
export function refuseLeadCommand(
	entry: InboxEntry,
	leaderName: string,
	verifier: LeadEntryVerifier | undefined,
): Omit<RejectedResponse, 'entry'> | undefined {
	const parsed = parseFrame(entry.text);
	if (parsed.kind !== 'frame' || parsed.frame.type !== 'shutdown_request') return undefined;
	const { requestId } = parsed.frame;
	if (entry.from !== leaderName) {
		return { reason: 'wrong-sender', requestId, detail: `shutdown request sent by ${JSON.stringify(entry.from)}` };
	}
	const provenance = verifier?.classify(entry);
	if (verifier && provenance !== 'verified') {
		return { reason: 'unverified', requestId, detail: `the shutdown request is ${provenance}` };
	}
	return undefined;
}
