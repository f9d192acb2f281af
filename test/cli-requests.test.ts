import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLeadKeyPair } from '../src/protocol/signing.js';
import { Team } from '../src/team/team.js';
import { type CliResult, jsonOf, runCli, startLead } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

async function teamRoot(): Promise<string> {
	const root = tempDir();
	await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
	return root;
}

const bashRequest = (command: string, ...extra: string[]) => [
	'request',
	'alpha',
	'--as',
	'ann',
	'--tool',
	'Bash',
	'--input',
	JSON.stringify({ command }),
	...extra,
];
const networkRequest = (host: string, ...extra: string[]) => [
	'request-network',
	'alpha',
	'--as',
	'bob',
	'--host',
	host,
	...extra,
];

function outcome(result: CliResult): Record<string, unknown> {
	return jsonOf(result) as Record<string, unknown>;
}

describe('cli: request and request-network against a running lead', () => {
	it('lead --auto allow: exit 0 with the decision as JSON; the lead reports request and decision as JSON lines', async () => {
		const root = await teamRoot();
		const { lead, ready } = await startLead(root, ['--auto', 'allow']);
		expect(ready).toEqual({
			event: 'ready',
			team: 'alpha',
			leader: 'team-lead',
			policy: null,
			rulesFile: path.join(root, 'alpha', 'swarm-mailbox', 'rules.json'),
			auto: 'allow',
			verifyKey: null,
			pending: 0,
		});
		const [tool, network] = await Promise.all([
			runCli(bashRequest('npm test', '--description', 'run the tests', '--tool-use-id', 'toolu_42'), { root }),
			runCli(networkRequest('registry.npmjs.org'), { root }),
		]);
		expect(tool).toMatchObject({ code: 0, stderr: '' });
		const allowed = outcome(tool);
		expect(allowed).toEqual({
			behavior: 'allow',
			updatedInput: { command: 'npm test' },
			permissionUpdates: [],
			requestId: expect.stringMatching(/^perm-\d+-[0-9a-z]{7}$/),
		});
		expect(network).toMatchObject({ code: 0, stderr: '' });
		expect(outcome(network)).toMatchObject({ allow: true, host: 'registry.npmjs.org', reason: 'allowed' });

		const request = await lead.nextEvent((e) => e['event'] === 'request' && e['kind'] === 'permission', 'request');
		expect(request).toMatchObject({
			requestId: allowed['requestId'],
			worker: 'ann',
			toolName: 'Bash',
			toolUseId: 'toolu_42',
			description: 'run the tests',
			input: { command: 'npm test' },
		});
		const decided = await lead.nextEvent(
			(e) => e['event'] === 'decided' && e['requestId'] === allowed['requestId'],
			'decision',
		);
		expect(decided).toMatchObject({ kind: 'permission', worker: 'ann', decision: 'allow', decidedBy: 'auto' });
		await lead.nextEvent((e) => e['event'] === 'decided' && e['kind'] === 'sandbox', 'network decision');

		const stopped = await lead.stop('SIGTERM');
		expect(stopped).toMatchObject({ code: 0, stderr: '' });
		expect(lead.events.at(-1)).toEqual({ event: 'closed', pending: 0 });
		expect(lead.events.filter((e) => e['event'] === 'decided')).toHaveLength(2); // each answer reported once
	});

	it('lead --auto deny: exit 1 with the deny message; network access denied', async () => {
		const root = await teamRoot();
		const { lead } = await startLead(root, ['--auto', 'deny']);
		const [tool, network] = await Promise.all([
			runCli(bashRequest('rm -rf build'), { root }),
			runCli(networkRequest('example.com'), { root }),
		]);
		expect(tool.code).toBe(1);
		expect(outcome(tool)).toMatchObject({
			behavior: 'deny',
			reason: 'denied',
			message: 'Denied by the team lead (swarm-mailbox lead --auto deny).',
		});
		expect(network.code).toBe(1);
		expect(outcome(network)).toMatchObject({ allow: false, host: 'example.com', reason: 'denied' });
		expect((await lead.stop('SIGINT')).code).toBe(0);
	});

	it('a policy file decides without a person: rules, network patterns and the fallback', async () => {
		const root = await teamRoot();
		const policy = path.join(root, 'policy.json');
		writeFileSync(
			policy,
			JSON.stringify({
				allow: ['Bash(npm test:*)'],
				deny: ['Bash(rm:*)'],
				networkAllow: ['*.npmjs.org'],
				fallback: 'deny',
			}),
		);
		const { lead, ready } = await startLead(root, ['--policy', policy]);
		expect(ready).toMatchObject({ policy, auto: null });
		const [allowed, denied, unmatched, npm, elsewhere] = await Promise.all([
			runCli(bashRequest('npm test -- --run'), { root }),
			runCli(bashRequest('rm -rf /'), { root }),
			runCli(bashRequest('curl example.com'), { root }),
			runCli(networkRequest('registry.npmjs.org'), { root }),
			runCli(networkRequest('evil.example'), { root }),
		]);
		expect([allowed.code, denied.code, unmatched.code, npm.code, elsewhere.code]).toEqual([0, 1, 1, 0, 1]);
		expect(outcome(allowed)).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test -- --run' } });
		expect(outcome(denied)).toMatchObject({ behavior: 'deny', message: 'Bash denied by rule Bash(rm:*)' });
		expect(outcome(unmatched)).toMatchObject({
			behavior: 'deny',
			message: expect.stringContaining('denied by default'),
		});
		expect(outcome(npm)).toMatchObject({ allow: true, reason: 'allowed' });
		expect(outcome(elsewhere)).toMatchObject({ allow: false, reason: 'denied' });
		await lead.stop();
		const decided = lead.events.filter((e) => e['event'] === 'decided');
		expect(decided).toHaveLength(5);
		expect(decided.every((e) => e['decidedBy'] === 'policy')).toBe(true);
		expect(lead.events.some((e) => e['event'] === 'request')).toBe(false); // nobody was asked
	});

	it('bad policy files and signing keys stop the lead with one line and exit 2', async () => {
		const root = await teamRoot();
		const unknownKey = path.join(root, 'typo.json');
		writeFileSync(unknownKey, JSON.stringify({ alow: ['Bash'] }));
		const badRule = path.join(root, 'bad-rule.json');
		writeFileSync(badRule, JSON.stringify({ allow: ['Bash()'] }));
		const notKey = path.join(root, 'key.pem');
		writeFileSync(notKey, 'not a key');
		const results = await Promise.all([
			runCli(['lead', 'alpha', '--policy', unknownKey], { root }),
			runCli(['lead', 'alpha', '--policy', badRule], { root }),
			runCli(['lead', 'alpha', '--policy', path.join(root, 'missing.json')], { root }),
			runCli(['lead', 'alpha', '--signing-key', notKey], { root }),
		]);
		for (const result of results) {
			expect(result).toMatchObject({ code: 2, stdout: '' });
			expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
		}
		expect(results[0]?.stderr).toMatch(/^swarm-mailbox: INVALID_ARGUMENT: Policy file .*typo\.json .*alow/);
		expect(results[1]?.stderr).toMatch(/^swarm-mailbox: INVALID_ARGUMENT: Policy file .*bad-rule\.json .*empty/);
		expect(results[2]?.stderr).toMatch(/^swarm-mailbox: INVALID_ARGUMENT: Policy file .*missing\.json .*ENOENT/);
		expect(results[3]?.stderr).toMatch(/^swarm-mailbox: INVALID_KEY: Signing key .*key\.pem/);
	});
});

