/**
Forked swarm-mailbox lead for the bench: a Leader whose policy allows every Bash call at once and leaves every
other tool to a person. It holds each request left to a person (as a UI would) and reports `{kind: 'pending',
count}` whenever the count reaches a multiple of 100. Answers CPU and memory queries (process-usage.ts).
argv: <teamsRoot> <teamName> <polling: 0|1>
*/

import { Leader } from '../src/leader/leader.js';
import type { PendingRequest } from '../src/leader/pending-request.js';
import { Policy } from '../src/policy/policy.js';
import { Team } from '../src/team/team.js';
import { serveUsage } from './process-usage.js';

const [root, teamName, pollingFlag] = process.argv.slice(2) as [string, string, string];

const team = await Team.open(teamName, { root });
const policy = await Policy.forTeam(team, { rules: { allow: ['Bash'] } });
const leader = new Leader(team, { policy, polling: pollingFlag === '1' });
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
