/**
How the CLI writes: data as JSON (one value per line, so streams pipe into `jq`), text for people, and every error
as one line on stderr. Text that comes from other agents (names, descriptions, message text) may hold escape
sequences, so it is shown through {@link printable} and can never drive the terminal.
*/

import { isMailboxError } from '../errors.js';
import type { InboxEntry } from '../inbox/entry.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { PendingRequest } from '../leader/pending-request.js';
import { parseFrame } from '../protocol/frame-codec.js';

/** Exit codes: 0 success (or allowed), 1 the answer was no (denied, timed out), 2 an error. */
export const exitCodes = { ok: 0, denied: 1, error: 2 } as const;

/** One JSON value on one line of stdout. */
export function writeJson(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** One line of text on stdout. */
export function writeLine(text = ''): void {
	process.stdout.write(`${text}\n`);
}

// C0/C1 controls (escape sequences start with one), plus bidi and line/paragraph separators that reorder or split text.
const unsafeCharacters = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;

/**
`text` safe to show on a terminal: control and bidi characters are written as `\u{…}` escapes (newlines too, unless
`multiline`), and text longer than `maxLength` is cut with `…`.
*/
export function printable(text: string, options: { maxLength?: number; multiline?: boolean } = {}): string {
	const { maxLength = Number.POSITIVE_INFINITY, multiline = false } = options;
	const safe = text.replace(unsafeCharacters, (c) =>
		multiline && c === '\n' ? c : `\\u{${c.codePointAt(0)?.toString(16)}}`,
	);
	return safe.length > maxLength ? `${safe.slice(0, Math.max(0, maxLength - 1))}…` : safe;
}

/** Compact JSON of `value`, cut at `maxLength` (JSON escapes every control character, so it is printable). */
export function preview(value: unknown, maxLength = 200): string {
	return printable(JSON.stringify(value) ?? String(value), { maxLength });
}

/** Rows as left-aligned columns separated by two spaces. */
export function columns(rows: readonly (readonly string[])[]): string {
	const widths: number[] = [];
	for (const row of rows) {
		for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
	}
	return rows
		.map((row) =>
			row
				.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length)))
				.join('  '),
		)
		.join('\n');
}

/** One line describing `error`: the MailboxError code and message, or the message of anything else. */
export function describeError(error: unknown): string {
	const message = error instanceof Error ? error.message : String(error);
	const line = message.replace(/\s*\n\s*/g, ' ');
	return isMailboxError(error) ? `${error.code}: ${line}` : line;
}

/** Report `error` as one line on stderr. */
export function reportError(error: unknown): void {
	process.stderr.write(`swarm-mailbox: ${describeError(error)}\n`);
}

/** What scripts see of a pending request (`pending --json`, the leader's `request` events). */
export function requestView(request: PendingRequest) {
	return {
		requestId: request.requestId,
		kind: request.kind,
		worker: request.worker,
		receivedAt: new Date(request.receivedAt).toISOString(),
		...(request.kind === 'permission'
			? {
					toolName: request.toolName,
					toolUseId: request.toolUseId,
					description: request.description,
					input: request.input,
					suggestions: request.suggestions,
				}
			: { host: request.host }),
	};
}

/** What a request asks for, in a few words: `Bash {"command":"ls"}` or `network access to example.com`. */
export function requestSubject(request: PendingRequest, maxLength = 80): string {
	if (request.kind === 'sandbox') return `network access to ${printable(request.host ?? '')}`;
	return `${printable(request.toolName ?? '')} ${preview(request.input ?? {}, maxLength)}`;
}

/** One line for a logged decision: `allowed Bash for ann (person)`. */
export function decisionLine(record: AuditRecord): string {
	const verb = record.decision === 'allow' ? 'allowed' : 'denied';
	const subject = record.kind === 'sandbox' ? `network access to ${record.host ?? '?'}` : (record.toolName ?? '?');
	const note = record.message ? `: ${record.message}` : '';
	const rule = record.persistedRule ? ` [always: ${record.persistedRule}]` : '';
	return printable(`${verb} ${subject} for ${record.worker} (${record.decidedBy})${note}${rule}`, { maxLength: 160 });
}

/** One line for a message to the lead: `ann is idle (available): fixed the test` or `ann: <text>`. */
export function messageLine(entry: InboxEntry): string {
	const parsed = parseFrame(entry.text);
	const frame = parsed.kind === 'frame' ? parsed.frame : undefined;
	if (frame?.type === 'idle_notification') {
		const reason = frame.idleReason ? ` (${frame.idleReason})` : '';
		const detail = frame.summary ?? entry.summary;
		return printable(`${entry.from} is idle${reason}${detail ? `: ${detail}` : ''}`, { maxLength: 160 });
	}
	const label = parsed.kind === 'frame' ? `[${parsed.frame.type}] ` : '';
	const text = parsed.kind === 'frame' ? '' : entry.text;
	return printable(`${entry.from}: ${label}${entry.summary ?? text}`, { maxLength: 160 });
}
