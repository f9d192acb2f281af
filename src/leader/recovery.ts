/**
One recovery pass over the pending journal, as a Leader runs it when it starts, after a failed answer, and on its
periodic sweep: claimed but unfinished answers are finished (the same entry, the same `msg_id`), and open requests
are decided by the policy or offered to a person again.
*/

import type { PendingStore } from '../journal/pending-store.js';
import type { Answerer } from './answer.js';
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
}

/** Run one pass; with `olderThanMs`, only claims and requests older than that. */
export async function recoverJournal(ctx: RecoveryContext, options: { olderThanMs?: number } = {}): Promise<void> {
	const offers = ctx.asks.offersMade();
	const stored = await ctx.store.list();
	ctx.asks.retain(new Set(stored.map(({ record }) => record.key)), offers);
	const cutoff = Date.now() - (options.olderThanMs ?? 0);
	for (const { record, answer } of stored) {
		if (ctx.isClosed()) return;
		if (ctx.isBusy(record.key) || (answer?.claimedAt ?? record.receivedAt) > cutoff) continue;
		if (answer) {
			await ctx.answerer.finish(record, answer, { recovering: true }).catch((error: unknown) => {
				ctx.onFailure(error);
				ctx.onUnfinished();
			});
		} else if (!ctx.asks.has(record.key)) {
			await ctx.decider.decide(record).catch((error: unknown) => ctx.onFailure(error));
		}
	}
}
