/**
The team lead's side of swarm permission sync. A Leader claims the team's lead (`leadProcess`, as Claude Code records
it), watches its inbox and takes in each `permission_request` and `sandbox_permission_request`. One the policy or the
runner's `decide` function decides at once is answered before its inbox entry is acked; one left to a person is
journaled durably, acked, and handed out through `requests()`. Answers go through the shared journal (see
`pending-store.ts`), so exactly one answer is sent per request even across a crash, a restart, or a CLI answering from
another process; every answer, whoever gave it, is reported as `decided` (read back from the audit log).
*/

import { EventEmitter } from 'node:events';
import { ackBatcher, Channel, settlesWithin } from '../async-queue.js';
import { errors, isMailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { Inbox } from '../inbox/inbox.js';
import type { InvalidEntryEvent } from '../inbox/options.js';
import type { QuarantineEvent } from '../inbox/plan.js';
import type { InboxWatcher } from '../inbox/watch.js';
import { AuditLog, type AuditRecord, auditLogPath } from '../journal/audit-log.js';
import { PendingStore } from '../journal/pending-store.js';
import type { LeadHeartbeat } from '../team/lead-heartbeat.js';
import {
	hostOfSpace,
	judgeProcess,
	onThisMachine,
	type ProcessClaim,
	parseProcessClaim,
	sameClaim,
} from '../team/lead-process.js';
import type { LeadClaim, Team } from '../team/team.js';
import { Answerer } from './answer.js';
import { AskDesk } from './asks.js';
import { DecideRunner } from './decide.js';
import { DecisionFeed } from './decision-feed.js';
import { classifyEntry, Decider, type DropReason } from './intake.js';
import {
	AUDIT_BATCH,
	CLAIM_LEASE_MS,
	type LeadDisplaced,
	type LeaderEvents,
	type LeaderOptions,
	type LeadTakeover,
	MAX_CONCURRENT_INTAKE,
	REPORTED_MEMORY,
} from './options.js';
import { PendingRequest } from './pending-request.js';
import { type RecoveryContext, recoverJournal } from './recovery.js';
import { answerFromJournal, listJournal } from './remote.js';
import { auditRecordOf } from './response.js';

export type { DecideContext, DecideFunction, DecideRequest } from './decide.js';
export type { DroppedRequest, LeadDisplaced, LeaderEvents, LeaderOptions, LeadTakeover } from './options.js';
export type { RemoteAnswerOptions } from './remote.js';

/** How long an answer across machines waits for its request's ack (an ack stuck behind a busy lock is not waited out). */
const ACK_NOW_MAX_MS = 750;

/** The team lead: receives permission requests, has them decided, answers each exactly once. */
export class Leader extends EventEmitter<LeaderEvents> {
	readonly team: Team;
	#name: string;
	readonly #options: LeaderOptions;
	readonly #decideRunner: DecideRunner | undefined;
	/** msg_ids of answers reported as `decided` lately (own answers come back through the audit log). */
	readonly #reported = new Set<string>();
	#feed: DecisionFeed | undefined;
	#claim: ProcessClaim | undefined;
	#heartbeat: LeadHeartbeat | undefined;
	#inbox: Inbox | undefined;
	readonly #onQuarantine = (event: QuarantineEvent) => this.emit('quarantine', event);
	readonly #onInvalid = (event: InvalidEntryEvent) => this.emit('invalid', event);
	readonly #store: PendingStore;
	readonly #answerer: Answerer;
	readonly #asks: AskDesk;
	readonly #decider: Decider;
	readonly #messages = new Channel<InboxEntry>();
	/** Keys being taken in right now, so a duplicate entry arriving meanwhile is dropped, not answered twice. */
	readonly #intaking = new Set<string>();
	readonly #inflight = new Set<Promise<void>>();
	/** Acks entries in bursts, off the answer's path (one that fails to ack is taken in again: a duplicate). */
	readonly #acks = ackBatcher<InboxEntry>(
		(batch) => this.team.inbox(this.#name).ack(batch),
		(error) => this.#fail(error),
	);
	#watcher: InboxWatcher | undefined;
	#loop: Promise<void> | undefined;
	#started: Promise<void> | undefined;
	#retry: NodeJS.Timeout | undefined;
	#sweep: NodeJS.Timeout | undefined;
	#leadCheck: NodeJS.Timeout | undefined;
	#checkingLead = false;
	/** Another claim the previous look found recorded. */
	#otherLead: ProcessClaim | undefined;
	#recovery: Promise<void> | undefined;
	readonly #recoveryContext: RecoveryContext;
	#closed = false;

	constructor(team: Team, options: LeaderOptions = {}) {
		super();
		this.team = team;
		this.#name = options.name ?? 'team-lead';
		this.#options = options;
		this.#store = new PendingStore(team);
		const leader = this;
		this.#answerer = new Answerer({
			team,
			store: this.#store,
			get leaderName() {
				return leader.#name; // the roster's, once started
			},
			signer: options.signer,
			policy: options.policy,
			audit:
				options.auditLog === false
					? undefined
					: new AuditLog(auditLogPath(team.directory), { batch: AUDIT_BATCH, flushFirst: [team.inboxDirectory] }),
			onFinished: (record, claim) => {
				this.#asks.settle(record.key);
				this.#reportDecided(auditRecordOf(record, claim));
			},
			onUnfinished: () => this.#scheduleRecovery(),
		});
		this.#asks = new AskDesk({
			answerer: this.#answerer,
			askTimeoutMs: () => options.policy?.askTimeoutMs,
			onFailure: (error) => this.#fail(error),
		});
		if (options.decide) {
			const context = {
				team,
				get leader() {
					return leader.#name;
				},
			};
			const timeoutMs = options.decideTimeoutMs ?? 5_000;
			this.#decideRunner = new DecideRunner(options.decide, timeoutMs, context, (error) => this.#fail(error));
		}
		this.#decider = new Decider({
			team,
			policy: options.policy,
			decide: this.#decideRunner && { runner: this.#decideRunner, name: options.decidedBy ?? 'decider' },
			store: this.#store,
			answerer: this.#answerer,
			asks: this.#asks,
			acceptNonMembers: options.acceptNonMembers,
		});
		this.#recoveryContext = {
			store: this.#store,
			answerer: this.#answerer,
			decider: this.#decider,
			asks: this.#asks,
			isBusy: (key) => this.#intaking.has(key) || this.#answerer.isAnswering(key),
			isClosed: () => this.#closed,
			onFailure: (error) => this.#fail(error),
			onUnfinished: () => this.#scheduleRecovery(),
			claimLeaseMs: options.claimLeaseMs ?? CLAIM_LEASE_MS,
		};
	}

	/** The leader's inbox name: `options.name`, else (once started) the roster's lead, else `team-lead`. */
	get name(): string {
		return this.#name;
	}

	/** The `leadProcess` this Leader holds while it runs. */
	get leadClaim(): ProcessClaim | undefined {
		return this.#claim;
	}

	/**
	Claim the team's lead, recover the journal (finish interrupted answers, re-offer open requests), then watch the
	inbox. Idempotent.
	@throws {MailboxError} `LEAD_ACTIVE` when another live lead (ours or Claude Code's) holds the team (see `takeover`).
	*/
	start(): Promise<void> {
		this.#started ??= this.#start();
		return this.#started;
	}

	async #start(): Promise<void> {
		if (this.#closed) throw errors.closed('Leader');
		this.#name = this.#options.name ?? (await this.team.leaderName());
		const lead = await this.team.claimLead({
			takeover: this.#options.takeover ?? false,
			...(this.#options.leadStaleMs === undefined ? {} : { leadStaleMs: this.#options.leadStaleMs }),
		});
		this.#claim = lead.claim;
		// Keeps the claim visibly alive to other machines, which judge it by these beats (not by its pid or clock).
		this.#heartbeat = lead.heartbeat;
		lead.heartbeat.start((error) => this.#fail(error));
		// As often as it beats, it checks that the claim recorded is still its own.
		this.#leadCheck = setInterval(
			() => this.#checkLead().catch((error: unknown) => this.#fail(error)),
			lead.heartbeat.refreshMs,
		);
		this.#leadCheck.unref();
		if (lead.replaced) this.emit('takeover', takeoverOf(this.team, lead.replaced));
		try {
			await this.#startClaimed();
		} catch (error) {
			await this.#release();
			throw error;
		}
	}

	async #startClaimed(): Promise<void> {
		await this.#store.prepare();
		await this.#store.prune(this.#options.answeredRetentionMs ?? 86_400_000);
		await this.#options.policy?.load();
		if (this.#options.auditLog !== false) {
			this.#feed = await DecisionFeed.start(this.team, (record) => this.#reportDecided(record));
		}
		await this.recover();
		if (this.#closed) return;
		this.#inbox = this.team.inbox(this.#name);
		this.#inbox.on('quarantine', this.#onQuarantine).on('invalid', this.#onInvalid);
		const watcher = this.#inbox.watch({ polling: this.#options.polling, pollIntervalMs: this.#options.pollIntervalMs });
		this.#watcher = watcher;
		await watcher.ready();
		const everyMs = this.#options.recoveryIntervalMs ?? 30_000;
		if (everyMs > 0) {
			this.#sweep = setInterval(() => {
				this.#store.prune(this.#options.answeredRetentionMs ?? 86_400_000).catch((error: unknown) => this.#fail(error));
				this.recover({ olderThanMs: everyMs }).catch((error: unknown) => this.#fail(error));
			}, everyMs);
			this.#sweep.unref();
		}
		this.#loop = (async () => {
			try {
				// Requests are taken in concurrently (answers to different workers do not wait for each other), bounded.
				for await (const entry of watcher) {
					this.#takeIn(entry);
					if (this.#inflight.size >= MAX_CONCURRENT_INTAKE) await Promise.race(this.#inflight);
				}
			} catch (error) {
				this.#fail(error); // the watcher gave up: nothing more is taken in until a restart
			}
			await Promise.all(this.#inflight);
		})();
	}

	/**
	Go through the journal: deliver answers that were claimed but not finished (same entry, same msg_id), and decide or
	re-offer every open request. `start()` does this, and it runs again every `recoveryIntervalMs` for entries older
	than that (a CLI that died after claiming an answer, a request journaled by another leader process).
	*/
	recover(options: { olderThanMs?: number } = {}): Promise<void> {
		// One pass after the other: two overlapping passes would both finish the same claimed answer.
		const pass = (this.#recovery ?? Promise.resolve()).then(() => recoverJournal(this.#recoveryContext, options));
		this.#recovery = pass.catch(() => {});
		return pass;
	}

	/**
	Resolves once every entry taken in so far is dealt with: answered by the policy (delivered, logged, finished),
	offered to a person, or dropped, and its inbox entry acked. Workers get policy answers before this point.
	*/
	async flushed(): Promise<void> {
		while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
		await this.#acks.flushed();
	}

	/**
	Requests waiting for a person, as they arrive (recovered ones first). Answer with `approve()` / `deny()`. One that
	was answered while it waited in this stream (through another stream, by the ask timeout, or from another process
	as found by the recovery sweep) is skipped.
	*/
	requests(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<PendingRequest> & AsyncDisposable {
		return this.#asks.subscribe(options.signal);
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

	/** Report an answer once, whether this Leader gave it or another process did (found in the audit log). */
	#reportDecided(record: AuditRecord): void {
		if (this.#reported.has(record.msgId)) return;
		this.#reported.add(record.msgId);
		if (this.#reported.size > REPORTED_MEMORY) this.#reported.delete(this.#reported.values().next().value as string);
		this.emit('decided', record);
	}

	/** Take an entry in; if that fails (rules file unreadable, disk full), try again after `retryIntervalMs`. */
	#takeIn(entry: InboxEntry): void {
		const task: Promise<void> = this.#intake(entry)
			.catch((error: unknown) => {
				this.#fail(error);
				if (this.#closed) return;
				// The watcher yields an entry once: without this, it would wait in the inbox until a restart. If it
				// was journaled before failing, the retry sees a duplicate and the journal pass finishes it.
				setTimeout(() => this.#closed || this.#takeIn(entry), this.#options.retryIntervalMs ?? 5_000).unref();
				this.#scheduleRecovery();
			})
			.finally(() => this.#inflight.delete(task));
		this.#inflight.add(task);
	}

	async #intake(entry: InboxEntry): Promise<void> {
		const intake = classifyEntry(entry);
		if (intake.kind === 'message') return this.#messages.publish(entry);
		if (intake.kind === 'drop') return this.#drop(entry, intake.reason, intake.detail);
		const { record } = intake;
		if (this.#intaking.has(record.key) || (await this.#store.has(record.key))) {
			return this.#drop(entry, 'duplicate', `request ${record.requestId} from ${entry.from} was already taken in`);
		}
		this.#intaking.add(record.key);
		try {
			const refused = await this.#decider.takeIn(
				record,
				() => this.#acks.add(entry),
				this.#watcher?.mode?.network ? () => this.#ackNow(entry) : undefined,
			);
			if (refused) this.emit('dropped', { ...refused, entry });
		} finally {
			this.#intaking.delete(record.key);
		}
	}

	/** Ack `entry` now rather than after the batching pause; bounded, as an answer waits on it (see `Decider.takeIn`). */
	async #ackNow(entry: InboxEntry): Promise<void> {
		this.#acks.add(entry);
		await settlesWithin(this.#acks.flushed(), ACK_NOW_MAX_MS);
	}

	#drop(entry: InboxEntry, reason: DropReason, detail: string): void {
		this.#acks.add(entry);
		this.emit('dropped', { reason, entry, detail });
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

	/**
	Another claim recorded over ours, seen on two looks in a row (one read of a file others rewrite proves little), and
	not one of a process gone from this machine (a stale copy written back): stop. None recorded proves nothing (a
	client may rewrite config.json without the field).
	*/
	async #checkLead(): Promise<void> {
		const claim = this.#claim;
		if (!claim || this.#closed || this.#checkingLead) return;
		this.#checkingLead = true;
		try {
			const recorded = await this.team.leadProcess().catch(() => undefined); // unreadable: proves nothing
			const other = recorded && !sameClaim(recorded, claim) && judgeProcess(recorded) !== 'dead' ? recorded : undefined;
			const seenBefore = other && this.#otherLead && sameClaim(other, this.#otherLead);
			this.#otherLead = other;
			if (!other || !seenBefore || this.#closed) return;
			try {
				this.emit('displaced', displacedBy(this.team, other));
			} finally {
				await this.close();
			}
		} finally {
			this.#checkingLead = false;
		}
	}

	#fail(error: unknown): void {
		const failure = isMailboxError(error) ? error : errors.io('process the inbox of', this.#name, error);
		if (!this.#closed) this.emit('failure', failure);
	}

	async #release(): Promise<void> {
		clearInterval(this.#leadCheck); // also when start() failed, or close() came while it claimed
		const claim = this.#claim;
		this.#claim = undefined;
		await this.#heartbeat?.close();
		this.#heartbeat = undefined;
		// A team folder removed meanwhile (a Claude Code lead deletes the team it led on exit) has nothing to release.
		if (claim) await this.team.releaseLead(claim).catch(() => false);
	}

	/** Stop watching, end the streams and release the lead. Open requests stay in the journal for the next start. */
	async close(): Promise<void> {
		this.#closed = true;
		clearTimeout(this.#retry);
		clearInterval(this.#sweep);
		this.#decideRunner?.close();
		const asksClosed = this.#asks.close(); // no ask timeout may fire once closing
		await this.#started?.catch(() => {});
		await this.#watcher?.close();
		await this.#loop;
		await this.#acks.flushed();
		await this.#feed?.close();
		this.#inbox?.off('quarantine', this.#onQuarantine).off('invalid', this.#onInvalid);
		await Promise.all([asksClosed, this.#messages.close()]);
		await this.#release();
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}

	/**
	Answer a journaled request from any process (a CLI), through the same exactly-once claim as a running Leader.
	@throws {MailboxError} `ALREADY_ANSWERED`, `REQUEST_NOT_FOUND`, or `INVALID_ARGUMENT` (ambiguous id: pass `worker`).
	*/
	static readonly answer: typeof answerFromJournal = answerFromJournal;

	/** The unanswered requests of a team's journal, answerable from this process (`decidedBy` defaults to 'cli'). */
	static readonly listPending: typeof listJournal = listJournal;
}

/** The `displaced` event: the claim now recorded, and the error that says so. */
function displacedBy(team: Team, recorded: ProcessClaim): LeadDisplaced {
	return {
		by: recorded,
		error: errors.leadDisplaced(team.name, recorded.pid, hostOfSpace(recorded.pidSpace), team.configPath),
	};
}

/** The `takeover` event for a replaced claim, with a sentence for a log. */
function takeoverOf(team: Team, replaced: NonNullable<LeadClaim['replaced']>): LeadTakeover {
	const previous = parseProcessClaim(replaced.previous);
	const holder = previous ? `process ${previous.pid} on ${hostOfSpace(previous.pidSpace)}` : 'a malformed leadProcess';
	const elsewhere = previous !== undefined && !onThisMachine(previous);
	const why = {
		dead: elsewhere
			? 'stopped refreshing its heartbeat (unchanged for the stale window, as seen from here)'
			: 'is gone',
		unknown: elsewhere
			? 'is on another machine and keeps no heartbeat, so cannot be judged from here'
			: 'cannot be judged from here',
		alive: 'was alive (takeover forced)',
	}[replaced.state];
	return {
		previous: replaced.previous,
		state: replaced.state,
		message: `Took over the lead of team ${JSON.stringify(team.name)}: the recorded lead (${holder}) ${why}.`,
	};
}
