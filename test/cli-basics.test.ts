import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { frameTypes } from '../src/protocol/frames.js';
import { Team } from '../src/team/team.js';
import { jsonOf, runCli, startCli } from './helpers/cli.js';
import { repoRoot } from './helpers/fork.js';
import { tempDir } from './helpers/temp.js';

/** Exactly one line on stderr, naming the error code. */
function expectOneErrorLine(stderr: string, code: string) {
	expect(stderr.endsWith('\n')).toBe(true);
	expect(stderr.trimEnd().split('\n')).toHaveLength(1);
	expect(stderr).toMatch(new RegExp(`^swarm-mailbox: ${code}: `));
}

describe('cli: team', () => {
	it('creates a team and shows its config, roster and inboxes; a second create fails with one line and exit 2', async () => {
		const root = tempDir();
		const created = await runCli(['team', 'create', 'alpha', '--member', 'ann', '--member', 'bob'], { root });
		expect(created).toMatchObject({ code: 0, stderr: '' });
		expect(created.stdout).toContain(path.join(root, 'alpha', 'config.json'));
		const team = await Team.open('alpha', { root });
		expect((await team.members()).map((member) => member.name)).toEqual(['team-lead', 'ann', 'bob']);
		await team.inbox('ann').send({ from: 'bob', text: 'one' });
		await team.inbox('ann').send({ from: 'bob', text: 'two' });
		await team.inbox('visitor').send({ from: 'bob', text: 'not a member' });

		const [shown, human, again] = await Promise.all([
			runCli(['--json', 'team', 'show', 'alpha'], { root }),
			runCli(['team', 'show', 'alpha'], { root }),
			runCli(['team', 'create', 'alpha'], { root }),
		]);
		expect(shown.code).toBe(0);
		const summary = jsonOf(shown) as Record<string, unknown>;
		expect(summary).toMatchObject({ name: 'alpha', root, leader: 'team-lead', configPath: team.configPath });
		expect((summary['members'] as { name: string; color?: string }[]).map((m) => [m.name, m.color])).toEqual([
			['team-lead', undefined],
			['ann', 'red'],
			['bob', 'blue'],
		]);
		expect(summary['inboxes']).toEqual([
			{ name: 'team-lead', path: team.inbox('team-lead').path, exists: false, entries: 0, unread: 0, invalid: 0 },
			{ name: 'ann', path: team.inbox('ann').path, exists: true, entries: 2, unread: 2, invalid: 0 },
			{ name: 'bob', path: team.inbox('bob').path, exists: false, entries: 0, unread: 0, invalid: 0 },
			{ name: 'visitor', path: team.inbox('visitor').path, exists: true, entries: 1, unread: 1, invalid: 0 },
		]);
		expect(human.code).toBe(0);
		expect(human.stdout).toMatch(/^Team alpha$/m);
		expect(human.stdout).toMatch(/^ {2}ann +ann@alpha +red +in-process$/m);
		expect(human.stdout).toMatch(/^ {2}ann +2 +2 +0$/m);
		expect(again).toMatchObject({ code: 2, stdout: '' });
		expectOneErrorLine(again.stderr, 'TEAM_EXISTS');
	});

	it('defaults the root to $CLAUDE_CONFIG_DIR/teams, and reports a missing team with exit 2', async () => {
		const configDir = tempDir();
		const created = await runCli(['team', 'create', 'beta'], { env: { CLAUDE_CONFIG_DIR: configDir } });
		expect(created.code).toBe(0);
		expect(existsSync(path.join(configDir, 'teams', 'beta', 'config.json'))).toBe(true);
		const missing = await runCli(['team', 'show', 'gamma'], { env: { CLAUDE_CONFIG_DIR: configDir } });
		expect(missing).toMatchObject({ code: 2, stdout: '' });
		expectOneErrorLine(missing.stderr, 'TEAM_NOT_FOUND');
		expect(missing.stderr).toContain(path.join(configDir, 'teams', 'gamma', 'config.json'));
	});
});

