import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Team } from '../src/team/team.js';
import { jsonOf, runCli, startCli, startLead } from './helpers/cli.js';
import { tempDir } from './helpers/temp.js';

async function teamRoot(): Promise<string> {
	const root = tempDir();
	await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
	return root;
}

function asks(root: string, worker: string, command: string) {
	const input = JSON.stringify({ command });
	return startCli(['request', 'alpha', '--as', worker, '--tool', 'Bash', '--input', input, '--timeout', '60000'], {
		root,
	});
}

describe('cli: pending, approve and deny from another process while a leader runs', () => {
	it('answers requests the policy leaves to a person; the leader reports each answer with who gave it', async () => {
		const root = await teamRoot();
		const { lead } = await startLead(root, []); // no policy, no --auto: every request waits for a person
		const test = asks(root, 'ann', 'npm test');
		const push = asks(root, 'ann', 'git push');
		const network = startCli(['request-network', 'alpha', '--as', 'bob', '--host', 'example.com'], { root });
		const requested = (what: (e: Record<string, unknown>) => boolean) =>
			lead.nextEvent((e) => e['event'] === 'request' && what(e), 'request event');
		const testId = (await requested((e) => (e['input'] as { command?: string })?.command === 'npm test'))['requestId'];
		const pushId = (await requested((e) => (e['input'] as { command?: string })?.command === 'git push'))['requestId'];
		const networkId = (await requested((e) => e['host'] === 'example.com'))['requestId'];

		const [listed, table] = await Promise.all([
			runCli(['--json', 'pending', 'alpha'], { root }),
			runCli(['pending', 'alpha'], { root }),
		]);
		expect(listed.code).toBe(0);
		const pending = jsonOf(listed) as Record<string, unknown>[];
		expect(pending.map((p) => p['requestId']).sort()).toEqual([testId, pushId, networkId].sort());
		expect(pending.find((p) => p['requestId'] === networkId)).toMatchObject({ kind: 'sandbox', worker: 'bob' });
		expect(pending.find((p) => p['requestId'] === testId)).toMatchObject({
			kind: 'permission',
			worker: 'ann',
			toolName: 'Bash',
			input: { command: 'npm test' },
		});
		expect(table.stdout).toMatch(new RegExp(`^${testId} +ann +\\S+ +Bash \\{"command":"npm test"\\}$`, 'm'));
		expect(table.stdout).toMatch(new RegExp(`^${networkId} +bob +\\S+ +network access to example\\.com$`, 'm'));

		const approved = await runCli(
			['--json', 'approve', 'alpha', String(testId), '--input', '{"command":"npm test -- --run"}'],
			{ root },
		);
		expect(approved.code).toBe(0);
		expect(jsonOf(approved)).toMatchObject({ requestId: testId, worker: 'ann', decision: 'allow' });
		const [denied, allowedNetwork] = await Promise.all([
			runCli(['deny', 'alpha', String(pushId), '--message', 'not on a Friday'], { root }),
			runCli(['approve', 'alpha', String(networkId)], { root }),
		]);
		expect(denied).toMatchObject({ code: 0, stdout: `Denied ${pushId} of ann\n` });
		expect(allowedNetwork).toMatchObject({ code: 0, stdout: `Allowed ${networkId} of bob\n` });

		const [testResult, pushResult, networkResult] = await Promise.all([test.exited, push.exited, network.exited]);
		expect(testResult.code).toBe(0);
		expect(jsonOf(testResult)).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test -- --run' } });
		expect(pushResult.code).toBe(1);
		expect(jsonOf(pushResult)).toMatchObject({ behavior: 'deny', reason: 'denied', message: 'not on a Friday' });
		expect(networkResult.code).toBe(0);
		expect(jsonOf(networkResult)).toMatchObject({ allow: true, host: 'example.com' });

		for (const id of [testId, pushId, networkId]) {
			const event = await lead.nextEvent((e) => e['event'] === 'decided' && e['requestId'] === id, 'decided');
			expect(event['decidedBy']).toBe('cli');
		}
		expect(lead.events.find((e) => e['requestId'] === pushId && e['event'] === 'decided')).toMatchObject({
			decision: 'deny',
			message: 'not on a Friday',
		});

		const [twice, unknown, empty] = await Promise.all([
			runCli(['approve', 'alpha', String(testId)], { root }),
			runCli(['deny', 'alpha', 'perm-1-abcdefg'], { root }),
			runCli(['pending', 'alpha'], { root }),
		]);
		expect(twice).toMatchObject({ code: 2, stdout: '' });
		expect(twice.stderr).toMatch(/^swarm-mailbox: ALREADY_ANSWERED: .*\n$/);
		expect(unknown).toMatchObject({ code: 2, stdout: '' });
		expect(unknown.stderr).toMatch(/^swarm-mailbox: REQUEST_NOT_FOUND: .*\n$/);
		expect(empty.stdout).toBe('No pending requests.\n');
		expect((await lead.stop()).code).toBe(0);
	});

	it('approve --always persists an exact rule; the running leader then allows the identical call by policy', async () => {
		const root = await teamRoot();
		const { lead } = await startLead(root, []);
		const first = asks(root, 'ann', 'git status');
		const { requestId } = await lead.nextEvent((e) => e['event'] === 'request', 'request event');
		const approved = await runCli(['--json', 'approve', 'alpha', String(requestId), '--always'], { root });
		expect(jsonOf(approved)).toMatchObject({ decision: 'allow', persistedRule: 'Bash(git status)' });
		expect((await first.exited).code).toBe(0);
		const rules = JSON.parse(readFileSync(path.join(root, 'alpha', 'swarm-mailbox', 'rules.json'), 'utf8'));
		expect(rules.allow).toEqual(['Bash(git status)']);

		const again = await asks(root, 'ann', 'git status').exited;
		expect(again.code).toBe(0);
		const { requestId: againId } = jsonOf(again) as { requestId: string };
		const decided = await lead.nextEvent((e) => e['event'] === 'decided' && e['requestId'] === againId, 'decided');
		expect(decided).toMatchObject({ decision: 'allow', decidedBy: 'policy' });
		expect(lead.events.filter((e) => e['event'] === 'request')).toHaveLength(1); // only the first was asked
		await lead.stop();
	});

	it('a request stays in the journal after the leader stops, and can still be answered', async () => {
		const root = await teamRoot();
		const { lead } = await startLead(root, []);
		const waiting = asks(root, 'bob', 'make deploy');
		const { requestId } = await lead.nextEvent((e) => e['event'] === 'request', 'request event');
		expect((await lead.stop('SIGINT')).code).toBe(0);
		expect(lead.events.at(-1)).toEqual({ event: 'closed', pending: 1 });

		const listed = jsonOf(await runCli(['--json', 'pending', 'alpha'], { root })) as { requestId: string }[];
		expect(listed.map((request) => request.requestId)).toEqual([requestId]);
		expect((await runCli(['deny', 'alpha', String(requestId), '--worker', 'bob'], { root })).code).toBe(0);
		const result = await waiting.exited;
		expect(result.code).toBe(1);
		expect(jsonOf(result)).toMatchObject({ behavior: 'deny', message: 'Permission denied', reason: 'denied' });
	});
});
