/**
`serveApprovalPage(leader)`: the approval page for a running Leader, with its API, event stream and notifications.
Loaded only by `swarm-mailbox/web` and `lead --web`; see docs/web.md for the security model.
*/

import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { errors, isMailboxError } from '../errors.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { Leader } from '../leader/leader.js';
import type { PendingRequest } from '../leader/pending-request.js';
import { Board } from './board.js';
import { ActionTokens, deliver, type NotifyTarget, notificationBody, notifyTarget } from './notify.js';
import type { ApprovalPageEvents, ApprovalPageOptions } from './options.js';
import { type Answer, createRoutes } from './routes.js';
import { allowedHosts, LoginGate } from './security.js';

export type { ApprovalPageEvents, ApprovalPageOptions, NotificationReport } from './options.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** A request still waiting this long after it arrived is pushed to the `notify` targets. */
const NOTIFY_AFTER_MS = 250;

/** A served approval page. */
export class ApprovalPage extends EventEmitter<ApprovalPageEvents> {
	/** The page's address (without the login token). */
	readonly url: string;
	/** The address with the login token: print it once, to the person who runs the leader. */
	readonly loginUrl: string;
	/** Whether the page listens on a loopback address only. */
	readonly loopback: boolean;
	readonly #server: ServerType;
	readonly #board: Board;
	readonly #stop: AbortController;
	readonly #deliveries: ReadonlySet<Promise<void>>;
	#closed: Promise<void> | undefined;

	/** @internal Made by {@link serveApprovalPage}. */
	constructor(parts: {
		url: string;
		loginUrl: string;
		loopback: boolean;
		server: ServerType;
		board: Board;
		stop: AbortController;
		deliveries: ReadonlySet<Promise<void>>;
	}) {
		super();
		this.url = parts.url;
		this.loginUrl = parts.loginUrl;
		this.loopback = parts.loopback;
		this.#server = parts.server;
		this.#board = parts.board;
		this.#stop = parts.stop;
		this.#deliveries = parts.deliveries;
	}

	/**
	Show a decision the Leader did not emit (one made by another process, read from the audit log); decisions the
	Leader emits are shown already. Each decision is shown once.
	*/
	decided(record: AuditRecord): void {
		this.#board.decided(record);
	}

