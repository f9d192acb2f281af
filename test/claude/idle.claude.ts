import path from 'node:path';
import { expect, it } from 'vitest';
import { bash, startScenario, WORKER, withClaude } from './harness.js';

withClaude('the idle notice of a real Claude Code pane teammate', () => {
	it("idle notification: our lead shows the teammate's idle notice and acks it", async () => {
		const s = await startScenario({
			tag: 'idle',
			script: (out) => [bash(`echo allowed > ${path.join(out, 'ran.txt')}`)],
		});
		const lead = await s.startLead(['--auto', 'allow']);
		await s.launch();
		await s.api.waitForResults(1);
		const idle = await lead
			.nextEvent((event) => event['event'] === 'message' && event['type'] === 'idle_notification', 'idle notice')
			.catch(async (error: Error) => {
				const inbox = await s.team.inbox('team-lead').read();
				throw new Error(`${error.message}\nthe lead inbox holds: ${JSON.stringify(inbox)}`);
			});
		expect(idle).toMatchObject({ from: WORKER, acked: true });
		expect(JSON.parse(String(idle['text']))).toMatchObject({ type: 'idle_notification', idleReason: 'available' });
		await s.until(async () => (await s.team.inbox('team-lead').read()).length === 0, 'the lead inbox emptied');
	});
});
