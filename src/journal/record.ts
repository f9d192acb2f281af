/**
What the leader's journal (`pending-store.ts`) holds: the record of a request, the claim on its answer, and how a
request is named on disk.
*/

import { createHash } from 'node:crypto';
import type { PermissionRequestFrame, SandboxPermissionRequestFrame } from '../protocol/frames.js';
import type { ProcessClaim } from '../team/lead-process.js';

/** The process that made an answer claim (its `claimedAt` is the claim's). */
export type ClaimOwner = Omit<ProcessClaim, 'claimedAt'>;

/** What a pending request asks for: a tool call, or sandbox network access. */
export type RequestKind = 'permission' | 'sandbox';

/** A request as journaled by the leader. */
export interface PendingRecord {
	version: 1;
	key: string;
	kind: RequestKind;
	requestId: string;
	/** The asking worker's name (the envelope `from`, checked against `agent_id` / `workerName`). */
	worker: string;
	/** Epoch ms at which the leader journaled it. */
	receivedAt: number;
	/** The request frame as parsed (defaults applied). */
	frame: PermissionRequestFrame | SandboxPermissionRequestFrame;
}

/** The claim on a request's one answer, with the response entry fixed before it is sent. */
export interface AnswerClaim {
	version: 1;
	requestId: string;
	worker: string;
	decision: 'allow' | 'deny';
	decidedBy: string;
	message?: string;
	/** The response entry: re-sent verbatim (same msg_id) if the answering process died before finishing. */
	msgId: string;
	timestamp: string;
	text: string;
	/** "Always" rules to persist through the policy (re-applied on recovery; adding a rule is idempotent). */
	persistRules?: string[];
	/** Permission updates whose rules are persisted too ("always"); `setMode` never is. */
	persistUpdates?: unknown[];
	claimedAt: number;
	/**
	The process that claimed it: a recovery finishes the claim of a live owner only once it outlives a lease (the owner
	is still delivering it). Absent in claims written by older versions.
	*/
	owner?: ClaimOwner;
}

/** A journaled request and, if one was claimed, its answer. */
export interface StoredRequest {
	record: PendingRecord;
	answer?: AnswerClaim;
}

/** A request id made safe as a file name (and short enough for one). */
export function fileSafe(requestId: string): string {
	return requestId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** A journal file's JSON, or `undefined` when it is unreadable or not of version 1. */
export function parseJournalFile<T>(bytes: Buffer | undefined): T | undefined {
	if (bytes === undefined) return undefined;
	try {
		const value: unknown = JSON.parse(bytes.toString('utf8'));
		return typeof value === 'object' && value !== null && (value as { version?: unknown }).version === 1
			? (value as T)
			: undefined;
	} catch {
		return undefined;
	}
}

/** The file id of a request: Claude Code dedupes on (kind, from, request_id, tool_use_id). */
export function journalKeyFor(kind: RequestKind, worker: string, requestId: string, toolUseId = ''): string {
	const hash = createHash('sha256').update([kind, worker, requestId, toolUseId].join('\0')).digest('hex');
	return `${fileSafe(requestId)}.${hash.slice(0, 16)}`;
}
