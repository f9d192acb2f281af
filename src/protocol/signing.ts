/**
Lead-entry signing as Claude Code 2.1.330 does it ("claude-team-lead-entry-v1"): the leader signs what it writes
as "team-lead", "user" or "system" into a pane teammate's inbox with that teammate's Ed25519 key, and the teammate
classifies every entry it reads as verified, forged or unverifiable. Key pairs and `--lead-verify-key` parsing live
in `verify-key.ts` and are re-exported here.
*/

import type { KeyObject } from 'node:crypto';
import { randomUUID, sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { errors } from '../errors.js';
import type { InboxEntry, OutgoingEntry } from '../inbox/entry.js';
import { normalizeSenderName } from '../team/name-fold.js';
import { sanitizePathComponent } from '../team/paths.js';
import { frameTypeOf } from './frame-codec.js';
import { assertLeadPrivateKey, fromCanonicalBase64Url, parseVerifyKey, toBase64Url } from './verify-key.js';

export { normalizeSenderName } from '../team/name-fold.js';
export type { LeadKeyPair, VerifyKey } from './verify-key.js';
export { createLeadKeyPair, parseVerifyKey, verifyKeyFor } from './verify-key.js';

/** The first element of every signed payload. */
export const LEAD_SIGNATURE_CONTEXT = 'claude-team-lead-entry-v1';
/** Sender names Claude Code signs and treats as the lead. */
export const leadSenderNames: ReadonlySet<string> = new Set(['team-lead', 'user', 'system']);
/**
Entries timestamped this long before process start still verify, if the process started at most this long after
the key was made (never when it started before: a key dated after the process could not have been on its command
line at launch).
*/
export const LEAD_KEY_GRACE_MS = 120_000;

/** The fields a lead signature covers. `type`, `read`, `msgV` and the recipient are not covered. */
export interface LeadSignedFields {
	msg_id: string;
	from: string;
	timestamp: string;
	text: string;
	summary?: string | undefined;
	color?: string | undefined;
	from_plugin?: string | undefined;
}

/** How `LeadVerifier.classify` judges an entry (see its documentation). */
export type LeadClassification = 'verified' | 'forged' | 'unverifiable';

/** Options of {@link LeadVerifier}. */
export interface LeadVerifierOptions {
	/** Epoch ms when this process started; entries signed before it are refused. @default performance.timeOrigin */
	processStartMs?: number;
	/** How many spent msg_ids to remember for replay protection. @default 4096 */
	maxSpentIds?: number;
}

/** UTF-8 bytes of the compact JSON array that is signed, exactly as Claude Code builds it. */
export function leadSignaturePayload(entry: LeadSignedFields): Buffer {
	const fields = [entry.msg_id, entry.from, entry.timestamp, entry.text];
	const optional = [entry.summary ?? null, entry.color ?? null, entry.from_plugin ?? null];
	return Buffer.from(JSON.stringify([LEAD_SIGNATURE_CONTEXT, ...fields, ...optional]), 'utf8');
}

/**
Signs an entry that already has its final `msg_id` and `timestamp`; the result goes in `lead_sig`.
@throws {MailboxError} `INVALID_KEY` unless `privateKey` is an Ed25519 private key; `INVALID_ARGUMENT` when `from`
is not exactly a lead name, `msg_id` is empty, or `timestamp` does not parse (no reader would ever verify those).
*/
export function signLeadEntry(entry: LeadSignedFields, privateKey: KeyObject): string {
	assertLeadPrivateKey(privateKey);
	if (typeof entry.from !== 'string' || !leadSenderNames.has(entry.from)) {
		throw errors.invalidArgument('entry.from', 'exactly "team-lead", "user" or "system" to be signed', entry.from);
	}
	if (typeof entry.msg_id !== 'string' || entry.msg_id === '') {
		throw errors.invalidArgument('entry.msg_id', 'a non-empty string (it is part of the signature)', entry.msg_id);
	}
	if (typeof entry.timestamp !== 'string' || !Number.isFinite(Date.parse(entry.timestamp))) {
		throw errors.invalidArgument('entry.timestamp', 'an ISO 8601 date string', entry.timestamp);
	}
	if (typeof entry.text !== 'string') throw errors.invalidArgument('entry.text', 'a string', entry.text);
	return toBase64Url(sign(null, leadSignaturePayload(entry), privateKey));
}

/**
Returns a copy of `outgoing` ready for `send()`: `msg_id` (a random UUID) and `timestamp` (now) are fixed first when
missing, then `lead_sig` is set, so the entry written is exactly the one signed. Throws as `signLeadEntry` does.
*/
export function withLeadSignature(
	outgoing: OutgoingEntry,
	privateKey: KeyObject,
): OutgoingEntry & { msg_id: string; timestamp: string; lead_sig: string } {
	const fixed = {
		...outgoing,
		msg_id: outgoing.msg_id ?? randomUUID(),
		timestamp: outgoing.timestamp ?? new Date().toISOString(),
	};
	return { ...fixed, lead_sig: signLeadEntry(fixed, privateKey) };
}

/**
Signs an entry for one recipient: `(entry, recipient) => signed entry`, keeping its `msg_id`. The recipient is the
inbox (teammate name) the entry goes to, so each pane teammate can have its own key, as Claude Code keys them.
*/
export type LeadEntrySigner = (entry: OutgoingEntry, recipient: string) => OutgoingEntry;

/**
A signer that signs with each recipient's own key, as Claude Code 2.1.330 does (one Ed25519 pair per pane teammate,
looked up by its inbox, case-insensitively). An entry for a recipient without a key, or not from exactly a lead name,
goes out unsigned, as Claude Code writes to unkeyed (in-process) teammates. A signed entry copied into another keyed
teammate's inbox does not verify there.
@example
```
const keys = new Map([['ann', createLeadKeyPair()], ['bob', createLeadKeyPair()]]);
const signer = keyPerRecipient((name) => keys.get(name)?.privateKey);
new Leader(team, { signer }); // start ann with --lead-verify-key keys.get('ann').verifyKey
```
*/
export function keyPerRecipient(
	keys: ReadonlyMap<string, KeyObject> | ((recipient: string) => KeyObject | undefined),
): LeadEntrySigner {
	let lookup: (recipient: string) => KeyObject | undefined;
	if (typeof keys === 'function') lookup = keys;
	else {
		// The inbox file names a recipient, and Claude Code keys by that path lower-cased.
		const inboxKey = (name: string) => sanitizePathComponent(name).toLowerCase();
		const byInbox = new Map([...keys].map(([name, key]) => [inboxKey(name), key] as const));
		lookup = (recipient) => byInbox.get(inboxKey(recipient));
	}
	return (entry, recipient) => {
		const key = lookup(recipient);
		return key !== undefined && leadSenderNames.has(entry.from) ? withLeadSignature(entry, key) : entry;
	};
}

/** Whether `from` is, or poses as, a lead name after `normalizeSenderName`. */
export function isLeadLikeName(from: unknown): boolean {
	return typeof from === 'string' && leadSenderNames.has(normalizeSenderName(from));
}

/** An entry read from an inbox, or a signed outgoing one. Fields are type-checked again at run time. */
export type CheckedEntry = Readonly<InboxEntry> | Readonly<OutgoingEntry>;

const SIGNATURE_BYTES = 64;

/**
Classifies entries read by a pane teammate that holds a lead verify key (section 3 of the 2.1.330 notes).
One verifier per teammate process: it remembers spent msg_ids, so a replayed signed entry is refused.
*/
export class LeadVerifier {
	/** When the key was issued (epoch ms, from the verify key). */
	readonly issuedAtMs: number;
	/** Entries timestamped before this (epoch ms) never verify. */
	readonly thresholdMs: number;
	readonly #publicKey: KeyObject;
	readonly #maxSpent: number;
	/** msg_id → its entry's timestamp, oldest first. */
	readonly #spent = new Map<string, number>();
	/** The newest timestamp among forgotten msg_ids; entries at or before it are refused, so eviction opens no replay. */
	#evictedFloorMs = Number.NEGATIVE_INFINITY;

	/** @throws {MailboxError} `INVALID_KEY` for an unusable verify key; `INVALID_ARGUMENT` for bad options. */
	constructor(verifyKey: string, options: LeadVerifierOptions = {}) {
		const { issuedAtMs, publicKey } = parseVerifyKey(verifyKey);
		const processStartMs = options.processStartMs ?? performance.timeOrigin;
		if (!Number.isFinite(processStartMs)) {
			throw errors.invalidArgument('options.processStartMs', 'a finite epoch ms', processStartMs);
		}
		const maxSpent = options.maxSpentIds ?? 4096;
		if (!Number.isSafeInteger(maxSpent) || maxSpent < 1) {
			throw errors.invalidArgument('options.maxSpentIds', 'a positive integer', maxSpent);
		}
		this.issuedAtMs = issuedAtMs;
		this.#publicKey = publicKey;
		this.#maxSpent = maxSpent;
		// One way only, as Claude Code: the process started after the key was made, and within the grace.
		const sinceKeyMs = processStartMs - issuedAtMs;
		const freshKey = sinceKeyMs >= 0 && sinceKeyMs <= LEAD_KEY_GRACE_MS;
		this.thresholdMs = freshKey ? processStartMs - LEAD_KEY_GRACE_MS : processStartMs;
	}

	/** Whether `msgId` was already spent by a verified entry (and is still remembered). */
	isSpent(msgId: string): boolean {
		return this.#spent.has(msgId);
	}

	/**
	Whether `entry` is an authentic, fresh lead entry: msg_id, exact lead `from`, timestamp at or after `thresholdMs`,
	and a valid signature. Replay state is neither read nor changed; use `classify` when reading an inbox.
	*/
	verify(entry: CheckedEntry): boolean {
		return this.#freshTimestamp(entry) !== undefined && this.#signatureValid(entry);
	}

	/**
	Classifies one entry. Verified entries spend their msg_id, so the same entry read again is not verified (and, as
	it comes from a lead name, is then "forged"). Nothing is spent unless the signature verified.
	*/
	classify(entry: CheckedEntry): LeadClassification {
		const timestampMs = this.#freshTimestamp(entry);
		if (
			timestampMs !== undefined &&
			timestampMs > this.#evictedFloorMs &&
			!this.#spent.has(entry.msg_id as string) &&
			this.#signatureValid(entry)
		) {
			this.#spend(entry.msg_id as string, timestampMs);
			return 'verified';
		}
		const text: unknown = entry.text;
		const shutdown = typeof text === 'string' && frameTypeOf(text) === 'shutdown_request';
		return shutdown || isLeadLikeName(entry.from) ? 'forged' : 'unverifiable';
	}

	/** The entry's timestamp in ms when its shape, sender and time qualify for a signature check; else undefined. */
	#freshTimestamp(entry: CheckedEntry): number | undefined {
		const { msg_id, from, timestamp, text } = entry as Record<string, unknown>;
		if (typeof msg_id !== 'string' || msg_id === '' || typeof text !== 'string') return undefined;
		if (typeof from !== 'string' || !leadSenderNames.has(from) || typeof timestamp !== 'string') return undefined;
		const ms = Date.parse(timestamp);
		return ms >= this.thresholdMs ? ms : undefined;
	}

	#signatureValid(entry: CheckedEntry): boolean {
		const encoded: unknown = entry.lead_sig;
		const signature = typeof encoded === 'string' ? fromCanonicalBase64Url(encoded) : undefined;
		if (signature?.length !== SIGNATURE_BYTES) return false;
		try {
			return verify(null, leadSignaturePayload(entry as LeadSignedFields), this.#publicKey, signature);
		} catch {
			return false;
		}
	}

	#spend(msgId: string, timestampMs: number): void {
		this.#spent.set(msgId, timestampMs);
		if (this.#spent.size <= this.#maxSpent) return;
		const [oldestId, oldestMs] = this.#spent.entries().next().value as [string, number];
		this.#spent.delete(oldestId);
		this.#evictedFloorMs = Math.max(this.#evictedFloorMs, oldestMs);
	}
}
