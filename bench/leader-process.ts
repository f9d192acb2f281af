/**
Forked swarm-mailbox lead for the bench: a Leader whose policy allows every Bash call at once and leaves every
other tool to a person. It holds each request left to a person (as a UI would) and reports `{kind: 'pending',
count}` whenever the count reaches a multiple of 100. Answers CPU and memory queries (process-usage.ts).
With a mode (section 12), Bash is allowed by a `decide` function instead of the policy: `decide` answers at once,
`decide-async` after awaiting a 1 ms timer (its waits are reported on `{kind: 'timer-query'}`).
argv: <teamsRoot> <teamName> <polling: 0|1> [policy | decide | decide-async]
*/

import { setTimeout as sleep } from 'node:timers/promises';
import { type DecideRequest, Leader, type LeaderOptions } from '../src/leader/leader.js';
import type { PendingRequest } from '../src/leader/pending-request.js';
import { Policy } from '../src/policy/policy.js';
import { Team } from '../src/team/team.js';
import { serveUsage } from './process-usage.js';

const [root, teamName, pollingFlag, mode = 'policy'] = process.argv.slice(2) as [string, string, string, string?];

const team = await Team.open(teamName, { root });
const policy = await Policy.forTeam(team, mode === 'policy' ? { rules: { allow: ['Bash'] } } : {});
const timerWaits: number[] = [];
const allowBash = (request: DecideRequest) =>
	request.toolName === 'Bash' ? { behavior: 'allow' as const } : undefined;
const decide: Record<string, LeaderOptions['decide']> = {
	decide: allowBash,
	'decide-async': async (request) => {
		const started = performance.now();
		await sleep(1);
		timerWaits.push(performance.now() - started);
		return allowBash(request);
	},
};
const leader = new Leader(team, { policy, polling: pollingFlag === '1', decide: decide[mode] });
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
