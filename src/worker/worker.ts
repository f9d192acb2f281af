/**
A teammate's side of swarm permission sync. A Worker writes asks to the lead's inbox (`permission_request`,
`sandbox_permission_request`, `plan_approval_request`) and waits for the answers on one watcher of its own inbox,
started lazily: push-driven, no polling loop. It acts only on an answer that comes from the lead, answers a request it
is waiting for, is bound to that exact call, and (with a verifier) is verified; see `worker-responses.ts`.
Answer entries are acked once handled; everything else is left in the inbox for `messages()`.
*/

import { EventEmitter } from 'node:events';
import { ackBatcher, Channel } from '../async-queue.js';
import { errors, isMailboxError, outcomeMessages } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { OperationOptions } from '../inbox/options.js';
import type { InboxWatcher } from '../inbox/watch.js';
import { permissionRequestDigest, planDigest } from '../protocol/digest.js';
import {
	createIdleNotification,
	createPermissionRequest,
	createPlanApprovalRequest,
	createSandboxPermissionRequest,
	createShutdownApproved,
	createShutdownRejected,
	type IdleNotificationOptions,
} from '../protocol/frame-builders.js';
import { encodeFrame } from '../protocol/frame-codec.js';
import type { FrameInput } from '../protocol/frames.js';
import { leaderNameOf } from '../team/config.js';
import { defaultLeadStaleMs, judgeLead } from '../team/lead-heartbeat.js';
import { hostOfSpace, onThisMachine, parseProcessClaim } from '../team/lead-process.js';
import type { Team } from '../team/team.js';
import type { PermissionAsk, WaitOptions, WorkerEvents, WorkerOptions } from './options.js';
import {
	type NetworkOutcome,
	type PendingAnswer,
	type PermissionOutcome,
	type PlanOutcome,
	refuseLeadCommand,
	unansweredOutcome,
} from './responses.js';
import { Waits } from './waits.js';

export type { PermissionAsk, WaitOptions, WorkerEvents, WorkerOptions } from './options.js';

/** How often waiting asks look at the recorded lead process, in ms. */
const LEAD_CHECK_MS = 2_000;
/** How long an unknown answer in a shared inbox is left for the process that asked (see `sharedInbox`). */
const SHARED_ANSWER_CLAIM_MS = 60_000;

/** A teammate asking its lead for permission (see the module notes). */
export class Worker extends EventEmitter<WorkerEvents> {
	readonly team: Team;
	readonly name: string;
	readonly #options: WorkerOptions;
	readonly #waits = new Waits();
	readonly #messages = new Channel<InboxEntry>();
	/** Acks handled answers: one locked rewrite per burst. */
	readonly #acks = ackBatcher<InboxEntry>(
		(batch) => this.team.inbox(this.name).ack(batch),
		(error) => this.#fail(error),
	);
	#leaderName: string | undefined;
	#color: string | undefined;
	#leadCheck: NodeJS.Timeout | undefined;
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
		const gone = await this.#leadGone();
		// Nobody would read it: answer at once rather than after the whole timeout.
		if (gone !== undefined) return new Promise<T>((resolve) => unansweredOutcome(register(resolve), 'no-lead', gone));
		this.#watchLead();
		return this.#waits.wait({
			register,
			send: (signal) => this.#send(frame, { signal }),
			leaderName: this.#leaderName as string,
			timeoutMs: options.timeoutMs ?? (this.#options.timeoutMs as number),
			signal: options.signal,
		});
	}

	/** While asks wait, look at the recorded lead now and then: one that dies meanwhile ends them as `no-lead`. */
	#watchLead(): void {
		if (this.#leadCheck || this.#options.waitForLead) return;
		this.#leadCheck = setInterval(() => {
			if (this.#waits.size === 0 || this.#closed) {
				clearInterval(this.#leadCheck);
				this.#leadCheck = undefined;
				return;
			}
			void this.#leadGone().then((gone) => gone !== undefined && this.#waits.endAll('no-lead', gone));
		}, LEAD_CHECK_MS);
		this.#leadCheck.unref();
	}

	/**
	Why the lead cannot answer, when the roster's recorded lead process is provably gone: on this machine, its process
	is dead; on another, its heartbeat was seen unchanged for the stale window by this process's looks (at the ask and
	every 2 s while asks wait). `undefined` otherwise (no record, alive, not watched long enough, or not judgeable from
	here: the request is sent and waits).
	*/
	async #leadGone(): Promise<string | undefined> {
		const leader = this.#leaderName as string;
		if (this.#options.waitForLead) return undefined;
		try {
			const config = await this.team.readConfig();
			// A lead of our own choosing: the roster's record says nothing about it.
			if (this.#options.leaderName !== undefined && this.#options.leaderName !== leaderNameOf(config)) return undefined;
			const lead = parseProcessClaim(config.leadProcess);
			if (!lead) return undefined;
			const staleMs = this.#options.leadStaleMs ?? defaultLeadStaleMs();
			if ((await judgeLead(lead, { directory: this.team.directory, staleMs })) !== 'dead') return undefined;
			const elsewhere = onThisMachine(lead) ? undefined : { host: hostOfSpace(lead.pidSpace), staleMs };
			return outcomeMessages.noLead(leader, lead.pid, elsewhere);
		} catch {
			return undefined; // an unreadable roster proves nothing: the request is sent and waits
		}
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
			const watcher = this.team
				.inbox(this.name)
				.watch({ polling: this.#options.polling, pollIntervalMs: this.#options.pollIntervalMs });
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
		const leader = this.#leaderName as string;
		const verdict = this.#waits.judge(entry, leader, this.#options.verifier);
		if (verdict.kind === 'reject' && verdict.reason === 'unknown-request' && this.#ownedByAnother(entry)) return;
		const refused = verdict.kind === 'message' ? refuseLeadCommand(entry, leader, this.#options.verifier) : undefined;
		if (verdict.kind === 'message' && !refused) {
			this.#messages.publish(entry);
			return;
		}
		this.#acks.add(entry);
		const rejection = refused ?? (verdict.kind === 'reject' ? verdict : undefined);
		if (!rejection) return;
		const { reason, detail, requestId } = rejection;
		this.emit('rejected', { reason, entry, detail, ...(requestId === undefined ? {} : { requestId }) });
	}

	/** In a shared inbox, whether an answer is another live process's to take (its owner acks it within ms). */
	#ownedByAnother(entry: InboxEntry): boolean {
		if (this.#options.sharedInbox !== true) return false;
		// An unreadable timestamp counts as unclaimed (NaN compares false).
		return Date.now() - Date.parse(entry.timestamp) <= SHARED_ANSWER_CLAIM_MS;
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
		clearInterval(this.#leadCheck);
		this.#waits.closeAll();
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
