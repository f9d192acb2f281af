/**
`lead --web` as a real process: it prints the login URL once, the page shows a request from another process's worker,
and an answer given from another shell (`approve`) shows on the page as it does on the lead's own output. On a
terminal, the screen and the page stay in step: an answer on either shows on the other.
*/

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Team } from '../src/team/team.js';
import { runCli, startCli, startLead } from './helpers/cli.js';
import { PtySession } from './helpers/pty.js';
import { tempDir } from './helpers/temp.js';
import { browserTests, launchBrowser } from './helpers/web.js';

let browser: Browser;

describe.runIf(browserTests)('lead --web', () => {
	beforeAll(async () => {
		browser = await launchBrowser();
	});
	afterAll(async () => {
		await browser?.close();
	});

	it('prints the login URL once; an answer from another shell shows on the page', async () => {
		const root = tempDir();
		await Team.create('alpha', { root, members: [{ name: 'ann' }] });
		const { lead } = await startLead(root, ['--web', '--port', '0']);
		const web = await lead.nextEvent((event) => event['event'] === 'web', 'web event');
		const loginUrl = String(web['loginUrl']);
		const token = new URL(loginUrl).searchParams.get('token')!;
		expect(web).toMatchObject({ loopback: true, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/) });

		const tab = await browser.newPage();
		await tab.goto(loginUrl);
		await tab.locator('#status', { hasText: 'live' }).waitFor();
		const asked = startCli(
			[
				'request',
				'alpha',
				'--as',
				'ann',
				'--tool',
				'Bash',
				'--input',
				'{"command":"make deploy"}',
				'--timeout',
				'60000',
			],
			{ root },
		);
		const card = tab.locator('li.request', { hasText: 'make deploy' });
		await card.waitFor();
		const request = await lead.nextEvent((event) => event['event'] === 'request', 'request event');

		const approved = await runCli(['approve', 'alpha', String(request['requestId'])], { root });
		expect(approved.code).toBe(0);
		await card.waitFor({ state: 'detached' });
		await tab.locator('#recent li', { hasText: 'allowed Bash for ann (cli)' }).waitFor();
		expect((await asked.exited).code).toBe(0);
		await lead.nextEvent((event) => event['event'] === 'decided' && event['decidedBy'] === 'cli', 'decided event');

		const stopped = await lead.stop();
		expect(stopped.stdout.split(token).length - 1).toBe(1); // in the startup line only
		expect(stopped.stderr).not.toContain(token);
	});

	it('on a terminal: an answer on the screen shows on the page, and one on the page shows on the screen', async () => {
		const root = tempDir();
		await Team.create('alpha', { root, members: [{ name: 'ann' }] });
		const screen = new PtySession(['--root', root, 'lead', 'alpha', '--web']);
		const started = await screen.waitFor(/login\?token=[\w-]{43}/);
		const loginUrl = /http:\/\/127\.0\.0\.1:\d+\/login\?token=[\w-]{43}/.exec(started)![0];
		expect(started).toContain('Approval page (on this machine only');
		const tab = await browser.newPage();
		await tab.goto(loginUrl);
		await tab.locator('#status', { hasText: 'live' }).waitFor();
		const ask = (command: string) =>
			startCli(
				[
					'request',
					'alpha',
					'--as',
					'ann',
					'--tool',
					'Bash',
					'--input',
					JSON.stringify({ command }),
					'--timeout',
					'60000',
				],
				{
					root,
				},
			);

		let mark = screen.mark();
		const first = ask('npm run lint');
		await screen.waitFor('[a] approve', mark);
		await tab.locator('li.request', { hasText: 'npm run lint' }).waitFor();
		mark = screen.mark();
		screen.press('a');
		expect((await first.exited).code).toBe(0);
		await tab.locator('li.request', { hasText: 'npm run lint' }).waitFor({ state: 'detached' });
		await tab.locator('#recent li', { hasText: 'allowed Bash for ann (person)' }).waitFor();

		mark = screen.mark();
		const second = ask('npm run format');
		await screen.waitFor('[a] approve', mark);
		const card = tab.locator('li.request', { hasText: 'npm run format' });
		await card.locator('.actions .deny').click();
		await card.locator('.reason').fill('not now');
		await card.locator('.deny-form button[type=submit]').click();
		expect((await second.exited).code).toBe(1);
		await screen.waitFor('✘ denied Bash for ann (web): not now', mark);
		screen.press('\x03');
		await screen.exited;
	});
});
