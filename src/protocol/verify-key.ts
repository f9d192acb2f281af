/**
Lead key pairs in Claude Code 2.1.330's shape. The leader makes one Ed25519 pair per pane teammate, keeps the
private half in memory and hands the public half to the teammate as `--lead-verify-key <ms>.<base64url SPKI DER>`.
Claude Code silently ignores a verify key it cannot use; this module refuses it with an `INVALID_KEY` error instead,
so a misconfigured teammate fails loudly rather than running without lead-entry verification.
*/

import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { errors } from '../errors.js';

/** A fresh lead key pair: keep `privateKey` in memory only; pass `verifyKey` to the teammate. */
export interface LeadKeyPair {
	/** Ed25519 private key. Never write it to disk: Claude Code keeps it only in the leader's memory. */
	privateKey: KeyObject;
	/** `<Date.now()>.<base64url SPKI DER>`, the value of the teammate's `--lead-verify-key`. */
	verifyKey: string;
}

/** A parsed `--lead-verify-key` value. */
export interface VerifyKey {
	/** Epoch ms when the leader built the teammate's command line (the number before the dot). */
	issuedAtMs: number;
	/** The Ed25519 public key. */
	publicKey: KeyObject;
}

/** The exact shape Claude Code accepts: digits, a dot, then base64url characters. */
const verifyKeyPattern = /^(\d+)\.([\w-]+)$/;

/** Base64url with no padding, as Node's `toString('base64url')` writes it. */
export function toBase64Url(bytes: Uint8Array): string {
	return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
Decodes base64url, or returns undefined unless `text` is the canonical unpadded encoding of its bytes. Node's
decoder skips characters it does not know and ignores stray low bits, so several strings decode to the same bytes;
requiring the canonical form keeps exactly one accepted spelling per key or signature.
*/
export function fromCanonicalBase64Url(text: string): Buffer | undefined {
	if (!/^[\w-]*$/.test(text)) return undefined;
	const bytes = Buffer.from(text, 'base64url');
	return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Makes a new Ed25519 lead key pair, stamped with the current time. */
export function createLeadKeyPair(): LeadKeyPair {
	const { privateKey } = generateKeyPairSync('ed25519');
	return { privateKey, verifyKey: verifyKeyFor(privateKey) };
}

/**
The `--lead-verify-key` value matching a lead private key (e.g. one loaded from a PEM file), stamped `issuedAtMs`.
@throws {MailboxError} `INVALID_KEY` unless `privateKey` is an Ed25519 private `KeyObject`.
*/
export function verifyKeyFor(privateKey: KeyObject, issuedAtMs: number = Date.now()): string {
	assertLeadPrivateKey(privateKey);
	const der = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
	return `${issuedAtMs}.${toBase64Url(der)}`;
}

/**
Parses a `--lead-verify-key` value.
@throws {MailboxError} `INVALID_KEY` when `text` is not `<digits>.<base64url>`, the time is not a safe integer, the
bytes are not a valid SPKI DER public key, or the key is not Ed25519.
*/
export function parseVerifyKey(text: string): VerifyKey {
	if (typeof text !== 'string') throw errors.invalidVerifyKey(text, 'expected a string');
	const match = verifyKeyPattern.exec(text);
	if (match === null) {
		const reason = text.trim() !== text ? 'it has surrounding whitespace' : 'it is not `<digits>.<base64url>`';
		throw errors.invalidVerifyKey(text, reason);
	}
	const [, digits = '', encoded = ''] = match;
	const issuedAtMs = Number(digits);
	if (!Number.isSafeInteger(issuedAtMs)) {
		throw errors.invalidVerifyKey(text, 'the issued-at time before the dot is too large to be epoch milliseconds');
	}
	const der = fromCanonicalBase64Url(encoded);
	if (der === undefined)
		throw errors.invalidVerifyKey(text, 'the part after the dot is not canonical unpadded base64url');
	let publicKey: KeyObject;
	try {
		publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
	} catch (cause) {
		throw errors.invalidVerifyKey(text, 'the part after the dot is not an SPKI DER public key', cause);
	}
	if (publicKey.asymmetricKeyType !== 'ed25519') {
		throw errors.invalidVerifyKey(text, `it is a ${publicKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
	}
	return { issuedAtMs, publicKey };
}

/**
Checks that `key` can sign lead entries.
@throws {MailboxError} `INVALID_KEY` unless it is an Ed25519 private `KeyObject`.
*/
export function assertLeadPrivateKey(key: unknown): asserts key is KeyObject {
	if (!(key instanceof KeyObject)) throw errors.invalidSigningKey('is not a KeyObject');
	if (key.type !== 'private') throw errors.invalidSigningKey(`is a ${key.type} key, not a private one`);
	if (key.asymmetricKeyType !== 'ed25519') {
		throw errors.invalidSigningKey(`is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
	}
}
