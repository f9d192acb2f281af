/**
The older Claude Code write path, reproduced for comparison (reference: the older snapshot, sections 2.4 and 2.5):
create the file as `[]` with `wx`, take proper-lockfile's mkdir lock on `<inbox>.json.lock` with 10 retries of
5..100 ms (about 655 ms in all, then ELOCKED), read (any error gives []), push `{...message, read: false}`, rewrite
the whole array with a plain truncating writeFile (no temp file, no fsync), unlock. Every error is swallowed, so the
sender is told "sent" either way; here the result says whether the entry really went in, for the harness to count.
*/

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** The older inbox element (no msg_id, no msgV). */
export interface BaselineMessage {
	from: string;
	text: string;
	timestamp: string;
	color?: string;
	read?: boolean;
}

/** proper-lockfile options of the older inbox lock: everything else is the library default (stale 10 s). */
export const baselineLockOptions = (file: string) => ({
	lockfilePath: `${file}.lock`,
	retries: { retries: 10, minTimeout: 5, maxTimeout: 100 },
});

/** Resolves `true` once the message is in the file, `false` when the older code would have dropped it silently. */
export async function baselineWrite(file: string, message: BaselineMessage): Promise<boolean> {
	await mkdir(path.dirname(file), { recursive: true });
	try {
		await writeFile(file, '[]', { encoding: 'utf8', flag: 'wx' });
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
	}
	let release: (() => Promise<void>) | undefined;
	try {
		release = await lockfile.lock(file, baselineLockOptions(file));
		const messages = await baselineRead(file);
		messages.push({ ...message, read: false });
		await writeFile(file, JSON.stringify(messages, null, 2), 'utf8');
		return true;
	} catch {
		return false;
	} finally {
		await release?.().catch(() => {});
	}
}

/** The older `readMailbox`: no lock; a missing file, a partial write or invalid JSON all read as []. */
export async function baselineRead(file: string): Promise<BaselineMessage[]> {
	try {
		return JSON.parse(await readFile(file, 'utf8')) as BaselineMessage[];
	} catch {
		return [];
	}
}
