/**
Answering from another process than the running Leader (a CLI): find a request in the team's journal and answer it
through the same exactly-once claim. `Leader.answer` and `Leader.listPending` are the public entry points.
*/

import { errors } from '../errors.js';
import type { OutgoingEntry } from '../inbox/entry.js';
import type { OperationOptions } from '../inbox/options.js';
import { AuditLog, auditLogPath } from '../journal/audit-log.js';
import { PendingStore } from '../journal/pending-store.js';
import type { Policy } from '../policy/policy.js';
import type { Team } from '../team/team.js';
import { Answerer, type AnswerResult } from './answer.js';
import { PendingRequest } from './pending-request.js';
import type { AnswerDecision } from './response.js';

/** Options of the static {@link Leader.answer} and {@link Leader.listPending}, for answering from another process. */
export interface RemoteAnswerOptions extends OperationOptions {
	/** The worker whose request it is, when a request id is pending for several. */
	worker?: string;
	/** Recorded in the audit log. @default 'cli' */
	decidedBy?: string;
	/** @default the roster's leader name */
	name?: string;
	signer?: (entry: OutgoingEntry, recipient: string) => OutgoingEntry;
	/** Where "always" rules go. @default the team's rules file */
	policy?: Policy;
	/** @default true */
	auditLog?: boolean;
}

async function remoteAnswerer(team: Team, store: PendingStore, options: RemoteAnswerOptions): Promise<Answerer> {
	return new Answerer({
		team,
		store,
		leaderName: options.name ?? (await team.leaderName()),
		signer: options.signer,
		policy: options.policy,
		audit: options.auditLog === false ? undefined : new AuditLog(auditLogPath(team.directory)),
	});
}

/** See `Leader.answer`. */
export async function answerFromJournal(
	team: Team,
	requestId: string,
	decision: AnswerDecision,
	options: RemoteAnswerOptions = {},
): Promise<AnswerResult> {
	const { worker, decidedBy = 'cli', name, signer, policy, auditLog, ...operation } = options;
	const store = new PendingStore(team);
	const matches = (await store.list()).filter(
		({ record }) => record.requestId === requestId && (worker === undefined || record.worker === worker),
	);
	const [match] = matches;
	if (match === undefined) {
		const answered = (await store.claimsFor(requestId, worker)).length > 0;
		throw answered
			? errors.alreadyAnswered(requestId, store.directory)
			: errors.requestNotFound(requestId, store.directory);
	}
	if (matches.length > 1)
		throw errors.ambiguousRequest(
			requestId,
			matches.map(({ record }) => record.worker),
		);
	if (match.answer) throw errors.alreadyAnswered(requestId, store.directory);
	const answerer = await remoteAnswerer(team, store, { name, signer, policy, auditLog });
	return answerer.answer(match.record, decision, decidedBy, operation);
}

/** See `Leader.listPending`. */
export async function listJournal(
	team: Team,
	options: Omit<RemoteAnswerOptions, keyof OperationOptions> = {},
): Promise<PendingRequest[]> {
	const store = new PendingStore(team);
	const answerer = await remoteAnswerer(team, store, options);
	return (await store.list())
		.filter(({ record, answer }) => !answer && (options.worker === undefined || record.worker === options.worker))
		.map(({ record }) => new PendingRequest(record, answerer, options.decidedBy ?? 'cli'));
}
