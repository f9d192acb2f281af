/**
The one error class of the library: every failure it reports is a `MailboxError` with a stable string `code`. The
messages themselves are built in `errors.ts`.
*/

export type MailboxErrorCode =
	| 'LOCK_TIMEOUT'
	| 'LOCK_COMPROMISED'
	| 'CORRUPT_INBOX'
	| 'CORRUPT_CONFIG'
	| 'INVALID_NAME'
	| 'INVALID_ENTRY'
	| 'INVALID_ARGUMENT'
	| 'ENTRY_TOO_LARGE'
	| 'INBOX_TOO_LARGE'
	| 'UNSAFE_PATH'
	| 'TEAM_NOT_FOUND'
	| 'TEAM_EXISTS'
	| 'MEMBER_EXISTS'
	| 'MEMBER_NOT_FOUND'
	| 'TIMEOUT'
	| 'ABORTED'
	| 'CLOSED'
	| 'ALREADY_ANSWERED'
	| 'REQUEST_NOT_FOUND'
	| 'LEAD_ACTIVE'
	| 'LEAD_DISPLACED'
	| 'DECIDER_FAILED'
	| 'INVALID_KEY'
	| 'INVALID_CONTROL_MESSAGE'
	| 'MISSING_DEPENDENCY'
	| 'IO';

const brand = Symbol.for('swarm-mailbox.MailboxError');

/** Extra details of a {@link MailboxError}. */
export interface MailboxErrorOptions {
	/** The file or directory the failure concerns. */
	path?: string;
	/** The underlying error (usually a Node.js fs error). */
	cause?: unknown;
}

/** The one error class of the library; branch on its `code`, not on the message. */
export class MailboxError extends Error {
	readonly code: MailboxErrorCode;
	readonly path: string | undefined;

	constructor(code: MailboxErrorCode, message: string, options: MailboxErrorOptions = {}) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.code = code;
		this.path = options.path;
		Object.defineProperty(this, brand, { value: true });
	}
}

Object.defineProperty(MailboxError.prototype, 'name', { value: 'MailboxError' });

/** Cross-realm check (works across duplicated copies of this package). */
export function isMailboxError(value: unknown, code?: MailboxErrorCode): value is MailboxError {
	const branded = typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
	return branded && (code === undefined || (value as MailboxError).code === code);
}
