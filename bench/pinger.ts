/**
Forked sender for the latency bench: sends `count` messages `gapMs` apart and reports, for each, the wall-clock
instants (ms since the epoch, sub-ms precision) when send() started and resolved.
argv: <inboxPath> <count> <gapMs> [polling]
*/
import { setTimeout as sleep } from 'node:timers/promises';
import { Inbox } from '../src/index.js';

const [file, countText, gapText] = process.argv.slice(2) as [string, string, string];
const inbox = new Inbox(file);
const now = () => performance.timeOrigin + performance.now();

process.on('message', async (message) => {
	if (message !== 'go') return;
	for (let index = 0; index < Number(countText); index++) {
		const started = now();
		await inbox.send({ from: 'pinger', text: String(index) });
		process.send?.({ kind: 'sent', index, started, resolved: now() });
		await sleep(Number(gapText));
	}
	process.send?.({ kind: 'done' }, () => process.disconnect());
});
await new Inbox(`${file}.warmup`).send({ from: 'warmup', text: 'warmup' });
process.send?.({ kind: 'ready' });
