/**
The combiner fits spooled batches under `maxInboxBytes` by the file's size in bytes: an inbox of multi-byte text is
larger in bytes than in UTF-16 units, and a batch that fits only by the smaller count must be refused as too large
without costing the combiner's own send.
*/
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool } from '../src/inbox/spool.js';
import { Inbox } from '../src/index.js';
import { tempDir } from './helpers/temp.js';

describe('batch fitting counts bytes', () => {
	it('refuses a spooled batch that fits only when multi-byte text is counted in UTF-16 units', async () => {
		const file = path.join(tempDir(), 'lead.json');
		await new Inbox(file).send({ from: 'setup', text: 'é'.repeat(3_000) }); // 6,000 bytes, 3,000 units
		const fileBytes = statSync(file).size;
		expect(readFileSync(file, 'utf8').length).toBe(fileBytes - 3_000);

		const inbox = new Inbox(file, { maxInboxBytes: fileBytes + 1_500 });
		const entry = (text: string) => ({
			from: 'other',
			text,
			timestamp: new Date().toISOString(),
			read: false,
			msg_id: randomUUID(),
		});
		// ~1,650 bytes: over the limit by bytes, under it by UTF-16 units.
		const spool = new Spool(file, 0o600, 0o700);
		const big = await spool.deposit([entry('b'.repeat(1_500))]);
		const small = await spool.deposit([entry('s')]);

		const id = await inbox.send({ from: 'mine', text: 'a' });
		expect(spool.status(big)).toBe('full');
		expect(spool.status(small)).toBe('committed');
		const items = await inbox.read();
		expect(
			items
				.map((item) => item.text)
				.slice(1)
				.sort(),
		).toEqual(['a', 's']);
		expect(items.some((item) => item.msg_id === id)).toBe(true);
		expect(statSync(file).size).toBeLessThanOrEqual(fileBytes + 1_500);
		spool.release(big);
		spool.release(small);
	});
});
