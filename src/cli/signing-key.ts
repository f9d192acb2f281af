/**
`--signing-key FILE|DIR`: the lead's Ed25519 private keys (PKCS#8 PEM), so the responses `lead`, `approve` and `deny`
write carry a `lead_sig` that workers started with `--lead-verify-key` accept. A directory holds one key per pane
teammate, `<teammate>.pem`, as Claude Code keys each pane teammate separately: an answer signed for one teammate does
not verify in another's inbox. A single file signs for every teammate. `verify-key` prints the `--lead-verify-key`
value a runner passes to a teammate it spawns.
*/

import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { Command } from 'commander';
import { errors, isMailboxError } from '../errors.js';
import { readdirSync, readFileSync, statSync, writeFileSync } from '../fs/fs-seam.js';
import { keyPerRecipient, type LeadEntrySigner, verifyKeyFor, withLeadSignature } from '../protocol/signing.js';
import { sanitizePathComponent } from '../team/paths.js';
import { globalOptions } from './context.js';
import { writeJson, writeLine } from './output.js';

/** Loaded signing keys. */
export interface LeadSigner {
	/** Signs a response entry for its recipient (keeps its msg_id), as `LeaderOptions.signer` expects. */
	sign: LeadEntrySigner;
	/** With a single key file: the `--lead-verify-key` value every worker needs, stamped now. */
	verifyKey: string | undefined;
}

const KEY_SUFFIX = '.pem';

function readKey(file: string): KeyObject {
	let key: KeyObject;
	try {
		key = createPrivateKey(readFileSync(file));
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const reason =
			code?.startsWith('E') && !code.startsWith('ERR_') ? `cannot read it: ${code}` : 'not a PEM private key';
		throw errors.signingKeyFile(file, reason, error);
	}
	try {
		verifyKeyFor(key);
	} catch (error) {
		if (!isMailboxError(error)) throw error;
		throw errors.signingKeyFile(file, `it is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`, error);
	}
	return key;
}

/** The key file of `teammate` in a key directory (named like its inbox file). */
export function teammateKeyFile(directory: string, teammate: string): string {
	return path.join(directory, `${sanitizePathComponent(teammate)}${KEY_SUFFIX}`);
}

/**
The keys of a key directory, by teammate. Every `*.pem` there is checked now (a bad one fails the command), and a
teammate whose key file appears later is picked up at its first answer.
*/
function directorySigner(directory: string): LeadEntrySigner {
	const keys = new Map<string, KeyObject>();
	for (const name of readdirSync(directory)) {
		if (name.endsWith(KEY_SUFFIX))
			keys.set(name.slice(0, -KEY_SUFFIX.length).toLowerCase(), readKey(path.join(directory, name)));
	}
	return keyPerRecipient((teammate) => {
		const stem = sanitizePathComponent(teammate).toLowerCase();
		let key = keys.get(stem);
		if (key === undefined) {
			const file = teammateKeyFile(directory, teammate);
			if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return undefined; // an unkeyed teammate
			key = readKey(file);
			keys.set(stem, key);
		}
		return key;
	});
}

/**
Load the key file or key directory at `location`, or `undefined` without one.
@throws {MailboxError} `INVALID_KEY` when it is unreadable or a key in it is not an Ed25519 private key.
*/
export async function loadSigner(location: string | undefined): Promise<LeadSigner | undefined> {
	if (location === undefined) return undefined;
	const resolved = path.resolve(location);
	if (statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) {
		return { sign: directorySigner(resolved), verifyKey: undefined };
	}
	const key = readKey(resolved);
	return { sign: (entry) => withLeadSignature(entry, key), verifyKey: verifyKeyFor(key) };
}

/**
The `--lead-verify-key` value for `teammate` (stamped now) from a key file or key directory; with `create`, a missing
key file in the directory is made first (0600).
*/
export function teammateVerifyKey(location: string, teammate: string | undefined, create = false): string {
	const resolved = path.resolve(location);
	if (!statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) return verifyKeyFor(readKey(resolved));
	if (teammate === undefined) {
		throw errors.invalidArgument('teammate', 'a teammate name (the key directory holds one key per teammate)', '');
	}
	const file = teammateKeyFile(resolved, teammate);
	if (create && !statSync(file, { throwIfNoEntry: false })) {
		const { privateKey } = generateKeyPairSync('ed25519');
		writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
	}
	return verifyKeyFor(readKey(file));
}

export function verifyKeyCommand(): Command {
	return new Command('verify-key')
		.description("print the --lead-verify-key value for a teammate from the lead's --signing-key file or directory")
		.argument('<key>', 'a PKCS#8 PEM key file, or a directory of <teammate>.pem keys')
		.argument('[teammate]', 'the teammate (required with a directory)')
		.option('--create', "make the teammate's key in the directory first if it has none")
		.action((location: string, teammate: string | undefined, flags: { create?: boolean }, self: Command) => {
			const verifyKey = teammateVerifyKey(location, teammate, flags.create === true);
			if (globalOptions(self).json) writeJson({ teammate: teammate ?? null, verifyKey });
			else writeLine(verifyKey);
		});
}
