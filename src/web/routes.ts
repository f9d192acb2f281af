/**
The page's HTTP surface (Hono). Every response: `Host` checked first, then a strict CSP, `X-Frame-Options: DENY`,
`Cache-Control: no-store`. `/api/*` needs the session cookie; its POSTs also the session's CSRF token and the page's
own `Origin`; the event stream refuses a foreign `Origin`. Notification buttons use a single-use action token instead.
*/

import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { type AlwaysScope, alwaysScopes } from '../policy/always-rule.js';
import { pageAssets } from './assets.js';
import type { Board, BoardEvent } from './board.js';
import type { ActionTokens } from './notify.js';
import { type LoginGate, sameOrigin, sameSecret } from './security.js';

const SESSION_COOKIE = 'swarm_session';
const HEARTBEAT_MS = 25_000;

/** How far "always allow" reaches: `true` or `exact` this call, `prefix` its command prefix, `tool` the whole tool. */
const alwaysScope = z.union([z.literal(true), z.enum(alwaysScopes)]);

const approveBody = z.strictObject({
	updatedInput: z.record(z.string(), z.unknown()).optional(),
	always: alwaysScope.optional(),
	acceptSuggestions: z.boolean().optional(),
});
const denyBody = z.strictObject({ message: z.string().max(2_000).optional() });
const batchBody = z.strictObject({
	keys: z.array(z.string()).min(1).max(500),
	decision: z.enum(['allow', 'deny']),
	message: z.string().max(2_000).optional(),
});

export type Decision =
	| {
			behavior: 'allow';
			updatedInput?: Record<string, unknown>;
			always?: true | AlwaysScope;
			acceptSuggestions?: boolean;
	  }
	| { behavior: 'deny'; message?: string };

/** Answer one waiting request: `gone` when it is no longer waiting (answered elsewhere). */
export type Answer = (
	key: string,
	decision: Decision,
	decidedBy: string,
) => Promise<{ status: 'answered' | 'gone' } | { status: 'invalid'; message: string }>;

export interface RouteContext {
	gate: LoginGate;
	board: Board;
	actions: ActionTokens;
	/** `host:port` values the page answers to (filled once listening). */
	hosts: ReadonlySet<string>;
	answer: Answer;
	title: string;
	/** Mark the session cookie `Secure` (the page is reached over https, through a proxy). */
	secureCookie: boolean;
	signal: AbortSignal;
	onFailure: (error: unknown) => void;
}

const loginPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>swarm-mailbox · log in</title>
<link rel="stylesheet" href="/assets/app.css"></head>
<body><main class="login"><h1>Log in</h1>
<p>Open the login link that <code>swarm-mailbox lead --web</code> printed when it started.</p></main></body></html>
`;

/** The session's CSRF token, set by the `/api` guard for the handlers after it. */
type Env = { Variables: { csrf: string } };

export function createRoutes(context: RouteContext): Hono<Env> {
	const { gate, board, actions, hosts } = context;
	const app = new Hono<Env>();

	app.use(async (c, next) => {
		if (!hosts.has((c.req.header('host') ?? '').toLowerCase())) return c.text('Unknown host.', 421);
		await next();
		c.header('Cache-Control', 'no-store');
	});
	app.use(
		secureHeaders({
			contentSecurityPolicy: {
				defaultSrc: ["'none'"],
				scriptSrc: ["'self'"],
				styleSrc: ["'self'"],
				imgSrc: ["'self'"],
				connectSrc: ["'self'"],
				formAction: ["'self'"],
				baseUri: ["'none'"],
				frameAncestors: ["'none'"],
			},
			xFrameOptions: 'DENY',
			referrerPolicy: 'no-referrer',
			crossOriginResourcePolicy: 'same-origin',
			strictTransportSecurity: false, // plain http (a tunnel or a private network); a proxy adds its own
		}),
	);
	app.use('/api/*', bodyLimit({ maxSize: 1_000_000 }));

	app.get('/login', (c) => {
		if (gate.throttled()) return c.text('Too many failed logins; wait a minute.', 429);
		const session = gate.login(c.req.query('token'));
		if (!session) return c.text('Wrong or missing login token.', 401);
		setCookie(c, SESSION_COOKIE, session, {
			httpOnly: true,
			sameSite: 'Strict',
			path: '/',
			secure: context.secureCookie,
		});
		return c.redirect('/', 303);
	});

	app.get('/favicon.ico', (c) => c.body(null, 204));

	app.get('/', async (c) => {
		if (!gate.csrfOf(getCookie(c, SESSION_COOKIE))) return c.html(loginPage, 401);
		return c.html((await pageAssets()).html);
	});
	app.get('/assets/app.js', async (c) => {
		c.header('Content-Type', 'text/javascript; charset=utf-8');
		return c.body((await pageAssets()).script);
	});
	app.get('/assets/app.css', async (c) => {
		c.header('Content-Type', 'text/css; charset=utf-8');
		return c.body((await pageAssets()).style);
	});

	// Notification buttons: authorised by their action token alone (the ntfy app sends no cookie and no Origin).
	app.post('/api/notification/:token/:decision{approve|deny}', async (c) => {
		const origin = c.req.header('origin');
		if (origin !== undefined && !sameOrigin(origin, hosts)) return c.json({ error: 'cross-origin' }, 403);
		const key = actions.redeem(c.req.param('token'));
		if (key === undefined) return c.json({ error: 'This action link is used, expired or unknown.' }, 403);
		const decision: Decision =
			c.req.param('decision') === 'approve'
				? { behavior: 'allow' }
				: { behavior: 'deny', message: 'Denied from a notification.' };
		const result = await context.answer(key, decision, 'notification');
		return result.status === 'answered'
			? c.json({ ok: true })
			: c.json({ error: 'This request is no longer waiting.' }, 409);
	});

	// Everything else under /api: a live session; POSTs also the page's origin and the session's CSRF token.
	app.use('/api/*', async (c, next) => {
		const csrf = gate.csrfOf(getCookie(c, SESSION_COOKIE));
		if (!csrf) return c.json({ error: 'Not logged in.' }, 401);
		const origin = c.req.header('origin');
		if (c.req.method === 'POST') {
			if (origin === undefined || !sameOrigin(origin, hosts))
				return c.json({ error: 'Cross-origin request refused.' }, 403);
			if (!sameSecret(c.req.header('x-csrf-token'), csrf))
				return c.json({ error: 'Missing or wrong CSRF token.' }, 403);
		} else {
			const site = c.req.header('sec-fetch-site');
			if ((origin !== undefined && !sameOrigin(origin, hosts)) || (site !== undefined && site !== 'same-origin')) {
				return c.json({ error: 'Cross-origin request refused.' }, 403);
			}
		}
		c.set('csrf', csrf);
		await next();
	});

	app.post('/api/logout', (c) => {
		gate.logout(getCookie(c, SESSION_COOKIE));
		deleteCookie(c, SESSION_COOKIE, { path: '/' });
		return c.json({ ok: true });
	});

	app.get('/api/state', (c) => c.json({ title: context.title, csrf: c.get('csrf'), ...board.snapshot() }));

	app.get('/api/events', (c) =>
		streamSSE(c, async (stream) => {
			const queued: BoardEvent[] = [];
			let live = false;
			const send = (event: BoardEvent) => {
				void stream.writeSSE({ event: event.type, data: JSON.stringify(event) }).catch(() => {});
			};
			const unsubscribe = board.subscribe((event) => (live ? send(event) : queued.push(event)));
			const heartbeat = setInterval(() => void stream.write(': ping\n\n').catch(() => {}), HEARTBEAT_MS);
			try {
				await board.refresh().catch(context.onFailure);
				await stream.writeSSE({ event: 'snapshot', data: JSON.stringify({ type: 'snapshot', ...board.snapshot() }) });
				live = true;
				for (const event of queued.splice(0)) send(event);
				await new Promise<void>((resolve) => {
					stream.onAbort(resolve);
					if (context.signal.aborted) resolve();
					else context.signal.addEventListener('abort', () => resolve(), { once: true });
				});
			} finally {
				clearInterval(heartbeat);
				unsubscribe();
			}
		}),
	);

	const decide = async (key: string, decision: Decision) => {
		const result = await context.answer(key, decision, 'web');
		if (result.status === 'answered') return { status: 200 as const, body: { ok: true } };
		if (result.status === 'invalid') return { status: 400 as const, body: { error: result.message } };
		return { status: 409 as const, body: { error: 'This request is no longer waiting.' } };
	};

	app.post('/api/requests/:key/approve', async (c) => {
		const parsed = approveBody.safeParse(await c.req.json().catch(() => undefined));
		if (!parsed.success)
			return c.json(
				{
					error:
						'Expected {updatedInput?: object, always?: true | "exact" | "prefix" | "tool", acceptSuggestions?: boolean}.',
				},
				400,
			);
		const { status, body } = await decide(c.req.param('key'), { behavior: 'allow', ...parsed.data });
		return c.json(body, status);
	});

	app.post('/api/requests/:key/deny', async (c) => {
		const parsed = denyBody.safeParse(await c.req.json().catch(() => undefined));
		if (!parsed.success) return c.json({ error: 'Expected {message?: string}.' }, 400);
		const { status, body } = await decide(c.req.param('key'), { behavior: 'deny', ...parsed.data });
		return c.json(body, status);
	});

	app.post('/api/batch', async (c) => {
		const parsed = batchBody.safeParse(await c.req.json().catch(() => undefined));
		if (!parsed.success)
			return c.json({ error: 'Expected {keys: string[], decision: "allow"|"deny", message?}.' }, 400);
		const { keys, decision, message } = parsed.data;
		const results = await Promise.all(
			[...new Set(keys)].map(async (key) => {
				const outcome = await decide(key, decision === 'allow' ? { behavior: 'allow' } : { behavior: 'deny', message });
				return { key, ok: outcome.status === 200, ...(outcome.status === 200 ? {} : outcome.body) };
			}),
		);
		return c.json({ results });
	});

	app.onError((error, c) => {
		context.onFailure(error);
		return c.json({ error: 'The leader could not do that; see its output.' }, 500);
	});
	return app;
}
