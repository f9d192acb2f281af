/** The round-trip role of a pool child through this library: a Worker asking its lead, one request after another. */

import { Team, Worker } from '../src/index.js';
import type { AskResult, OursAskCommand } from './child-commands.js';

/** Untimed asks before the clock, so the first timed one does not pay for JIT and the lead's first rewrite. */
const warmUpAsks = 2;

export async function prepareAsker(command: OursAskCommand): Promise<() => Promise<AskResult>> {
	const { root, team: teamName, name, count, polling, commands = ['echo'] } = command;
	const team = await Team.open(teamName, { root });
	const worker = new Worker(team, { name, polling, timeoutMs: 60_000 });
	await worker.ready();
	const ask = (index: number) =>
		worker.requestPermission({
			toolName: 'Bash',
			toolUseId: `toolu_${name}_${index}`,
			input: { command: `${commands[Math.abs(index) % commands.length]} ${index}` },
		});
	for (let index = 0; index < warmUpAsks; index++) await ask(-1 - index);
	return async () => {
		const result: AskResult = { samples: [], unanswered: 0, refused: [], busyMs: 0, cpuMs: 0 };
		const cpu = process.cpuUsage();
		try {
			for (let index = 0; index < count; index++) {
				const started = performance.now();
				const outcome = await ask(index);
				const elapsed = performance.now() - started;
				result.busyMs += elapsed;
				if (outcome.behavior === 'allow') result.samples.push(elapsed);
				else if (outcome.reason === 'timeout') result.unanswered++;
				else result.refused.push(`${outcome.reason}: ${outcome.message}`);
			}
		} finally {
			const used = process.cpuUsage(cpu);
			result.cpuMs = (used.user + used.system) / 1000;
			await worker.close();
		}
		return result;
	};
}