describe('cli: request outcomes without an answer, and errors', () => {
	it('times out with exit 1 when no lead answers; exit 2 for a missing team or an unusable verify key', async () => {
		const root = await teamRoot();
		const [timedOut, network, noTeam, badKey] = await Promise.all([
			runCli(bashRequest('ls', '--timeout', '300'), { root }),
			runCli(networkRequest('example.com', '--timeout', '300'), { root }),
			runCli(['request', 'nope', '--as', 'ann', '--tool', 'Bash', '--input', '{}'], { root }),
			runCli(bashRequest('ls', '--lead-verify-key', 'not-a-key'), { root }),
		]);
		expect(timedOut.code).toBe(1);
		expect(outcome(timedOut)).toMatchObject({
			behavior: 'deny',
			reason: 'timeout',
			message: expect.stringContaining('300 ms'),
		});
		expect(network.code).toBe(1);
		expect(outcome(network)).toMatchObject({ allow: false, reason: 'timeout' });
		expect(noTeam).toMatchObject({ code: 2, stdout: '' });
		expect(noTeam.stderr).toMatch(/^swarm-mailbox: TEAM_NOT_FOUND: .*\n$/);
		expect(badKey).toMatchObject({ code: 2, stdout: '' });
		expect(badKey.stderr).toMatch(/^swarm-mailbox: INVALID_KEY: .*\n$/);
	});

	it('--lead-verify-key accepts only answers signed with the matching key (lead --signing-key)', async () => {
		const root = await teamRoot();
		const keys = createLeadKeyPair();
		const keyFile = path.join(root, 'lead-key.pem');
		writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
		const { lead, ready } = await startLead(root, ['--auto', 'allow', '--signing-key', keyFile]);
		// The lead prints the verify key of its key file (stamped when it started).
		expect(String(ready['verifyKey']).split('.')[1]).toBe(keys.verifyKey.split('.')[1]);
		const [matching, printed, other, unsignedNetwork] = await Promise.all([
			runCli(bashRequest('ls', '--lead-verify-key', keys.verifyKey), { root }),
			runCli(networkRequest('example.com', '--lead-verify-key', String(ready['verifyKey'])), { root }),
			runCli(bashRequest('pwd', '--lead-verify-key', createLeadKeyPair().verifyKey), { root }),
			runCli(networkRequest('example.org'), { root }),
		]);
		expect(matching.code).toBe(0);
		expect(outcome(matching)).toMatchObject({ behavior: 'allow' });
		expect(printed.code).toBe(0);
		expect(outcome(printed)).toMatchObject({ allow: true });
		expect(other.code).toBe(1);
		expect(outcome(other)).toMatchObject({ behavior: 'deny', reason: 'unverified' });
		expect(unsignedNetwork.code).toBe(0); // a worker without a key accepts signed answers too
		await lead.stop();
	});
});
