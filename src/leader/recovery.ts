/**
One recovery pass over the pending journal, as a Leader runs it when it starts, after a failed answer, and on its
periodic sweep: claimed but unfinished answers are finished (the same entry, the same `msg_id`), and open requests
are decided by the policy or offered to a person again.

A claim names the process that made it. It is finished here only once that process cannot be delivering it any more:
the owner is dead, or it is this process and no answer of this process is on it, or the claim has outlived
`claimLeaseMs` (an owner on another host cannot be judged, nor a live one that hangs). A claim without an owner
(older versions) is finished once it is older than the pass's `olderThanMs`.
*/

import type { AnswerClaim, PendingStore } from '../journal/pending-store.js';
import { isThisProcess, judgeProcess } from '../team/lead-process.js';
import { type Answerer, isAnsweringHere } from './answer.js';
import type { AskDesk } from './asks.js';
import type { Decider } from './intake.js';

/** What a recovery pass works with. */
export interface RecoveryContext {
	store: PendingStore;
	answerer: Answerer;
	decider: Decider;
	asks: AskDesk;
	/** A request this process is taking in or answering right now: left to that work. */
	isBusy: (key: string) => boolean;
	isClosed: () => boolean;
	onFailure: (error: unknown) => void;
	/** An answer could not be finished: try again later. */
	onUnfinished: () => void;
	/** A claim older than this is finished whoever owns it, in ms. */
	claimLeaseMs: number;
}

/** Whether a recovery may finish `claim` now (see the module notes). */
export function claimIsAbandoned(
	directory: string,
	key: string,
	claim: AnswerClaim,
	options: { now: number; cutoff: number; leaseMs: number },
): boolean {
	const { owner } = claim;
	if (owner === undefined) return claim.claimedAt <= options.cutoff;
	if (claim.claimedAt <= options.now - options.leaseMs) return true;
	const process = { ...owner, claimedAt: claim.claimedAt };
	if (isThisProcess(process)) return !isAnsweringHere(directory, key);
	return judgeProcess(process) === 'dead';
}

/** Run one pass; with `olderThanMs`, only claims and requests older than that. */
export async function recoverJournal(ctx: RecoveryContext, options: { olderThanMs?: number } = {}): Promise<void> {
	const offers = ctx.asks.offersMade();
	const stored = await ctx.store.list();
	ctx.asks.retain(new Set(stored.map(({ record }) => record.key)), offers);
	const now = Date.now();
	const cutoff = now - (options.olderThanMs ?? 0);
	const timing = { now, cutoff, leaseMs: ctx.claimLeaseMs };
	for (const { record, answer } of stored) {
		if (ctx.isClosed()) return;
		if (ctx.isBusy(record.key)) continue;
		if (answer) {
			if (!claimIsAbandoned(ctx.store.directory, record.key, answer, timing)) continue;
			await ctx.answerer.finish(record, answer, { recovering: true }).catch((error: unknown) => {
				ctx.onFailure(error);
				ctx.onUnfinished();
			});
		} else if (record.receivedAt <= cutoff && !ctx.asks.has(record.key)) {
			await ctx.decider.decide(record).catch((error: unknown) => ctx.onFailure(error));
		}
	}
}
