/**
The leader without a terminal (or with `--json`): one JSON line per event on stdout. Requests the policy leaves to a
person are answered by `--auto` if given; otherwise they stay pending for `approve` / `deny` from another shell.

Events: `ready`, `request` (left to a person), `decided` (an answer, with who gave it: policy, auto, person, cli,
timeout, validation), `dropped` (a malformed or forged request), `failure`, `closed`.
*/

import { isMailboxError, type MailboxError } from '../errors.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { DroppedRequest } from '../leader/leader.js';
import type { PendingRequest } from '../leader/pending-request.js';
import type { LeadInfo, LeadView } from './lead-view.js';
import { requestView, writeJson } from './output.js';

const AUTO_DENY_MESSAGE = 'Denied by the team lead (swarm-mailbox lead --auto deny).';

export class LeadEvents implements LeadView {
	readonly #auto: 'allow' | 'deny' | undefined;

	constructor(auto: 'allow' | 'deny' | undefined) {
		this.#auto = auto;
	}

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

	async run(requests: AsyncIterable<PendingRequest>): Promise<void> {
		for await (const request of requests) {
			writeJson({ event: 'request', ...requestView(request) });
			if (this.#auto) await this.#answer(request, this.#auto);
		}
	}

	async #answer(request: PendingRequest, auto: 'allow' | 'deny'): Promise<void> {
		try {
			if (auto === 'allow') await request.approve({ decidedBy: 'auto' });
			else await request.deny(AUTO_DENY_MESSAGE, { decidedBy: 'auto' });
		} catch (error) {
			// Another shell answered first: its decision is reported by the audit log.
			if (isMailboxError(error, 'ALREADY_ANSWERED')) return;
			if (isMailboxError(error)) this.failure(error);
			else throw error;
		}
	}

	closed(pending: number): void {
		writeJson({ event: 'closed', pending });
	}
}
