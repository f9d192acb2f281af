/**
The older Claude Code write path, reproduced for comparison (see the reference's older snapshot, section 2.4/2.5):
create the file with `wx`, proper-lockfile with 10 retries of 5..100 ms on `<inbox>.lock`, read (any error → []),
push, plain truncating writeFile, unlock; every error swallowed, so a failed send "succeeds" silently.
argv: <inboxPath> <writerId> <count>
*/
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

const [initialFile, writerId, countText] = process.argv.slice(2) as [string, string, string];
let file = initialFile;
const send = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));

async function writeToMailbox(message: { from: string; text: string; timestamp: string }): Promise<boolean> {
	await mkdir(path.dirname(file), { recursive: true });
	try {
		await writeFile(file, '[]', { encoding: 'utf8', flag: 'wx' });
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
	}
	let release: (() => Promise<void>) | undefined;
	try {
		release = await lockfile.lock(file, {
			lockfilePath: `${file}.lock`,
			retries: { retries: 10, minTimeout: 5, maxTimeout: 100 },
		});
		let messages: unknown[];
		try {
			messages = JSON.parse(await readFile(file, 'utf8'));
		} catch {
			messages = [];
		}
		messages.push({ ...message, read: false });
		await writeFile(file, JSON.stringify(messages, null, 2), 'utf8');
		return true;
	} catch {
		return false;
	} finally {
		await release?.().catch(() => {});
	}
}

async function warmUp(): Promise<void> {
	const saved = file;
	file = `${saved}.warmup-${writerId}`;
	await writeToMailbox({ from: 'warmup', text: 'warmup', timestamp: new Date().toISOString() });
	await rm(file, { force: true });
	file = saved;
}

process.on('message', async (message) => {
	if (message !== 'go') return;
	for (let index = 0; index < Number(countText); index++) {
		const text = `${writerId}:${index}`;
		// The caller is told "sent" either way, as the old code did; the harness counts what really landed.
		const ok = await writeToMailbox({ from: `w${writerId}`, text, timestamp: new Date().toISOString() });
		await send({ kind: ok ? 'sent' : 'failed', id: randomUUID(), text });
	}
	await send({ kind: 'done' });
	process.disconnect();
});
await warmUp();
process.send?.({ kind: 'ready' });
