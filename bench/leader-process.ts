/**
Forked swarm-mailbox lead for the bench: a Leader whose policy allows every Bash call at once and leaves every
other tool to a person. It holds each request left to a person (as a UI would) and reports `{kind: 'pending',
count}` whenever the count reaches a multiple of 100. Answers CPU and memory queries (process-usage.ts).
With the mode `decide` (section 12), one lead answers three kinds of Bash call, so a worker can interleave them
request by request: `policy …` is allowed by the policy's rule, `sync …` by a `decide` function at once, `async …` by
the same function after awaiting a 1 ms timer (its waits are reported on `{kind: 'timer-query'}`).
argv: <teamsRoot> <teamName> <polling: 0|1> [policy | decide]
*/

import { setTimeout as sleep } from 'node:timers/promises';
import { type DecideRequest, Leader, type LeaderOptions } from '../src/leader/leader.js';
import type { PendingRequest } from '../src/leader/pending-request.js';
import { Policy } from '../src/policy/policy.js';
import { Team } from '../src/team/team.js';
import { serveUsage } from './process-usage.js';

const [root, teamName, pollingFlag, mode = 'policy'] = process.argv.slice(2) as [string, string, string, string?];

const team = await Team.open(teamName, { root });
const policy = await Policy.forTeam(team, { rules: { allow: [mode === 'policy' ? 'Bash' : 'Bash(policy:*)'] } });
const timerWaits: number[] = [];
const allow = { behavior: 'allow' as const };
const decide: LeaderOptions['decide'] = (request: DecideRequest) => {
	const command = String(request.input['command']);
	if (command.startsWith('sync ')) return allow;
	if (!command.startsWith('async ')) return undefined;
	const started = performance.now();
	return sleep(1).then(() => {
		timerWaits.push(performance.now() - started);
		return allow;
	});
};
const leader = new Leader(team, {
	policy,
	polling: pollingFlag === '1',
	decide: mode === 'decide' ? decide : undefined,
});
process.on('message', (message: { kind?: string }) => {
	if (message.kind === 'timer-query') process.send?.({ kind: 'timer', waits: timerWaits.splice(0) });
});
leader.on('failure', (error) => console.error(`bench leader: ${error.message}`));
await leader.start();
serveUsage();

const held: PendingRequest[] = [];
void (async () => {
	for await (const request of leader.requests()) {
		held.push(request);
		if (held.length % 100 === 0) process.send?.({ kind: 'pending', count: held.length });
	}
})();
process.send?.({ kind: 'ready' });
