/**
`npx tsx scripts/web-screenshots.ts`: the approval page's screenshots in docs/ (desktop light, phone dark), taken from a
real Leader with a few waiting requests and decisions. Needs Chromium (CHROMIUM_PATH or /usr/bin/chromium).
*/

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Leader } from '../src/leader/leader.js';
import { Team } from '../src/team/team.js';
import { serveApprovalPage } from '../src/web.js';
import { Worker } from '../src/worker/worker.js';

const docs = path.join(import.meta.dirname, '..', 'docs');
const root = mkdtempSync(path.join(tmpdir(), 'swarm-shots-'));
const team = await Team.create('billing-api', { root, members: [{ name: 'ann' }, { name: 'bob' }, { name: 'cy' }] });
const leader = new Leader(team);
await leader.start();
const page = await serveApprovalPage(leader);
const [ann, bob, cy] = ['ann', 'bob', 'cy'].map((name) => new Worker(team, { name, timeoutMs: 120_000 })) as [
	Worker,
	Worker,
	Worker,
];
const asks: Promise<unknown>[] = [];
const ask = async (worker: Worker, toolName: string, input: Record<string, unknown>, description: string) => {
	asks.push(worker.requestPermission({ toolName, toolUseId: `toolu_${asks.length}`, input, description }));
	await new Promise((resolve) => setTimeout(resolve, 150));
};

await ask(bob, 'Bash', { command: 'npm test -- --coverage' }, 'Run the test suite with coverage');
await ask(ann, 'Bash', { command: 'git push origin feature/invoices' }, 'Push the invoices branch');
await ask(
	cy,
	'Write',
	{ file_path: 'src/invoices/total.ts', content: 'export function total(lines) {\n'.repeat(12) },
	'Write the totals module',
);
await new Promise((resolve) => setTimeout(resolve, 300));
for (const request of await leader.pending()) {
	if (request.worker === 'bob') await request.approve({ decidedBy: 'person' });
}
await ask(ann, 'Bash', { command: 'docker compose up -d postgres' }, 'Start the database for the integration tests');
await ask(
	bob,
	'WebFetch',
	{ url: 'https://docs.stripe.com/api/invoices', prompt: 'List the invoice fields' },
	'Read the API docs',
);
await new Promise((resolve) => setTimeout(resolve, 300));
for (const request of await leader.pending()) {
	if (request.toolName === 'Write') await request.deny('Write it under src/billing/ instead', { decidedBy: 'cli' });
}

const browser = await chromium.launch({
	executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
	args: ['--no-sandbox'],
});
const shoot = async (file: string, options: { width: number; height: number; colorScheme: 'light' | 'dark' }) => {
	const context = await browser.newContext({
		viewport: { width: options.width, height: options.height },
		colorScheme: options.colorScheme,
		deviceScaleFactor: 1,
	});
	const tab = await context.newPage();
	await tab.goto(page.loginUrl);
	await tab.locator('#status', { hasText: 'live' }).waitFor();
	await tab.locator('li.request').first().waitFor();
	await tab.screenshot({ path: path.join(docs, file), fullPage: options.width > 700 });
	await context.close();
};
await shoot('web-desktop.png', { width: 1100, height: 900, colorScheme: 'light' });
await shoot('web-phone.png', { width: 375, height: 760, colorScheme: 'dark' });
await browser.close();
for (const request of await leader.pending()) await request.deny('screenshots taken');
await Promise.allSettled(asks);
await Promise.all([ann.close(), bob.close(), cy.close()]);
await page.close();
await leader.close();
rmSync(root, { recursive: true, force: true });
console.log('wrote docs/web-desktop.png and docs/web-phone.png');
