/**
Hostile bytes as a real inbox file on disk, then one operation through `Inbox`: it never throws, a corrupt file is
quarantined exactly once and byte for byte, the file is a valid array afterwards, and no complete valid entry is lost.
*/
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInboxText, serializeInbox } from '../src/inbox/codec.js';
import { Inbox, type QuarantineEvent } from '../src/index.js';
import { check, fuzzOptions } from './helpers/fuzz.js';
import { anyString, canonical, damagedInbox, missingFrom, shallowEntryText } from './helpers/inbox-arbitraries.js';
import { tempDir } from './helpers/temp.js';

interface Case {
	bytes: Buffer;
	/** JSON texts of the complete valid entries a careful reader must keep. */
	entries: string[];
}

const intactInbox = fc.array(shallowEntryText, { maxLength: 5 }).map(
	(texts): Case => ({
		bytes: Buffer.from(serializeInbox(texts.map((text) => JSON.parse(text) as unknown))),
		entries: texts,
	}),
);

const hostileFile: fc.Arbitrary<Case> = fc.oneof(
	{ weight: 4, arbitrary: damagedInbox.map(({ bytes, entries }): Case => ({ bytes, entries })) },
	{ weight: 1, arbitrary: intactInbox },
	{
		weight: 1,
		arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): Case => ({ bytes: Buffer.from(bytes), entries: [] })),
	},
	{ weight: 1, arbitrary: anyString.map((text): Case => ({ bytes: Buffer.from(text), entries: [] })) },
);

type Operation = 'read' | 'unread' | 'inspect' | 'send' | 'ack' | 'clear';
const operation = fc.constantFrom<Operation>('read', 'unread', 'inspect', 'send', 'ack', 'clear');

async function apply(inbox: Inbox, op: Operation, text: string): Promise<{ returned: unknown[]; sentId?: string }> {
	switch (op) {
		case 'read':
			return { returned: await inbox.read() };
		case 'unread':
			return { returned: await inbox.unread() };
		case 'inspect':
			return { returned: (await inbox.inspect()).entries };
		case 'send':
			return { returned: [], sentId: await inbox.send({ from: 'fuzz', text }) };
		case 'ack':
			// An id that matches nothing: a locked pass over the file that must change no entry.
			await inbox.ack(['00000000-0000-4000-8000-000000000000']);
			return { returned: [] };
		case 'clear':
			await inbox.clear();
			return { returned: [] };
	}
}

const canonicalEntries = (entries: readonly unknown[]) => entries.map(canonical);

describe('inbox on disk fuzzing', () => {
	it('any bytes as the inbox file: typed behaviour, one byte-exact quarantine, no valid entry lost', async () => {
		const root = tempDir();
		let run = 0;
		await check(
			fc.asyncProperty(hostileFile, operation, anyString, async ({ bytes, entries }, op, text) => {
				const directory = path.join(root, String(run++));
				mkdirSync(directory);
				const file = path.join(directory, 'agent.json');
				writeFileSync(file, bytes);
				const original = bytes.toString('utf8');
				const corrupt = !parseInboxText(original).ok;
				const expected = op === 'clear' ? [] : entries.map((entry) => canonical(JSON.parse(entry)));

				const inbox = new Inbox(file, { fsync: false });
				const quarantines: QuarantineEvent[] = [];
				inbox.on('quarantine', (event) => quarantines.push(event));
				const { returned, sentId } = await apply(inbox, op, text);

				expect(missingFrom(canonicalEntries(returned), op === 'read' || op === 'inspect' ? expected : [])).toEqual([]);
				expect(quarantines.length).toBe(corrupt ? 1 : 0);
				for (const event of quarantines) expect(readFileSync(event.quarantinePath).equals(bytes)).toBe(true);
				const after = readFileSync(file);
				if (!corrupt && (op === 'read' || op === 'unread' || op === 'inspect')) expect(after.equals(bytes)).toBe(true);
				expect(parseInboxText(after.toString('utf8')).ok).toBe(true);

				// A second reader sees every valid entry (and the sent one, once); the repaired file is not quarantined again.
				const again = new Inbox(file, { fsync: false });
				again.on('quarantine', (event) => quarantines.push(event));
				const entriesAfter = await again.read();
				expect(missingFrom(canonicalEntries(entriesAfter), expected)).toEqual([]);
				if (op === 'clear') expect(entriesAfter).toEqual([]);
				if (sentId !== undefined) expect(entriesAfter.filter((entry) => entry.msg_id === sentId)).toHaveLength(1);
				expect(quarantines.length).toBe(corrupt ? 1 : 0);
				expect(readdirSync(directory).filter((name) => name.includes('.corrupt-'))).toHaveLength(corrupt ? 1 : 0);
			}),
			fuzzOptions(120),
		);
	});
});
