/**
The approval page in a real browser (Debian's Chromium through playwright-core) against a real Leader and forked worker
processes: log in, live updates, every action reaching the worker, batch answers, answers given elsewhere, the phone
layout, and worker-written text that must stay text.
*/
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, auditLogPath } from '../src/journal/audit-log.js';
import { Leader } from '../src/leader/leader.js';
import { Policy } from '../src/policy/policy.js';
import { createPermissionRequest } from '../src/protocol/frame-builders.js';
import { encodeFrame } from '../src/protocol/frame-codec.js';
import { Team } from '../src/team/team.js';
import { type ApprovalPage, serveApprovalPage } from '../src/web.js';
import { until } from './helpers/swarm.js';
import { browserTests, launchBrowser, WorkerProcess } from './helpers/web.js';

let root: string;
let team: Team;
let leader: Leader;
let page: ApprovalPage;
let browser: Browser;
let context: BrowserContext;
let tab: Page;
let ann: WorkerProcess;
let bob: WorkerProcess;
const dialogs: string[] = [];
let calls = 0;

/** A unique Bash ask. */
function bash(command: string, extra: { description?: string } = {}) {
	return { toolName: 'Bash', toolUseId: `toolu_${++calls}`, input: { command }, ...extra };
}

/** The card of the waiting request whose input shows `text`. */
function card(text: string) {
	return tab.locator('li.request').filter({ hasText: text });
}

