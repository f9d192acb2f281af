/** The options and events of a {@link Leader}. */

import type { MailboxError } from '../errors.js';
import type { InboxEntry, OutgoingEntry } from '../inbox/entry.js';
import type { InvalidEntryEvent } from '../inbox/options.js';
import type { QuarantineEvent } from '../inbox/plan.js';
import type { AuditRecord, DecidedBy } from '../journal/audit-log.js';
import type { Policy } from '../policy/policy.js';
import type { ProcessClaim, ProcessState } from '../team/lead-process.js';
import type { DecideFunction } from './decide.js';
import type { DropReason } from './intake.js';

/** Options of {@link Leader}. */
export interface LeaderOptions {
	/** The leader's inbox name and the `from` of its responses. @default the roster's lead (`team-lead`) */
	name?: string;
	/** Decides requests at once (allow / deny) or leaves them to a person; without one, every request waits for a person. */
	policy?: Policy;
	/**
	Decides in the runner's own code (rules, a classifier, a model, a service) on the fast path: it sees every request
	the policy's rules neither allow nor deny (after validation and deny rules, before the policy's fallback and before
	a person). An answer is claimed and sent at once, as the policy's are; `undefined` leaves the request to the next
	step. A throw, a timeout or a malformed decision is reported as `failure` and leaves it to a person: never an allow.
	@default none
	*/
	decide?: DecideFunction;
	/** How long `decide` may take before its signal is aborted and a person decides, in ms. @default 5_000 */
	decideTimeoutMs?: number;
	/** The audit log's `decidedBy` for answers of `decide`. @default 'decider' */
	decidedBy?: DecidedBy;
	/**
	Take the team's lead even from a live holder (the recorded `leadProcess`). Without it, `start()` refuses with
	`LEAD_ACTIVE` while another live lead runs; a dead or unjudgeable one is taken over either way (`takeover` event).
	@default false
	*/
	takeover?: boolean;
	/**
	How long a lead's heartbeat may stay unchanged, as seen from here, before its claim counts as dead. A lead recorded
	by another machine is watched up to this long at `start()`: `LEAD_ACTIVE` as soon as its heartbeat changes, a takeover
	once it has not for this long. This Leader's own heartbeat beats six times per window (at most every 5 s). Clocks
	are never compared. @default 30_000 (`SWARM_MAILBOX_LEAD_STALE_MS` if set)
	*/
	leadStaleMs?: number;
	/**
	Signs each response entry for its recipient (e.g. `keyPerRecipient(keys)`, one key per pane teammate, or
	`(entry) => withLeadSignature(entry, privateKey)`); must keep its `msg_id`.
	*/
	signer?: (entry: OutgoingEntry, recipient: string) => OutgoingEntry;
	/**
	Take requests from senders that are not on the team's roster. Off, such a request is answered deny with the
	reason and reported as `dropped` (`not-a-member`). @default false
	*/
	acceptNonMembers?: boolean;
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
	/**
	A claimed answer whose owner still runs (or cannot be judged: another host) is left to it this long before a
	recovery delivers it, in ms. @default 300_000
	*/
	claimLeaseMs?: number;
}

/** A lead claim found and replaced by `start()`. */
export interface LeadTakeover {
	/** The `leadProcess` that was recorded. */
	previous: unknown;
	/** What could be said of its process: `dead`, `unknown` (another host or pid namespace, malformed), or `alive` (forced). */
	state: ProcessState;
	/** One sentence saying so, for a log. */
	message: string;
}

/** What `displaced` reports: the lead recorded over this Leader's claim. */
export interface LeadDisplaced {
	/** The `leadProcess` now recorded. */
	by: ProcessClaim;
	/** `LEAD_DISPLACED`, saying who took over and what to do. */
	error: MailboxError;
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
	/**
	A request was answered, by this Leader (the policy, `decide`, a person, the ask timeout) or by another process (a
	CLI's `approve` / `deny`, `Leader.answer`; read back from the audit log). Once per answer.
	*/
	decided: [AuditRecord];
	/**
	A background step failed (intake, `decide`, an automatic answer, recovery, the inbox watcher); the journal keeps
	the request.
	*/
	failure: [MailboxError];
	/** `start()` replaced a dead or unjudgeable lead claim (or a live one, with `takeover`). */
	takeover: [LeadTakeover];
	/**
	Another lead was recorded over this Leader's claim while it ran (a `takeover`, or a Claude Code session adopting
	the team): the Leader closes itself, as one lead at a time answers a team. Open requests stay in the journal.
	*/
	displaced: [LeadDisplaced];
	/** The leader's inbox was found corrupt and quarantined (its readable entries kept). */
	quarantine: [QuarantineEvent];
	/** An invalid entry in the leader's inbox (kept in the file, not taken in). */
	invalid: [InvalidEntryEvent];
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
/** How long a claimed answer of a live (or unjudgeable) owner is left to it, in ms. */
export const CLAIM_LEASE_MS = 300_000;
/** How many answers reported as `decided` are remembered, so an answer read back from the log is not reported twice. */
export const REPORTED_MEMORY = 4096;
