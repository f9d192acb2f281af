/**
A teammate's side of swarm permission sync. A Worker writes asks to the lead's inbox (`permission_request`,
`sandbox_permission_request`, `plan_approval_request`) and waits for the answers on one watcher of its own inbox,
started lazily: push-driven, no polling loop. It acts only on an answer that comes from the lead, answers a request it
is waiting for, is bound to that exact call, and (with a verifier) is verified; see `worker-responses.ts`.
Answer entries are acked once handled; everything else is left in the inbox for `messages()`.
*/

import { EventEmitter } from 'node:events';
import { Batcher, Channel } from './async-queue.js';
import type { InboxEntry } from './entry.js';
import { errors, isMailboxError, type MailboxError } from './errors.js';
import type { OperationOptions } from './inbox.js';
import type { InboxWatcher } from './inbox-watch.js';
import { permissionRequestDigest, planDigest } from './protocol/digest.js';
import {
	createIdleNotification,
	createPermissionRequest,
	createPlanApprovalRequest,
	createSandboxPermissionRequest,
	createShutdownApproved,
	createShutdownRejected,
	type IdleNotificationOptions,
	type PermissionRequestOptions,
} from './protocol/frame-builders.js';
import { encodeFrame } from './protocol/frame-codec.js';
import type { FrameInput, PermissionUpdate } from './protocol/frames.js';
import type { Team } from './team.js';
import {
	judgeEntry,
	type LeadEntryVerifier,
	type NetworkOutcome,
	outcomeMessages,
	type PendingAnswer,
	type PermissionOutcome,
	type PlanOutcome,
	type RejectedResponse,
	unansweredOutcome,
} from './worker-responses.js';

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
	/** Poll the inbox instead of OS notifications (network file systems). @default false */
	polling?: boolean;
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

const SETTLED_MEMORY = 4096;
/** Acks wait for a pause, so they do not fight the next answer for the inbox lock. */
const ACK_DELAY_MS = 25;

