/**
The leader on a terminal: requests the policy leaves to a person queue on a board, and `lead-prompt.ts` shows the
oldest with a status line (pending count per worker) and the recent decisions, including those made elsewhere.
*/

import { AbortPromptError, ExitPromptError } from '@inquirer/core';
import { isMailboxError, type MailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { QuarantineEvent } from '../inbox/plan.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { DecideRequest } from '../leader/decide.js';
import type { DroppedRequest, LeadDisplaced, LeadTakeover } from '../leader/leader.js';
import type { PendingRequest } from '../leader/pending-request.js';
import { LeadBoard } from './lead-board.js';
import { leadPrompt, type ScreenAnswer } from './lead-prompt.js';
import type { LeadInfo, LeadView } from './lead-view.js';
import { decisionLine, messageLine, printable, writeLine } from './output.js';

export class LeadScreen implements LeadView {
	readonly #board = new LeadBoard();
	#title = 'swarm-mailbox lead';

	ready(info: LeadInfo): void {
		this.#title = `swarm-mailbox lead · team ${printable(info.team)}`;
		if (info.verifyKey) writeLine(`Answers are signed; start workers with --lead-verify-key ${info.verifyKey}`);
	}

	decided(record: AuditRecord): void {
		this.#board.remove(record.requestId, record.worker);
		this.#board.note(`${record.decision === 'allow' ? '✔' : '✘'} ${decisionLine(record)}`);
	}

	dropped(drop: DroppedRequest): void {
		this.#board.note(`! dropped a request from ${printable(drop.entry.from)}: ${printable(drop.detail)}`);
	}

	failure(error: MailboxError): void {
		this.#board.note(`! ${error.code}: ${printable(error.message, { maxLength: 160 })}`);
	}

	autoAnswering(_request: DecideRequest): void {
		// The screen never runs with --auto; its answers are shown as decisions.
	}

	takeover(event: LeadTakeover): void {
		writeLine(printable(event.message, { maxLength: 300 }));
	}

	displaced(_event: LeadDisplaced): void {
		// The screen closes; the command then exits with that error, which says it.
	}

	quarantine(event: QuarantineEvent): void {
		const line = `! the lead inbox was corrupt (${event.reason}); kept in ${event.quarantinePath}, ${event.recovered} entries recovered`;
		this.#board.note(printable(line, { maxLength: 160 }));
	}

	message(entry: InboxEntry, _acked: boolean): void {
		this.#board.note(`✉ ${messageLine(entry)}`);
	}

	async run(requests: AsyncIterable<PendingRequest>, stop: AbortSignal): Promise<void> {
		void (async () => {
			for await (const request of requests) this.#board.add(request);
		})();
		try {
			const answer = (request: PendingRequest, choice: ScreenAnswer) => this.#answer(request, choice);
			await leadPrompt({ title: this.#title, board: this.#board, answer }, { signal: stop });
		} catch (error) {
			// Ctrl+C, or SIGINT / SIGTERM from outside: both mean stop.
			if (!(error instanceof ExitPromptError || error instanceof AbortPromptError)) throw error;
		}
	}

	async #answer(request: PendingRequest, choice: ScreenAnswer): Promise<void> {
		try {
			if (choice.behavior === 'deny') await request.deny(choice.message);
			else {
				const { updatedInput, always, acceptSuggestions } = choice;
				await request.approve({ updatedInput, always, acceptSuggestions });
			}
		} catch (error) {
			if (isMailboxError(error, 'ALREADY_ANSWERED')) this.#board.remove(request.requestId, request.worker);
			throw error;
		}
	}

	closed(pending: number): void {
		const waiting =
			pending === 0
				? 'no request is waiting.'
				: `${pending} request(s) still pending: answer them with \`approve\` / \`deny\` or run \`lead\` again.`;
		writeLine(`Leader stopped; ${waiting}`);
	}
}
