/**
Answering a journaled request, the same way from a running Leader or from another process (a CLI): claim the one
answer with the response entry fixed up front, persist any "always" rule, deliver the response to the worker's inbox
(signed when a signer is given; written while the claim is flushed and made visible only once it is durable), log the
decision, then mark the request finished. A process that dies part way leaves the claim behind, and
`finish(…, {recovering: true})` completes it with the very same entry. The response itself is built in
`leader-response.ts`.
*/

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { errors, isMailboxError } from '../errors.js';
import { fsyncDirectory, type PreparedFile } from '../fs/atomic-write.js';
import type { OutgoingEntry } from '../inbox/entry.js';
import type { OperationOptions, SendOptions } from '../inbox/options.js';
import type { AuditLog, DecidedBy } from '../journal/audit-log.js';
import type { AnswerClaim, PendingRecord, PendingStore } from '../journal/pending-store.js';
import { Policy } from '../policy/policy.js';
import { thisProcess } from '../team/lead-process.js';
import type { Team } from '../team/team.js';
import { type AnswerDecision, auditRecordOf, prepareResponse } from './response.js';

/** What an answer did. */
export interface AnswerResult {
	requestId: string;
	worker: string;
	decision: 'allow' | 'deny';
	/** The `msg_id` of the response entry. */
	msgId: string;
	/** The rule persisted by "always". */
	persistedRule?: string;
}

/** What the answering process brings. */
export interface AnswerContext {
	team: Team;
	store: PendingStore;
	/** The envelope `from` of responses. */
	leaderName: string;
	/** Signs a response for its recipient (the worker's name). */
	signer?: ((entry: OutgoingEntry, recipient: string) => OutgoingEntry) | undefined;
	/** Where "always" rules go (its rules file, or its memory without one). @default the team's rules file */
	policy?: Policy | undefined;
	audit?: AuditLog | undefined;
	/** Called once a request is finished (delivered, logged, removed from the journal). */
	onFinished?: ((record: PendingRecord, claim: AnswerClaim) => void) | undefined;
	/** Called when a claimed answer could not be finished (it stays claimed until a recovery delivers it). */
	onUnfinished?: ((record: PendingRecord, error: unknown) => void) | undefined;
}

/** An answer written ahead of its decision (see {@link Answerer.prepareAllow}). */
export interface PreparedAnswer {
	readonly decidedBy: DecidedBy;
	/** Epoch ms. */
	readonly preparedAt: number;
	/** The claim and its file, once written; `undefined` if that failed or it was discarded first. */
	readonly ready: Promise<{ claim: AnswerClaim; file: PreparedFile } | undefined>;
	/** Drop it (its file is removed once written). */
	discard(): void;
}

function dropped(prepared: PreparedAnswer): undefined {
	prepared.discard();
	return undefined;
}

const DELIVERY_ATTEMPTS = 2;
/** How long after it was written ahead an answer may still be sent as it is (its timestamp is from then). */
const PREPARED_MAX_AGE_MS = 1_000;

/** Claims being answered by this process, whichever Answerer made them (`<journal dir>\0<key>`). */
const answeringHere = new Set<string>();

/** Whether this process is delivering the claim of `key` in the journal `directory` right now. */
export function isAnsweringHere(directory: string, key: string): boolean {
	return answeringHere.has(`${directory}\0${key}`);
}

/** Claims, delivers and logs answers (see the module notes). */
export class Answerer {
	readonly #ctx: AnswerContext;
	readonly #answering = new Set<string>();
	#policy: Policy | undefined;

	constructor(ctx: AnswerContext) {
		this.#ctx = ctx;
		this.#policy = ctx.policy;
	}

