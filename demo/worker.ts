/**
One demo worker process: opens the team, waits for `go`, then asks the lead about each of its scenario requests in
turn and reports every outcome with its round-trip time. It closes its Worker and disconnects when done, so the
process exits on its own.
argv: <teamsRoot> <teamName> <workerName>
*/

import { performance } from 'node:perf_hooks';
import { Team, Worker } from '../src/index.js';
import { type Ask, asks, type OutcomeMessage, workerTimeoutMs } from './scenario.js';

const [root, teamName, name] = process.argv.slice(2) as [string, string, string];
const report = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));

const team = await Team.open(teamName, { root });
const worker = new Worker(team, { name, timeoutMs: workerTimeoutMs });
await worker.ready();

async function ask(item: Ask): Promise<OutcomeMessage> {
	const started = performance.now();
	const wait = item.timeoutMs === undefined ? {} : { timeoutMs: item.timeoutMs };
	if (item.host !== undefined) {
		const outcome = await worker.requestNetworkAccess(item.host, wait);
		const roundTripMs = performance.now() - started;
		const decision = outcome.allow ? 'allow' : 'deny';
		return {
			kind: 'outcome',
			id: item.id,
			requestId: outcome.requestId,
			decision,
			reason: outcome.reason,
			roundTripMs,
		};
	}
	const request = { toolName: item.toolName ?? '', toolUseId: item.id, input: item.input ?? {} };
	const outcome = await worker.requestPermission(request, wait);
	const roundTripMs = performance.now() - started;
	const base = { kind: 'outcome', id: item.id, requestId: outcome.requestId, roundTripMs } as const;
	return outcome.behavior === 'allow'
		? { ...base, decision: 'allow', reason: 'allowed', input: outcome.updatedInput }
		: { ...base, decision: 'deny', reason: outcome.reason, message: outcome.message };
}

process.once('message', async (message) => {
	if (message !== 'go') return;
	for (const item of asks.filter((candidate) => candidate.worker === name)) await report(await ask(item));
	await worker.close();
	await report({ kind: 'done' });
	process.disconnect();
});
await report({ kind: 'ready' });
