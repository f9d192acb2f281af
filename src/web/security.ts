/**
Who may use the page. The login token (printed once at startup) is exchanged for a session cookie (HttpOnly,
SameSite=Strict); each session has its own CSRF token, required on every state-changing call. Failed logins are
counted per minute across all clients, so guessing is throttled however many addresses try. Requests must name the page
by a known `Host` (no DNS rebinding) and, when a browser says where they come from, by the page's own origin.
*/

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';

/** 256 random bits, URL-safe. */
export function newSecret(): string {
	return randomBytes(32).toString('base64url');
}

/** Compare secrets in constant time. */
export function sameSecret(given: string | undefined, expected: string): boolean {
	if (given === undefined) return false;
	const a = Buffer.from(given);
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

interface Session {
	csrf: string;
	expiresAt: number;
}

/** Failed logins allowed per window before every login is refused until the window ends. */
const MAX_FAILED_LOGINS = 10;
const FAILED_LOGIN_WINDOW_MS = 60_000;

export class LoginGate {
	readonly token = newSecret();
	readonly #sessions = new Map<string, Session>();
	readonly #sessionTtlMs: number;
	#failures = 0;
	#windowStart = 0;

	constructor(sessionTtlMs: number) {
		this.#sessionTtlMs = sessionTtlMs;
	}

	/** Whether logins are refused for now (too many failures in this window). */
	throttled(now = Date.now()): boolean {
		if (now - this.#windowStart >= FAILED_LOGIN_WINDOW_MS) {
			this.#windowStart = now;
			this.#failures = 0;
		}
		return this.#failures >= MAX_FAILED_LOGINS;
	}

	/** A new session id for a correct token, or `undefined` (counted as a failure). */
	login(token: string | undefined): string | undefined {
		if (this.throttled()) return undefined;
		if (!sameSecret(token, this.token)) {
			this.#failures++;
			return undefined;
		}
		const id = newSecret();
		this.#sessions.set(id, { csrf: newSecret(), expiresAt: Date.now() + this.#sessionTtlMs });
		return id;
	}

	/** The session's CSRF token, or `undefined` when there is no such live session. */
	csrfOf(sessionId: string | undefined): string | undefined {
		if (sessionId === undefined) return undefined;
		const session = this.#sessions.get(sessionId);
		if (!session) return undefined;
		if (session.expiresAt <= Date.now()) {
			this.#sessions.delete(sessionId);
			return undefined;
		}
		return session.csrf;
	}

	logout(sessionId: string | undefined): void {
		if (sessionId !== undefined) this.#sessions.delete(sessionId);
	}
}

const hostOf = (address: string, port: number) => `${address.includes(':') ? `[${address}]` : address}:${port}`;

/**
The `host[:port]` values a page listening on `bind:port` answers to: loopback names, the bind address (every local
interface address for a wildcard bind: an IP literal cannot be rebound to an attacker's name), `--public-url`'s host.
*/
export function allowedHosts(bind: string, port: number, extra: readonly string[], publicUrl?: string): Set<string> {
	const hosts = new Set<string>([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
	if (bind !== '0.0.0.0' && bind !== '::') hosts.add(hostOf(bind, port).toLowerCase());
	else {
		for (const address of Object.values(networkInterfaces()).flat()) {
			if (address && !address.address.includes('%')) hosts.add(hostOf(address.address, port).toLowerCase());
		}
	}
	for (const host of extra) hosts.add(host.toLowerCase());
	if (publicUrl) hosts.add(new URL(publicUrl).host.toLowerCase());
	return hosts;
}

/** Whether an `Origin` header names this page (one of `hosts` over http or https). */
export function sameOrigin(origin: string, hosts: ReadonlySet<string>): boolean {
	try {
		const url = new URL(origin);
		return (url.protocol === 'http:' || url.protocol === 'https:') && hosts.has(url.host.toLowerCase());
	} catch {
		return false;
	}
}
