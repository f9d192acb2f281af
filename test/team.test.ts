import { mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Team } from '../src/index.js';
import { resolveTeamsRoot, sanitizePathComponent, sanitizeTeamDirName } from '../src/protocol.js';
import { tempDir } from './helpers/temp.js';

describe('Team.create and open', () => {
	it('writes config.json as Claude Code does, with private modes', async () => {
		const root = tempDir();
		const team = await Team.create('alpha', {
			root,
			cwd: '/work',
			members: [{ name: 'researcher' }, { name: 'tester' }],
		});
		const raw = readFileSync(team.configPath, 'utf8');
		const config = JSON.parse(raw);
		expect(raw).toBe(JSON.stringify(config, null, 2));
		expect(config).toMatchObject({ name: 'alpha', leadAgentId: 'team-lead@alpha' });
		expect(config.members[0]).toEqual({
			agentId: 'team-lead@alpha',
			name: 'team-lead',
			agentType: 'team-lead',
			joinedAt: config.createdAt,
			tmuxPaneId: 'leader',
			cwd: '/work',
			subscriptions: [],
			backendType: 'in-process',
		});
		expect(config.members.slice(1).map((m: { agentId: string; color: string }) => [m.agentId, m.color])).toEqual([
			['researcher@alpha', 'red'],
			['tester@alpha', 'blue'],
		]);
		expect(statSync(team.configPath).mode & 0o777).toBe(0o600);
		expect(statSync(team.directory).mode & 0o777).toBe(0o700);
		expect(statSync(team.inboxDirectory).mode & 0o777).toBe(0o700);
		await expect(Team.create('alpha', { root })).rejects.toMatchObject({ code: 'TEAM_EXISTS' });
		expect(readFileSync(team.configPath, 'utf8')).toBe(raw);
	});

	it('opens a team, reports missing and corrupt configs without touching them', async () => {
		const root = tempDir();
		await expect(Team.open('nope', { root })).rejects.toMatchObject({ code: 'TEAM_NOT_FOUND' });
		mkdirSync(path.join(root, 'broken'));
		writeFileSync(path.join(root, 'broken', 'config.json'), '{"name": "broken", ');
		await expect(Team.open('broken', { root })).rejects.toMatchObject({ code: 'CORRUPT_CONFIG' });
		expect(readFileSync(path.join(root, 'broken', 'config.json'), 'utf8')).toBe('{"name": "broken", ');
	});

	it('refuses hostile, reserved and aliasing member names', async () => {
		const team = await Team.create('alpha', { root: tempDir() });
		const bad = ['../escape', 'a/b', 'team-lead', 'MAIN', 'user', 'system', 'bad\u0007name', 'x@y', '', 'a'.repeat(65)];
		for (const name of [...bad, '123e4567-e89b-42d3-a456-426614174000']) {
			await expect(team.addMember({ name })).rejects.toMatchObject({ code: 'INVALID_NAME' });
		}
		await team.addMember({ name: 'Worker_1' });
		await expect(team.addMember({ name: 'worker_1' })).rejects.toMatchObject({ code: 'MEMBER_EXISTS' });
		expect((await team.members()).map((member) => member.name)).toEqual(['team-lead', 'Worker_1']);
		await expect(Team.create('bad\nteam', { root: tempDir() })).rejects.toMatchObject({ code: 'INVALID_NAME' });
		await expect(Team.create('---', { root: tempDir() })).rejects.toMatchObject({ code: 'INVALID_NAME' });
	});

	it('adds and removes members under the config lock without losing concurrent updates', async () => {
		const root = tempDir();
		const team = await Team.create('alpha', { root });
		const other = await Team.open('alpha', { root });
		await Promise.all(
			Array.from({ length: 20 }, (_, index) => (index % 2 ? team : other).addMember({ name: `w${index}` })),
		);
		expect((await team.members()).length).toBe(21);
		expect(await team.removeMember('w3')).toBe(true);
		expect(await team.removeMember('w3')).toBe(false);
		expect((await other.members()).map((member) => member.name)).not.toContain('w3');
	});

	it('falls back to team-lead when the roster names no leader', async () => {
		const team = await Team.create('alpha', { root: tempDir() });
		await team.updateConfig((config) => {
			config.leadAgentId = 'someone@alpha';
		});
		expect(await team.leaderName()).toBe('team-lead');
		await team.updateConfig((config) => {
			config.members.push({ agentId: 'boss@alpha', name: 'boss' });
			config.leadAgentId = 'boss@alpha';
		});
		expect(await team.leaderName()).toBe('boss');
	});

	it('refuses a team directory that is a symlink out of the root', async () => {
		const root = tempDir();
		const outside = tempDir();
		await Team.create('alpha', { root: outside });
		symlinkSync(path.join(outside, 'alpha'), path.join(root, 'alpha'));
		await expect(Team.open('alpha', { root })).rejects.toMatchObject({ code: 'UNSAFE_PATH' });
	});
});

