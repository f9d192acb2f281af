/**
The team lead's side of swarm permission sync. A Leader watches its inbox, takes in each `permission_request` and
`sandbox_permission_request`, journals it durably (before acking the inbox entry), and has it decided by the policy at
once or handed to a person through `requests()`. Answers go through the shared journal (see `pending-store.ts`), so
exactly one answer is sent per request even across a crash, a restart, or a CLI answering from another process.
*/

import { EventEmitter } from 'node:events';
import { Batcher, Channel } from './async-queue.js';
import { AuditLog, type AuditRecord, auditLogPath, type DecidedBy } from './audit-log.js';
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

const MAX_CONCURRENT_INTAKE = 32;
const ACK_DELAY_MS = 25;

/** How the policy (or request validation) answered, when it did. */
interface Verdict {
	decision: AnswerDecision;
	decidedBy: DecidedBy;
	note?: string | undefined;
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
	/** Keys being taken in right now, so a duplicate entry arriving meanwhile is dropped, not answered twice. */
	readonly #intaking = new Set<string>();
	readonly #inflight = new Set<Promise<void>>();
	/** Acks taken-in and dropped entries in bursts, off the answer's path. */
	readonly #acks = new Batcher<InboxEntry>(
		(batch) =>
			this.team
				.inbox(this.name)
				.ack(batch)
				.then(
					() => {},
					// Left in the inbox, the entry is taken in again later and dropped as a duplicate.
					(error: unknown) => this.#fail(error),
				),
		{ delayMs: ACK_DELAY_MS },
	);
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
			// Requests are taken in concurrently (answers to different workers do not wait for each other), bounded.
			const inflight = this.#inflight;
			for await (const entry of watcher) {
				const task: Promise<void> = this.#intake(entry)
					.catch((error: unknown) => this.#fail(error))
					.finally(() => inflight.delete(task));
				inflight.add(task);
				if (inflight.size >= MAX_CONCURRENT_INTAKE) await Promise.race(inflight);
			}
			await Promise.all(inflight);
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

	/**
	Resolves once every entry taken in so far is dealt with: answered by the policy (delivered, logged, finished),
	offered to a person, or dropped, and its inbox entry acked. Workers get policy answers before this point.
	*/
	async flushed(): Promise<void> {
		while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
		await this.#acks.flushed();
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
		const drop = (reason: DroppedRequest['reason'], detail: string) => {
			this.#acks.add(entry);
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
		if (this.#intaking.has(key) || (await this.#store.has(key))) {
			return drop('duplicate', `request ${requestId} from ${entry.from} was already taken in`);
		}
		this.#intaking.add(key);
		try {
			await this.#takeIn(entry, record);
		} finally {
			this.#intaking.delete(key);
		}
	}

	async #takeIn(entry: InboxEntry, record: PendingRecord): Promise<void> {
		const verdict = await this.#verdict(record);
		if (verdict) {
			// Decided at once: the entry stays in the inbox until the answer is out, so a crash before that loses
			// nothing (the entry is taken in again, or the journal finishes the claimed answer), and the journal
			// entry needs no fsync. The worker's wait is then one claim and one delivery long.
			if (!(await this.#store.record(record, { durable: false }))) return;
			await this.#answer(record, verdict);
			this.#acks.add(entry);
			return;
		}
		// Left to a person: journal durably first, then take it out of the inbox.
		if (!(await this.#store.record(record))) return;
		this.#acks.add(entry);
		this.#offer(record);
	}

	/** The policy's (or validation's) decision on a request, or `undefined` when a person must decide. */
	async #verdict(record: PendingRecord): Promise<Verdict | undefined> {
		if (record.kind === 'sandbox' && !isValidHost(hostOf(record))) {
			const shown = JSON.stringify(hostOf(record));
			const message = `Network access refused: ${shown} is not one valid host name.`;
			return { decision: { behavior: 'deny', message }, decidedBy: 'validation' };
		}
		const policy = this.#options.policy;
		if (!policy) return undefined;
		await policy.refresh();
		const frame = record.frame as PermissionRequestFrame;
		const verdict =
			record.kind === 'sandbox'
				? policy.decideHost(hostOf(record))
				: policy.decideTool(frame.tool_name, frame.input, await workerContext(this.team, record.worker));
		if (verdict.behavior === 'allow')
			return { decision: { behavior: 'allow' }, decidedBy: 'policy', note: verdict.reason };
		if (verdict.behavior === 'deny') {
			return { decision: { behavior: 'deny', message: verdict.reason }, decidedBy: 'policy', note: verdict.reason };
		}
		return undefined;
	}

	/** Decide a journaled request (recovery): answer it by policy, or offer it to a person. */
	async #decide(record: PendingRecord): Promise<void> {
		const verdict = await this.#verdict(record);
		if (verdict) await this.#answer(record, verdict);
		else this.#offer(record);
	}

	async #answer(record: PendingRecord, { decision, decidedBy, note }: Verdict): Promise<void> {
		await this.#answerer.answer(record, decision, decidedBy, { note }).catch((error: unknown) => {
			if (!isMailboxError(error, 'ALREADY_ANSWERED')) throw error;
		});
	}

	#offer(record: PendingRecord): void {
		if (this.#offered.has(record.key)) return;
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
		await this.#acks.flushed();
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
