/**
The older Claude Code reading side (reference: the older snapshot, sections 2.4 and 5): no file watching, a timer
reads the whole inbox every 500 ms (the headless lead and the in-process permission wait; the interactive REPL polls
every 1000 ms, so these figures flatter the older path), with no in-flight guard, so polls can overlap. A poll that
finds unread messages hands them over, then marks every message in the file read under the inbox lock, including any
that arrived after the read (the race the reference calls W3).
*/

import { writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { type BaselineMessage, baselineLockOptions, baselineRead } from './baseline-writer.js';

export const BASELINE_POLL_MS = 500;

/** The older `markMessagesAsRead`: lock, re-read, flag all, rewrite; errors (a missing file, ELOCKED) swallowed. */
export async function baselineMarkAllRead(file: string): Promise<void> {
	let release: (() => Promise<void>) | undefined;
	try {
		release = await lockfile.lock(file, baselineLockOptions(file));
		const messages = await baselineRead(file);
		for (const message of messages) message.read = true;
		await writeFile(file, JSON.stringify(messages, null, 2), 'utf8');
	} catch {
		// The older code logs and carries on.
	} finally {
		await release?.().catch(() => {});
	}
}

/**
Poll `file` every `intervalMs` from now on: each unread batch goes to `onUnread` (synchronously, as the older poller
dispatches before it marks), then a mark-all-read is started and not awaited. Returns a stop function.
*/
export function pollBaselineInbox(
	file: string,
	onUnread: (messages: BaselineMessage[]) => void,
	intervalMs = BASELINE_POLL_MS,
): () => void {
	const poll = async () => {
		const unread = (await baselineRead(file)).filter((message) => !message.read);
		if (unread.length === 0) return;
		onUnread(unread);
		void baselineMarkAllRead(file);
	};
	void poll();
	const timer = setInterval(() => void poll(), intervalMs);
	return () => clearInterval(timer);
}
