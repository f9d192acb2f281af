/**
The leader without a terminal (or with `--json`): one JSON line per event on stdout. Requests the policy leaves to a
person are answered by `--auto` if given (on the Leader's fast path); otherwise they stay pending for `approve` /
`deny` from another shell.

Events: `ready`, `request` (left to a person, or about to be answered by `--auto`), `decided` (an answer, with who gave
it: policy, auto, person, cli, timeout, validation), `message` (a plain message or another non-request entry, with
`acked` when it was removed from the inbox once shown), `dropped` (a malformed or forged request), `takeover`,
`quarantine`, `failure`, `closed`.
*/

import type { MailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { QuarantineEvent } from '../inbox/plan.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { DecideRequest } from '../leader/decide.js';
import type { DroppedRequest, LeadDisplaced, LeadTakeover } from '../leader/leader.js';
import type { PendingRequest } from '../leader/pending-request.js';
import { frameTypeOf } from '../protocol/frame-codec.js';
import type { LeadInfo, LeadView } from './lead-view.js';
import { requestView, writeJson } from './output.js';

export class LeadEvents implements LeadView {
	ready(info: LeadInfo): void {
		// Absent settings are null, so every ready line has the same keys.
		const { policy = null, rulesFile = null, auto = null, verifyKey = null } = info;
		writeJson({ event: 'ready', ...info, policy, rulesFile, auto, verifyKey });
	}

	decided(record: AuditRecord): void {
		writeJson({ event: 'decided', ...record });
	}

	dropped(drop: DroppedRequest): void {
		writeJson({ event: 'dropped', reason: drop.reason, from: drop.entry.from, detail: drop.detail });
	}

	failure(error: MailboxError): void {
		writeJson({ event: 'failure', code: error.code, message: error.message });
	}

	autoAnswering(request: DecideRequest): void {
		const { kind, requestId, worker, receivedAt } = request;
		const subject =
			kind === 'permission'
				? {
						toolName: request.toolName,
						toolUseId: request.toolUseId,
						description: request.description,
						input: request.input,
						suggestions: request.suggestions,
					}
				: { host: request.host };
		writeJson({
			event: 'request',
			requestId,
			kind,
			worker,
			receivedAt: new Date(receivedAt).toISOString(),
			...subject,
		});
	}

	takeover(event: LeadTakeover): void {
		writeJson({ event: 'takeover', state: event.state, previous: event.previous, message: event.message });
	}

	displaced(event: LeadDisplaced): void {
		writeJson({ event: 'displaced', by: event.by, code: event.error.code, message: event.error.message });
	}

	quarantine(event: QuarantineEvent): void {
		writeJson({ event: 'quarantine', ...event });
	}

	message(entry: InboxEntry, acked: boolean): void {
		const { from, text, timestamp, summary = null, msg_id: msgId = null } = entry;
		writeJson({ event: 'message', from, type: frameTypeOf(text) ?? null, timestamp, summary, text, msgId, acked });
	}

	async run(requests: AsyncIterable<PendingRequest>): Promise<void> {
		for await (const request of requests) writeJson({ event: 'request', ...requestView(request) });
	}

	closed(pending: number): void {
		writeJson({ event: 'closed', pending });
	}
}
