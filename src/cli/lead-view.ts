/**
How `lead` shows what happens: an interactive screen on a terminal (`lead-screen.ts`), JSON lines otherwise
(`lead-events.ts`). The command wires the Leader's events to whichever view it runs.
*/

import type { MailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { QuarantineEvent } from '../inbox/plan.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { DecideRequest } from '../leader/decide.js';
import type { DroppedRequest, LeadDisplaced, LeadTakeover } from '../leader/leader.js';
import type { PendingRequest } from '../leader/pending-request.js';

/** What the leader runs with, reported once it is started. */
export interface LeadInfo {
	team: string;
	leader: string;
	/** The `--policy` file, if any. */
	policy: string | undefined;
	/** Where "always allow" rules are persisted. */
	rulesFile: string | undefined;
	auto: 'allow' | 'deny' | undefined;
	/** The value workers pass as `--lead-verify-key`, when answers are signed. */
	verifyKey: string | undefined;
	/** Requests already waiting in the journal at start. */
	pending: number;
}

export interface LeadView {
	ready(info: LeadInfo): void;
	/** A request was answered, by this leader or by another process. */
	decided(record: AuditRecord): void;
	dropped(drop: DroppedRequest): void;
	failure(error: MailboxError): void;
	/** `--auto` is about to answer `request`. */
	autoAnswering(request: DecideRequest): void;
	/** The lead was taken over from a dead, unjudgeable (or, forced, live) holder. */
	takeover(event: LeadTakeover): void;
	/** Another lead was recorded over this one's claim: the leader has stopped (the command then exits 2). */
	displaced(event: LeadDisplaced): void;
	/** The lead's inbox was corrupt and was quarantined. */
	quarantine(event: QuarantineEvent): void;
	/** A plain message or other non-request entry arrived; `acked`: it is removed from the inbox once shown. */
	message(entry: InboxEntry, acked: boolean): void;
	/** Handle requests left to a person until `stop` is aborted (or the person quits). */
	run(requests: AsyncIterable<PendingRequest>, stop: AbortSignal): Promise<void>;
	/** The leader stopped with `pending` requests still open. */
	closed(pending: number): void;
}
