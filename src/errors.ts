/**
Every failure the library reports is a `MailboxError` (`mailbox-error.ts`) with a stable string `code`.
All user-facing messages live here so they stay consistent: each says what failed, on which file, and how to fix it.
*/

import { MailboxError } from './mailbox-error.js';

export {
	isMailboxError,
	MailboxError,
	type MailboxErrorCode,
	type MailboxErrorOptions,
} from './mailbox-error.js';

function describeCause(cause: unknown): string {
	if (cause instanceof Error) {
		const code = (cause as NodeJS.ErrnoException).code;
		return code ? `${code}: ${cause.message}` : cause.message;
	}
	return String(cause);
}

/** A short, printable rendering of a verify-key argument: strings quoted and cut at 60 characters, anything else by type. */
function describeKeyInput(value: unknown): string {
	if (typeof value !== 'string') return `(a ${value === null ? 'null' : typeof value}, not a string)`;
	return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** Message builders, one per failure. Each returns a ready `MailboxError`. */
export const errors = {
	lockTimeout: (lockPath: string, waitedMs: number, cause?: unknown) =>
		new MailboxError(
			'LOCK_TIMEOUT',
			`Could not lock ${lockPath} within ${waitedMs} ms: another process kept it. Nothing was written. ` +
				`Retry, raise \`lockTimeoutMs\`, or remove the lock directory if its holder is gone (a lock older than the stale window is taken over automatically).`,
			{ path: lockPath, cause },
		),
	lockCompromised: (lockPath: string, cause?: unknown) =>
		new MailboxError(
			'LOCK_COMPROMISED',
			`The lock ${lockPath} was taken over while this process held it (it stalled past the stale window, or the lock directory was removed). ` +
				`The write was abandoned so no other writer's changes are overwritten; it is retried from a fresh read.`,
			{ path: lockPath, cause },
		),
	corruptInbox: (path: string, reason: string, quarantinePath?: string) =>
		new MailboxError(
			'CORRUPT_INBOX',
			`Inbox ${path} is corrupt (${reason}).` +
				(quarantinePath
					? ` The original bytes were kept in ${quarantinePath} and the readable entries were recovered.`
					: ' Run `diagnoseTeam(team, { fix: true })` to quarantine it and recover the readable entries.'),
			{ path },
		),
	corruptConfig: (path: string, reason: string, cause?: unknown) =>
		new MailboxError(
			'CORRUPT_CONFIG',
			`Team config ${path} cannot be used (${reason}). It was left untouched; repair or restore it, then retry.`,
			{ path, cause },
		),
	invalidName: (kind: string, name: unknown, reason: string) =>
		new MailboxError(
			'INVALID_NAME',
			`Invalid ${kind} name ${JSON.stringify(name)}: ${reason}. Use letters, digits, '-' and '_' (at most 64 characters).`,
		),
	invalidEntry: (path: string, reason: string) =>
		new MailboxError(
			'INVALID_ENTRY',
			`Refused to write an invalid entry to ${path}: ${reason}. Nothing was written; fix the entry and send again.`,
			{ path },
		),
	invalidArgument: (what: string, expected: string, received: unknown) =>
		new MailboxError(
			'INVALID_ARGUMENT',
			`Expected \`${what}\` to be ${expected}, got \`${String(received)}\` (${typeof received}).`,
		),
	entryTooLarge: (path: string, bytes: number, limit: number) =>
		new MailboxError(
			'ENTRY_TOO_LARGE',
			`Entry for ${path} is ${bytes} bytes, over the ${limit}-byte limit. Nothing was written; send a smaller text or raise \`maxEntryBytes\`.`,
			{ path },
		),
	inboxTooLarge: (path: string, bytes: number | undefined, limit: number) =>
		new MailboxError(
			'INBOX_TOO_LARGE',
			`Inbox ${path} would grow ${bytes === undefined ? '' : `to ${bytes} bytes, `}over the ${limit}-byte limit. Nothing was written; ` +
				`let the recipient drain it (ack delivered entries) or raise \`maxInboxBytes\`.`,
			{ path },
		),
	unsafePath: (path: string, reason: string) =>
		new MailboxError(
			'UNSAFE_PATH',
			`Refused to use ${path}: ${reason}. Nothing outside the team root is read or written; remove the link or fix the permissions.`,
			{ path },
		),
	teamNotFound: (team: string, path: string) =>
		new MailboxError(
			'TEAM_NOT_FOUND',
			`Team ${JSON.stringify(team)} has no config at ${path}. Create it first with \`Team.create(name)\`, or check the root.`,
			{ path },
		),
	teamExists: (team: string, path: string) =>
		new MailboxError(
			'TEAM_EXISTS',
			`Team ${JSON.stringify(team)} already exists at ${path}. Open it with \`Team.open(name)\`, or pick another name.`,
			{ path },
		),
	memberExists: (name: string, path: string) =>
		new MailboxError(
			'MEMBER_EXISTS',
			`A member named ${JSON.stringify(name)} (or one sharing its inbox file) is already in ${path}. Pick another name.`,
			{ path },
		),
	memberNotFound: (name: string, path: string) =>
		new MailboxError('MEMBER_NOT_FOUND', `No member named ${JSON.stringify(name)} in ${path}.`, { path }),
	timeout: (what: string, timeoutMs: number) =>
		new MailboxError(
			'TIMEOUT',
			`${what} did not finish within ${timeoutMs} ms. Raise \`timeoutMs\` or check the other side.`,
		),
	aborted: (what: string, reason?: unknown) =>
		new MailboxError('ABORTED', `${what} was aborted${reason === undefined ? '' : `: ${describeCause(reason)}`}.`, {
			cause: reason,
		}),
	closed: (what: string) => new MailboxError('CLOSED', `${what} was closed; create a new one to continue.`),
	alreadyAnswered: (requestId: string, path: string) =>
		new MailboxError(
			'ALREADY_ANSWERED',
			`Request ${JSON.stringify(requestId)} was already answered (claim ${path}); a request gets exactly one answer. ` +
				`Nothing was sent. List what is still open with \`Leader.listPending(team)\`.`,
			{ path },
		),
	requestNotFound: (requestId: string, directory: string) =>
		new MailboxError(
			'REQUEST_NOT_FOUND',
			`No pending request ${JSON.stringify(requestId)} in ${directory}. Check the id with \`Leader.listPending(team)\`; ` +
				`the leader records a request only once it has read it from its inbox.`,
			{ path: directory },
		),
	leadActive: (team: string, pid: number, host: string, path: string) =>
		new MailboxError(
			'LEAD_ACTIVE',
			`Team ${JSON.stringify(team)} already has a live lead: process ${pid} on ${host} (leadProcess in ${path}). ` +
				'One lead at a time answers a team, so this one was not started. Stop that lead first; if you know it is ' +
				'gone, take over (`takeover: true`, or `swarm-mailbox lead --takeover`).',
			{ path },
		),
	leadDisplaced: (team: string, pid: number, host: string, path: string) =>
		new MailboxError(
			'LEAD_DISPLACED',
			`Another lead took over team ${JSON.stringify(team)} while this one ran: process ${pid} on ${host} is recorded ` +
				`(leadProcess in ${path}). This lead stopped, since one lead at a time answers a team; its open requests stay ` +
				'in the journal for that lead. To lead again, stop that one first, or take over (`takeover: true`, or ' +
				'`swarm-mailbox lead --takeover`).',
			{ path },
		),
	deciderFailed: (requestId: string, worker: string, reason: string, cause?: unknown) =>
		new MailboxError(
			'DECIDER_FAILED',
			`The Leader's \`decide\` function failed on request ${JSON.stringify(requestId)} from ${JSON.stringify(worker)}: ` +
				`${reason}. Nothing was allowed: the request was left to a person. Fix the function (or raise \`decideTimeoutMs\`).`,
			{ cause },
		),
	ambiguousRequest: (requestId: string, workers: readonly string[]) =>
		new MailboxError(
			'INVALID_ARGUMENT',
			`Request id ${JSON.stringify(requestId)} is pending for several workers (${workers.join(', ')}). Pass \`worker\` to pick one.`,
		),
	noAlwaysRule: (what: string) =>
		new MailboxError(
			'INVALID_ARGUMENT',
			`Cannot derive an "always allow" rule for ${what}. Nothing was sent; approve without \`always\`, or add a rule to the policy yourself.`,
		),
	corruptRules: (path: string, reason: string, cause?: unknown) =>
		new MailboxError(
			'CORRUPT_CONFIG',
			`Rules file ${path} cannot be used (${reason}). It was left untouched; repair or delete it, then retry.`,
			{ path, cause },
		),
	signerChangedId: (expected: string, received: unknown) =>
		new MailboxError(
			'INVALID_ARGUMENT',
			`The \`signer\` must keep the entry's msg_id ${expected} (it is chosen up front so a re-sent answer is the same entry), got \`${String(received)}\`.`,
		),
	invalidVerifyKey: (received: unknown, reason: string, cause?: unknown) =>
		new MailboxError(
			'INVALID_KEY',
			`Invalid lead verify key ${describeKeyInput(received)}: ${reason}. ` +
				`Pass the value of \`--lead-verify-key\` unchanged: \`<issued-at ms>.<base64url, unpadded, of the SPKI DER of an Ed25519 public key>\` ` +
				`(\`createLeadKeyPair()\` makes a matching pair).`,
			{ cause },
		),
	invalidSigningKey: (reason: string) =>
		new MailboxError(
			'INVALID_KEY',
			`Cannot sign a lead entry: the private key ${reason}. Nothing was signed; ` +
				`pass the \`privateKey\` returned by \`createLeadKeyPair()\` (an Ed25519 private KeyObject).`,
		),
	invalidControlMessage: (kind: string, issues: string) =>
		new MailboxError(
			'INVALID_CONTROL_MESSAGE',
			`Not a valid control-protocol ${kind}: ${issues}. Nothing was decided; check the CLI and SDK versions on both ends.`,
		),
	controlRequestMismatch: (expected: string, received: string) =>
		new MailboxError(
			'INVALID_CONTROL_MESSAGE',
			`The control-protocol permission_response answers request ${JSON.stringify(received)}, not ${JSON.stringify(expected)}. ` +
				`Pair each response with the request whose \`request_id\` it carries.`,
		),
	policyFile: (path: string, reason: string, cause?: unknown) =>
		new MailboxError(
			'INVALID_ARGUMENT',
			`Policy file ${path} cannot be used (${reason}). Nothing was started; fix the file (see "Policy file" in docs/cli.md) and retry.`,
			{ path, cause },
		),
	signingKeyFile: (path: string, reason: string, cause?: unknown) =>
		new MailboxError(
			'INVALID_KEY',
			`Signing key ${path} cannot be used (${reason}). Nothing was signed; pass a PKCS#8 PEM Ed25519 private key ` +
				'(`openssl genpkey -algorithm ed25519 -out lead-key.pem` makes one).',
			{ path, cause },
		),
	missingDependency: (name: string, feature: string, cause?: unknown) =>
		new MailboxError(
			'MISSING_DEPENDENCY',
			`${feature} needs the optional peer dependency ${name}, which is not installed. ` +
				`Add it to the app that uses swarm-mailbox: \`npm install ${name}\`.`,
			{ cause },
		),
	notDurable: (path: string, cause: unknown) =>
		new MailboxError(
			'IO',
			`Wrote ${path}, but could not flush its directory (${describeCause(cause)}): the change is visible to every reader ` +
				'but may not survive a crash of the machine. It was not undone, so read the file before retrying (a blind retry ' +
				'repeats it), and check the disk.',
			{ path, cause },
		),
	webListenFailed: (address: string, cause: unknown) =>
		new MailboxError(
			'IO',
			`Could not serve the approval page on ${address} (${describeCause(cause)}). ` +
				'Choose another port (`--port` / `port`, 0 for any free one) or bind address.',
			{ cause },
		),
	notifyFailed: (target: string, requestId: string, attempts: number, cause: unknown) =>
		new MailboxError(
			'IO',
			`Could not notify ${target} of request ${requestId} after ${attempts} attempt(s) (${describeCause(cause)}). ` +
				'The request still waits on the page; check the `--notify` URL and that the service is reachable.',
			{ cause },
		),
	io: (operation: string, path: string, cause: unknown) =>
		new MailboxError(
			'IO',
			`Could not ${operation} ${path} (${describeCause(cause)}). Check the disk and permissions.`,
			{
				path,
				cause,
			},
		),
};

/** Messages of the outcomes a worker's request ends with when the lead did not answer it (not errors: denials). */
export const outcomeMessages = {
	timeout: (lead: string, timeoutMs: number) =>
		`No answer from the team lead (${lead}) within ${timeoutMs} ms, so the request was denied.`,
	aborted: () => 'The request was aborted before the team lead answered.',
	sendFailed: (lead: string, cause: string) =>
		`The request could not be delivered to the team lead (${lead}): the mailbox write failed (${cause}).`,
	unverified: () =>
		"Your team lead's answer to this request could not be verified, so it was not used and the request was denied.",
	closed: () => 'The worker was closed before the team lead answered.',
	noLead: (lead: string, pid: number, elsewhere?: { host: string; staleMs: number }) =>
		`The team lead (${lead}) is not running: ${
			elsewhere
				? `the heartbeat of its recorded process ${pid} on ${elsewhere.host} has not changed for ${elsewhere.staleMs} ms`
				: `its recorded process ${pid} on this host is gone`
		}, so the request was denied at once. Start a lead (\`swarm-mailbox lead <team>\` or a \`Leader\`) and ask again.`,
};
