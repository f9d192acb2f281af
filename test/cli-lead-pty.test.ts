import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { Team } from '../src/team/team.js';
import { jsonOf, runCli, startCli } from './helpers/cli.js';
import { PtySession } from './helpers/pty.js';
import { tempDir } from './helpers/temp.js';

const WAITING = 'Waiting for permission requests';

async function startScreen() {
	const root = tempDir();
	const team = await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
	const screen = new PtySession(['--root', root, 'lead', 'alpha']);
	await screen.waitFor(WAITING);
	return { root, team, screen };
}

function bash(root: string, worker: string, command: string, description = '') {
	const args = ['request', 'alpha', '--as', worker, '--tool', 'Bash', '--input', JSON.stringify({ command })];
	return startCli([...args, '--description', description, '--timeout', '60000'], { root });
}

describe('cli: interactive lead on a pseudo-terminal', () => {
	it('approve with a, deny with d and a typed reason, edit the input with e; Ctrl+C quits', async () => {
		const { root, team, screen } = await startScreen();

		let mark = screen.mark();
		const tests = bash(root, 'ann', 'npm test', 'run the unit tests');
		let shown = await screen.waitFor('[a] approve', mark);
		expect(shown).toContain('swarm-mailbox lead · team alpha · 1 pending · workers: ann 1');
		expect(shown).toContain('ann asks to use Bash');
		expect(shown).toMatch(/description +run the unit tests/);
		expect(shown).toMatch(/input +\{"command":"npm test"\}/);
		mark = screen.mark();
		screen.press('a');
		const approved = await tests.exited;
		expect(approved.code).toBe(0);
		expect(jsonOf(approved)).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test' } });
		shown = await screen.waitFor('✔ allowed Bash for ann (person)', mark);
		expect(shown).toContain('0 pending');

		mark = screen.mark();
		const cleanup = bash(root, 'bob', 'rm -rf build');
		await screen.waitFor('bob asks to use Bash', mark);
		mark = screen.mark();
		screen.press('d');
		await screen.waitFor('Reason for denying (Enter: deny, Esc: back):', mark);
		screen.press('not on a Friday');
		await screen.waitFor('not on a Friday', mark);
		mark = screen.mark();
		screen.press('\r');
		const denied = await cleanup.exited;
		expect(denied.code).toBe(1);
		expect(jsonOf(denied)).toMatchObject({ behavior: 'deny', reason: 'denied', message: 'not on a Friday' });
		await screen.waitFor('✘ denied Bash for bob (person): not on a Friday', mark);

		mark = screen.mark();
		const edited = bash(root, 'ann', 'npm test');
		await screen.waitFor('ann asks to use Bash', mark);
		mark = screen.mark();
		screen.press('e');
		await screen.waitFor('Input JSON (Enter: approve with it, Esc: back): {"command":"npm test"}', mark);
		screen.press('\x15{"command":"npm test -- --run"'); // Ctrl+U clears the prefilled line
		mark = screen.mark();
		screen.press('\r');
		await screen.waitFor('! not valid JSON', mark); // still editing, with the text kept
		mark = screen.mark();
		screen.press('}\r');
		const afterEdit = await edited.exited;
		expect(afterEdit.code).toBe(0);
		expect(jsonOf(afterEdit)).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test -- --run' } });
		await screen.waitFor(WAITING, mark);

		const log = await new AuditLog(auditLogPath(team.directory)).read();
		expect(log.map((record) => [record.worker, record.decision, record.decidedBy])).toEqual([
			['ann', 'allow', 'person'],
			['bob', 'deny', 'person'],
			['ann', 'allow', 'person'],
		]);
		mark = screen.mark();
		screen.press('\x03');
		expect((await screen.exited).exitCode).toBe(0);
		expect(screen.text(mark)).toContain('Leader stopped; no request is waiting.');
	});

	it('always allow (A or l) persists a rule and the next identical call is allowed by policy; answers from another shell leave the screen; SIGTERM stops it', async () => {
		const { root, team, screen } = await startScreen();

		let mark = screen.mark();
		const network = startCli(['request-network', 'alpha', '--as', 'bob', '--host', 'registry.npmjs.org'], { root });
		let shown = await screen.waitFor('bob asks for network access', mark);
		expect(shown).toMatch(/host +registry\.npmjs\.org/);
		expect(shown).toContain('[a] approve  [d] deny  [A/l] always allow  [Ctrl+C] quit');
		mark = screen.mark();
		screen.press('e');
		await screen.waitFor('A network request has no input to edit', mark);
		mark = screen.mark();
		screen.press('l');
		expect((await network.exited).code).toBe(0);
		await screen.waitFor('[always: WebFetch(domain:registry.npmjs.org)]', mark);

		mark = screen.mark();
		const first = bash(root, 'ann', 'git status');
		await screen.waitFor('ann asks to use Bash', mark);
		mark = screen.mark();
		screen.press('A');
		expect((await first.exited).code).toBe(0);
		await screen.waitFor('✔ allowed Bash for ann (person) [always: Bash(git status)]', mark);
		const rules = JSON.parse(readFileSync(path.join(team.directory, 'swarm-mailbox', 'rules.json'), 'utf8'));
		expect(rules.allow).toEqual(['WebFetch(domain:registry.npmjs.org)', 'Bash(git status)']);

		mark = screen.mark();
		const again = await bash(root, 'ann', 'git status').exited; // no key pressed
		expect(again.code).toBe(0);
		expect(jsonOf(again)).toMatchObject({ behavior: 'allow', updatedInput: { command: 'git status' } });
		shown = await screen.waitFor('✔ allowed Bash for ann (policy): Bash allowed by rule Bash(git status)', mark);
		expect(shown).not.toContain('ann asks to use Bash');

		mark = screen.mark();
		const deploy = bash(root, 'bob', 'make deploy');
		await screen.waitFor('bob asks to use Bash', mark);
		const [pending] = jsonOf(await runCli(['--json', 'pending', 'alpha'], { root })) as { requestId: string }[];
		mark = screen.mark();
		const denied = await runCli(['deny', 'alpha', String(pending?.requestId), '--message', 'answered elsewhere'], {
			root,
		});
		expect(denied.code).toBe(0);
		shown = await screen.waitFor('✘ denied Bash for bob (cli): answered elsewhere', mark);
		await screen.waitFor(WAITING, mark);
		expect(jsonOf(await deploy.exited)).toMatchObject({ behavior: 'deny', message: 'answered elsewhere' });

		mark = screen.mark();
		screen.kill('SIGTERM');
		expect((await screen.exited).exitCode).toBe(0);
		expect(screen.text(mark)).toContain('Leader stopped');
	});

	it('p always allows the command prefix (t the whole tool) and sends the rule to the worker', async () => {
		const { root, team, screen } = await startScreen();
		let mark = screen.mark();
		const watch = bash(root, 'ann', 'npm test --watch');
		const shown = await screen.waitFor('ann asks to use Bash', mark);
		expect(shown).toContain('[A/l] always: this call  [p] …its prefix  [t] …the tool');
		mark = screen.mark();
		screen.press('p');
		const result = await watch.exited;
		expect(result.code).toBe(0);
		expect(jsonOf(result)).toMatchObject({
			behavior: 'allow',
			permissionUpdates: [
				{
					type: 'addRules',
					rules: [{ toolName: 'Bash', ruleContent: 'npm test:*' }],
					behavior: 'allow',
					destination: 'session',
				},
			],
		});
		await screen.waitFor('[always: Bash(npm test:*)]', mark);
		const rules = JSON.parse(readFileSync(path.join(team.directory, 'swarm-mailbox', 'rules.json'), 'utf8'));
		expect(rules.allow).toEqual(['Bash(npm test:*)']);
		mark = screen.mark();
		screen.press('\x03');
		expect((await screen.exited).exitCode).toBe(0);
	});
});
