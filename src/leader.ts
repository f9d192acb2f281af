/**
The team lead's side of swarm permission sync. A Leader watches its inbox, takes in each `permission_request` and
`sandbox_permission_request`, journals it durably (before acking the inbox entry), and has it decided by the policy at
once or handed to a person through `requests()`. Answers go through the shared journal (see `pending-store.ts`), so
exactly one answer is sent per request even across a crash, a restart, or a CLI answering from another process.
*/

import { EventEmitter } from 'node:events';
import { Channel } from './async-queue.js';
import { AuditLog, type AuditRecord, auditLogPath } from './audit-log.js';
import type { InboxEntry, OutgoingEntry } from './entry.js';
import { errors, isMailboxError, type MailboxError } from './errors.js';
import type { OperationOptions } from './inbox.js';
import type { InboxWatcher } from './inbox-watch.js';
import {
	type AnswerDecision,
	Answerer,
	type AnswerResult,
	auditRecordOf,
	hostOf,
	workerContext,
} from './leader-answer.js';
import { answerFromJournal, listJournal, type RemoteAnswerOptions } from './leader-remote.js';
import { PendingRequest } from './pending-request.js';
import { type PendingRecord, PendingStore } from './pending-store.js';
import { isValidHost } from './policy/host-pattern.js';
import type { Policy } from './policy/policy.js';
import { parseFrame } from './protocol/frame-codec.js';
import type { PermissionRequestFrame } from './protocol/frames.js';
import type { Team } from './team.js';

/** Options of {@link Leader}. */
export interface LeaderOptions {
	/** The leader's inbox name and the `from` of its responses. @default 'team-lead' */
	name?: string;
	/** Decides requests at once (allow / deny) or leaves them to a person; without one, every request waits for a person. */
	policy?: Policy;
	/** Signs each response entry (e.g. `(entry) => withLeadSignature(entry, privateKey)`); must keep its `msg_id`. */
	signer?: (entry: OutgoingEntry) => OutgoingEntry;
	/** Append each decision to `<team dir>/swarm-mailbox/audit.jsonl`. @default true */
	auditLog?: boolean;
	/** Poll the inbox instead of OS notifications (network file systems). @default false */
	polling?: boolean;
	/** How long tombstones of answered requests are kept to refuse late duplicates, in ms. @default 86_400_000 */
	answeredRetentionMs?: number;
	/** After an answer fails to go out (it stays claimed), retry the journal this many ms later. @default 5_000 */
	retryIntervalMs?: number;
}

/** A request the leader refused to take in. */
export interface DroppedRequest {
	reason: 'agent-mismatch' | 'malformed' | 'duplicate';
	entry: InboxEntry;
	detail: string;
}

export type { RemoteAnswerOptions } from './leader-remote.js';

export interface LeaderEvents {
	/** A request was not taken in (its entry is acked). */
	dropped: [DroppedRequest];
	/** A request was answered through this Leader (by the policy, a person, or the ask timeout). */
	decided: [AuditRecord];
	/** A background step failed (intake, an automatic answer, recovery); the journal keeps the request. */
	failure: [MailboxError];
}

/** The team lead: receives permission requests, has them decided, answers each exactly once. */
export class Leader extends EventEmitter<LeaderEvents> {
	readonly team: Team;
	readonly name: string;
	readonly #options: LeaderOptions;
	readonly #store: PendingStore;
	readonly #answerer: Answerer;
	readonly #requests = new Channel<PendingRequest>();
	readonly #messages = new Channel<InboxEntry>();
	readonly #timers = new Map<string, NodeJS.Timeout>();
	/** Keys of requests handed to `requests()`, so `recover()` never offers one twice. */
	readonly #offered = new Set<string>();
	#watcher: InboxWatcher | undefined;
	#loop: Promise<void> | undefined;
	#started: Promise<void> | undefined;
	#retry: NodeJS.Timeout | undefined;
	#closed = false;

