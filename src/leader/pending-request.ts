/**
A permission or sandbox request waiting for its answer, as handed out by `Leader.requests()`, `Leader.pending()` and
`Leader.listPending()`. Answering goes through the shared journal, so whichever process answers first wins and every
later `approve` / `deny` rejects with `ALREADY_ANSWERED`.
*/

import type { OperationOptions } from '../inbox/options.js';
import type { DecidedBy } from '../journal/audit-log.js';
import type { PendingRecord, RequestKind } from '../journal/pending-store.js';
import type { AlwaysScope } from '../policy/always-rule.js';
import { permissionRequestDigest } from '../protocol/digest.js';
import {
	type PermissionRequestFrame,
	type PermissionUpdate,
	type SandboxPermissionRequestFrame,
	validPermissionUpdates,
} from '../protocol/frames.js';
import type { Answerer, AnswerResult } from './answer.js';
import { hostOf } from './response.js';

/** Options of {@link PendingRequest.approve}. */
export interface ApproveOptions extends OperationOptions {
	/** Replacement tool input; an empty object means "run the original input". Permission requests only. */
	updatedInput?: Record<string, unknown>;
	/** Updates for the worker's own session; passed through as given (check them: a `setMode` escalates). */
	permissionUpdates?: readonly PermissionUpdate[];
	/**
	Persist an allow rule for this request in the policy's rules file, plus the `addRules` of `permissionUpdates`
	(`setMode` is never persisted), and send the rule to the worker as a session update. `true` / `'exact'`: this call
	(`Bash(<command>)`, `WebFetch(domain:<host>)`, …); `'prefix'`: `Bash(npm test:*)`, the file's directory, the MCP
	server; `'tool'`: every use of the tool.
	@default false
	*/
	always?: boolean | AlwaysScope;
	/** Send the worker's own `suggestions` back as accepted updates. @default false */
	acceptSuggestions?: boolean;
	/** Recorded in the audit log. @default 'person' (a CLI passes its name) */
	decidedBy?: DecidedBy;
}

/** Options of {@link PendingRequest.deny}. */
export interface DenyOptions extends OperationOptions {
	/** Recorded in the audit log. @default 'person' */
	decidedBy?: DecidedBy;
}

/** One unanswered request. */
export class PendingRequest {
	readonly kind: RequestKind;
	readonly requestId: string;
	/** The asking worker's name. */
	readonly worker: string;
	/** Epoch ms at which the leader journaled it. */
	readonly receivedAt: number;
	/** Permission requests: the tool, its call id, input and description. */
	readonly toolName: string | undefined;
	readonly toolUseId: string | undefined;
	readonly input: Record<string, unknown> | undefined;
	readonly description: string | undefined;
	/** The worker's valid `permission_suggestions` (empty for sandbox requests). */
	readonly suggestions: PermissionUpdate[];
	/** The `input_digest` an answer is bound to (permission requests only). */
	readonly inputDigest: string | undefined;
	/** Sandbox requests: the host asked for. */
	readonly host: string | undefined;
	/** The request frame as received. */
	readonly frame: PermissionRequestFrame | SandboxPermissionRequestFrame;
	readonly #record: PendingRecord;
	readonly #answerer: Answerer;
	readonly #decidedBy: DecidedBy;

	/** @internal Made by the Leader and `Leader.listPending`; not for callers. */
	constructor(record: PendingRecord, answerer: Answerer, decidedBy: DecidedBy = 'person') {
		this.#record = record;
		this.#answerer = answerer;
		this.#decidedBy = decidedBy;
		this.kind = record.kind;
		this.requestId = record.requestId;
		this.worker = record.worker;
		this.receivedAt = record.receivedAt;
		this.frame = record.frame;
		const request = record.kind === 'permission' ? (record.frame as PermissionRequestFrame) : undefined;
		this.toolName = request?.tool_name;
		this.toolUseId = request?.tool_use_id;
		this.input = request?.input;
		this.description = request?.description;
		this.suggestions = request ? validPermissionUpdates(request.permission_suggestions) : [];
		this.inputDigest = request ? permissionRequestDigest(request) : undefined;
		this.host = record.kind === 'sandbox' ? hostOf(record) : undefined;
	}

	/** The journal key (request id plus a hash of the dedupe key). */
	get key(): string {
		return this.#record.key;
	}

	/**
	Allow the request. Resolves once the response is durable in the worker's inbox.
	@throws {MailboxError} `ALREADY_ANSWERED` when it was answered before (by anyone); `INVALID_ARGUMENT` for bad
	options or an `always` with nothing to pin a rule to.
	*/
	approve(options: ApproveOptions = {}): Promise<AnswerResult> {
		const {
			updatedInput,
			permissionUpdates,
			always,
			acceptSuggestions,
			decidedBy = this.#decidedBy,
			...operation
		} = options;
		const decision = { behavior: 'allow' as const, updatedInput, permissionUpdates, always, acceptSuggestions };
		return this.#answerer.answer(this.#record, decision, decidedBy, operation);
	}

	/**
	Deny the request with `message` (default "Permission denied").
	@throws {MailboxError} `ALREADY_ANSWERED` when it was answered before (by anyone).
	*/
	deny(message?: string, options: DenyOptions = {}): Promise<AnswerResult> {
		const { decidedBy = this.#decidedBy, ...operation } = options;
		return this.#answerer.answer(this.#record, { behavior: 'deny', message }, decidedBy, operation);
	}

	/** The journal record behind this request. */
	toJSON(): PendingRecord {
		return this.#record;
	}
}
