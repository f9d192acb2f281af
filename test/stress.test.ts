import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Inbox, type InboxEntry } from '../src/index.js';
import { runWriters } from './helpers/fork.js';
import { tempDir } from './helpers/temp.js';

const WRITERS = 16;
const SENDS_PER_WRITER = 50;
const TOTAL = WRITERS * SENDS_PER_WRITER;
/** The parent acks what the watcher yielded in batches of at most this many. */
const ACK_BATCH = 8;
/** Raw unlocked reads the checker must manage (each one parsed), and distinct file states among them. */
const MIN_RAW_READS = 100;
const MIN_RAW_STATES = 20;
/** After the last writer is done, everything must be delivered and acked within this. */
const DRAIN_DEADLINE_MS = 20_000;

/** Poll an in-memory or file-system condition until it holds or the deadline passes. */
async function waitUntil(condition: () => boolean, deadlineMs: number, what: () => string): Promise<void> {
	const end = Date.now() + deadlineMs;
	while (!condition()) {
		if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what()}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
	const counts = new Map<string, number>();
	for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
	return counts;
}

describe('many writer processes and one watching reader', () => {
	it(`delivers each of ${WRITERS} × ${SENDS_PER_WRITER} cross-process sends exactly once, and the file always parses`, async () => {
		const dir = tempDir();
		const file = path.join(dir, 'lead.json');
		const inbox = new Inbox(file);

		// Checker: the file is only ever replaced by rename, so an unlocked read must always see a whole JSON array.
		let checking = true;
		let rawReads = 0;
		const rawStates = new Set<number>(); // distinct lengths seen, to show the reads overlapped the writes
		const rawFailures: string[] = [];
		const checker = (async () => {
			while (checking) {
				let text: string;
				try {
					text = await readFile(file, 'utf8');
				} catch (error) {
					if ((error as NodeJS.ErrnoException).code !== 'ENOENT') rawFailures.push(String(error));
					await new Promise((resolve) => setTimeout(resolve, 5)); // not created yet
					continue;
				}
				rawReads++;
				rawStates.add(text.length);
				try {
					const value: unknown = JSON.parse(text);
					if (!Array.isArray(value)) rawFailures.push(`not an array: ${text.slice(0, 80)}`);
				} catch (error) {
					rawFailures.push(`unparseable (${(error as Error).message}): ${text.slice(-80)}`);
				}
			}
		})();

		// Reader: watch, and ack what was yielded in small batches as it comes (one ack at a time).
		const watcher = inbox.watch();
		await watcher.ready();
		const delivered: InboxEntry[] = [];
		const toAck: InboxEntry[] = [];
		let acked = 0;
		let acking: Promise<void> | undefined;
		const ackErrors: unknown[] = [];
		const pumpAcks = () => {
			if (acking || toAck.length === 0) return;
			const batch = toAck.splice(0, ACK_BATCH);
			acking = inbox
				.ack(batch)
				.then(
					(removed) => {
						acked += removed;
					},
					(error: unknown) => {
						ackErrors.push(error);
					},
				)
				.finally(() => {
					acking = undefined;
					pumpAcks();
				});
		};
		const reading = (async () => {
			for await (const entry of watcher) {
				delivered.push(entry);
				toAck.push(entry);
				pumpAcks();
			}
		})();

		const report = await runWriters('test/fixtures/writer.ts', file, WRITERS, SENDS_PER_WRITER);
		const sentIds = new Set(report.sent.map((sent) => sent.id));
		await waitUntil(
			() => delivered.length >= TOTAL && acked === delivered.length && acking === undefined,
			DRAIN_DEADLINE_MS,
			() => `delivery (${delivered.length} delivered, ${acked} acked of ${report.sent.length} sent)`,
		);
		checking = false;
		await checker;
		await watcher.close();
		await reading;

		expect(report.failed).toEqual([]);
		expect(report.sent).toHaveLength(TOTAL);
		const expectedTexts = Array.from({ length: WRITERS }, (_, writer) =>
			Array.from({ length: SENDS_PER_WRITER }, (_, index) => `${writer}:${index}`),
		).flat();
		expect(report.sent.map((sent) => sent.text).sort()).toEqual([...expectedTexts].sort());
		expect(sentIds.size).toBe(TOTAL);

		// Exactly once, by msg_id and by text; nothing delivered that was not sent, each with the text it was sent with.
		expect([...countBy(delivered, (entry) => entry.msg_id ?? '')].filter(([, n]) => n !== 1)).toEqual([]);
		expect([...countBy(delivered, (entry) => entry.text)].filter(([, n]) => n !== 1)).toEqual([]);
		expect(delivered).toHaveLength(TOTAL);
		const textOf = new Map(report.sent.map((sent) => [sent.id, sent.text]));
		for (const entry of delivered) {
			expect(textOf.get(entry.msg_id ?? ''), `delivered ${entry.text}`).toBe(entry.text);
			expect(entry.from).toBe(`w${entry.text.split(':')[0]}`);
		}

		expect(ackErrors).toEqual([]);
		expect(acked).toBe(TOTAL);
		expect(rawFailures).toEqual([]);
		expect(rawReads).toBeGreaterThanOrEqual(MIN_RAW_READS);
		expect(rawStates.size).toBeGreaterThanOrEqual(MIN_RAW_STATES);

		// Nothing undelivered is left behind: the file is an empty array and no batch waits in the spool.
		expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([]);
		const spool = `${file}.spool`;
		expect(existsSync(spool) ? readdirSync(spool).filter((name) => /\.(json|claimed)$/.test(name)) : []).toEqual([]);
		expect(existsSync(`${file}.lock`)).toBe(false);
		console.info(
			`stress: ${TOTAL} sends by ${WRITERS} processes in ${Math.round(report.elapsedMs)} ms; ${rawReads} raw reads of ${rawStates.size} states`,
		);
	}, 120_000);
});
