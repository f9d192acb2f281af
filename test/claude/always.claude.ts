import { expect, it } from 'vitest';
import { Leader } from '../../src/leader/leader.js';
import { runCli } from '../helpers/cli.js';
import { bash, startScenario, TEAM, withClaude } from './harness.js';

/**
The same call twice, a command whose only permission is the command itself. A shell redirect would not do: Claude Code
2.1.330 checks the redirect's target path apart from the command (it asks again, suggesting `addDirectories`, even for
a file in its own working directory), so an exact command rule alone never covers it. The command holds a backslash
on purpose: the rule sent back must carry the command as Claude Code compares it, with no escaping of our own.
*/
function twice() {
	const again = bash(`node -e "require('fs').appendFileSync('ran.txt', 'again\\n')"`, 'Append a marker line');
	return [again, again];
}

withClaude('always allow, understood by a real Claude Code teammate', () => {
	it('approve --always sends the rule back as permission_updates: the identical second call never reaches the lead', async () => {
		const s = await startScenario({
			tag: 'always',
			script: twice,
		});
		const lead = await s.startLead();
		await s.launch();
		const first = await s.nextRequest(lead);
		const approved = await runCli(['approve', TEAM, String(first['requestId']), '--always'], { root: s.teamsRoot });
		expect(approved.code, approved.stderr).toBe(0);
		const results = await s.api.waitForResults(2);
		expect(results, s.screens()).toMatchObject([{ isError: false }, { isError: false }]);
		expect(s.output('ran.txt', s.cwd)).toBe('again\nagain\n');
		// Claude Code allowed the second call itself, from the rule it was sent: the lead never heard of it.
		const requests = s.leadEvents(lead).filter((event) => event['event'] === 'request' || event['event'] === 'decided');
		// (Without permission_updates the second call comes back and the lead's policy answers it from the saved rule.)
		expect(requests.map((event) => [event['event'], event['requestId'], event['decidedBy'] ?? null])).toEqual([
			['request', first['requestId'], null],
			['decided', first['requestId'], 'cli'],
		]);
	});

	it('a Leader approve() with permissionUpdates (addRules, session): Claude Code allows the identical call itself', async () => {
		const s = await startScenario({ tag: 'updates', script: twice });
		const leader = new Leader(s.team);
		const asked: string[] = [];
		const answering = (async () => {
			for await (const request of leader.requests()) {
				asked.push(request.requestId);
				const command = String(request.input?.['command']);
				await request.approve({
					permissionUpdates: [
						{
							type: 'addRules',
							rules: [{ toolName: 'Bash', ruleContent: command }],
							behavior: 'allow',
							destination: 'session',
						},
					],
				});
			}
		})();
		await leader.start();
		try {
			await s.launch();
			const results = await s.api.waitForResults(2);
			expect(results, s.screens()).toMatchObject([{ isError: false }, { isError: false }]);
			expect(s.output('ran.txt', s.cwd)).toBe('again\nagain\n');
			expect(asked).toHaveLength(1);
		} finally {
			await leader.close();
			await answering;
		}
	});
});
