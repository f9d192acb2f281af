import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';
import { Leader } from '../src/leader/leader.js';
import { Policy } from '../src/policy/policy.js';
import { Team } from '../src/team/team.js';
import { cliArgs, jsonOf, runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/fork.js';
import { track } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

describe('cli: doctor', () => {
	it('reports a corrupt inbox (exit 1), repairs it with --fix (exit 0), and a second run is clean', async () => {
		const root = tempDir();
		await Team.create('alpha', { root, members: [{ name: 'ann' }] });
		const inbox = path.join(root, 'alpha', 'inboxes', 'ann.json');
		const good = { from: 'bob', text: 'kept', timestamp: '2026-01-01T00:00:00.000Z' };
		const bytes = `[${JSON.stringify(good)}, {"from": "cut`;
		writeFileSync(inbox, bytes, { mode: 0o600 });

		const found = await runCli(['--json', 'doctor', 'alpha'], { root });
		expect(found.code).toBe(1);
		const report = jsonOf(found) as { ok: boolean; problems: { code: string; path: string }[] };
		expect(report.ok).toBe(false);
		expect(report.problems).toContainEqual(expect.objectContaining({ code: 'CORRUPT_INBOX', path: inbox }));
		expect(readFileSync(inbox, 'utf8')).toBe(bytes); // a diagnosis writes nothing

		const fixed = await runCli(['doctor', 'alpha', '--fix'], { root });
		expect(fixed).toMatchObject({ code: 0, stderr: '' });
		expect(fixed.stdout).toContain('QUARANTINED_CORRUPT');
		const copies = readdirSync(path.dirname(inbox)).filter((name) => name.startsWith('ann.json.corrupt-'));
		expect(copies).toHaveLength(1);
		expect(readFileSync(path.join(path.dirname(inbox), copies[0] as string), 'utf8')).toBe(bytes);
		expect(JSON.parse(readFileSync(inbox, 'utf8'))).toEqual([good]);
		expect(await runCli(['doctor', 'alpha'], { root })).toMatchObject({ code: 0 });
	});

	it('finds the problems of the hostile fixture and a missing team is one error line with exit 2', async () => {
		const root = tempDir();
		cpSync(path.join(repoRoot, 'fixtures', 'hostile'), root, { recursive: true });
		const [team] = readdirSync(root).filter((name) => !name.startsWith('.'));
		const result = await runCli(['--json', 'doctor', team as string], { root });
		const report = jsonOf(result) as { ok: boolean; problems: unknown[] };
		expect(report.problems.length).toBeGreaterThan(0);
		expect(result.code).toBe(report.ok ? 0 : 1);
		const missing = await runCli(['doctor', 'nope'], { root });
		expect(missing.code).toBe(2);
		expect(missing.stderr).toMatch(/^swarm-mailbox: TEAM_NOT_FOUND: .+\n$/);
	});
});

describe('cli: mcp-permission-server', () => {
	it('serves permission_prompt over stdio and forwards each check to a real leader', async () => {
		const root = tempDir();
		const team = await Team.create('alpha', { root, members: [{ name: 'ann' }] });
		const policy = new Policy({ rules: { allow: ['Bash(npm test:*)'], deny: ['Bash(rm:*)'] } });
		await track(new Leader(team, { policy })).start();
		const transport = new StdioClientTransport({
			command: process.execPath,
			args: [
				...cliArgs,
				'--root',
				root,
				'mcp-permission-server',
				'--team',
				'alpha',
				'--as',
				'ann',
				'--timeout',
				'20000',
			],
			cwd: repoRoot,
			stderr: 'pipe',
		});
		const client = new Client({ name: 'cli-test', version: '1.0.0' });
		await client.connect(transport);
		track({ close: () => client.close() });
		const ask = async (command: string) => {
			const result = await client.callTool({
				name: 'permission_prompt',
				arguments: { tool_name: 'Bash', input: { command }, tool_use_id: `toolu_${command.length}` },
			});
			const [item] = result.content as { type: string; text: string }[];
			return JSON.parse(item?.text ?? 'null') as Record<string, unknown>;
		};
		expect(await ask('npm test')).toEqual({ behavior: 'allow', updatedInput: { command: 'npm test' } });
		expect(await ask('rm -rf /')).toMatchObject({ behavior: 'deny', message: expect.stringContaining('Bash(rm:*)') });
	});
});
