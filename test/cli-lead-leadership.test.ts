import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Policy } from '../src/policy/policy.js';
import { encodeFrame } from '../src/protocol/frame-codec.js';
import { Team } from '../src/team/team.js';
import { Worker } from '../src/worker/worker.js';
import { runCli, startCli, startLead } from './helpers/cli.js';
import { PtySession } from './helpers/pty.js';
import { bash, track, until } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

async function teamRoot() {
	const root = tempDir();
	await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
	return root;
}

describe('cli: lead, one per team', () => {
	it('a second lead exits 2 naming the live one; after a SIGKILL a new lead takes over and says so; --takeover forces it', async () => {
		const root = await teamRoot();
		const { lead: first } = await startLead(root, []);
		const refused = await runCli(['--json', 'lead', 'alpha'], { root });
		expect(refused.code).toBe(2);
		expect(refused.stderr).toContain('LEAD_ACTIVE');
		expect(refused.stderr).toContain(`process ${first.child.pid} on ${hostname()}`);
		expect(refused.stderr).toContain('--takeover');

		await first.stop('SIGKILL');
		// A short stale window makes the second look at its claim every 100 ms (window / 6).
		const second = startCli(['--json', 'lead', 'alpha'], { root, env: { SWARM_MAILBOX_LEAD_STALE_MS: '600' } });
		const takeover = await second.nextEvent((event) => event['event'] === 'takeover', 'takeover event');
		expect(takeover).toMatchObject({ state: 'dead', previous: { pid: first.child.pid } });
		await second.nextEvent((event) => event['event'] === 'ready', 'second ready');

		// Taken over while it runs, the second stops by itself and says who leads now.
		const { lead: third } = await startLead(root, ['--takeover']);
		expect(await third.nextEvent((event) => event['event'] === 'takeover', 'forced')).toMatchObject({ state: 'alive' });
		const displaced = await second.nextEvent((event) => event['event'] === 'displaced', 'displaced event');
		expect(displaced).toMatchObject({ code: 'LEAD_DISPLACED', by: { pid: third.child.pid } });
		const ended = await second.exited;
		expect(ended.code).toBe(2);
		expect(ended.stderr).toContain(`process ${third.child.pid} on ${hostname()}`);
		const team = await Team.open('alpha', { root });
		expect((await team.leadProcess())?.pid).toBe(third.child.pid); // the second left the third's claim alone
		expect((await third.stop('SIGTERM')).code).toBe(0);
		expect(await team.leadProcess()).toBeUndefined(); // the last one out released it
	});
});

describe('cli: lead shows what teammates say', () => {
	it('shows plain messages and idle notifications as JSON lines and acks them; leaves other frames', async () => {
		const root = await teamRoot();
		const team = await Team.open('alpha', { root });
		const { lead } = await startLead(root, []);
		const sent = await runCli(['send', 'alpha', 'team-lead', 'done with the parser', '--from', 'ann'], { root });
		expect(sent.code).toBe(0);
		const worker = track(new Worker(team, { name: 'bob' }));
		await worker.sendIdleNotification({ summary: 'waiting for review' });
		const plain = await lead.nextEvent((event) => event['event'] === 'message' && event['from'] === 'ann', 'message');
		expect(plain).toMatchObject({ type: null, text: 'done with the parser', acked: true });
		const idle = await lead.nextEvent((event) => event['event'] === 'message' && event['from'] === 'bob', 'idle');
		expect(idle).toMatchObject({ type: 'idle_notification', acked: true });
		await until(async () => (await team.inbox('team-lead').read()).length === 0, 'the lead inbox emptied');

		// A frame the lead cannot act on is shown, and stays for whoever can.
		const frame = encodeFrame({
			type: 'shutdown_approved',
			requestId: 'shutdown-1',
			from: 'ann',
			timestamp: 'x',
		} as never);
		await team.inbox('team-lead').send({ from: 'ann', text: frame });
		await lead.nextEvent((event) => event['event'] === 'message' && event['type'] === 'shutdown_approved', 'frame');
		expect(await team.inbox('team-lead').read()).toHaveLength(1);
		expect((await lead.stop('SIGTERM')).code).toBe(0);
	});
});

