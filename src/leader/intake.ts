/**
What the Leader does with one entry of its inbox: tell permission requests from other messages, refuse the ones
Claude Code refuses (malformed, or naming another agent than their sender), ask the policy for an immediate verdict,
and then either answer at once or journal the request for a person.
*/

import { isMailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { DecidedBy } from '../journal/audit-log.js';
import { type PendingRecord, PendingStore } from '../journal/pending-store.js';
import { isValidHost } from '../policy/host-pattern.js';
import type { Policy } from '../policy/policy.js';
import { parseFrame } from '../protocol/frame-codec.js';
import type { PermissionRequestFrame } from '../protocol/frames.js';
import type { Team } from '../team/team.js';
import type { Answerer } from './answer.js';
import type { AskDesk } from './asks.js';
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

/** The policy's (or validation's) decision on a request, or `undefined` when a person must decide. */
export async function verdictFor(
	team: Team,
	policy: Policy | undefined,
	record: PendingRecord,
): Promise<Verdict | undefined> {
	if (record.kind === 'sandbox' && !isValidHost(hostOf(record))) {
		const message = `Network access refused: ${JSON.stringify(hostOf(record))} is not one valid host name.`;
		return { decision: { behavior: 'deny', message }, decidedBy: 'validation' };
	}
	if (!policy) return undefined;
	await policy.refresh();
	const frame = record.frame as PermissionRequestFrame;
	const verdict =
		record.kind === 'sandbox'
			? policy.decideHost(hostOf(record))
			: policy.decideTool(frame.tool_name, frame.input, await workerContext(team, record.worker));
	if (verdict.behavior === 'allow')
		return { decision: { behavior: 'allow' }, decidedBy: 'policy', note: verdict.reason };
	if (verdict.behavior === 'deny') {
		return { decision: { behavior: 'deny', message: verdict.reason }, decidedBy: 'policy', note: verdict.reason };
	}
	return undefined;
}

/** Decides taken-in and recovered requests: answers at once what the policy decides, offers the rest to people. */
export class Decider {
	readonly #team: Team;
	readonly #policy: Policy | undefined;
	readonly #store: PendingStore;
	readonly #answerer: Answerer;
	readonly #asks: AskDesk;
	readonly #acceptNonMembers: boolean;

	constructor(
		team: Team,
		policy: Policy | undefined,
		store: PendingStore,
		answerer: Answerer,
		asks: AskDesk,
		acceptNonMembers = false,
	) {
		this.#team = team;
		this.#acceptNonMembers = acceptNonMembers;
		this.#policy = policy;
		this.#store = store;
		this.#answerer = answerer;
		this.#asks = asks;
	}

	/**
	A request just taken out of the inbox (not journaled yet); `ack` removes its entry once that is safe. A sender
	the roster does not know is answered deny and reported back as refused (a typo'd or stray name must not get
	the team's rules).
	*/
	async takeIn(record: PendingRecord, ack: () => void): Promise<{ reason: DropReason; detail: string } | undefined> {
		if (!this.#acceptNonMembers && !(await this.#team.members()).some((member) => member.name === record.worker)) {
			const detail = `${JSON.stringify(record.worker)} is not a member of team ${JSON.stringify(this.#team.name)}`;
			const message = `Request refused: ${detail} (not in its config.json).`;
			await this.#answer(record, { decision: { behavior: 'deny', message }, decidedBy: 'validation' }, true);
			ack();
			return { reason: 'not-a-member', detail };
		}
		const verdict = await verdictFor(this.#team, this.#policy, record);
		if (verdict) {
			// Decided at once: journaled and claimed in one step, and the entry stays in the inbox until the answer
			// is out, so a crash before that loses nothing (the entry is taken in again, or the journal finishes the
			// claimed answer). The worker's wait is then one claim, overlapped with one delivery.
			await this.#answer(record, verdict, true);
			ack();
			return undefined;
		}
		// Left to a person: journal durably first, then take it out of the inbox.
		await this.#store.record(record);
		ack();
		this.#asks.offer(record);
		return undefined;
	}

	/** A journaled request (recovery): answer it by policy, or offer it to a person. */
	async decide(record: PendingRecord): Promise<void> {
		const verdict = await verdictFor(this.#team, this.#policy, record);
		if (verdict) await this.#answer(record, verdict, false);
		else this.#asks.offer(record);
	}

	async #answer(record: PendingRecord, { decision, decidedBy, note }: Verdict, unjournaled: boolean): Promise<void> {
		await this.#answerer.answer(record, decision, decidedBy, { note, unjournaled }).catch((error: unknown) => {
			if (!isMailboxError(error, 'ALREADY_ANSWERED')) throw error;
		});
	}
}
