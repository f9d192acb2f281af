/** The options, asks and events of a {@link Worker}. */

import type { MailboxError } from '../errors.js';
import type { PermissionRequestOptions } from '../protocol/frame-builders.js';
import type { PermissionUpdate } from '../protocol/frames.js';
import type { LeadEntryVerifier, RejectedResponse } from './responses.js';

/** Options of {@link Worker}. */
export interface WorkerOptions {
	/** This teammate's name: its inbox, the `from` of its asks, and `agent_id` of its permission requests. */
	name: string;
	/** @default the roster's leader name (`team-lead`) */
	leaderName?: string;
	/** Envelope colour of its asks. @default the roster colour of `name` */
	color?: string;
	/** Judges lead answers; when set, an answer that is not `verified` denies the request it claims to answer. */
	verifier?: LeadEntryVerifier;
	/** Default wait for an answer, in ms (`Infinity`: no limit, like Claude Code). @default 120_000 */
	timeoutMs?: number;
	/**
	Poll the inbox's content instead of OS notifications. Unset: poll on a network file system (detected), use
	notifications elsewhere. @default undefined
	*/
	polling?: boolean;
	/** Poll period when polling, in ms. @default 100 */
	pollIntervalMs?: number;
	/**
	Send and wait even when the roster's recorded lead process is gone (a supervisor restarts the lead). Without it, such
	a request ends at once as a denial with reason `no-lead`. @default false
	*/
	waitForLead?: boolean;
	/**
	A lead recorded by another machine counts as gone (`no-lead`) only once its heartbeat has been seen unchanged this
	long by this worker's own looks (never by comparing clocks). @default 30_000 (`SWARM_MAILBOX_LEAD_STALE_MS` if set)
	*/
	leadStaleMs?: number;
	/**
	Other processes ask under this name at the same time (one `hook` process per tool call): an answer to a request
	this worker never made is left in the inbox for its owner, unless it has lain there unclaimed for over a minute.
	@default false
	*/
	sharedInbox?: boolean;
}

/** Per-call wait options. */
export interface WaitOptions {
	signal?: AbortSignal;
	/** Overrides the worker's `timeoutMs`. */
	timeoutMs?: number;
}

/** A tool call to ask the lead about. */
export interface PermissionAsk {
	toolName: string;
	toolUseId: string;
	input: Record<string, unknown>;
	/** @default '' */
	description?: string;
	/** Sent as `permission_suggestions`. @default [] */
	suggestions?: readonly PermissionUpdate[];
	/** An MCP-skill ask (`tool_kind: "mcp_skill"`). */
	mcp?: PermissionRequestOptions['mcp'];
	/** @default a fresh `perm-<ms>-<7 base36>` id */
	requestId?: string;
}

export interface WorkerEvents {
	/** An answer-type entry was not acted on (wrong sender, unknown or finished request, mismatch, unverified, malformed). */
	rejected: [RejectedResponse];
	/** A background step failed (watching, acking). */
	failure: [MailboxError];
}