describe('config reads', () => {
	it('reuses nothing across a change to config.json, even one in place keeping its size and mtime', async () => {
		const root = tempDir();
		const team = await Team.create('alpha', { root, members: [{ name: 'ann', cwd: '/src/aaa' }] });
		// Settled long ago: a read of it may be reused while the file stays as it is.
		const past = new Date(Date.now() - 60_000);
		utimesSync(team.configPath, past, past);
		expect((await team.members()).find((member) => member.name === 'ann')?.cwd).toBe('/src/aaa');
		expect((await team.members()).find((member) => member.name === 'ann')?.cwd).toBe('/src/aaa');
		// Claude Code rewrites in place; same size, and the mtime put back: only the change time tells.
		const before = statSync(team.configPath);
		writeFileSync(team.configPath, readFileSync(team.configPath, 'utf8').replace('/src/aaa', '/src/bbb'));
		utimesSync(team.configPath, before.atime, before.mtime);
		expect(statSync(team.configPath).size).toBe(before.size);
		expect((await team.members()).find((member) => member.name === 'ann')?.cwd).toBe('/src/bbb');
		// A corrupt rewrite is reported, not hidden behind the last good read.
		writeFileSync(team.configPath, '{"name": ');
		utimesSync(team.configPath, past, past);
		await expect(team.members()).rejects.toMatchObject({ code: 'CORRUPT_CONFIG' });
	});
});

describe('paths', () => {
	it('reproduces both Claude Code sanitisers', () => {
		const cases: [string, string, string][] = [
			['my-team', 'my-team', 'my-team'],
			['My Team', 'my-team', 'My-Team'],
			['a_b', 'a-b', 'a_b'],
			['qa.bot', 'qa-bot', 'qa-bot'],
			['team😀', 'team--', 'team--'],
			['../x', '---x', '---x'],
		];
		for (const [input, configDir, inboxDir] of cases) {
			expect([sanitizeTeamDirName(input), sanitizePathComponent(input)]).toEqual([configDir, inboxDir]);
		}
	});

	it('refuses names whose files could not be named (over 200 characters) with INVALID_NAME, writing nothing', async () => {
		const root = tempDir();
		const team = await Team.create('alpha', { root });
		await team.inbox('a'.repeat(200)).send({ from: 'x', text: 'fits' });
		expect(() => team.inbox('b'.repeat(201))).toThrow(expect.objectContaining({ code: 'INVALID_NAME' }));
		await expect(Team.open('c'.repeat(201), { root })).rejects.toMatchObject({ code: 'INVALID_NAME' });
	});

	it('resolves the root from the option, then CLAUDE_CONFIG_DIR, then ~/.claude', () => {
		const saved = process.env['CLAUDE_CONFIG_DIR'];
		try {
			expect(resolveTeamsRoot('/x/y')).toBe('/x/y');
			process.env['CLAUDE_CONFIG_DIR'] = '/cfg';
			expect(resolveTeamsRoot()).toBe('/cfg/teams');
			process.env['CLAUDE_CONFIG_DIR'] = ''; // set but empty: Claude Code then uses ./teams, and so do we
			expect(resolveTeamsRoot()).toBe(path.resolve('teams'));
			delete process.env['CLAUDE_CONFIG_DIR'];
			expect(resolveTeamsRoot()).toMatch(/\.claude\/teams$/);
		} finally {
			if (saved === undefined) delete process.env['CLAUDE_CONFIG_DIR'];
			else process.env['CLAUDE_CONFIG_DIR'] = saved;
		}
	});
});
