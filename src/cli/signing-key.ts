/**
`--signing-key FILE`: the lead's Ed25519 private key (PKCS#8 PEM), so the responses `lead`, `approve` and `deny`
write carry a `lead_sig` that workers started with `--lead-verify-key` accept.
*/

import { createPrivateKey, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { errors, isMailboxError } from '../errors.js';
import { readFile } from '../fs/fs-seam.js';
import type { OutgoingEntry } from '../inbox/entry.js';
import { verifyKeyFor, withLeadSignature } from '../protocol/signing.js';

/** A loaded signing key. */
export interface LeadSigner {
	/** Signs a response entry (keeps its msg_id), as `LeaderOptions.signer` expects. */
	sign: (entry: OutgoingEntry) => OutgoingEntry;
	/** The `--lead-verify-key` value workers need, stamped now. */
	verifyKey: string;
}

/**
Load the key in `file`, or `undefined` without a file.
@throws {MailboxError} `INVALID_KEY` when the file is unreadable or not an Ed25519 private key.
*/
export async function loadSigner(file: string | undefined): Promise<LeadSigner | undefined> {
	if (file === undefined) return undefined;
	const resolved = path.resolve(file);
	let key: KeyObject;
	try {
		key = createPrivateKey(await readFile(resolved));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const reason =
			code?.startsWith('E') && !code.startsWith('ERR_') ? `cannot read it: ${code}` : 'not a PEM private key';
		throw errors.signingKeyFile(resolved, reason, error);
	}
	let verifyKey: string;
	try {
		verifyKey = verifyKeyFor(key);
	} catch (error) {
		if (!isMailboxError(error)) throw error;
		throw errors.signingKeyFile(resolved, `it is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`, error);
	}
	return { sign: (entry) => withLeadSignature(entry, key), verifyKey };
}
