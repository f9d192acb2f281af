/**
Push notifications for requests that wait for a person. Each goes to every `--notify` URL: a JSON webhook, or the ntfy
publishing format (title, message, click-through link, Approve / Deny buttons) for an ntfy topic. The buttons call the
page with an action token: random, for one request, usable once, expiring after `actionTokenTtlMs`. Delivery runs in
the background with retries and backoff; its outcome is reported, and nothing waits for it.
*/

import { errors } from '../errors.js';
import type { PendingRequest } from '../leader/pending-request.js';
import { newSecret } from './security.js';

interface ActionGrant {
	key: string;
	expiresAt: number;
}

/** Single-use, per-request, short-lived tokens for notification buttons. */
export class ActionTokens {
	readonly #grants = new Map<string, ActionGrant>();
	readonly #ttlMs: number;

	constructor(ttlMs: number) {
		this.#ttlMs = ttlMs;
	}

	issue(key: string): string {
		const now = Date.now();
		for (const [token, grant] of this.#grants) if (grant.expiresAt <= now) this.#grants.delete(token);
		const token = newSecret();
		this.#grants.set(token, { key, expiresAt: now + this.#ttlMs });
		return token;
	}

	/** The request key a token was issued for, consuming the token; `undefined` when unknown, used or expired. */
	redeem(token: string): string | undefined {
		const grant = this.#grants.get(token);
		if (!grant) return undefined;
		this.#grants.delete(token);
		return grant.expiresAt > Date.now() ? grant.key : undefined;
	}

	/** Forget the tokens of an answered request. */
	revoke(key: string): void {
		for (const [token, grant] of this.#grants) if (grant.key === key) this.#grants.delete(token);
	}
}

/** A notification target: where to POST and in which format. */
export interface NotifyTarget {
	/** Where the POST goes. */
	url: string;
	format: 'ntfy' | 'webhook';
	/** ntfy: the topic (the last path segment). */
	topic?: string;
	/** Origin only, for reports: the path may be a secret topic. */
	label: string;
}

/** Parse a `--notify` URL (see the module notes for how an ntfy topic is recognised). */
export function notifyTarget(text: string): NotifyTarget {
	const explicit = text.startsWith('ntfy+');
	let url: URL;
	try {
		url = new URL(explicit ? text.slice('ntfy+'.length) : text);
	} catch {
		throw errors.invalidArgument('notify', 'an http(s) URL', text);
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:')
		throw errors.invalidArgument('notify', 'an http(s) URL', text);
	const ntfy = explicit || url.hostname === 'ntfy.sh' || url.hostname.startsWith('ntfy.');
	const topic = url.pathname.split('/').filter(Boolean).at(-1);
	if (ntfy && !topic) throw errors.invalidArgument('notify', 'an ntfy topic URL (https://ntfy.sh/<topic>)', text);
	if (!ntfy) return { url: url.href, format: 'webhook', label: url.origin };
	// ntfy takes JSON at its root URL, with the topic in the body.
	const root = new URL(url.href);
	root.pathname = url.pathname.slice(0, url.pathname.lastIndexOf(topic!));
	root.search = '';
	return { url: root.href, format: 'ntfy', topic: topic!, label: url.origin };
}

/** What a notification says about one request, with the links that answer it. */
export interface NotificationContent {
	team: string;
	request: PendingRequest;
	/** The page, opened on this request. */
	pageUrl: string;
	approveUrl: string;
	denyUrl: string;
	expiresAt: number;
}

const PREVIEW_CHARS = 160;

/** A one-line preview of what the request would run. */
export function preview(request: PendingRequest): string {
	let text: string;
	if (request.kind === 'sandbox') text = `network access to ${request.host ?? '?'}`;
	else {
		const command = request.input?.['command'] ?? request.input?.['file_path'] ?? request.input?.['url'];
		text = typeof command === 'string' ? command : JSON.stringify(request.input ?? {});
	}
	text = text.replace(/\s+/g, ' ');
	return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

export function notificationBody(target: NotifyTarget, content: NotificationContent): unknown {
	const { request } = content;
	const subject = request.kind === 'sandbox' ? 'network access' : (request.toolName ?? '?');
	const title = `${request.worker} wants ${subject}`;
	const message = [request.description, preview(request)].filter(Boolean).join('\n');
	if (target.format === 'ntfy') {
		const button = (label: string, url: string) => ({ action: 'http', label, url, method: 'POST', clear: true });
		return {
			topic: target.topic,
			title,
			message,
			click: content.pageUrl,
			tags: ['lock'],
			priority: 4,
			actions: [button('Approve', content.approveUrl), button('Deny', content.denyUrl)],
		};
	}
	return {
		event: 'permission_request',
		team: content.team,
		requestId: request.requestId,
		kind: request.kind,
		worker: request.worker,
		toolName: request.toolName ?? null,
		host: request.host ?? null,
		description: request.description ?? null,
		preview: preview(request),
		receivedAt: new Date(request.receivedAt).toISOString(),
		title,
		message,
		url: content.pageUrl,
		approveUrl: content.approveUrl,
		denyUrl: content.denyUrl,
		actionsExpireAt: new Date(content.expiresAt).toISOString(),
	};
}

export interface DeliveryOptions {
	attempts: number;
	backoffMs: number;
	/** Stops waiting between attempts (the page closed). */
	signal: AbortSignal;
}

const ATTEMPT_TIMEOUT_MS = 10_000;

/** POST `body` to the target, retrying with exponential backoff; resolves with the attempts made and the last error. */
export async function deliver(
	target: NotifyTarget,
	body: unknown,
	options: DeliveryOptions,
): Promise<{ attempts: number; error?: unknown }> {
	let error: unknown;
	for (let attempt = 1; attempt <= options.attempts; attempt++) {
		if (options.signal.aborted) return { attempts: attempt - 1, error: options.signal.reason };
		try {
			const response = await fetch(target.url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(body),
				signal: AbortSignal.any([options.signal, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
			});
			await response.body?.cancel();
			if (response.ok) return { attempts: attempt };
			error = new Error(`HTTP ${response.status}`);
		} catch (cause) {
			error = cause;
		}
		if (attempt < options.attempts) await sleep(options.backoffMs * 2 ** (attempt - 1), options.signal);
	}
	return { attempts: options.attempts, error };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(done, ms);
		timer.unref();
		signal.addEventListener('abort', done, { once: true });
		function done() {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		}
	});
}