	/**
	Answer `record` once.
	@throws {MailboxError} `ALREADY_ANSWERED` (nothing sent), `REQUEST_NOT_FOUND`, `INVALID_ARGUMENT` for a bad decision
	(nothing claimed), or a delivery error (the answer stays claimed and is delivered by the leader's next recovery).
	*/
	async answer(
		record: PendingRecord,
		decision: AnswerDecision,
		decidedBy: DecidedBy,
		options: OperationOptions & {
			note?: string;
			/** The request is not in the journal yet (decided as it is taken in): journal it with the claim. */
			unjournaled?: boolean;
			/**
			Run once the claim is durable, before the answer becomes visible (it must not reject): the Leader acks the
			request's inbox entry there across machines, so the worker's next request does not meet that rewrite.
			*/
			afterClaim?: () => Promise<void>;
			/** Written ahead by {@link Answerer.prepareAllow}: used if the decision is that allow, else discarded. */
			prepared?: PreparedAnswer | undefined;
		} = {},
	): Promise<AnswerResult> {
		const ahead = options.prepared && (await this.#useAhead(options.prepared, decision, decidedBy, options));
		const claim = ahead?.claim ?? (await this.#claimFor(record, decision, decidedBy, options.note));
		// The response is prepared (worker inbox locked, file written and flushed) while the claim is flushed, and
		// becomes visible only once the claim is durable: a worker never sees an answer that a crash could forget.
		this.#answering.add(record.key);
		const here = `${this.#ctx.store.directory}\0${record.key}`;
		answeringHere.add(here);
		try {
			const claimed = this.#ctx.store.claim(
				record.key,
				claim,
				options.unjournaled ? { record, prepared: ahead?.file } : {},
			);
			const { afterClaim } = options;
			const visible = afterClaim ? claimed.then(afterClaim) : claimed;
			const finished = this.finish(record, claim, { ...options, commitAfter: visible });
			finished.catch(() => {}); // handled below, once the claim has settled
			try {
				await claimed;
			} catch (error) {
				await finished.catch(() => {}); // abandoned: nothing was delivered
				throw error;
			}
			try {
				return await finished;
			} catch (error) {
				this.#ctx.onUnfinished?.(record, error);
				throw error;
			}
		} finally {
			this.#answering.delete(record.key);
			answeringHere.delete(here);
		}
	}

	/**
	Write ahead the answer a plain allow of `record` (decided as it is taken in, not journaled yet) by `decidedBy` would
	make, while that decision is still being taken (an asynchronous decide function): the claim's file is written and
	flushed meanwhile, so if the decision is that allow, `answer(…, {prepared})` only links it. Any other decision, or
	one that comes more than a second later (the response's timestamp is when it was prepared), discards it.
	*/
	prepareAllow(record: PendingRecord, decidedBy: DecidedBy): PreparedAnswer {
		let unwanted = false;
		const ready = (async () => {
			const claim = await this.#claimFor(record, { behavior: 'allow' }, decidedBy, undefined);
			const file = await this.#ctx.store.prepareClaim(record.key, claim, record);
			if (unwanted) {
				await file.discard();
				return undefined;
			}
			return { claim, file };
		})().catch(() => undefined); // a write that fails ahead is made again, and reported, by the answer itself
		return {
			decidedBy,
			preparedAt: Date.now(),
			ready,
			discard: () => {
				unwanted = true;
				void ready.then((written) => written?.file.discard());
			},
		};
	}

	/** The claim and file written ahead, when `decision` is the plain allow they were written for. */
	async #useAhead(
		prepared: PreparedAnswer,
		decision: AnswerDecision,
		decidedBy: DecidedBy,
		options: { note?: string; unjournaled?: boolean },
	): Promise<{ claim: AnswerClaim; file: PreparedFile } | undefined> {
		// A plain allow: nothing but its behavior (any other field, `acceptSuggestions` included, changes the answer).
		const { behavior, ...rest } = decision;
		const plain = Object.values(rest).every(
			(value) => value === undefined || value === false || (Array.isArray(value) && value.length === 0),
		);
		if (behavior !== 'allow' || !plain || decidedBy !== prepared.decidedBy) return dropped(prepared);
		if (options.note !== undefined || options.unjournaled !== true) return dropped(prepared);
		const written = await prepared.ready;
		// Judged once it is written: a slow flush must not send a timestamp older than the limit.
		return Date.now() - prepared.preparedAt <= PREPARED_MAX_AGE_MS ? written : dropped(prepared);
	}

