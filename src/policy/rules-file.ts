/**
The policy's rules file on disk: `{version: 1, allow, deny, ask, networkAllow, networkDeny}` in Claude Code settings
syntax, read without following links, checked rule by rule, and written atomically (0600) by a holder of its lock.
*/

import { z } from 'zod';
import { errors } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { statSync } from '../fs/fs-seam.js';
import { readFileNoFollow } from '../fs/read-file.js';
import { RuleSet, type RuleSetSpec } from './rule-set.js';

const rulesFileSchema = z.looseObject({
	version: z.literal(1).optional(),
	allow: z.array(z.string()).optional(),
	deny: z.array(z.string()).optional(),
	ask: z.array(z.string()).optional(),
	networkAllow: z.array(z.string()).optional(),
	networkDeny: z.array(z.string()).optional(),
});

/** What changes when the file is rewritten (by rename or in place); `'absent'` when there is none. */
export function rulesFileStamp(file: string): string {
	// A small local call: made for every request the policy decides, where a thread-pool round trip costs more.
	const stats = statSync(file, { throwIfNoEntry: false });
	return stats ? `${stats.mtimeMs}:${stats.ctimeMs}:${stats.size}:${stats.ino}` : 'absent';
}

/**
The rules in `file` (none when it is absent) and the stamp they were read at.
@throws {MailboxError} `CORRUPT_CONFIG` for unparseable JSON, a wrong shape or an invalid rule or host pattern.
*/
export async function readRulesFile(file: string): Promise<{ spec: RuleSetSpec; stamp: string }> {
	const stamp = rulesFileStamp(file);
	const read = await readFileNoFollow(file);
	if (!read) return { spec: {}, stamp: 'absent' };
	let value: unknown;
	try {
		value = JSON.parse(read.bytes.toString('utf8'));
	} catch (error) {
		throw errors.corruptRules(file, 'unparseable JSON', error);
	}
	const parsed = rulesFileSchema.safeParse(value);
	if (!parsed.success) throw errors.corruptRules(file, z.prettifyError(parsed.error).replaceAll('\n', ' '));
	try {
		new RuleSet(parsed.data); // validates every rule and host pattern
	} catch (error) {
		throw errors.corruptRules(file, (error as Error).message, error);
	}
	return { spec: parsed.data, stamp };
}

/** Replace `file` with `spec` (the caller holds its lock; `assertHeld` runs just before the rename). */
export async function writeRulesFile(file: string, spec: RuleSetSpec, assertHeld: () => void): Promise<void> {
	const text = `${JSON.stringify({ version: 1, ...spec }, null, 2)}\n`;
	await writeFileAtomic(file, text, { mode: 0o600, beforeCommit: assertHeld });
}