	/** Stop serving: end the event streams, abandon pending notification retries. The Leader keeps running. */
	close(): Promise<void> {
		this.#closed ??= (async () => {
			this.#stop.abort();
			await this.#board.close();
			await Promise.all([...this.#deliveries]);
			await new Promise<void>((resolve) => {
				this.#server.close(() => resolve());
				(this.#server as { closeAllConnections?: () => void }).closeAllConnections?.();
			});
		})();
		return this.#closed;
	}

	[Symbol.asyncDispose](): Promise<void> {
		return this.close();
	}
}

/**
Serve the approval page for `leader` (started or not). Resolves once listening.
@throws {MailboxError} `INVALID_ARGUMENT` for a bad option (port, notify URL, public URL).
*/
export async function serveApprovalPage(leader: Leader, options: ApprovalPageOptions = {}): Promise<ApprovalPage> {
	const bind = options.bind ?? '127.0.0.1';
	const port = options.port ?? 0;
	if (!Number.isInteger(port) || port < 0 || port > 65_535) throw errors.invalidArgument('port', 'a port number', port);
	const targets: NotifyTarget[] = (options.notify ?? []).map(notifyTarget);
	if (options.publicUrl !== undefined && !URL.canParse(options.publicUrl)) {
		throw errors.invalidArgument('publicUrl', 'an http(s) URL', options.publicUrl);
	}
	const gate = new LoginGate(options.sessionTtlMs ?? 43_200_000);
	const actions = new ActionTokens(options.actionTokenTtlMs ?? 900_000);
	const stop = new AbortController();
	let page: ApprovalPage | undefined;
	const hosts = new Set<string>();
	const deliveries = new Set<Promise<void>>();
	let base = '';

	const notify = (request: PendingRequest) => {
		if (targets.length === 0 || stop.signal.aborted) return;
		// One answered at once (by `--auto`, or a person already at the screen) needs no push.
		setTimeout(() => {
			if (page && board.get(request.key) && !stop.signal.aborted) push(page, request);
		}, NOTIFY_AFTER_MS).unref();
	};
	const push = (target: ApprovalPage, request: PendingRequest) => {
		const pageUrl = `${base}/#${encodeURIComponent(request.key)}`;
		for (const notifyTo of targets) {
			// Each target gets its own tokens: a leaked webhook payload cannot press the ntfy buttons.
			const approveToken = actions.issue(request.key);
			const denyToken = actions.issue(request.key);
			const content = {
				team: options.title ?? leader.team.name,
				request,
				pageUrl,
				approveUrl: `${base}/api/notification/${approveToken}/approve`,
				denyUrl: `${base}/api/notification/${denyToken}/deny`,
				expiresAt: Date.now() + (options.actionTokenTtlMs ?? 900_000),
			};
			const delivery = deliver(notifyTo, notificationBody(notifyTo, content), {
				attempts: options.notifyAttempts ?? 4,
				backoffMs: options.notifyBackoffMs ?? 1_000,
				signal: stop.signal,
			}).then(({ attempts, error }) => {
				if (stop.signal.aborted) return;
				const report = { target: notifyTo.label, requestId: request.requestId, ok: error === undefined, attempts };
				target.emit(
					'notification',
					error === undefined
						? report
						: { ...report, error: errors.notifyFailed(notifyTo.label, request.requestId, attempts, error) },
				);
			});
			deliveries.add(delivery);
			void delivery.finally(() => deliveries.delete(delivery));
		}
	};

	const board = new Board(leader, notify);
	const answer: Answer = async (key, decision, decidedBy) => {
		const request = board.get(key);
		if (!request) return { status: 'gone' };
		try {
			if (decision.behavior === 'allow') {
				const { updatedInput, always, acceptSuggestions } = decision;
				await request.approve({ updatedInput, always, acceptSuggestions, decidedBy });
			} else {
				await request.deny(decision.message, { decidedBy });
			}
			actions.revoke(key);
			board.remove(key);
			return { status: 'answered' };
		} catch (error) {
			if (isMailboxError(error, 'ALREADY_ANSWERED')) {
				actions.revoke(key);
				board.remove(key);
				return { status: 'gone' };
			}
			if (isMailboxError(error, 'INVALID_ARGUMENT')) return { status: 'invalid', message: error.message };
			throw error;
		}
	};

	const app = createRoutes({
		gate,
		board,
		actions,
		hosts,
		answer,
		title: options.title ?? leader.team.name,
		secureCookie: options.publicUrl?.startsWith('https:') === true,
		signal: stop.signal,
		onFailure: (error) => page?.emit('failure', isMailboxError(error) ? error : errors.io('serve', 'the page', error)),
	});

	const server = await new Promise<ServerType>((resolve, reject) => {
		const listening = serve({ fetch: app.fetch, port, hostname: bind }, () => resolve(listening));
		listening.once('error', (error) => reject(errors.webListenFailed(`${bind}:${port}`, error)));
	});
	const address = server.address() as AddressInfo;
	for (const host of allowedHosts(bind, address.port, options.allowedHosts ?? [], options.publicUrl)) hosts.add(host);
	const urlHost = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind.includes(':') ? `[${bind}]` : bind;
	base = (options.publicUrl ?? `http://${urlHost}:${address.port}`).replace(/\/+$/, '');
	page = new ApprovalPage({
		url: `${base}/`,
		loginUrl: `${base}/login?token=${gate.token}`,
		loopback: LOOPBACK.has(bind),
		server,
		board,
		stop,
		deliveries,
	});
	const started = page;
	try {
		await board.start((error) =>
			started.emit('failure', isMailboxError(error) ? error : errors.io('follow', 'the leader', error)),
		);
	} catch (error) {
		await page.close();
		throw error;
	}
	return page;
}