	async #claimFor(
		record: PendingRecord,
		decision: AnswerDecision,
		decidedBy: DecidedBy,
		note: string | undefined,
	): Promise<AnswerClaim> {
		const { text, persistRules, persistUpdates } = await prepareResponse(this.#ctx.team, record, decision);
		const message = decision.behavior === 'deny' ? decision.message || 'Permission denied' : note;
		return {
			version: 1,
			requestId: record.requestId,
			worker: record.worker,
			decision: decision.behavior,
			decidedBy,
			...(message === undefined ? {} : { message }),
			msgId: randomUUID(),
			timestamp: new Date().toISOString(),
			text,
			...(persistRules.length > 0 ? { persistRules } : {}),
			...(persistUpdates.length > 0 ? { persistUpdates } : {}),
			claimedAt: Date.now(),
			owner: thisProcess(),
		};
	}

	/** Whether this process is answering `key` right now (a recovery pass must leave it to that answer). */
	isAnswering(key: string): boolean {
		return this.#answering.has(key);
	}

	/**
	Complete a claimed answer: persist "always" rules, deliver (skipped when recovering and already in the inbox), log,
	finish. With `commitAfter` (the claim still being made), nothing takes effect unless it resolves.
	*/
	async finish(
		record: PendingRecord,
		claim: AnswerClaim,
		options: SendOptions & { recovering?: boolean } = {},
	): Promise<AnswerResult> {
		const { store, audit } = this.#ctx;
		if (claim.persistRules || claim.persistUpdates) {
			await options.commitAfter;
			const policy = await this.#policyFor();
			for (const rule of claim.persistRules ?? []) await policy.allowAlways(rule);
			if (claim.persistUpdates) await policy.persistUpdates(claim.persistUpdates);
		}
		// Logged after delivery, to keep the log off the worker's wait: the claim already holds the decision durably,
		// and the journal entry stays until the line is written, so a crash in between is logged by the recovery.
		// A logged answer was delivered, so the line also tells a recovery that nothing is left to send.
		const logged =
			options.recovering && audit !== undefined && (await audit.has(claim.msgId, { since: claim.claimedAt }));
		if (!logged) {
			await this.#deliver(record, claim, options);
			await audit?.append(auditRecordOf(record, claim));
		}
		// With a log, the journal entry's removal need not be flushed: if a power cut brings it back, its line shows
		// the answer went out.
		await store.complete(record.key, { durable: audit === undefined });
		this.#ctx.onFinished?.(record, claim);
		const result: AnswerResult = {
			requestId: record.requestId,
			worker: record.worker,
			decision: claim.decision,
			msgId: claim.msgId,
		};
		if (claim.persistRules?.[0] !== undefined) result.persistedRule = claim.persistRules[0];
		return result;
	}

	async #policyFor(): Promise<Policy> {
		this.#policy ??= await Policy.forTeam(this.#ctx.team);
		return this.#policy;
	}

	async #deliver(record: PendingRecord, claim: AnswerClaim, options: SendOptions & { recovering?: boolean }) {
		const inbox = this.#ctx.team.inbox(record.worker);
		// With a log that flushes the inbox directory before the line, one flush covers a whole batch of deliveries
		// (and stays out of the way of the worker's next request).
		const flushDirectory = !this.#ctx.audit?.flushesFirst(path.dirname(inbox.path));
		if (options.recovering && (await inbox.read()).some((entry) => entry.msg_id === claim.msgId)) {
			// Already in the inbox, maybe not flushed yet by the process that wrote it (it died before its log line).
			if (flushDirectory) await fsyncDirectory(path.dirname(inbox.path));
			return;
		}
		let entry: OutgoingEntry = {
			from: this.#ctx.leaderName,
			text: claim.text,
			timestamp: claim.timestamp,
			msg_id: claim.msgId,
		};
		if (this.#ctx.signer) {
			entry = this.#ctx.signer(entry, record.worker);
			if (entry.msg_id !== claim.msgId) throw errors.signerChangedId(claim.msgId, entry.msg_id);
		}
		for (let attempt = 1; ; attempt++) {
			try {
				await inbox.send(entry, { ...options, flushDirectory });
				return;
			} catch (error) {
				if (attempt >= DELIVERY_ATTEMPTS || isMailboxError(error, 'ABORTED')) throw error;
				// A failed claim is final: there is nothing to deliver, now or on a retry.
				if (
					options.commitAfter &&
					(await options.commitAfter.then(
						() => false,
						() => true,
					))
				)
					throw error;
			}
		}
	}
}
