import path from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { bash, type Scenario, startScenario, TEAM, WORKER, withClaude } from './harness.js';

/** One Bash call that writes `text` into `<out>/ran.txt`: outside the teammate's cwd, so Claude Code asks first. */
async function writing(tag: string, text: string): Promise<Scenario> {
	return startScenario({ tag, script: (out) => [bash(`echo ${text} > ${path.join(out, 'ran.txt')}`)] });
}

withClaude('a real Claude Code pane teammate answered by our lead CLI', () => {
	it('allow: the tool runs', async () => {
		const s = await writing('allow', 'allowed');
		const lead = await s.startLead(['--auto', 'allow']);
		await s.launch();
		const request = await s.nextRequest(lead);
		expect(request).toMatchObject({ kind: 'permission', worker: WORKER, toolName: 'Bash' });
		expect(request['input']).toMatchObject({ command: `echo allowed > ${path.join(s.out, 'ran.txt')}` });
		const [result] = await s.api.waitForResults(1);
		expect(result, s.screens()).toMatchObject({ isError: false });
		expect(s.output()).toBe('allowed\n');
	});

	it('deny: the tool does not run, and the model gets our message', async () => {
		const s = await writing('deny', 'denied');
		const lead = await s.startLead(['--auto', 'deny']);
		await s.launch();
		await s.nextRequest(lead);
		const [result] = await s.api.waitForResults(1);
		expect(result, s.screens()).toMatchObject({ isError: true });
		expect(result?.content).toContain('Denied by the team lead (swarm-mailbox lead --auto deny).');
		expect(s.output()).toBeUndefined();
	});

	it('approve with an edited input: the edited command runs', async () => {
		const s = await writing('edited', 'original');
		const lead = await s.startLead();
		await s.launch();
		const request = await s.nextRequest(lead);
		const edited = { command: `echo edited > ${path.join(s.out, 'ran.txt')}`, description: 'Write the edited marker' };
		const approved = await runCli(['approve', TEAM, String(request['requestId']), '--input', JSON.stringify(edited)], {
			root: s.teamsRoot,
		});
		expect(approved.code, approved.stderr).toBe(0);
		const [result] = await s.api.waitForResults(1);
		expect(result, s.screens()).toMatchObject({ isError: false });
		expect(s.output()).toBe('edited\n');
	});

	it('deny with a reason: the model sees the reason', async () => {
		const s = await writing('reason', 'denied');
		const lead = await s.startLead();
		await s.launch();
		const request = await s.nextRequest(lead);
		const reason = 'Not on a Friday: the release branch is frozen.';
		const denied = await runCli(['deny', TEAM, String(request['requestId']), '--message', reason], {
			root: s.teamsRoot,
		});
		expect(denied.code, denied.stderr).toBe(0);
		const [result] = await s.api.waitForResults(1);
		expect(result, s.screens()).toMatchObject({ isError: true });
		// Claude Code puts its own sentence first ("…the user said:") and the lead's reason verbatim after it.
		expect(result?.content).toContain(`:\n${reason}`);
		expect(s.output()).toBeUndefined();
	});
});
