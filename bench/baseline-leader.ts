/**
Forked older-style lead (reference: the older snapshot, section 5.3, with a policy standing in for a person who
allows at once): polls `team-lead.json` every 500 ms, writes a success `permission_response` to the asker's inbox
for each request not seen before (de-duplicated by `tool_use_id`, as the older confirm queue is), and marks the whole
inbox read after each poll that found something. Answers CPU and memory queries (process-usage.ts).
argv: <inboxesDir>
*/

import path from 'node:path';
import {
	type BaselinePermissionRequest,
	type BaselinePermissionResponse,
	baselineEnvelope,
	baselineFrameOf,
} from './baseline-frames.js';
import { pollBaselineInbox } from './baseline-reader.js';
import { baselineWrite } from './baseline-writer.js';
import { serveUsage } from './process-usage.js';

const [inboxes] = process.argv.slice(2) as [string];
const seen = new Set<string>();

pollBaselineInbox(path.join(inboxes, 'team-lead.json'), (unread) => {
	for (const message of unread) {
		const request = baselineFrameOf<BaselinePermissionRequest>(message, 'permission_request');
		if (!request || seen.has(request.tool_use_id)) continue;
		seen.add(request.tool_use_id);
		const response: BaselinePermissionResponse = {
			type: 'permission_response',
			request_id: request.request_id,
			subtype: 'success',
			response: { updated_input: request.input, permission_updates: [] },
		};
		// The answer goes out on its own, as the older dialog's callback sends it; the poll does not wait for it.
		void baselineWrite(path.join(inboxes, `${request.agent_id}.json`), baselineEnvelope('team-lead', response));
	}
});
serveUsage();
process.send?.({ kind: 'ready' });
