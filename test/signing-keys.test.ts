/**
One signing key per pane teammate, as Claude Code 2.1.330 keys them: the signer is told the recipient, the CLI takes a
directory of `<teammate>.pem` keys, and an entry signed for one teammate does not verify in another's inbox.
*/

import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createShutdownRequest } from '../src/protocol/frame-builders.js';
import { encodeFrame } from '../src/protocol/frame-codec.js';
import { createLeadKeyPair, keyPerRecipient, LeadVerifier } from '../src/protocol/signing.js';
import { Team } from '../src/team/team.js';
import type { RejectedResponse } from '../src/worker/responses.js';
import { Worker } from '../src/worker/worker.js';
import { jsonOf, runCli, startCli, startLead } from './helpers/cli.js';
import { collect, nextRequest, startSwarm, track, until, within } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

const verifierFor = (verifyKey: string) => new LeadVerifier(verifyKey, { processStartMs: Date.now() });

describe('a key per recipient (library)', () => {
	it('signs each answer with its recipient key; an unkeyed recipient gets it unsigned', async () => {
		const ann = createLeadKeyPair();
		const signer = keyPerRecipient(new Map([['Ann', ann.privateKey]])); // looked up case-insensitively
		const { team, worker, requests } = await startSwarm({ signer }, { verifier: verifierFor(ann.verifyKey) });
		const outcome = worker.requestPermission({ toolName: 'Bash', toolUseId: 't1', input: { command: 'ls' } });
		await (await nextRequest(requests)).approve();
		expect(await within(outcome, 'the allow')).toMatchObject({ behavior: 'allow' });

		const bob = track(new Worker(team, { name: 'bob' }));
		const bobOutcome = bob.requestPermission({ toolName: 'Bash', toolUseId: 't2', input: { command: 'pwd' } });
		const request = await nextRequest(requests);
		await request.approve();
		expect(await within(bobOutcome, "bob's allow")).toMatchObject({ behavior: 'allow' });
		const entry = { from: 'team-lead', text: 'x', timestamp: new Date().toISOString(), msg_id: 'm' };
		expect(signer(entry, 'bob')).toBe(entry); // no key for bob: untouched
		expect(signer({ ...entry, from: 'ann' }, 'ann')).not.toHaveProperty('lead_sig'); // not from a lead name
	});

	it("a signed shutdown_request copied into another keyed teammate's inbox does not verify there", async () => {
		const keys = { ann: createLeadKeyPair(), bob: createLeadKeyPair() };
		const signer = keyPerRecipient(new Map(Object.entries(keys).map(([name, pair]) => [name, pair.privateKey])));
		const team = await Team.create('alpha', { root: tempDir(), members: [{ name: 'ann' }, { name: 'bob' }] });
		const frame = createShutdownRequest({ from: 'team-lead', target: 'ann', reason: 'done' });
		const signed = signer({ from: 'team-lead', text: encodeFrame(frame) }, 'ann');
		expect(signed.lead_sig).toEqual(expect.any(String));
		await team.inbox('ann').send(signed);
		await team.inbox('bob').send(signed); // the very same entry, copied

		const annWorker = track(new Worker(team, { name: 'ann', verifier: verifierFor(keys.ann.verifyKey) }));
		const bobWorker = track(new Worker(team, { name: 'bob', verifier: verifierFor(keys.bob.verifyKey) }));
		const refused = collect<RejectedResponse>(bobWorker, 'rejected');
		const annMessages = annWorker.messages();
		const annEntry = await within(annMessages.next(), "ann's shutdown request");
		expect(annEntry.value?.msg_id).toBe(signed.msg_id); // verified: handed to the application
		await bobWorker.ready();
		await until(() => refused.length > 0, "bob's refusal");
		expect(refused[0]).toMatchObject({ reason: 'unverified', requestId: frame.requestId });
		expect(refused[0]?.detail).toMatch(/forged/);
	});
});

describe('a key per teammate (CLI)', () => {
	async function keyedTeam() {
		const root = tempDir();
		await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
		const keys = path.join(root, 'keys');
		mkdirSync(keys, { mode: 0o700 });
		const verifyKeys: Record<string, string> = {};
		for (const name of ['ann', 'bob']) {
			const made = await runCli(['verify-key', keys, name, '--create'], { root });
			expect(made).toMatchObject({ code: 0, stderr: '' });
			verifyKeys[name] = made.stdout.trim();
			expect(statSync(path.join(keys, `${name}.pem`)).mode & 0o777).toBe(0o600);
		}
		return { root, keys, verifyKeys };
	}

	function startWithKey(root: string, worker: string, input: string, verifyKey: string) {
		return startCli(
			[
				'--json',
				'request',
				'alpha',
				'--as',
				worker,
				'--tool',
				'Bash',
				'--input',
				input,
				'--timeout',
				'20000',
				'--lead-verify-key',
				verifyKey,
			],
			{ root },
		);
	}

	it('approve --signing-key <dir> signs with the asking teammate key; another teammate key refuses it', async () => {
		const { root, keys, verifyKeys } = await keyedTeam();
		const printed = await runCli(['verify-key', keys, 'ann'], { root });
		expect(printed.stdout.trim().split('.')[1]).toBe(verifyKeys['ann']?.split('.')[1]); // same key, new stamp

		const annAsks = startWithKey(root, 'ann', '{"command":"ls"}', String(verifyKeys['ann']));
		// bob runs with ann's verify key: an answer signed with bob's own key must not pass.
		const bobAsks = startWithKey(root, 'bob', '{"command":"pwd"}', String(verifyKeys['ann']));
		const { lead } = await startLead(root, ['--signing-key', keys]); // no --auto: answered from the shell below
		for (let asked = 0; asked < 2; asked++) {
			const { requestId } = await lead.nextEvent(
				(e) => e['event'] === 'request' && e['worker'] === (asked === 0 ? 'ann' : 'bob'),
				'request event',
			);
			const approved = await runCli(['approve', 'alpha', String(requestId), '--signing-key', keys], { root });
			expect(approved.code).toBe(0);
		}
		const [annResult, bobResult] = await Promise.all([annAsks.exited, bobAsks.exited]);
		expect(annResult.code).toBe(0);
		expect(jsonOf(annResult)).toMatchObject({ behavior: 'allow' });
		expect(bobResult.code).toBe(1);
		expect(jsonOf(bobResult)).toMatchObject({ behavior: 'deny', reason: 'unverified' });
		expect(readFileSync(path.join(keys, 'ann.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
		await lead.stop();
	});

	it('refuses a directory holding a key that is not Ed25519, and a directory without a teammate name', async () => {
		const { root, keys } = await keyedTeam();
		writeFileSync(path.join(keys, 'carol.pem'), 'not a key');
		const [lead, noName] = await Promise.all([
			runCli(['approve', 'alpha', 'perm-1-abcdefg', '--signing-key', keys], { root }),
			runCli(['verify-key', keys], { root }),
		]);
		expect(lead.code).toBe(2);
		expect(lead.stderr).toMatch(/INVALID_KEY: Signing key .*carol\.pem/);
		expect(noName.code).toBe(2);
		expect(noName.stderr).toMatch(/INVALID_ARGUMENT/);
	});
});
