/** The options and events of {@link serveApprovalPage}. */

import type { MailboxError } from '../errors.js';

/** Options of `serveApprovalPage`. */
export interface ApprovalPageOptions {
	/** TCP port; 0 picks a free one. @default 0 */
	port?: number;
	/**
	Address to listen on. Anything but a loopback address exposes the page to the network: reach it through an SSH
	tunnel or a private network. Every address needs the login token.
	@default '127.0.0.1'
	*/
	bind?: string;
	/**
	The address people (and notification apps) reach the page at, when it is not `http://<bind>:<port>` (a tunnel, a
	private network name). Links in notifications use it, and its host is accepted in `Host` and `Origin`.
	*/
	publicUrl?: string;
	/** More `host:port` values accepted in the `Host` header (names the page is reached by). @default [] */
	allowedHosts?: readonly string[];
	/**
	Notify these URLs when a request waits for a person: a JSON webhook, or the ntfy publishing format when the URL is
	an ntfy topic (`https://ntfy.sh/<topic>`, a host named `ntfy.*`, or any server written `ntfy+https://host/topic`).
	@default []
	*/
	notify?: readonly string[];
	/** How long a notification's Approve / Deny token stays valid, in ms. @default 900_000 */
	actionTokenTtlMs?: number;
	/** How long a logged-in session lasts, in ms. @default 43_200_000 */
	sessionTtlMs?: number;
	/** Attempts per notification before it is reported as failed (1 s, 2 s, 4 s … apart). @default 4 */
	notifyAttempts?: number;
	/** Base of the backoff between attempts, in ms. @default 1_000 */
	notifyBackoffMs?: number;
	/** Team name shown on the page. @default the leader's team name */
	title?: string;
}

/** One notification delivery, reported after its last attempt. */
export interface NotificationReport {
	/** The target's origin (never its path or query, which may hold a secret topic or key). */
	target: string;
	requestId: string;
	ok: boolean;
	attempts: number;
	/** Why the last attempt failed. */
	error?: MailboxError;
}

export interface ApprovalPageEvents {
	/** A notification was delivered, or failed after every attempt. */
	notification: [NotificationReport];
	/** A background step of the page failed (listing the journal, a stream). */
	failure: [MailboxError];
}
