/**
The approval page's defences, request by request: no session, a wrong Host (DNS rebinding), a cross-origin POST or
event stream, a missing CSRF token, the security headers, failed-login throttling, and binding beyond loopback.
*/
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { serveApprovalPage } from '../src/web.js';
import { settledFlag, startSwarm, track, until } from './helpers/swarm.js';
import { logIn, raw } from './helpers/web-http.js';

async function servedSwarm(options: Parameters<typeof serveApprovalPage>[1] = {}) {
	const swarm = await startSwarm();
	const page = track(await serveApprovalPage(swarm.leader, options));
	return { ...swarm, page };
}

/** The key of the one waiting request, once the page lists it. */
async function waitingKey(page: { url: string }, session: { cookie: string; host: string }): Promise<string> {
	let key: string | undefined;
	await until(async () => {
		const state = await raw(new URL('/api/state', page.url).href, {
			headers: { host: session.host, cookie: session.cookie },
		});
		key = (JSON.parse(state.body) as { pending: { key: string }[] }).pending[0]?.key;
		return key !== undefined;
	}, 'the request on the page');
	return key!;
}

describe('approval page security', () => {
	it('needs a session for the page, the state, the stream and every action', async () => {
		const { page } = await servedSwarm();
		const host = new URL(page.url).host;
		const at = (pathname: string) => new URL(pathname, page.url).href;
		expect((await raw(page.url, { headers: { host } })).status).toBe(401);
		expect((await raw(at('/api/state'), { headers: { host } })).status).toBe(401);
		expect((await raw(at('/api/events'), { headers: { host }, ms: 500 })).status).toBe(401);
		const post = await raw(at('/api/requests/x/approve'), {
			method: 'POST',
			headers: { host, origin: new URL(page.url).origin, 'content-type': 'application/json' },
			body: '{}',
		});
		expect(post.status).toBe(401);
		const forged = await raw(at('/api/state'), { headers: { host, cookie: 'swarm_session=guessed' } });
		expect(forged.status).toBe(401);
		// The login token: at least 128 random bits.
		expect(new URL(page.loginUrl).searchParams.get('token')).toMatch(/^[\w-]{43}$/);
	});

	it('refuses a wrong Host, even with the right token and session (DNS rebinding)', async () => {
		const { page } = await servedSwarm();
		const session = await logIn(page.loginUrl);
		const rebound = { host: `attacker.example:${new URL(page.url).port}` };
		const login = await raw(page.loginUrl, { headers: rebound });
		expect(login.status).toBe(421);
		expect(login.headers['set-cookie']).toBeUndefined();
		const state = await raw(new URL('/api/state', page.url).href, { headers: { ...rebound, cookie: session.cookie } });
		expect(state.status).toBe(421);
		expect(state.body).not.toContain(session.csrf);
	});

	it('refuses a cross-origin POST and one without the CSRF token; the same POST from the page answers', async () => {
		const { page, worker } = await servedSwarm();
		const session = await logIn(page.loginUrl);
		const outcome = worker.requestPermission({ toolName: 'Bash', toolUseId: 'toolu_1', input: { command: 'ls' } });
		const answered = settledFlag(outcome);
		const key = await waitingKey(page, session);
		const approve = (headers: Record<string, string>) =>
			raw(new URL(`/api/requests/${encodeURIComponent(key)}/approve`, page.url).href, {
				method: 'POST',
				headers: { host: session.host, cookie: session.cookie, 'content-type': 'application/json', ...headers },
				body: '{}',
			});
		expect((await approve({ origin: 'http://evil.example', 'x-csrf-token': session.csrf })).status).toBe(403);
		expect((await approve({ 'x-csrf-token': session.csrf })).status).toBe(403); // no Origin at all
		expect((await approve({ origin: session.origin })).status).toBe(403);
		expect((await approve({ origin: session.origin, 'x-csrf-token': 'wrong' })).status).toBe(403);
		expect(answered()).toBe(false);
		expect((await approve({ origin: session.origin, 'x-csrf-token': session.csrf })).status).toBe(200);
		expect(await outcome).toMatchObject({ behavior: 'allow', updatedInput: { command: 'ls' } });
		// Answered: a second try finds nothing waiting.
		expect((await approve({ origin: session.origin, 'x-csrf-token': session.csrf })).status).toBe(409);
	});

	it('refuses the event stream to another origin or site, serves it to the page', async () => {
		const { page } = await servedSwarm();
		const session = await logIn(page.loginUrl);
		const events = new URL('/api/events', page.url).href;
		const headers = { host: session.host, cookie: session.cookie };
		expect((await raw(events, { headers: { ...headers, origin: 'http://evil.example' }, ms: 500 })).status).toBe(403);
		expect((await raw(events, { headers: { ...headers, 'sec-fetch-site': 'cross-site' }, ms: 500 })).status).toBe(403);
		const stream = await raw(events, { headers: { ...headers, 'sec-fetch-site': 'same-origin' }, ms: 500 });
		expect(stream.status).toBe(200);
		expect(stream.body).toMatch(
			/^event: snapshot\ndata: \{"type":"snapshot","pending":\[\],"recent":\[\],"dropped":\[\]\}/,
		);
	});

	it('sends a strict CSP, X-Frame-Options DENY and no-store on every response', async () => {
		const { page } = await servedSwarm();
		const session = await logIn(page.loginUrl);
		for (const pathname of ['/', '/api/state', '/assets/app.js', '/login']) {
			const response = await raw(new URL(pathname, page.url).href, {
				headers: { host: session.host, cookie: session.cookie },
			});
			const csp = String(response.headers['content-security-policy']);
			expect(csp).toContain("default-src 'none'");
			expect(csp).toContain("script-src 'self'");
			expect(csp).toContain("frame-ancestors 'none'");
			expect(csp).not.toContain('unsafe');
			expect(response.headers['x-frame-options']).toBe('DENY');
			expect(response.headers['cache-control']).toBe('no-store');
			expect(response.headers['x-content-type-options']).toBe('nosniff');
		}
		const html = await raw(page.url, { headers: { host: session.host, cookie: session.cookie } });
		expect(html.body).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
	});

	it('throttles failed logins: after ten wrong tokens even the right one waits', async () => {
		const { page } = await servedSwarm();
		const host = new URL(page.url).host;
		for (let attempt = 0; attempt < 10; attempt++) {
			const wrong = await raw(new URL(`/login?token=wrong${attempt}`, page.url).href, { headers: { host } });
			expect(wrong.status).toBe(401);
		}
		const right = await raw(page.loginUrl, { headers: { host } });
		expect(right.status).toBe(429);
		expect(right.headers['set-cookie']).toBeUndefined();
	});

	it('on a non-loopback address still needs the token, and says it is not loopback', async () => {
		const { leader } = await startSwarm();
		const page = track(await serveApprovalPage(leader, { bind: '0.0.0.0' }));
		expect(page.loopback).toBe(false);
		const host = new URL(page.url).host;
		expect((await raw(page.url, { headers: { host } })).status).toBe(401);
		expect((await raw(new URL('/api/state', page.url).href, { headers: { host } })).status).toBe(401);
		// Reached by this machine's own address: served (the login page); by a name that resolves here: refused.
		const { port } = new URL(page.url);
		const lan = Object.values(networkInterfaces())
			.flat()
			.find((address) => address?.family === 'IPv4' && !address.internal)?.address;
		if (lan) expect((await raw(`http://${lan}:${port}/`, { headers: { host: `${lan}:${port}` } })).status).toBe(401);
		expect((await raw(page.url, { headers: { host: `rebound.example:${port}` } })).status).toBe(421);
	});

	it('rejects bad options with a typed error', async () => {
		const { leader } = await startSwarm();
		await expect(serveApprovalPage(leader, { port: 70_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
		await expect(serveApprovalPage(leader, { notify: ['ftp://example.com/x'] })).rejects.toMatchObject({
			code: 'INVALID_ARGUMENT',
		});
		const taken = track(await serveApprovalPage(leader));
		const port = Number(new URL(taken.url).port);
		await expect(serveApprovalPage(leader, { port })).rejects.toMatchObject({
			code: 'IO',
			message: expect.stringContaining(`Could not serve the approval page on 127.0.0.1:${port} (EADDRINUSE`),
		});
	});
});
