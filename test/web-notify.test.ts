/**
Push notifications against fake ntfy and webhook servers on 127.0.0.1: what each receives, the Approve / Deny buttons
answering the real worker's request (once, for that request only), retries with backoff, and failures reported.
*/
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { NotificationReport } from '../src/web.js';
import { serveApprovalPage } from '../src/web.js';
import { collect, settledFlag, startSwarm, track, until } from './helpers/swarm.js';
import { raw } from './helpers/web-http.js';

interface Received {
	path: string;
	body: Record<string, unknown>;
}

/** An HTTP server that records JSON POSTs; `failFirst` requests get a 503 first. */
async function fakeService(failFirst = 0) {
	const received: Received[] = [];
	const service = { received, hits: 0, url: '' };
	let failures = failFirst;
	const server = http.createServer((request, response) => {
		let text = '';
		request.setEncoding('utf8').on('data', (chunk: string) => {
			text += chunk;
		});
		request.on('end', () => {
			service.hits++;
			if (failures > 0) {
				failures--;
				response.writeHead(503).end();
				return;
			}
			received.push({ path: request.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
			response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x"}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
	service.url = `http://127.0.0.1:${port}`;
	return service;
}

/** POST to an action URL the way the ntfy app does when its button is pressed: no cookie, no Origin. */
function press(url: string) {
	return raw(url, { method: 'POST', headers: { host: new URL(url).host } });
}

const bash = (command: string, toolUseId: string) => ({ toolName: 'Bash', toolUseId, input: { command } });

describe('push notifications', () => {
	it('publishes to ntfy (title, message, click, Approve / Deny buttons) and to a webhook; a button answers once', async () => {
		const ntfy = await fakeService();
		const hook = await fakeService();
		const { leader, worker } = await startSwarm();
		const page = track(
			await serveApprovalPage(leader, {
				notify: [`ntfy+${ntfy.url}/swarm-alerts`, `${hook.url}/hooks/lead?key=s3cret`],
			}),
		);
		const reports = collect<NotificationReport>(page, 'notification');
		const outcome = worker.requestPermission({ ...bash('npm publish', 'toolu_1'), description: 'release 1.0' });
		await until(() => ntfy.received.length === 1 && hook.received.length === 1, 'both notifications');

		const published = ntfy.received[0]!;
		expect(published.path).toBe('/'); // ntfy's JSON publishing goes to the root, topic in the body
		expect(published.body).toMatchObject({
			topic: 'swarm-alerts',
			title: 'ann wants Bash',
			message: 'release 1.0\nnpm publish',
		});
		const actions = published.body['actions'] as { action: string; label: string; url: string; method: string }[];
		expect(actions.map(({ action, label, method }) => [action, label, method])).toEqual([
			['http', 'Approve', 'POST'],
			['http', 'Deny', 'POST'],
		]);
		expect(String(published.body['click'])).toMatch(new RegExp(`^${page.url}#`));

		const webhook = hook.received[0]!;
		expect(webhook.path).toBe('/hooks/lead?key=s3cret');
		expect(webhook.body).toMatchObject({
			event: 'permission_request',
			worker: 'ann',
			toolName: 'Bash',
			preview: 'npm publish',
		});
		// Each target has its own tokens.
		expect(webhook.body['approveUrl']).not.toBe(actions[0]!.url);

		const approve = await press(actions[0]!.url);
		expect(approve.status).toBe(200);
		expect(await outcome).toMatchObject({ behavior: 'allow', updatedInput: { command: 'npm publish' } });
		// Replayed, or the other button, or the webhook's buttons for the same request: refused.
		expect((await press(actions[0]!.url)).status).toBe(403);
		expect((await press(actions[1]!.url)).status).toBe(403);
		expect((await press(String(webhook.body['denyUrl']))).status).toBe(403);
		await until(() => reports.length === 2, 'delivery reports');
		expect(reports.every((report) => report.ok && report.attempts === 1)).toBe(true);
		expect(reports.map((report) => report.target).sort()).toEqual([hook.url, ntfy.url].sort()); // no path, no key
	});

	it('a token answers only its own request; Deny denies it; expired tokens are refused', async () => {
		const ntfy = await fakeService();
		const { leader, worker } = await startSwarm();
		const page = track(await serveApprovalPage(leader, { notify: [`ntfy+${ntfy.url}/t`], actionTokenTtlMs: 1_500 }));
		const first = worker.requestPermission(bash('echo first', 'toolu_1'));
		const second = worker.requestPermission(bash('echo second', 'toolu_2'));
		const secondDone = settledFlag(second);
		await until(() => ntfy.received.length === 2, 'two notifications');
		const buttons = (index: number) =>
			ntfy.received.find((item) => String(item.body['message']).includes(index === 0 ? 'first' : 'second'))!.body[
				'actions'
			] as { url: string }[];
		expect((await press(buttons(0)[1]!.url)).status).toBe(200);
		expect(await first).toMatchObject({ behavior: 'deny', message: 'Denied from a notification.' });
		expect(secondDone()).toBe(false);
		await new Promise((resolve) => setTimeout(resolve, 1_600));
		expect((await press(buttons(1)[0]!.url)).status).toBe(403); // expired
		expect(secondDone()).toBe(false);
		expect((await press(`${page.url}api/notification/made-up/approve`)).status).toBe(403);
		const pending = await leader.pending();
		await pending[0]!.approve();
		await second;
	});

	it('retries with backoff, reports a delivery that never succeeds, and never holds the leader up', async () => {
		const flaky = await fakeService(2);
		const { leader, worker } = await startSwarm();
		const page = track(
			await serveApprovalPage(leader, {
				notify: [`${flaky.url}/hook`, 'http://127.0.0.1:9/unreachable'],
				notifyBackoffMs: 20,
				notifyAttempts: 3,
			}),
		);
		const reports = collect<NotificationReport>(page, 'notification');
		const outcome = worker.requestPermission(bash('ls', 'toolu_1'));
		// Answerable while the deliveries are failing and waiting to retry.
		await until(() => flaky.hits === 1, 'the first attempt');
		expect(reports).toEqual([]);
		await (await leader.pending())[0]!.approve();
		await outcome;
		await until(() => reports.length === 2, 'both delivery reports');
		const byTarget = new Map(reports.map((report) => [report.target, report]));
		expect(byTarget.get(flaky.url)).toMatchObject({ ok: true, attempts: 3 });
		expect(flaky.received).toHaveLength(1);
		const failed = byTarget.get('http://127.0.0.1:9')!;
		expect(failed).toMatchObject({ ok: false, attempts: 3 });
		expect(failed.error?.code).toBe('IO');
		expect(failed.error?.message).toContain('Could not notify http://127.0.0.1:9');
	});

	it('does not push a request answered at once (by --auto, or at the screen)', async () => {
		const hook = await fakeService();
		const { leader, worker } = await startSwarm();
		const screen = leader.requests();
		const page = track(await serveApprovalPage(leader, { notify: [`${hook.url}/hook`] }));
		const reports = collect<NotificationReport>(page, 'notification');
		const quick = worker.requestPermission(bash('pwd', 'toolu_1'));
		await (await screen.next()).value!.approve({ decidedBy: 'auto' });
		await quick;
		const slow = worker.requestPermission(bash('whoami', 'toolu_2'));
		const waiting = (await screen.next()).value!;
		await until(() => reports.length === 1, 'the waiting request pushed');
		expect(hook.received.map((item) => item.body['preview'])).toEqual(['whoami']);
		await waiting.approve();
		await slow;
		await screen.return?.();
	});
});
