import { generateKeyPairSync } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decisionLine } from '../src/cli/output.js';
import { LeadVerifier, verifyKeyFor } from '../src/protocol/signing.js';
import { Team } from '../src/team/team.js';
import { jsonOf, runCli, startCli, startLead } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

async function teamRoot(): Promise<{ root: string; team: Team }> {
	const root = tempDir();
	const team = await Team.create('alpha', { root, members: [{ name: 'ann' }] });
	return { root, team };
}

describe('cli guard rails', () => {
	it('refuses a recipient or reader the roster does not know (exit 2, the members listed) unless --any-name', async () => {
		const { root, team } = await teamRoot();
		const typo = await runCli(['send', 'alpha', 'anne', 'hi'], { root });
		expect(typo.code).toBe(2);
		expect(typo.stderr).toContain('MEMBER_NOT_FOUND');
		expect(typo.stderr).toContain('"anne" is not a member of team "alpha" (members: team-lead, ann)');
		expect(typo.stderr).toContain('--any-name');
		expect(existsSync(team.inbox('anne').path)).toBe(false);

		expect((await runCli(['inbox', 'alpha', 'carl'], { root })).code).toBe(2);
		expect((await runCli(['send', 'alpha', 'ann', 'hi', '--from', 'zed'], { root })).code).toBe(2);

		const forced = await runCli(['send', 'alpha', 'anne', 'hi', '--any-name'], { root });
		expect(forced.code).toBe(0);
		expect((await team.inbox('anne').read()).map((entry) => entry.text)).toEqual(['hi']);
		expect((await runCli(['inbox', 'alpha', 'anne', '--any-name'], { root })).code).toBe(0);
	});

	it('refuses request --as, approve --worker and mcp-permission-server --as for names off the roster', async () => {
		const { root } = await teamRoot();
		const asked = await runCli(['request', 'alpha', '--as', 'zed', '--tool', 'Bash', '--input', '{}'], { root });
		expect(asked.code).toBe(2);
		expect(asked.stderr).toContain('--as "zed" is not a member');
		const network = await runCli(['request-network', 'alpha', '--as', 'zed', '--host', 'example.com'], { root });
		expect(network.code).toBe(2);
		const approve = await runCli(['approve', 'alpha', 'perm-1', '--worker', 'zed'], { root });
		expect(approve.code).toBe(2);
		expect(approve.stderr).toContain('--worker "zed" is not a member');
		const served = await runCli(['mcp-permission-server', '--team', 'alpha', '--as', 'nobody'], { root });
		expect(served.code).toBe(2);
		expect(served.stderr).toContain('--as "nobody" is not a member');
	});

	it('the lead answers a request from a sender off the roster with deny and reports it dropped', async () => {
		const { root } = await teamRoot();
		const { lead } = await startLead(root, ['--auto', 'allow']);
		const asked = await runCli(
			['request', 'alpha', '--as', 'zed', '--any-name', '--tool', 'Bash', '--input', '{"command":"ls"}'],
			{ root },
		);
		expect(asked.code).toBe(1);
		const outcome = jsonOf(asked) as { behavior: string; message: string };
		expect(outcome.behavior).toBe('deny');
		expect(outcome.message).toContain('"zed" is not a member of team "alpha"');
		const dropped = await lead.nextEvent((event) => event['event'] === 'dropped', 'dropped event');
		expect(dropped).toMatchObject({ reason: 'not-a-member', from: 'zed' });
		// A member is still answered by --auto.
		const member = await runCli(['request', 'alpha', '--as', 'ann', '--tool', 'Bash', '--input', '{"command":"ls"}'], {
			root,
		});
		expect(member.code).toBe(0);
	});

	it('request-network refuses an invalid host at once, before anything is sent', async () => {
		const { root, team } = await teamRoot();
		const started = Date.now();
		const result = await runCli(['request-network', 'alpha', '--as', 'ann', '--host', 'https://example.com'], {
			root,
		});
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('INVALID_ARGUMENT');
		expect(result.stderr).toContain('--host');
		expect(Date.now() - started).toBeLessThan(30_000); // the default timeout is 120 s
		expect(existsSync(team.inbox('team-lead').path)).toBe(false);
	});

	it('an edited approval: the decided event carries updatedInput; a plain one does not', async () => {
		const { root } = await teamRoot();
		const { lead } = await startLead(root, []);
		const ask = (command: string) =>
			startCli(['request', 'alpha', '--as', 'ann', '--tool', 'Bash', '--input', JSON.stringify({ command })], {
				root,
			});
		const edited = ask('npm test');
		const plain = ask('ls');
		const idOf = async (command: string) =>
			String(
				(
					await lead.nextEvent(
						(e) => e['event'] === 'request' && (e['input'] as { command?: string })?.command === command,
						`request ${command}`,
					)
				)['requestId'],
			);
		const [editedId, plainId] = [await idOf('npm test'), await idOf('ls')];
		const input = '{"command":"npm test -- --run"}';
		expect((await runCli(['approve', 'alpha', editedId, '--input', input], { root })).code).toBe(0);
		expect((await runCli(['approve', 'alpha', plainId], { root })).code).toBe(0);
		expect(jsonOf(await edited.exited)).toMatchObject({ behavior: 'allow', updatedInput: JSON.parse(input) });
		await plain.exited;
		const decided = (id: string) => lead.nextEvent((e) => e['event'] === 'decided' && e['requestId'] === id, id);
		expect(await decided(editedId)).toMatchObject({
			decision: 'allow',
			updatedInput: { command: 'npm test -- --run' },
		});
		expect(await decided(plainId)).not.toHaveProperty('updatedInput');
	});

	it('send --signing-key signs the message as the lead does, so a keyed teammate verifies it', async () => {
		const { root, team } = await teamRoot();
		const key = path.join(root, 'lead-key.pem');
		const { privateKey } = generateKeyPairSync('ed25519');
		writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
		const verifier = new LeadVerifier(verifyKeyFor(privateKey)); // issued before the message, as a teammate's is
		const sent = await runCli(['send', 'alpha', 'ann', 'from the lead', '--signing-key', key], { root });
		expect(sent.code).toBe(0);
		const [entry] = await team.inbox('ann').read();
		expect(entry?.lead_sig).toEqual(expect.any(String));
		expect(verifier.verify(entry!)).toBe(true);
		const unsigned = await runCli(['send', 'alpha', 'ann', 'not signed'], { root });
		expect(unsigned.code).toBe(0);
		expect(verifier.verify((await team.inbox('ann').read())[1]!)).toBe(false);
	});
});

describe('errors in CLI terms', () => {
	it('names commands and flags where the library names calls', async () => {
		const { root } = await teamRoot();
		const missing = await runCli(['pending', 'beta'], { root });
		expect(missing.code).toBe(2);
		expect(missing.stderr).toContain('`swarm-mailbox team create beta`');
		expect(missing.stderr).not.toContain('Team.create');
		const unknown = await runCli(['approve', 'alpha', 'perm-0-nothing'], { root });
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toContain('REQUEST_NOT_FOUND');
		expect(unknown.stderr).toContain('`swarm-mailbox pending alpha`');
		expect(unknown.stderr).not.toContain('Leader.listPending');
	});
});

describe('the screen line of a decision', () => {
	it('reads "allowed, edited" when the approver changed the input', () => {
		const base = { time: '', requestId: 'r', kind: 'permission', worker: 'ann', toolName: 'Bash', msgId: 'm' } as const;
		expect(decisionLine({ ...base, decision: 'allow', decidedBy: 'person' })).toBe('allowed Bash for ann (person)');
		expect(decisionLine({ ...base, decision: 'allow', decidedBy: 'cli', updatedInput: { command: 'ls' } })).toBe(
			'allowed, edited Bash for ann (cli)',
		);
	});
});