/** A teammate asking its lead for permission (see the module notes). */
export class Worker extends EventEmitter<WorkerEvents> {
	readonly team: Team;
	readonly name: string;
	readonly #options: WorkerOptions;
	readonly #pending = new Map<string, PendingAnswer>();
	/** Request ids that ended recently, to tell a late answer from an unknown one. */
	readonly #settled = new Set<string>();
	readonly #messages = new Channel<InboxEntry>();
	/** Acks handled answers: one locked rewrite per burst. */
	readonly #acks = new Batcher<InboxEntry>(
		(batch) =>
			this.team
				.inbox(this.name)
				.ack(batch)
				.then(
					() => {},
					(error: unknown) => this.#fail(error),
				),
		{ delayMs: ACK_DELAY_MS },
	);
	#leaderName: string | undefined;
	#color: string | undefined;
	#watcher: InboxWatcher | undefined;
	#loop: Promise<void> | undefined;
	#started: Promise<void> | undefined;
	#closed = false;

	constructor(team: Team, options: WorkerOptions) {
		super();
		const { timeoutMs = 120_000 } = options;
		if (!(timeoutMs > 0)) throw errors.invalidArgument('timeoutMs', 'a number of ms > 0 (or Infinity)', timeoutMs);
		this.team = team;
		this.name = options.name;
		this.#options = { ...options, timeoutMs };
	}

	/**
	Ask the lead whether a tool call may run. Resolves with allow or an explicit deny (never rejects for a missing
	answer: `timeout`, `aborted`, `unverified`, `send-failed`, `closed`).
	@throws {MailboxError} only for setup errors (team missing, worker closed).
	*/
	async requestPermission(ask: PermissionAsk, options: WaitOptions = {}): Promise<PermissionOutcome> {
		const frame = createPermissionRequest({
			agentName: this.name,
			toolName: ask.toolName,
			toolUseId: ask.toolUseId,
			description: ask.description ?? '',
			input: ask.input,
			permissionSuggestions: ask.suggestions ?? [],
			...(ask.mcp ? { mcp: ask.mcp } : {}),
			...(ask.requestId ? { requestId: ask.requestId } : {}),
		});
		const base = { requestId: frame.request_id, toolUseId: ask.toolUseId, toolName: ask.toolName, input: ask.input };
		const digest = permissionRequestDigest(frame);
		return this.#ask<PermissionOutcome>(frame, options, (settle) => ({ kind: 'permission', ...base, digest, settle }));
	}

	/** Ask the lead for sandbox network access to `host`. An answer naming another host counts as deny. */
	async requestNetworkAccess(host: string, options: WaitOptions = {}): Promise<NetworkOutcome> {
		await this.#start();
		const frame = createSandboxPermissionRequest({
			workerId: this.team.agentId(this.name),
			workerName: this.name,
			...(this.#color ? { workerColor: this.#color } : {}),
			host,
		});
		return this.#ask<NetworkOutcome>(frame, options, (settle) => ({
			kind: 'sandbox',
			requestId: frame.requestId,
			host,
			settle,
		}));
	}

	/** Submit a plan for approval and wait for the lead's verdict on exactly this request and plan. */
	async requestPlanApproval(
		planContent: string,
		planFilePath: string,
		options: WaitOptions = {},
	): Promise<PlanOutcome> {
		const frame = createPlanApprovalRequest({ from: this.name, teamName: this.team.name, planFilePath, planContent });
		const digest = planDigest(planContent);
		return this.#ask<PlanOutcome>(frame, options, (settle) => ({
			kind: 'plan',
			requestId: frame.requestId,
			planDigest: digest,
			settle,
		}));
	}

	/** Tell the lead this teammate's turn ended. Resolves with the entry's msg_id. */
	async sendIdleNotification(
		notification: Omit<IdleNotificationOptions, 'from'> = {},
		options: OperationOptions = {},
	): Promise<string> {
		return this.#send(createIdleNotification({ ...notification, from: this.name }), options);
	}

	/**
	Answer a `shutdown_request`: `shutdown_approved`, or `shutdown_rejected` with the (required) reason.
	@throws {MailboxError} `INVALID_ARGUMENT` when rejecting without a reason or approving with one.
	*/
	async answerShutdown(
		requestId: string,
		approve: boolean,
		reason?: string,
		options: OperationOptions & { paneId?: string; backendType?: string } = {},
	): Promise<string> {
		const { paneId, backendType, ...operation } = options;
		if (approve && reason !== undefined) throw errors.invalidArgument('reason', 'absent when approving', reason);
		const frame = approve
			? createShutdownApproved({
					requestId,
					from: this.name,
					...(paneId ? { paneId } : {}),
					...(backendType ? { backendType } : {}),
				})
			: createShutdownRejected({ requestId, from: this.name, reason: reason as string });
		return this.#send(frame, operation);
	}

	/** Entries other than lead answers (plain messages, shutdown requests, task assignments…), not acked. */
	messages(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<InboxEntry> & AsyncDisposable {
		const queue = this.#messages.subscribe(options.signal);
		this.#start().catch((error: unknown) => this.#fail(error));
		return queue;
	}

	/** Resolves once the worker watches its inbox (started lazily by the first ask or `messages()`). */
	ready(): Promise<void> {
		return this.#start();
	}

	async #ask<T>(
		frame: FrameInput,
		options: WaitOptions,
		register: (settle: (outcome: T) => void) => PendingAnswer,
	): Promise<T> {
		await this.#start();
		const { signal } = options;
		const timeoutMs = options.timeoutMs ?? (this.#options.timeoutMs as number);
		const lead = this.#leaderName as string;
		return new Promise<T>((resolve) => {
			let timer: NodeJS.Timeout | undefined;
			let done = false;
			const settle = (outcome: T) => {
				if (done) return;
				done = true;
				clearTimeout(timer);
				signal?.removeEventListener('abort', onAbort);
				if (this.#pending.get(pending.requestId) === pending) this.#pending.delete(pending.requestId);
				this.#remember(pending.requestId);
				resolve(outcome);
			};
			const pending = register(settle);
			if (this.#pending.has(pending.requestId)) {
				throw errors.invalidArgument('requestId', 'an id no other waiting request uses', pending.requestId);
			}
			const onAbort = () => unansweredOutcome(pending, 'aborted', outcomeMessages.aborted());
			if (signal?.aborted) return onAbort();
			// Registered before the ask is written, so even an instant answer finds it.
			this.#pending.set(pending.requestId, pending);
			if (Number.isFinite(timeoutMs)) {
				timer = setTimeout(
					() => unansweredOutcome(pending, 'timeout', outcomeMessages.timeout(lead, timeoutMs)),
					timeoutMs,
				);
			}
			signal?.addEventListener('abort', onAbort, { once: true });
			this.#send(frame, { signal }).catch((error: unknown) => {
				if (signal?.aborted) return onAbort();
				const cause = isMailboxError(error) ? error.code : String(error);
				unansweredOutcome(pending, 'send-failed', outcomeMessages.sendFailed(lead, cause));
			});
		});
	}

	async #send(frame: FrameInput, options: OperationOptions): Promise<string> {
		await this.#start();
		const entry = { from: this.name, text: encodeFrame(frame), ...(this.#color ? { color: this.#color } : {}) };
		return this.team.inbox(this.#leaderName as string).send(entry, options);
	}

	#start(): Promise<void> {
		if (this.#closed) return Promise.reject(errors.closed(`Worker ${this.name}`));
		this.#started ??= (async () => {
			this.#leaderName = this.#options.leaderName ?? (await this.team.leaderName());
			this.#color = this.#options.color ?? (await this.team.members()).find((m) => m.name === this.name)?.color;
			const watcher = this.team.inbox(this.name).watch({ polling: this.#options.polling ?? false });
			this.#watcher = watcher;
			await watcher.ready();
			this.#loop = (async () => {
				try {
					for await (const entry of watcher) this.#route(entry);
				} catch (error) {
					this.#fail(error);
				}
			})();
		})().catch((error: unknown) => {
			this.#started = undefined;
			throw error;
		});
		return this.#started;
	}

	#route(entry: InboxEntry): void {
		const verdict = judgeEntry(entry, {
			leaderName: this.#leaderName as string,
			pending: this.#pending,
			settled: this.#settled,
			verifier: this.#options.verifier,
		});
		if (verdict.kind === 'message') {
			this.#messages.publish(entry);
			return;
		}
		this.#acks.add(entry);
		if (verdict.kind === 'accept') return;
		const { reason, detail, requestId } = verdict;
		this.emit('rejected', { reason, entry, detail, ...(requestId === undefined ? {} : { requestId }) });
	}

	#remember(requestId: string): void {
		this.#settled.add(requestId);
		if (this.#settled.size > SETTLED_MEMORY) this.#settled.delete(this.#settled.values().next().value as string);
	}

	#fail(error: unknown): void {
		const failure = isMailboxError(error) ? error : errors.io('watch the inbox of', this.name, error);
		if (!this.#closed) this.emit('failure', failure);
	}

	/** Resolves once every handled answer entry has been acked (removed from the inbox). */
	flushed(): Promise<void> {
		return this.#acks.flushed();
	}

	/** Stop watching. Waiting requests end as `closed`; unread messages stay in the inbox. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		for (const pending of [...this.#pending.values()]) unansweredOutcome(pending, 'closed', outcomeMessages.closed());
		await this.#started?.catch(() => {});
		await this.#watcher?.close();
		await this.#loop;
		await this.flushed();
		await this.#messages.close();
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}
