import { expect, it } from 'vitest';
import { Worker } from '../../src/worker/worker.js';
import { type ClaudeProcess, startScenario, TEAM, WORKER, withClaude } from './harness.js';
import type { ModelRequest } from './mock-api.js';

const LEAD_PROMPT = 'Start one helper teammate named helper.';
const HELPER_PROMPT = 'Wait for instructions.';
const HELPER_STARTED = 'The helper is started.';

/**
The lead's model spawns one in-process helper (a Claude Code lead reads its inbox only while it has a teammate of its
own), then ends its turn; the helper ends its first turn at once and stays idle.
*/
function leadModel(request: ModelRequest) {
	if (request.firstPrompt.includes(HELPER_PROMPT)) return 'Waiting.';
	if (!request.tools.has('Agent') || !request.firstPrompt.includes(LEAD_PROMPT)) return undefined;
	if (request.results.length > 0) return HELPER_STARTED;
	return {
		name: 'Agent',
		input: { description: 'Start a helper', prompt: HELPER_PROMPT, name: 'helper', team_name: TEAM },
	};
}

/** Type the lead's first prompt once its input box is up, and wait until its helper runs. */
async function promptLead(lead: ClaudeProcess): Promise<void> {
	await lead.waitFor('? for shortcuts', 0, 60_000);
	lead.press(LEAD_PROMPT);
	await lead.waitFor(LEAD_PROMPT);
	lead.press('\r');
	await lead.waitFor(HELPER_STARTED);
}

withClaude('our Worker answered by a real interactive Claude Code lead (driven through a pty)', () => {
	it("the lead's dialog: Enter allows, Down Down Enter denies; our Worker takes both answers", async () => {
		const s = await startScenario({ tag: 'cclead', script: () => [], respond: leadModel });
		const lead = s.startClaudeLead();
		await promptLead(lead);
		const worker = new Worker(s.team, { name: WORKER });
		try {
			let mark = lead.mark();
			const tests = worker.requestPermission(
				{ toolName: 'Bash', toolUseId: 'toolu_ours_1', input: { command: 'npm test' }, description: 'Run the tests' },
				{ timeoutMs: 60_000 },
			);
			await lead.waitFor('Do you want to proceed?', mark);
			expect(lead.text(mark).replace(/\s+/g, '')).toContain('npmtest');
			lead.press('\r');
			expect(await tests).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test' } });

			mark = lead.mark();
			const publish = worker.requestPermission(
				{ toolName: 'Bash', toolUseId: 'toolu_ours_2', input: { command: 'npm publish' }, description: 'Publish' },
				{ timeoutMs: 60_000 },
			);
			await lead.waitFor('Do you want to proceed?', mark);
			expect(lead.text(mark).replace(/\s+/g, '')).toContain('npmpublish');
			lead.press('\x1b[B');
			lead.press('\x1b[B');
			await new Promise((resolve) => setTimeout(resolve, 200)); // the highlight moves before Enter is read
			lead.press('\r');
			expect(await publish).toMatchObject({ behavior: 'deny' });
		} finally {
			await worker.close();
		}
	});
});
