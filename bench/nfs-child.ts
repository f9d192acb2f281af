/**
A process of the network file system section (nfs.ts), forked through tsx: each stands for one machine's agent on
one of the two sshfs mounts. Reports `{kind:'ready'}`; answers `'usage'` with `{kind:'usage', cpuMs}`.
argv: leader <root> <team> <pollIntervalMs>            a Leader allowing Bash (watching with its default mode)
      asker <root> <team> <name> <count> <pollIntervalMs> on 'go': `count` sequential permission round trips
      writer <file> <count>                               on 'go': `count` sequential sends
*/

import { Inbox, isMailboxError } from '../src/index.js';
import { Leader } from '../src/leader/leader.js';
import { Policy } from '../src/policy/policy.js';
import { Team } from '../src/team/team.js';
import { Worker } from '../src/worker/worker.js';

const [role, ...args] = process.argv.slice(2);
const report = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));
const cpuMs = () => {
	const { user, system } = process.cpuUsage();
	return (user + system) / 1000;
};
process.on('message', (message) => {
	if (message === 'usage') void report({ kind: 'usage', cpuMs: cpuMs() });
});
const onGo = (run: () => Promise<unknown>) =>
	process.on('message', async (message) => {
		if (message !== 'go') return;
		await report({ kind: 'done', ...((await run()) as object) });
		process.disconnect();
	});

if (role === 'leader') {
	const [root, team, pollText] = args as [string, string, string];
	const opened = await Team.open(team, { root });
	const policy = await Policy.forTeam(opened, { rules: { allow: ['Bash'] } });
	const leader = new Leader(opened, { policy, pollIntervalMs: Number(pollText) });
	leader.on('failure', (error) => console.error(`nfs bench leader: ${error.message}`));
	await leader.start();
} else if (role === 'asker') {
	const [root, team, name, countText, pollText] = args as [string, string, string, string, string];
	const worker = new Worker(await Team.open(team, { root }), { name, pollIntervalMs: Number(pollText) });
	await worker.ready();
	// One round trip before the clock: module loading and the first poll are not what is measured.
	await worker.requestPermission({ toolName: 'Bash', toolUseId: 'toolu_warmup', input: { command: 'true' } });
	onGo(async () => {
		const samples: number[] = [];
		for (let index = 0; index < Number(countText); index++) {
			const started = performance.now();
			const input = { command: `echo ${index}` };
			const outcome = await worker.requestPermission({ toolName: 'Bash', toolUseId: `toolu_${index}`, input });
			if (outcome.behavior !== 'allow') throw new Error(`refused: ${JSON.stringify(outcome)}`);
			samples.push(performance.now() - started);
		}
		await worker.close();
		return { samples };
	});
} else if (role === 'writer') {
	const [file, countText] = args as [string, string];
	const inbox = new Inbox(file, { lockTimeoutMs: 120_000, staleMs: 2_000 });
	await inbox.send({ from: 'warmup', text: 'warmup' });
	onGo(async () => {
		const sent: string[] = [];
		const failed: string[] = [];
		for (let index = 0; index < Number(countText); index++) {
			try {
				sent.push(await inbox.send({ from: 'writer', text: `${process.pid}:${index}` }));
			} catch (error) {
				failed.push(isMailboxError(error) ? error.code : String(error));
			}
		}
		return { sent, failed };
	});
}
await report({ kind: 'ready' });