describe('cli: lead on a terminal shows what teammates say', () => {
	it('shows an idle notification and a plain message on the screen, then acks them', async () => {
		const root = await teamRoot();
		const team = await Team.open('alpha', { root });
		const screen = new PtySession(['--root', root, 'lead', 'alpha']);
		await screen.waitFor('Waiting for permission requests');
		const mark = screen.mark();
		const worker = track(new Worker(team, { name: 'bob' }));
		await worker.sendIdleNotification({ summary: 'waiting for review' });
		await screen.waitFor('✉ bob is idle (available): waiting for review', mark);
		await runCli(['send', 'alpha', 'team-lead', 'done \u001b[31mred', '--from', 'ann'], { root });
		await screen.waitFor('✉ ann: done \\u{1b}[31mred', mark); // shown escaped: it cannot drive the terminal
		await until(async () => (await team.inbox('team-lead').read()).length === 0, 'the lead inbox emptied');
	});
});

describe('per-worker policy scopes', () => {
	it('a policy file scopes rules to workers; deny beats allow across scopes', async () => {
		const root = await teamRoot();
		const policy = path.join(root, 'policy.json');
		writeFileSync(
			policy,
			JSON.stringify({
				allow: ['Read'],
				deny: ['Bash(npm publish:*)'],
				workers: { ann: { allow: ['Bash(npm:*)'], deny: ['Read(//secret/**)'] } },
				fallback: 'deny',
			}),
		);
		const { lead } = await startLead(root, ['--policy', policy]);
		const team = await Team.open('alpha', { root });
		const ann = track(new Worker(team, { name: 'ann' }));
		const bob = track(new Worker(team, { name: 'bob' }));
		expect(await ann.requestPermission(bash('npm test'))).toMatchObject({ behavior: 'allow' });
		expect(await bob.requestPermission(bash('npm test'))).toMatchObject({ behavior: 'deny' });
		expect(await ann.requestPermission(bash('npm publish', 'toolu_2'))).toMatchObject({ behavior: 'deny' });
		const read = (file: string, id: string) => ({ toolName: 'Read', toolUseId: id, input: { file_path: file } });
		expect(await ann.requestPermission(read('/secret/key', 'toolu_3'))).toMatchObject({ behavior: 'deny' });
		expect(await bob.requestPermission(read('/secret/key', 'toolu_4'))).toMatchObject({ behavior: 'allow' });
		expect(await ann.requestPermission(read('/src/a.ts', 'toolu_5'))).toMatchObject({ behavior: 'allow' });
		await Promise.all([ann.close(), bob.close()]);
		expect((await lead.stop('SIGTERM')).code).toBe(0);
	});

	it('refuses a bad rule in a worker scope, naming it (exit 2)', async () => {
		const root = await teamRoot();
		const policy = path.join(root, 'policy.json');
		writeFileSync(policy, JSON.stringify({ workers: { ann: { allow: ['Bash(unclosed'] } } }));
		const result = await runCli(['lead', 'alpha', '--policy', policy], { root });
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('workers."ann"');
	});

	it('Policy: a worker scope is merged with the team rules and persisted "always" rules', async () => {
		const policy = new Policy({
			rules: { allow: ['Bash(ls:*)'], networkAllow: ['*.npmjs.org'] },
			workers: { ann: { deny: ['Bash(ls /etc:*)'], networkDeny: ['evil.npmjs.org'], allow: ['Edit'] } },
		});
		await policy.allowAlways('Bash(make)');
		const decide = (command: string, worker?: string) => policy.decideTool('Bash', { command }, {}, worker).behavior;
		expect([decide('ls /etc'), decide('ls /etc', 'ann'), decide('ls /etc', 'bob')]).toEqual(['allow', 'deny', 'allow']);
		expect([decide('make', 'ann'), decide('make')]).toEqual(['allow', 'allow']);
		expect(policy.decideTool('Edit', { file_path: '/a' }, {}, 'ann').behavior).toBe('allow');
		expect(policy.decideTool('Edit', { file_path: '/a' }, {}, 'bob')).toMatchObject({
			behavior: 'ask',
			fallback: true,
		});
		expect(policy.decideHost('evil.npmjs.org', 'ann').behavior).toBe('deny');
		expect(policy.decideHost('evil.npmjs.org', 'bob').behavior).toBe('allow');
	});
});
