/**
What the Leader does with one entry of its inbox: tell permission requests from other messages, refuse the ones
Claude Code refuses (malformed, or naming another agent than their sender), ask the policy for an immediate verdict,
then the runner's decide function (for what the policy's rules neither allow nor deny), and then either answer at once
or journal the request for a person.
*/

import { isMailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { DecidedBy } from '../journal/audit-log.js';
import { type PendingRecord, PendingStore } from '../journal/pending-store.js';
import { isValidHost } from '../policy/host-pattern.js';
import type { Policy, PolicyDecision } from '../policy/policy.js';
import { parseFrame } from '../protocol/frame-codec.js';
import type { PermissionRequestFrame } from '../protocol/frames.js';
import type { Team } from '../team/team.js';
import type { Answerer, PreparedAnswer } from './answer.js';
import type { AskDesk } from './asks.js';
import type { DecideRunner } from './decide.js';
import { type AnswerDecision, hostOf, workerContext } from './response.js';

/** Why a request was not taken in. */
export type DropReason = 'agent-mismatch' | 'malformed' | 'duplicate' | 'not-a-member';

/** What an inbox entry is to the Leader. */
export type Intake =
	| { kind: 'request'; record: PendingRecord }
	| { kind: 'drop'; reason: DropReason; detail: string }
	| { kind: 'message' };

/** How the policy (or request validation) answered, when it did. */
export interface Verdict {
	decision: AnswerDecision;
	decidedBy: DecidedBy;
	note?: string | undefined;
	/** The policy's fallback (no rule matched): a decide function is asked first. */
	fallback?: boolean;
}

/** Classify one inbox entry; a request comes back as the record to journal (keyed as Claude Code dedupes). */
export function classifyEntry(entry: InboxEntry, receivedAt = Date.now()): Intake {
	const parsed = parseFrame(entry.text);
	if (parsed.kind === 'invalid' && /^(sandbox_)?permission_request$/.test(parsed.type)) {
		const detail = parsed.issues.map((issue) => `${issue.path || parsed.type}: ${issue.message}`).join('; ');
		return { kind: 'drop', reason: 'malformed', detail };
	}
	const frame = parsed.kind === 'frame' ? parsed.frame : undefined;
	if (frame?.type !== 'permission_request' && frame?.type !== 'sandbox_permission_request') return { kind: 'message' };
	const permission = frame.type === 'permission_request';
	const claimed = permission ? frame.agent_id : frame.workerName;
	if (claimed !== entry.from) {
		const detail = `request names ${JSON.stringify(claimed)} but was sent by ${JSON.stringify(entry.from)}`;
		return { kind: 'drop', reason: 'agent-mismatch', detail };
	}
	const kind = permission ? 'permission' : 'sandbox';
	const requestId = permission ? frame.request_id : frame.requestId;
	const key = PendingStore.keyFor(kind, entry.from, requestId, permission ? frame.tool_use_id : '');
	return { kind: 'request', record: { version: 1, key, kind, requestId, worker: entry.from, receivedAt, frame } };
}

/**
What validation and the policy say about a request: a `verdict` when they decide it (a fallback deny included, marked
`fallback`), and the policy's own decision (an `ask`, or the fallback) for a decide function to see.
*/
export async function verdictFor(
	team: Team,
	policy: Policy | undefined,
	record: PendingRecord,
): Promise<{ verdict?: Verdict; policy?: PolicyDecision }> {
	if (record.kind === 'sandbox' && !isValidHost(hostOf(record))) {
		const message = `Network access refused: ${JSON.stringify(hostOf(record))} is not one valid host name.`;
		return { verdict: { decision: { behavior: 'deny', message }, decidedBy: 'validation' } };
	}
	if (!policy) return {};
	await policy.refresh();
	const frame = record.frame as PermissionRequestFrame;
	const decided =
		record.kind === 'sandbox'
			? policy.decideHost(hostOf(record), record.worker)
			: policy.decideTool(frame.tool_name, frame.input, await workerContext(team, record.worker), record.worker);
	const note = decided.reason;
	const fallback = decided.fallback === true;
	if (decided.behavior === 'allow') {
		return { verdict: { decision: { behavior: 'allow' }, decidedBy: 'policy', note, fallback }, policy: decided };
	}
	if (decided.behavior === 'deny') {
		const decision = { behavior: 'deny' as const, message: note };
		return { verdict: { decision, decidedBy: 'policy', note, fallback }, policy: decided };
	}
	return { policy: decided };
}

/** What a {@link Decider} works with. */
export interface DeciderParts {
	team: Team;
	policy: Policy | undefined;
	/** The runner's decide function, run with its deadline; `name` is its `decidedBy`. */
	decide?: { runner: DecideRunner; name: DecidedBy } | undefined;
	store: PendingStore;
	answerer: Answerer;
	asks: AskDesk;
	/** Take requests from senders off the roster (else: deny, reported as `not-a-member`). */
	acceptNonMembers?: boolean | undefined;
}

/**
Decides taken-in and recovered requests: answers at once what the policy or the decide function decides, offers the
rest to people.
*/
export class Decider {
	readonly #parts: DeciderParts;

	constructor(parts: DeciderParts) {
		this.#parts = parts;
	}

	/**
	Validation and the policy's rules, then the decide function, then the policy's fallback; `undefined`: ask.
	`whileDeciding` runs when the decide function answers asynchronously, as it starts waiting.
	*/
	async #verdict(record: PendingRecord, whileDeciding?: () => void): Promise<Verdict | undefined> {
		const { team, policy, decide } = this.#parts;
		const { verdict, policy: said } = await verdictFor(team, policy, record);
		if (!decide || (verdict && !verdict.fallback)) return verdict;
		const decision = await decide.runner.run(record, said, whileDeciding);
		return decision ? { decision, decidedBy: decide.name } : verdict;
	}

	/**
	A request just taken out of the inbox (not journaled yet); `ack` removes its entry once that is safe. A sender
	the roster does not know is answered deny and reported back as refused (a typo'd or stray name must not get
	the team's rules).
	*/
	async takeIn(
		record: PendingRecord,
		ack: () => void,
		ackNow?: () => Promise<void>,
	): Promise<{ reason: DropReason; detail: string } | undefined> {
		const { team, acceptNonMembers } = this.#parts;
		if (!acceptNonMembers && !(await team.members()).some((member) => member.name === record.worker)) {
			const detail = `${JSON.stringify(record.worker)} is not a member of team ${JSON.stringify(team.name)}`;
			const message = `Request refused: ${detail} (not in its config.json).`;
			await this.#answer(record, { decision: { behavior: 'deny', message }, decidedBy: 'validation' }, true);
			ack();
			return { reason: 'not-a-member', detail };
		}
		// While an asynchronous decide function works, the answer its allow would give is written and flushed: an
		// allow then costs only the claim's links (see `Answerer.prepareAllow`).
		let prepared: PreparedAnswer | undefined;
		const { answerer, decide } = this.#parts;
		try {
			const verdict = await this.#verdict(record, () => {
				if (decide) prepared = answerer.prepareAllow(record, decide.name);
			});
			// With `ackNow` (across machines) the entry is acked as soon as the claim, which journals the request, is
			// durable, and before the answer shows: the worker's next request then never meets the ack's rewrite.
			let acked = false;
			const afterClaim =
				ackNow &&
				(() => {
					acked = true;
					return ackNow();
				});
			if (verdict && (await this.#answer(record, verdict, true, afterClaim, prepared))) {
				// Decided at once: journaled and claimed in one step, and the entry stays in the inbox until the claim
				// is durable, so a crash before that loses nothing (the entry is taken in again, or the journal finishes the
				// claimed answer). The worker's wait is then one claim, overlapped with one delivery.
				if (!acked) ack();
				return undefined;
			}
			const { store, asks } = this.#parts;
			// Left to a person: journal durably first, then take it out of the inbox.
			await store.record(record);
			ack();
			asks.offer(record);
			return undefined;
		} finally {
			prepared?.discard(); // an answer written ahead and not used is removed (a used one's temp name is gone)
		}
	}

	/** A journaled request (recovery): answer it by policy or the decide function, or offer it to a person. */
	async decide(record: PendingRecord): Promise<void> {
		const verdict = await this.#verdict(record);
		if (!verdict || !(await this.#answer(record, verdict, false))) this.#parts.asks.offer(record);
	}

	/** Answer by `verdict`; resolves `false` when a decide function's decision was refused (a person decides). */
	async #answer(
		record: PendingRecord,
		verdict: Verdict,
		unjournaled: boolean,
		afterClaim?: () => Promise<void>,
		prepared?: PreparedAnswer,
	): Promise<boolean> {
		const { decision, decidedBy, note } = verdict;
		try {
			await this.#parts.answerer.answer(record, decision, decidedBy, {
				note,
				unjournaled,
				prepared,
				...(afterClaim ? { afterClaim } : {}),
			});
		} catch (error) {
			if (isMailboxError(error, 'ALREADY_ANSWERED')) return true;
			// An invalid decision (`updatedInput` not an object, bad updates) is refused before anything is claimed.
			const decider = this.#parts.decide;
			if (decider && decidedBy === decider.name && isMailboxError(error, 'INVALID_ARGUMENT')) {
				decider.runner.rejected(record, error);
				return false;
			}
			throw error;
		}
		return true;
	}
}