describe('cli: send and inbox', () => {
	it('sends plain messages and prints an inbox without removing anything; terminal output escapes control codes', async () => {
		const root = tempDir();
		await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
		const sent = await runCli(['--json', 'send', 'alpha', 'ann', 'hello\nann', '--from', 'bob', '--summary', 'hi'], {
			root,
		});
		expect(sent.code).toBe(0);
		const { msgId } = jsonOf(sent) as { msgId: string };
		expect(jsonOf(sent)).toEqual({ msgId, team: 'alpha', to: 'ann', from: 'bob' });
		const fromLead = await runCli(['send', 'alpha', 'ann', 'red \x1b[31malert'], { root });
		expect(fromLead.stdout).toMatch(/^Sent [0-9a-f-]{36} to ann$/m);

		const [asJson, asText] = await Promise.all([
			runCli(['--json', 'inbox', 'alpha', 'ann'], { root }),
			runCli(['inbox', 'alpha', 'ann'], { root }),
		]);
		const entries = asJson.stdout
			.trimEnd()
			.split('\n')
			.map((line) => JSON.parse(line));
		expect(entries).toEqual([
			expect.objectContaining({ from: 'bob', text: 'hello\nann', summary: 'hi', msg_id: msgId, color: 'blue' }),
			expect.objectContaining({ from: 'team-lead', text: 'red \x1b[31malert', read: false, type: 'message' }),
		]);
		expect(asText.stdout).toContain('bob (hi): hello\n    ann\n');
		expect(asText.stdout).toContain('team-lead: red \\u{1b}[31malert');
		expect(asText.stdout).not.toContain('\x1b');
		const team = await Team.open('alpha', { root });
		expect(await team.inbox('ann').read()).toEqual(entries); // reading removed nothing
		expect((await runCli(['inbox', 'alpha', 'bob'], { root })).stdout).toMatch(/^\(no entries in .*bob\.json\)$/m);
	});

	it('inbox --follow prints the backlog, then each entry as it arrives, until SIGTERM (exit 0)', async () => {
		const root = tempDir();
		const team = await Team.create('alpha', { root, members: [{ name: 'ann' }] });
		await team.inbox('ann').send({ from: 'team-lead', text: 'backlog' });
		const follow = startCli(['--json', 'inbox', 'alpha', 'ann', '--follow'], { root });
		await follow.nextEvent((entry) => entry['text'] === 'backlog', 'the backlog');
		expect((await runCli(['send', 'alpha', 'ann', 'first'], { root })).code).toBe(0);
		await follow.nextEvent((entry) => entry['text'] === 'first', 'the first arrival');
		await team.inbox('ann').send({ from: 'bob', text: 'second' });
		await follow.nextEvent((entry) => entry['text'] === 'second', 'the second arrival');
		const result = await follow.stop('SIGTERM');
		expect(result).toMatchObject({ code: 0, stderr: '' });
		expect(follow.events.map((entry) => entry['text'])).toEqual(['backlog', 'first', 'second']);
	});
});

describe('cli: schema, usage and help', () => {
	it('prints the same JSON Schemas as the schemas/ folder, one frame or all keyed by type', async () => {
		const fromFile = (type: string) =>
			JSON.parse(readFileSync(path.join(repoRoot, 'schemas', `${type}.schema.json`), 'utf8'));
		const [one, all, unknown] = await Promise.all([
			runCli(['schema', 'permission_request']),
			runCli(['schema']),
			runCli(['schema', 'permission_reqest']),
		]);
		expect(one.code).toBe(0);
		expect(jsonOf(one)).toEqual(fromFile('permission_request'));
		expect(Object.keys(jsonOf(all) as object)).toEqual(frameTypes);
		for (const type of frameTypes) expect((jsonOf(all) as Record<string, unknown>)[type]).toEqual(fromFile(type));
		expect(unknown).toMatchObject({ code: 2, stdout: '' });
		expectOneErrorLine(unknown.stderr, 'INVALID_ARGUMENT');
	});

	it('usage errors are one line on stderr with exit 2; --help works on every command', async () => {
		const root = tempDir();
		const [missing, unknownOption, badChoice, badJson, badTimeout] = await Promise.all([
			runCli(['send', 'alpha'], { root }),
			runCli(['pending', 'alpha', '--bogus'], { root }),
			runCli(['lead', 'alpha', '--auto', 'maybe'], { root }),
			runCli(['request', 'alpha', '--as', 'ann', '--tool', 'Bash', '--input', '{nope'], { root }),
			runCli(['request-network', 'alpha', '--as', 'ann', '--host', 'x.test', '--timeout', '-5'], { root }),
		]);
		for (const result of [missing, unknownOption, badChoice]) {
			expect(result).toMatchObject({ code: 2, stdout: '' });
			expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
			expect(result.stderr).toMatch(/^swarm-mailbox: .+ \(see --help\)\n$/);
		}
		expect(missing.stderr).toContain("missing required argument 'to'");
		expect(unknownOption.stderr).toContain("unknown option '--bogus'");
		expect(badChoice.stderr).toContain('Allowed choices are allow, deny');
		expectOneErrorLine(badJson.stderr, 'INVALID_ARGUMENT');
		expect(badJson.stderr).toContain('--input');
		expect(badJson.code).toBe(2);
		expect(badTimeout.code).toBe(2);
		expectOneErrorLine(badTimeout.stderr, 'INVALID_ARGUMENT');
		expect(badTimeout.stderr).toContain('--timeout');

		const commands = [
			['team', 'create'],
			['team', 'show'],
			['send'],
			['inbox'],
			['request'],
			['request-network'],
			['lead'],
			['pending'],
			['approve'],
			['deny'],
			['schema'],
		];
		const helps = await Promise.all(commands.map((command) => runCli([...command, '--help'])));
		helps.forEach((help, index) => {
			expect(help).toMatchObject({ code: 0, stderr: '' });
			expect(help.stdout).toContain(`Usage: swarm-mailbox ${commands[index]?.join(' ')} `);
		});
		expect(helps[4]?.stdout).toContain('--lead-verify-key <key>');
		expect(helps[6]?.stdout).toContain('--auto <decision>');
	});
});
