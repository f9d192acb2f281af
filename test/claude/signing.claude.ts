import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { OutgoingEntry } from '../../src/inbox/entry.js';
import { createLeadKeyPair, withLeadSignature } from '../../src/protocol/signing.js';
import { bash, type Scenario, startScenario, WORKER, withClaude } from './harness.js';

/** A lead key pair with its private half in a PEM file for `--signing-key`, and what the teammate is started with. */
function leadKey(s: Scenario) {
	const keys = createLeadKeyPair();
	const keyFile = path.join(s.dir, 'lead-key.pem');
	writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
	// The first prompt is signed as a Claude Code lead signs it, so only the answer under test can be unverified.
	const sign = (entry: OutgoingEntry) => withLeadSignature(entry, keys.privateKey);
	return { keyFile, teammate: { verifyKey: keys.verifyKey, sign } };
}

withClaude('a real Claude Code pane teammate started with --lead-verify-key', () => {
	it('a signed answer is accepted: the tool runs', async () => {
		const s = await startScenario({
			tag: 'signed',
			script: (out) => [bash(`echo signed > ${path.join(out, 'ran.txt')}`)],
		});
		const { keyFile, teammate } = leadKey(s);
		const lead = await s.startLead(['--auto', 'allow', '--signing-key', keyFile]);
		await s.launch(teammate);
		await s.nextRequest(lead);
		const [result] = await s.api.waitForResults(1);
		expect(result, s.screens()).toMatchObject({ isError: false });
		expect(s.output()).toBe('signed\n');
		expect(await s.team.inbox(WORKER).read(), 'Claude Code deletes the entries it took in').toEqual([]);
	});

	it('an unsigned answer is refused: the tool does not run', async () => {
		const s = await startScenario({
			tag: 'unsigned',
			script: (out) => [bash(`echo unsigned > ${path.join(out, 'ran.txt')}`)],
		});
		const { teammate } = leadKey(s);
		const lead = await s.startLead(['--auto', 'allow']);
		await s.launch(teammate);
		await s.nextRequest(lead);
		await lead.nextEvent((event) => event['event'] === 'decided' && event['decision'] === 'allow', 'the allow');
		const [result] = await s.api.waitForResults(1);
		expect(result, s.screens()).toMatchObject({ isError: true });
		expect(result?.content).toContain('could not be verified');
		expect(s.output()).toBeUndefined();
	});
});
