/** The options and events of a {@link Leader}. */

import type { MailboxError } from '../errors.js';
import type { InboxEntry, OutgoingEntry } from '../inbox/entry.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { Policy } from '../policy/policy.js';
import type { DropReason } from './intake.js';

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
	/**
	Poll the inbox's content instead of OS notifications. Unset: poll on a network file system (detected), use
	notifications elsewhere. @default undefined
	*/
	polling?: boolean;
	/** Poll period when polling, in ms. @default 100 */
	pollIntervalMs?: number;
	/** How long tombstones of answered requests are kept to refuse late duplicates, in ms. @default 86_400_000 */
	answeredRetentionMs?: number;
	/** After an answer fails to go out (it stays claimed), retry the journal this many ms later. @default 5_000 */
	retryIntervalMs?: number;
	/**
	Sweep the journal this often for claimed answers and open requests older than this (left by a process that died
	part way, e.g. a CLI), and finish them. 0 disables. @default 30_000
	*/
	recoveryIntervalMs?: number;
}

/** A request the leader refused to take in. */
export interface DroppedRequest {
	reason: DropReason;
	entry: InboxEntry;
	detail: string;
}

export interface LeaderEvents {
	/** A request was not taken in (its entry is acked). */
	dropped: [DroppedRequest];
	/** A request was answered through this Leader (by the policy, a person, or the ask timeout). */
	decided: [AuditRecord];
	/** A background step failed (intake, an automatic answer, recovery); the journal keeps the request. */
	failure: [MailboxError];
}

// Tuning of a running Leader (not options: they trade latency against the file system's journal, see each note).

/** Requests taken in at once; more wait for one of them to finish. */
export const MAX_CONCURRENT_INTAKE = 32;
/**
Decisions are logged in groups (one fsync per group): each line's fsync would otherwise compete with the next
request's claim and delivery for the file system's journal. A request stays in the journal until its line is written.
Each group first flushes the `inboxes/` directory once for the answers it logs (their deliveries do not).
*/
export const AUDIT_BATCH = { quietMs: 5, maxDelayMs: 50 };
