/**
The scripted person at the lead's desk: takes each request the policy left to a person from `leader.requests()`, looks
at it for a visible moment, then approves (possibly with an edited input), denies with a reason, or leaves it alone
(so the worker's own deadline ends it), as the scenario says.
*/

import { setTimeout as sleep } from 'node:timers/promises';
import type { Leader } from '../src/index.js';
import { type Ask, asks, preview } from './scenario.js';

/** Options of {@link runPerson}. */
export interface PersonOptions {
	/** How long each request is looked at before the answer, in ms. */
	thinkMs: number;
	/** Where the person's remarks go. */
	log: (line: string) => void;
	/** Ends the loop (the leader's `close()` ends it too). */
	signal?: AbortSignal;
}

/** Answer requests until the leader closes or `signal` aborts. Resolves when the loop ends. */
export async function runPerson(leader: Leader, options: PersonOptions): Promise<void> {
	const { thinkMs, log, signal } = options;
	const byId = new Map<string, Ask>(asks.map((ask) => [ask.id, ask]));
	try {
		for await (const request of leader.requests(signal ? { signal } : {})) {
			const subject = preview(request);
			const script = byId.get(request.toolUseId ?? '')?.person ?? 'ignore';
			if (script === 'ignore') {
				log(`person leaves ${request.worker}'s "${subject}" unanswered`);
				continue;
			}
			log(`person thinks about ${request.worker}'s "${subject}" (${thinkMs} ms)`);
			await sleep(thinkMs, undefined, signal ? { signal } : {});
			if ('approve' in script) {
				log(`person approves it, edited to "${preview({ ...request, input: script.approve })}"`);
				await request.approve({ updatedInput: script.approve });
			} else {
				log(`person denies it: "${script.deny}"`);
				await request.deny(script.deny);
			}
		}
	} catch (error) {
		if (!signal?.aborted) throw error;
	}
}