describe.runIf(browserTests)('approval page in a browser', () => {
	beforeAll(async () => {
		root = mkdtempSync(path.join(tmpdir(), 'swarm-web-'));
		team = await Team.create('alpha', { root, members: [{ name: 'ann' }, { name: 'bob' }] });
		leader = new Leader(team, { policy: await Policy.forTeam(team) });
		await leader.start();
		page = await serveApprovalPage(leader);
		ann = new WorkerProcess(root, 'alpha', 'ann');
		bob = new WorkerProcess(root, 'alpha', 'bob');
		browser = await launchBrowser();
		context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
		tab = await context.newPage();
		tab.on('dialog', (dialog) => {
			dialogs.push(dialog.message());
			void dialog.dismiss();
		});
		await Promise.all([ann.ready, bob.ready]);
	});

	afterAll(async () => {
		await browser?.close();
		await Promise.all([ann?.close(), bob?.close()]);
		await page?.close();
		await leader?.close();
		if (root) rmSync(root, { recursive: true, force: true });
	});

	it('asks for the login link first, then logs in with the token', async () => {
		const anonymous = await tab.goto(page.url);
		expect(anonymous?.status()).toBe(401);
		await expect(tab.locator('h1').textContent()).resolves.toBe('Log in');
		const wrong = await tab.goto(`${page.url}login?token=not-the-token`);
		expect(wrong?.status()).toBe(401);
		await tab.goto(page.loginUrl);
		expect(new URL(tab.url()).search).toBe(''); // the token leaves the address bar
		await tab.locator('#status', { hasText: 'live' }).waitFor();
		const cookies = await context.cookies();
		expect(cookies).toEqual([expect.objectContaining({ name: 'swarm_session', httpOnly: true, sameSite: 'Strict' })]);
	});

	it("shows a worker's request without a reload; Approve reaches the worker", async () => {
		const outcome = ann.ask(bash('npm test', { description: 'run the tests' }));
		await card('npm test').waitFor();
		await expect(card('npm test').locator('.worker').textContent()).resolves.toBe('ann');
		await expect(card('npm test').locator('.description').textContent()).resolves.toBe('run the tests');
		await card('npm test').locator('.actions .approve').click();
		expect(await outcome).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm test' } });
		await card('npm test').waitFor({ state: 'detached' });
		await tab.locator('#recent li', { hasText: 'allowed Bash for ann (web)' }).waitFor();
	});

	it('Deny with a reason sends the reason to the worker', async () => {
		const outcome = bob.ask(bash('rm -rf /'));
		await card('rm -rf /').locator('.actions .deny').click();
		await card('rm -rf /').locator('.reason').fill('not on this machine');
		await card('rm -rf /').locator('.deny-form button[type=submit]').click();
		expect(await outcome).toMatchObject({ behavior: 'deny', message: 'not on this machine', reason: 'denied' });
	});

	it('Edit refuses invalid JSON in place, then approves the edited input', async () => {
		const outcome = ann.ask(bash('git push --force'));
		const request = card('git push --force');
		await request.locator('.actions .edit').click();
		await request.locator('.edited').fill('{"command": "git push"');
		await request.locator('.edit-form button[type=submit]').click();
		await expect(request.locator('.edit-form .error').textContent()).resolves.toMatch(/^Not valid JSON/);
		await request.locator('.edited').fill('["git push"]');
		await request.locator('.edit-form button[type=submit]').click();
		await expect(request.locator('.edit-form .error').textContent()).resolves.toBe('The input must be a JSON object.');
		await request.locator('.edited').fill('{"command": "git push --force-with-lease"}');
		await request.locator('.edit-form button[type=submit]').click();
		expect(await outcome).toMatchObject({
			behavior: 'allow',
			updatedInput: { command: 'git push --force-with-lease' },
		});
	});

	it('Always allow persists the exact rule, and the next identical call is allowed by the policy', async () => {
		const outcome = bob.ask(bash('make lint'));
		await card('make lint').locator('.actions .always').click();
		expect(await outcome).toMatchObject({ behavior: 'allow', updatedInput: { command: 'make lint' } });
		expect(readFileSync(Policy.rulesFileOf(team), 'utf8')).toContain('Bash(make lint)');
		await tab.locator('#recent li', { hasText: '[always: Bash(make lint)]' }).waitFor();
		// Asked again: answered by the rule, never shown as waiting.
		expect(await bob.ask(bash('make lint'))).toMatchObject({ behavior: 'allow' });
		await until(async () => {
			const last = (await new AuditLog(auditLogPath(team.directory)).read()).at(-1);
			return last?.decidedBy === 'policy' && last.worker === 'bob' && last.decision === 'allow';
		}, 'the policy decision logged');
	});

	it('Always allow with "its prefix" persists the command prefix and sends it to the worker as a session rule', async () => {
		const outcome = bob.ask(bash('make test --verbose'));
		const request = card('make test --verbose');
		await request.locator('.actions .scope').selectOption('prefix');
		await request.locator('.actions .always').click();
		expect(await outcome).toMatchObject({
			behavior: 'allow',
			permissionUpdates: [
				{ type: 'addRules', rules: [{ toolName: 'Bash', ruleContent: 'make test:*' }], destination: 'session' },
			],
		});
		expect(readFileSync(Policy.rulesFileOf(team), 'utf8')).toContain('Bash(make test:*)');
		// Another command with that prefix is now the policy's.
		expect(await bob.ask(bash('make test --quiet'))).toMatchObject({ behavior: 'allow' });
		await until(async () => {
			const last = (await new AuditLog(auditLogPath(team.directory)).read()).at(-1);
			return last?.decidedBy === 'policy' && last.toolName === 'Bash' && last.worker === 'bob';
		}, 'the prefix rule answering the next call');
	});

	it("Approve + its suggestions sends the worker's own suggestions back; without any, the button is not shown", async () => {
		const suggestion = {
			type: 'addRules' as const,
			rules: [{ toolName: 'Bash', ruleContent: 'ls:*' }],
			behavior: 'allow' as const,
			destination: 'localSettings' as const,
		};
		const outcome = ann.ask({ ...bash('ls /srv'), suggestions: [suggestion] });
		const plain = bob.ask(bash('echo plain'));
		await card('echo plain').waitFor();
		await expect(card('echo plain').locator('.accept-suggestions').isHidden()).resolves.toBe(true);
		await card('ls /srv').locator('.accept-suggestions').click();
		expect(await outcome).toMatchObject({ behavior: 'allow', permissionUpdates: [suggestion] });
		await card('echo plain').locator('.actions .approve').click();
		expect(await plain).toMatchObject({ behavior: 'allow', permissionUpdates: [] });
	});

	it('selects several requests and approves them together; filters and counts per worker', async () => {
		const outcomes = [ann.ask(bash('echo one')), ann.ask(bash('echo two')), bob.ask(bash('echo three'))];
		for (const text of ['echo one', 'echo two', 'echo three']) await card(text).waitFor();
		await expect(tab.locator('#workers button').allTextContents()).resolves.toEqual(['All · 3', 'ann · 2', 'bob · 1']);
		await tab.locator('#workers button', { hasText: 'bob' }).click();
		await expect(card('echo one').isHidden()).resolves.toBe(true);
		await tab.locator('#workers button', { hasText: 'All' }).click();
		await tab.locator('#select-all').check();
		await expect(tab.locator('#selected-count').textContent()).resolves.toBe('3 selected');
		await tab.locator('#batch-approve').click();
		const results = await Promise.all(outcomes);
		expect(results.map((result) => result.behavior)).toEqual(['allow', 'allow', 'allow']);
		await tab.locator('#empty').waitFor();
	});

	it('shows a network request by its host (no Edit) and approves it', async () => {
		const outcome = bob.network('registry.npmjs.org');
		const request = card('network: registry.npmjs.org');
		await request.waitFor();
		await expect(request.locator('.actions .edit').isHidden()).resolves.toBe(true);
		await request.locator('.actions .approve').click();
		expect(await outcome).toMatchObject({ allow: true, host: 'registry.npmjs.org' });
	});

	it('an answer given elsewhere (the terminal screen, through the same Leader) leaves the page', async () => {
		const screen = leader.requests();
		const outcome = ann.ask(bash('ls -la'));
		await card('ls -la').waitFor();
		const request = (await screen.next()).value!;
		await request.deny('answered on the terminal', { decidedBy: 'person' });
		await screen.return?.();
		expect(await outcome).toMatchObject({ behavior: 'deny', message: 'answered on the terminal' });
		await card('ls -la').waitFor({ state: 'detached' });
		await tab.locator('#recent li', { hasText: 'denied Bash for ann (person): answered on the terminal' }).waitFor();
	});

	it('renders every worker-written field as text: XSS payloads run nothing', async () => {
		const payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
		const outcome = ann.ask({
			toolName: `Bash<svg onload=alert(3)>`,
			toolUseId: `toolu_${++calls}`,
			description: payload,
			input: { command: `echo "${payload}"`, [`<b onmouseover=alert(4)>key</b>`]: '<iframe src=javascript:alert(5)>' },
			suggestions: [
				{
					type: 'addRules',
					rules: [{ toolName: 'Bash', ruleContent: '<img src=y onerror=alert(6)>' }],
					behavior: 'allow',
					destination: 'session',
				},
			],
		});
		const request = card('onerror');
		await request.waitFor();
		await expect(request.locator('.description').textContent()).resolves.toBe(payload);
		await expect(request.locator('.tool').textContent()).resolves.toBe('Bash<svg onload=alert(3)>');
		await expect(request.locator('.input').textContent()).resolves.toContain('<iframe src=javascript:alert(5)>');
		await expect(request.locator('.suggestions').textContent()).resolves.toContain('<img src=y onerror=alert(6)>');
		const injected = await tab.locator('main img, main script, main svg, main iframe, main b').count();
		expect(injected).toBe(0);
		await request.locator('.input').hover();
		await request.locator('.actions .deny').click();
		await request.locator('.deny-form button[type=submit]').click();
		expect(await outcome).toMatchObject({ behavior: 'deny' });
		await tab.locator('#recent li', { hasText: 'Bash<svg onload=alert(3)>' }).waitFor();
		expect(await tab.locator('img, script:not([src]), svg, iframe').count()).toBe(0);
		expect(dialogs).toEqual([]);
	});

	it('lists a request the leader refused to take in (a forged agent_id), as text', async () => {
		const forged = createPermissionRequest({
			agentName: 'bob',
			toolName: 'Bash<img src=z onerror=alert(7)>',
			toolUseId: 'toolu_forged',
			description: '',
			input: { command: 'id' },
		});
		await team.inbox('team-lead').send({ from: 'ann', text: encodeFrame(forged) });
		const item = tab.locator('#dropped li', { hasText: 'a request from ann' });
		await item.waitFor();
		await expect(tab.locator('#dropped-section').isVisible()).resolves.toBe(true);
		expect(await tab.locator('main img').count()).toBe(0);
	});

	it('reads at 375 px: no sideways scrolling, large buttons', async () => {
		const outcomes = [
			bob.ask(bash('npm run build -- --mode production --verbose --sourcemap')),
			ann.ask(bash('cat README.md')),
		];
		const phone = await browser.newContext({
			viewport: { width: 375, height: 740 },
			deviceScaleFactor: 1,
			colorScheme: 'dark',
		});
		try {
			const small = await phone.newPage();
			await small.goto(page.loginUrl);
			await small.locator('li.request', { hasText: 'cat README.md' }).waitFor();
			// Run in the page (a string: this file is type-checked without the DOM library).
			const layout = (await small.evaluate(`({
				scrollWidth: document.documentElement.scrollWidth,
				smallestButton: Math.min(...[...document.querySelectorAll('.actions button:not([hidden])')]
					.map((button) => button.getBoundingClientRect().height)),
			})`)) as { scrollWidth: number; smallestButton: number };
			expect(layout.scrollWidth).toBeLessThanOrEqual(375);
			expect(layout.smallestButton).toBeGreaterThanOrEqual(44);
			const shot = await small.screenshot();
			expect(shot.byteLength).toBeGreaterThan(1_000);
			// Log out: the session ends on the server, not only in this browser.
			const [session] = await phone.cookies();
			await small.locator('#logout').click();
			await small.locator('h1', { hasText: 'Log in' }).waitFor();
			const state = await fetch(new URL('/api/state', page.url), {
				headers: { cookie: `swarm_session=${session!.value}` },
			});
			expect(state.status).toBe(401);
		} finally {
			await phone.close();
		}
		await tab.locator('#select-all').check();
		await tab.locator('#batch-deny').click();
		expect((await Promise.all(outcomes)).map((outcome) => outcome.behavior)).toEqual(['deny', 'deny']);
	});
});
