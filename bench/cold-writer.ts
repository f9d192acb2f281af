/**
A fresh writer process for the cold send path (cold-writers.ts): loads one write path, sends two warm-up messages into
a private inbox, reports `prepared` (with the time of each warm-up send), waits for `go`, sends `count` messages one
after another into the shared inbox, reports the result and exits. Arguments: impl, shared file, warm-up file,
writer id, count. Run without an IPC channel it goes at once (for `node --cpu-prof`).
*/

import { rm } from 'node:fs/promises';

const [impl = 'ours', file = '', warmupFile = '', writerId = '0', countText = '30'] = process.argv.slice(2);
const count = Number(countText);

const loadStarted = performance.now();
type Send = (target: string, text: string) => Promise<boolean>;
let send: Send;
if (impl === 'ours') {
	const { Inbox } = await import('../src/inbox/inbox.js');
	const inboxes = new Map<string, InstanceType<typeof Inbox>>();
	send = async (target, text) => {
		let inbox = inboxes.get(target);
		if (!inbox) {
			inbox = new Inbox(target);
			inboxes.set(target, inbox);
		}
		await inbox.send({ from: `w${writerId}`, text });
		return true;
	};
} else {
	const { baselineWrite } = await import('./baseline-writer.js');
	send = (target, text) => baselineWrite(target, { from: `w${writerId}`, text, timestamp: new Date().toISOString() });
}
const loadMs = performance.now() - loadStarted;

const warmupMs: number[] = [];
for (let index = 0; index < 2; index++) {
	const started = performance.now();
	await send(warmupFile, `warmup:${index}`);
	warmupMs.push(performance.now() - started);
}
await rm(warmupFile, { force: true });

const go = process.send
	? new Promise<void>((resolve) => {
			process.once('message', () => resolve());
			process.send?.({ kind: 'prepared', loadMs, warmupMs });
		})
	: Promise.resolve();
await go;

const failed: string[] = [];
const sendMs: number[] = [];
const cpu = process.cpuUsage();
for (let index = 0; index < count; index++) {
	const text = `${writerId}:${index}`;
	const started = performance.now();
	try {
		if (!(await send(file, text))) failed.push(text);
	} catch {
		failed.push(text);
	}
	sendMs.push(performance.now() - started);
}
const used = process.cpuUsage(cpu);
const result = { kind: 'result', failed, sendMs, cpuMs: (used.user + used.system) / 1000 };
if (process.send) process.send(result, () => process.exit(0));
else console.log(JSON.stringify({ loadMs, warmupMs, sendMs: sendMs.slice(0, 5), cpuMs: result.cpuMs }));
