/**
What every adapter does with one tool call: ask the lead through a Worker and always come back with a decision. A
host's permission callback has no good way to report "the mailbox is unusable", so setup failures become denies
(never allows) whose message says what broke.
*/

import { isMailboxError, outcomeMessages } from '../errors.js';
import { permissionRequestId } from '../protocol/ids.js';
import type { PermissionOutcome } from '../worker/responses.js';
import type { PermissionAsk, WaitOptions, Worker } from '../worker/worker.js';

/**
`worker.requestPermission`, except that a `MailboxError` thrown before the ask was written (worker closed, team gone,
unreadable config) resolves as a deny: `closed` for a closed worker, `send-failed` otherwise.
*/
export async function askLead(worker: Worker, ask: PermissionAsk, options: WaitOptions): Promise<PermissionOutcome> {
	const requestId = ask.requestId ?? permissionRequestId();
	try {
		return await worker.requestPermission({ ...ask, requestId }, options);
	} catch (error) {
		if (!isMailboxError(error)) throw error;
		if (error.code === 'CLOSED')
			return { behavior: 'deny', reason: 'closed', message: outcomeMessages.closed(), requestId };
		const message = `The permission request could not be sent to the team lead: ${error.message}`;
		return { behavior: 'deny', reason: 'send-failed', message, requestId };
	}
}

/** One signal that aborts when any of `signals` does; `dispose()` detaches it once the call is over. */
export function anySignal(...signals: (AbortSignal | undefined)[]): { signal?: AbortSignal; dispose(): void } {
	const given = signals.filter((signal): signal is AbortSignal => signal !== undefined);
	if (given.length <= 1) return { ...(given[0] ? { signal: given[0] } : {}), dispose: () => {} };
	// Listeners are removed after each call, so a long-lived host signal does not collect one per tool call.
	const controller = new AbortController();
	const abort = () => controller.abort();
	for (const signal of given) {
		if (signal.aborted) controller.abort();
		else signal.addEventListener('abort', abort, { once: true });
	}
	const dispose = () => {
		for (const signal of given) signal.removeEventListener('abort', abort);
	};
	return { signal: controller.signal, dispose };
}
