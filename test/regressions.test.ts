import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Inbox, isMailboxError, parseFrame } from '../src/index.js';
import { inputDigest } from '../src/protocol.js';
import { forkTracked as fork, killTracked, nextMessage } from './helpers/fork.js';

import { until } from './helpers/swarm.js';
import { tempDir } from './helpers/temp.js';

afterEach(killTracked);

describe('fuzzer-found regressions', () => {
	// #underLock quarantines before the size check, so a corrupt file whose recovered entries re-serialise (2-space)
	// past maxInboxBytes is copied again on every read, and a watcher rescans every 25 ms: 15 copies a second.
	it('a corrupt inbox that cannot be rewritten within maxInboxBytes is quarantined once, not on every read', async () => {
		const file = path.join(tempDir(), 'agent.json');
		const entry = { from: 'a', text: 'b', timestamp: 'c', nested: { a: { b: [1, 2, 3, 4, 5, 6, 7, 8] } } };
		const corrupt = `[${JSON.stringify(entry)}, tru`;
		writeFileSync(file, corrupt);
		const inbox = new Inbox(file, { maxInboxBytes: corrupt.length + 5, fsync: false });
		for (let read = 0; read < 3; read++) {
			await inbox.read().catch((error: unknown) => expect(isMailboxError(error, 'INBOX_TOO_LARGE')).toBe(true));
		}
		expect(readdirSync(path.dirname(file)).filter((name) => name.includes('.corrupt-'))).toHaveLength(1);
	});

	// #fitSpooled skips a leftover batch's entries only when they are in the plan's result (`base`), not in the file as
	// read: an ack that removes an entry the crashed combiner had already committed puts it straight back.
	it('an entry acked right after a combiner died between commit and cleanup stays acked', async () => {
		const file = path.join(tempDir(), 'agent.json');
		const inbox = new Inbox(file, { staleMs: 2_000 });
		await inbox.send({ from: 'seed', text: 'seed' });
		// A combiner holds the lock; a writer finds it busy and leaves its batch in the spool, then dies.
		const holder = fork('test/fixtures/lock-holder.ts', [file, '2000']);
		await nextMessage(holder, 'locked');
		const writer = fork('test/fixtures/writer.ts', [file, '0', '1', '30000', '2000']);
		await nextMessage(writer, 'ready');
		writer.send('go');
		const spool = `${file}.spool`;
		await until(() => existsSync(spool) && readdirSync(spool).some((name) => name.endsWith('.json')), 'batch spooled');
		writer.kill('SIGKILL');
		// The combiner claims and commits the batch, then dies before deleting the claimed file.
		holder.send('claim');
		await nextMessage(holder, 'claimed');
		holder.send('commit');
		await nextMessage(holder, 'committed');
		holder.kill('SIGKILL');
		const delivered = (await inbox.read()).find((entry) => entry.text === '0:0');
		expect(delivered).toBeDefined();
		expect(await inbox.ack([delivered as NonNullable<typeof delivered>])).toBe(1);
		expect((await inbox.read()).map((entry) => entry.text)).toEqual(['seed']);
	});

	// zod copies a loose object's and a record's keys into a new object, where `__proto__` is dropped. A tool input
	// parsed from JSON may carry it as an own key: the lead's input_digest then differs from the worker's, and the
	// worker refuses every approval of that call. (src/protocol/frame-codec.ts, permission-frames.ts)
	it('parseFrame keeps an own "__proto__" key of a permission_request input, so both sides digest the same input', () => {
		const input = JSON.parse('{"command": "ls", "__proto__": {"x": 1}}') as Record<string, unknown>;
		const text = JSON.stringify({
			type: 'permission_request',
			request_id: 'r',
			agent_id: 'w',
			tool_name: 'Bash',
			tool_use_id: 't',
			description: 'd',
			input,
		});
		const parsed = parseFrame(text);
		if (parsed.kind !== 'frame' || parsed.frame.type !== 'permission_request')
			throw new Error(`not a frame: ${parsed.kind}`);
		expect(inputDigest('Bash', parsed.frame.input)).toBe(inputDigest('Bash', input));
	});
});
