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

/**
Answer the lead's permission dialog with `keys` once it shows `command`, until `outcome` settles. A key pressed while
the dialog is drawn but not yet reading input is lost (seen on a loaded machine), so the keys are pressed again
after a few quiet seconds; once an answer is taken the dialog is gone and nothing is pressed any more.
*/
async function answerDialog<T>(
	lead: ClaudeProcess,
	since: number,
	command: string,
	keys: string[],
	outcome: Promise<T>,
) {
	await lead.waitFor('Do you want to proceed?', since);
	await lead.waitFor(command, since);
	let settled = false;
	const result = outcome.finally(() => {
		settled = true;
	});
	for (let attempt = 0; attempt < 4 && !settled; attempt++) {
		await new Promise((resolve) => setTimeout(resolve, 300)); // the dialog binds its keys after it is drawn
		if (attempt > 0) console.warn(`the lead's dialog took no answer yet: pressing ${JSON.stringify(keys)} again`);
		for (const key of keys) {
			lead.press(key);
			await new Promise((resolve) => setTimeout(resolve, 150));
		}
		await Promise.race([result, new Promise((resolve) => setTimeout(resolve, 4000))]);
	}
	return result;
}

withClaude('our Worker answered by a real interactive Claude Code lead (driven through a pty)', () => {
	it("the lead's dialog: Enter allows, 3 (No) denies; our Worker takes both answers", async () => {
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
			expect(await answerDialog(lead, mark, 'npm test', ['\r'], tests)).toMatchObject({
				behavior: 'allow',
				updatedInput: { command: 'npm test' },
			});

			mark = lead.mark();
			const publish = worker.requestPermission(
				{ toolName: 'Bash', toolUseId: 'toolu_ours_2', input: { command: 'npm publish' }, description: 'Publish' },
				{ timeoutMs: 60_000 },
			);
			expect(await answerDialog(lead, mark, 'npm publish', ['3'], publish)).toMatchObject({
				behavior: 'deny',
				reason: 'denied',
				message: 'Permission denied',
			});
		} finally {
			await worker.close();
		}
	});
});