	constructor(team: Team, options: LeaderOptions = {}) {
		super();
		this.team = team;
		this.name = options.name ?? 'team-lead';
		this.#options = options;
		this.#store = new PendingStore(team);
		this.#answerer = new Answerer({
			team,
			store: this.#store,
			leaderName: this.name,
			signer: options.signer,
			policy: options.policy,
			audit: options.auditLog === false ? undefined : new AuditLog(auditLogPath(team.directory)),
			onFinished: (record, claim) => {
				clearTimeout(this.#timers.get(record.key));
				this.#timers.delete(record.key);
				this.#offered.delete(record.key);
				this.emit('decided', auditRecordOf(record, claim));
			},
			onUnfinished: () => this.#scheduleRecovery(),
		});
	}

	/** Recover the journal (finish interrupted answers, re-offer open requests), then watch the inbox. Idempotent. */
	start(): Promise<void> {
		this.#started ??= this.#start();
		return this.#started;
	}

	async #start(): Promise<void> {
		if (this.#closed) throw errors.closed('Leader');
		await this.#store.prepare();
		await this.#store.prune(this.#options.answeredRetentionMs ?? 86_400_000);
		await this.#options.policy?.load();
		await this.recover();
		if (this.#closed) return;
		const watcher = this.team.inbox(this.name).watch({ polling: this.#options.polling ?? false });
		this.#watcher = watcher;
		await watcher.ready();
		this.#loop = (async () => {
			for await (const entry of watcher) {
				await this.#intake(entry).catch((error: unknown) => this.#fail(error));
			}
		})();
	}

	/**
	Go through the journal: deliver answers that were claimed but not finished (same entry, same msg_id), and decide or
	re-offer every open request. `start()` does this; call it again after a delivery failure.
	*/
	async recover(): Promise<void> {
		const stored = await this.#store.list();
		const open = new Set(stored.map(({ record }) => record.key));
		for (const key of this.#offered) if (!open.has(key)) this.#offered.delete(key);
		for (const { record, answer } of stored) {
			if (this.#closed) return;
			if (answer) {
				await this.#answerer.finish(record, answer, { recovering: true }).catch((error: unknown) => {
					this.#fail(error);
					this.#scheduleRecovery();
				});
			} else if (!this.#offered.has(record.key)) {
				await this.#decide(record).catch((error: unknown) => this.#fail(error));
			}
		}
	}

	/** Requests waiting for a person, as they arrive (recovered ones first). Answer with `approve()` / `deny()`. */
	requests(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<PendingRequest> & AsyncDisposable {
		return this.#requests.subscribe(options.signal);
	}

	/** Inbox entries other than permission requests (plain messages, idle notifications, …); they are not acked. */
	messages(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<InboxEntry> & AsyncDisposable {
		return this.#messages.subscribe(options.signal);
	}

	/** A snapshot of the unanswered requests in the journal (whoever took them in), oldest first. */
	async pending(filter: { worker?: string } = {}): Promise<PendingRequest[]> {
		const open = (await this.#store.list()).filter(
			({ record, answer }) => !answer && (filter.worker === undefined || record.worker === filter.worker),
		);
		return open.map(({ record }) => new PendingRequest(record, this.#answerer));
	}

	async #intake(entry: InboxEntry): Promise<void> {
		const parsed = parseFrame(entry.text);
		const inbox = this.team.inbox(this.name);
		const drop = async (reason: DroppedRequest['reason'], detail: string) => {
			await inbox.ack([entry]);
			this.emit('dropped', { reason, entry, detail });
		};
		if (parsed.kind === 'invalid' && /^(sandbox_)?permission_request$/.test(parsed.type)) {
			return drop(
				'malformed',
				parsed.issues.map((issue) => `${issue.path || parsed.type}: ${issue.message}`).join('; '),
			);
		}
		const frame = parsed.kind === 'frame' ? parsed.frame : undefined;
		if (frame?.type !== 'permission_request' && frame?.type !== 'sandbox_permission_request') {
			this.#messages.publish(entry);
			return;
		}
		const permission = frame.type === 'permission_request';
		const claimed = permission ? frame.agent_id : frame.workerName;
		if (claimed !== entry.from) {
			return drop(
				'agent-mismatch',
				`request names ${JSON.stringify(claimed)} but was sent by ${JSON.stringify(entry.from)}`,
			);
		}
		const kind = permission ? 'permission' : 'sandbox';
		const requestId = permission ? frame.request_id : frame.requestId;
		const key = PendingStore.keyFor(kind, entry.from, requestId, permission ? frame.tool_use_id : '');
		const record: PendingRecord = {
			version: 1,
			key,
			kind,
			requestId,
			worker: entry.from,
			receivedAt: Date.now(),
			frame,
		};
		const created = await this.#store.record(record);
		if (!created) return drop('duplicate', `request ${requestId} from ${entry.from} was already taken in`);
		await inbox.ack([entry]).catch((error: unknown) => this.#fail(error)); // re-read later, it is a duplicate then
		await this.#decide(record);
	}

	async #decide(record: PendingRecord): Promise<void> {
		const policy = this.#options.policy;
		let decision: AnswerDecision | undefined;
		let decidedBy = 'policy';
		let note: string | undefined;
		if (record.kind === 'sandbox' && !isValidHost(hostOf(record))) {
			const shown = JSON.stringify(hostOf(record));
			decision = { behavior: 'deny', message: `Network access refused: ${shown} is not one valid host name.` };
			decidedBy = 'validation';
		} else if (policy) {
			await policy.refresh();
			const frame = record.frame as PermissionRequestFrame;
			const verdict =
				record.kind === 'sandbox'
					? policy.decideHost(hostOf(record))
					: policy.decideTool(frame.tool_name, frame.input, await workerContext(this.team, record.worker));
			if (verdict.behavior === 'allow') decision = { behavior: 'allow' };
			if (verdict.behavior === 'deny') decision = { behavior: 'deny', message: verdict.reason };
			note = verdict.reason;
		}
		if (decision) {
			await this.#answerer.answer(record, decision, decidedBy, { note }).catch((error: unknown) => {
				if (!isMailboxError(error, 'ALREADY_ANSWERED')) throw error;
			});
			return;
		}
		this.#armAskTimeout(record);
		this.#offered.add(record.key);
		this.#requests.publish(new PendingRequest(record, this.#answerer));
	}

	#armAskTimeout(record: PendingRecord): void {
		const timeoutMs = this.#options.policy?.askTimeoutMs;
		if (timeoutMs === undefined || this.#closed) return;
		const delay = Math.max(0, record.receivedAt + timeoutMs - Date.now());
		const message = `No one answered this request within ${timeoutMs} ms, so it was denied.`;
		const timer = setTimeout(() => {
			this.#timers.delete(record.key);
			this.#answerer.answer(record, { behavior: 'deny', message }, 'timeout').catch((error: unknown) => {
				if (!isMailboxError(error, 'ALREADY_ANSWERED')) this.#fail(error);
			});
		}, delay);
		this.#timers.set(record.key, timer);
	}

	/** A claimed answer failed to go out: try the journal again after `retryIntervalMs`. */
	#scheduleRecovery(): void {
		if (this.#retry || this.#closed || this.#started === undefined) return;
		this.#retry = setTimeout(() => {
			this.#retry = undefined;
			this.recover().catch((error: unknown) => this.#fail(error));
		}, this.#options.retryIntervalMs ?? 5_000);
		this.#retry.unref();
	}

	#fail(error: unknown): void {
		const failure = isMailboxError(error) ? error : errors.io('process the inbox of', this.name, error);
		if (!this.#closed) this.emit('failure', failure);
	}

	/** Stop watching and end the streams. Open requests stay in the journal for the next start. */
	async close(): Promise<void> {
		this.#closed = true;
		clearTimeout(this.#retry);
		for (const timer of this.#timers.values()) clearTimeout(timer);
		this.#timers.clear();
		await this.#started?.catch(() => {});
		await this.#watcher?.close();
		await this.#loop;
		await Promise.all([this.#requests.close(), this.#messages.close()]);
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}

	/**
	Answer a journaled request from any process (a CLI), through the same exactly-once claim as a running Leader.
	@throws {MailboxError} `ALREADY_ANSWERED`, `REQUEST_NOT_FOUND`, or `INVALID_ARGUMENT` (ambiguous id: pass `worker`).
	*/
	static answer(
		team: Team,
		requestId: string,
		decision: AnswerDecision,
		options: RemoteAnswerOptions = {},
	): Promise<AnswerResult> {
		return answerFromJournal(team, requestId, decision, options);
	}

	/** The unanswered requests of a team's journal, answerable from this process (`decidedBy` defaults to 'cli'). */
	static listPending(
		team: Team,
		options: Omit<RemoteAnswerOptions, keyof OperationOptions> = {},
	): Promise<PendingRequest[]> {
		return listJournal(team, options);
	}
}
