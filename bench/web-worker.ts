/**
Forked worker for the web page bench (forked through tsx: one process per run). On `{kind:'send', index}` it writes a
permission request straight into the lead's inbox and reports when `send()` resolved; on `{kind:'ask', index}` it asks
through a Worker and reports when it holds the answer. Instants are ms since the epoch, sub-ms precision.
argv: <teamsRoot> <teamName> <workerName>
*/
import { createPermissionRequest, encodeFrame, Team, Worker } from '../src/index.js';

const [root, teamName, name] = process.argv.slice(2) as [string, string, string];
const now = () => performance.timeOrigin + performance.now();
const team = await Team.open(teamName, { root });
const worker = new Worker(team, { name, timeoutMs: 120_000 });
await worker.ready();
const lead = team.inbox('team-lead');

process.on('message', async (message: { kind: 'send' | 'ask' | 'finish'; index: number }) => {
	if (message.kind === 'finish') {
		await worker.close();
		process.send?.({ kind: 'done' }, () => process.disconnect());
		return;
	}
	const input = { command: `echo ${message.kind}-${message.index}` };
	const toolUseId = `toolu_${message.kind}_${message.index}`;
	if (message.kind === 'send') {
		const frame = createPermissionRequest({ agentName: name, toolName: 'Bash', toolUseId, description: '', input });
		await lead.send({ from: name, text: encodeFrame(frame) });
		process.send?.({ kind: 'sent', index: message.index, resolved: now() });
	} else {
		const outcome = await worker.requestPermission({ toolName: 'Bash', toolUseId, input });
		process.send?.({ kind: 'answered', index: message.index, at: now(), behavior: outcome.behavior });
	}
});
process.send?.({ kind: 'ready' });
