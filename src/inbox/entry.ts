import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
The fields Claude Code 2.1.330 validates on read; anything else is allowed and kept verbatim.
We validate with this schema but keep the original parsed object, so unknown keys (even `__proto__`) survive rewrites.
*/
export const inboxEntrySchema = z.looseObject({
	from: z.string(),
	text: z.string(),
	timestamp: z.string(),
	read: z.boolean().optional(),
	type: z.string().optional(),
	color: z.string().optional(),
	summary: z.string().optional(),
	from_plugin: z.string().optional(),
});

/** One element of an inbox file, as read: the fields Claude Code defines, plus any unknown ones (kept on rewrite). */
export interface InboxEntry {
	from: string;
	text: string;
	timestamp: string;
	read?: boolean;
	type?: string;
	color?: string;
	summary?: string;
	from_plugin?: string;
	msgV?: number;
	msg_id?: string;
	lead_sig?: string;
	[field: string]: unknown;
}

/** What a caller supplies to `send()`; the library adds `msgV`, `msg_id`, `type` and `read`. */
export interface OutgoingEntry {
	from: string;
	text: string;
	summary?: string | undefined;
	/** @default new Date().toISOString() */
	timestamp?: string | undefined;
	color?: string | undefined;
	from_plugin?: string | undefined;
	/** Set by a signer that must know the id before writing; a random UUID otherwise. */
	msg_id?: string | undefined;
	lead_sig?: string | undefined;
}

const outgoingSchema = z.strictObject({
	from: z.string().min(1),
	text: z.string(),
	summary: z.string().optional(),
	timestamp: z.string().min(1).optional(),
	color: z.string().optional(),
	from_plugin: z.string().optional(),
	msg_id: z.uuid().optional(),
	lead_sig: z
		.string()
		.regex(/^[\w-]+$/, 'base64url')
		.optional(),
});

/** What `buildEntry` returns: the entry to write, or why the input was refused. */
export type BuildResult = { ok: true; entry: InboxEntry } | { ok: false; reason: string };

/** Build an entry exactly as Claude Code 2.1.330 writes one (same keys, same order). */
export function buildEntry(input: OutgoingEntry): BuildResult {
	// Without zod's generated fast path: building it costs a fresh process about a millisecond on its first send, and a
	// sender parses one small object per send, so it never pays back (measured: later parses no slower without it).
	const parsed = outgoingSchema.safeParse(input, { jitless: true });
	if (!parsed.success) return { ok: false, reason: z.prettifyError(parsed.error).replaceAll('\n', ' ') };
	const { from, text, summary, timestamp, color, from_plugin, msg_id, lead_sig } = parsed.data;
	// SendMessage's order: from, text, summary?, timestamp, color?, from_plugin?, then the write adds the rest.
	const entry = { from, text } as InboxEntry;
	if (summary !== undefined) entry.summary = summary;
	entry.timestamp = timestamp ?? new Date().toISOString();
	if (color !== undefined) entry.color = color;
	if (from_plugin !== undefined) entry.from_plugin = from_plugin;
	entry.msgV = 1;
	entry.msg_id = msg_id ?? randomUUID();
	entry.type = 'message';
	entry.read = false;
	if (lead_sig !== undefined) entry.lead_sig = lead_sig;
	return { ok: true, entry };
}

export function isValidEntry(value: unknown): value is InboxEntry {
	return inboxEntrySchema.safeParse(value).success;
}

export function describeInvalid(value: unknown): string {
	const parsed = inboxEntrySchema.safeParse(value);
	return parsed.success ? 'valid' : z.prettifyError(parsed.error).replaceAll('\n', ' ');
}

/** Identity used for acks and de-duplication: the msg_id, else Claude Code's `from|timestamp|text` key. */
export function entryKey(entry: Pick<InboxEntry, 'from' | 'timestamp' | 'text' | 'msg_id'>): string {
	return typeof entry.msg_id === 'string' ? `id:${entry.msg_id}` : `key:${entry.from}|${entry.timestamp}|${entry.text}`;
}
