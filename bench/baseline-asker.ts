/**
The older worker's side of a permission round trip (reference: the older snapshot, section 5.3): register a callback
under the request id, write the request to the lead's inbox without waiting for the write, and let the inbox poller,
running every 500 ms from start-up, find the matching `permission_response`. The older worker has no timeout; here
an answer that has not come within `deadlineMs` is counted unanswered, so a lost request cannot stall the bench.
*/

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
	type BaselinePermissionRequest,
	type BaselinePermissionResponse,
	baselineEnvelope,
	baselineFrameOf,
	baselineRequestId,
} from './baseline-frames.js';
import { BASELINE_POLL_MS, pollBaselineInbox } from './baseline-reader.js';
import { baselineWrite } from './baseline-writer.js';
import type { AskResult, BaselineAskCommand } from './child-commands.js';

/** Prepare (start polling), then run the asks one after another. */
export function prepareBaselineAsker(command: BaselineAskCommand): () => Promise<AskResult> {
	const { inboxes, name, count, deadlineMs } = command;
	const waiting = new Map<string, () => void>();
	const stop = pollBaselineInbox(path.join(inboxes, `${name}.json`), (unread) => {
		for (const message of unread) {
			const frame = baselineFrameOf<BaselinePermissionResponse>(message, 'permission_response');
			if (frame) waiting.get(frame.request_id)?.();
		}
	});
	const ask = (index: number): Promise<number | undefined> => {
		const requestId = baselineRequestId();
		const frame: BaselinePermissionRequest = {
			type: 'permission_request',
			request_id: requestId,
			agent_id: name,
			tool_name: 'Bash',
			tool_use_id: `toolu_${name}_${index}`,
			description: `echo ${index}`,
			input: { command: `echo ${index}` },
			permission_suggestions: [],
		};
		const started = performance.now();
		return new Promise((resolve) => {
			const timer = setTimeout(() => settle(undefined), deadlineMs);
			const settle = (elapsed: number | undefined) => {
				clearTimeout(timer);
				waiting.delete(requestId);
				resolve(elapsed);
			};
			waiting.set(requestId, () => settle(performance.now() - started));
			void baselineWrite(path.join(inboxes, 'team-lead.json'), baselineEnvelope(name, frame, 'cyan'));
		});
	};
	return async () => {
		const result: AskResult = { samples: [], unanswered: 0, refused: [], busyMs: 0, cpuMs: 0 };
		const cpu = process.cpuUsage();
		try {
			for (let index = 0; index < count; index++) {
				// A tool call comes at any moment of the poll cycle: start each ask at a random phase (untimed), so
				// back-to-back asks do not all land at the same point of the lead's and worker's 500 ms timers.
				await sleep(Math.random() * BASELINE_POLL_MS);
				const elapsed = await ask(index);
				result.busyMs += elapsed ?? deadlineMs;
				if (elapsed === undefined) result.unanswered++;
				else result.samples.push(elapsed);
			}
		} finally {
			stop();
			const used = process.cpuUsage(cpu);
			result.cpuMs = (used.user + used.system) / 1000;
		}
		return result;
	};
}
