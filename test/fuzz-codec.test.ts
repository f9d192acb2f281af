/**
Property tests of the pure inbox codec against hostile text: parsing never throws, recovery keeps every complete
well-formed element next to damage, and a file written as Claude Code writes it survives parse + serialise byte for byte.
*/
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendToInboxText, parseInboxText, recoverObjects, serializeInbox } from '../src/inbox/codec.js';
import { check, fuzzOptions } from './helpers/fuzz.js';
import {
	anyString,
	canonical,
	codeUnit,
	damagedInbox,
	deepText,
	extremeEntryText,
	jsonText,
	missingFrom,
	shallowEntryText,
} from './helpers/inbox-arbitraries.js';

const anyText = fc.oneof(
	fc.string({ unit: codeUnit, maxLength: 200 }),
	fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
	jsonText,
	fc.array(jsonText, { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
);

function itemsOf(text: string): unknown[] {
	const parsed = parseInboxText(text);
	return parsed.ok ? parsed.items : parsed.recovered;
}

/** The rewrite the inbox store makes of `text`: with the original text as source when it parsed. */
function rewrite(text: string): string {
	const parsed = parseInboxText(text);
	return parsed.ok ? serializeInbox(parsed.items, { text, items: parsed.items }) : serializeInbox(parsed.recovered);
}

/** Parses as JSON, or `undefined` when JSON.parse refuses the text. */
function jsonOrUndefined(text: string): { value: unknown } | undefined {
	try {
		return { value: JSON.parse(text) };
	} catch {
		return undefined;
	}
}

describe('inbox codec fuzzing', () => {
	it('parseInboxText and recoverObjects never throw, and agree with JSON.parse on what is an intact array', async () => {
		await check(
			fc.property(anyText, (text) => {
				const parsed = parseInboxText(text);
				const json = jsonOrUndefined(text);
				if (text.trim() === '') expect(parsed).toEqual({ ok: true, items: [] });
				else if (json && Array.isArray(json.value)) expect(parsed.ok).toBe(true);
				else expect(parsed.ok).toBe(false);
				for (const item of recoverObjects(text)) expect(typeof item === 'object' && item !== null).toBe(true);
				// Whatever was read can be written back.
				expect(parseInboxText(rewrite(text)).ok).toBe(true);
			}),
			fuzzOptions(400),
		);
	});

	it('keeps every complete well-formed object next to damaged, junk or cut-off elements', async () => {
		await check(
			fc.property(damagedInbox, ({ bytes, objects }) => {
				const items = itemsOf(bytes.toString('utf8'));
				const expected = objects.map((text) => canonical(JSON.parse(text)));
				expect(missingFrom(items.map(canonical), expected)).toEqual([]);
				// The recovered entries can always be written back (deep ones too), and read again unchanged.
				const rewritten = rewrite(bytes.toString('utf8'));
				expect(itemsOf(rewritten).map(canonical)).toEqual(items.map(canonical));
			}),
			fuzzOptions(150),
		);
	});

	it("a corrupt file's recovered entries can be written back, however deep", async () => {
		const entries = fc.array(fc.oneof(shallowEntryText, extremeEntryText), { minLength: 1, maxLength: 3 });
		const damage = fc.constantFrom('', ',', ', {"from": "cut', ', tru\n]', ' oops');
		await check(
			fc.property(entries, damage, fc.boolean(), (texts, tail, alone) => {
				// A lone object is a corrupt (non-array) file too; its one entry is recovered.
				const text = alone ? (texts[0] as string) : `[\n  ${texts.join(',\n  ')}${tail}`;
				const expected = (alone ? texts.slice(0, 1) : texts).map((entry) => canonical(JSON.parse(entry)));
				expect(parseInboxText(text).ok).toBe(false);
				expect(itemsOf(rewrite(text)).map(canonical)).toEqual(expected);
			}),
			fuzzOptions(12),
		);
	});

	it('a truncated file keeps every entry that ends before the cut, even right at it', async () => {
		await check(
			fc.property(fc.array(shallowEntryText, { minLength: 1, maxLength: 5 }), fc.nat(), (entries, seed) => {
				const items = entries.map((text) => JSON.parse(text) as unknown);
				const text = serializeInbox(items);
				const cut = seed % (text.length + 1);
				let from = 0;
				const kept = items.filter((item) => {
					const rendered = JSON.stringify(item, null, 2).replaceAll('\n', '\n  ');
					from = text.indexOf(rendered, from) + rendered.length;
					return from <= cut;
				});
				expect(missingFrom(itemsOf(text.slice(0, cut)).map(canonical), kept.map(canonical))).toEqual([]);
			}),
			fuzzOptions(300),
		);
	});

	it('serialise(parse(x)) is x for a file written as Claude Code writes it, and appends match a rewrite', async () => {
		await check(
			fc.property(
				fc.array(jsonText, { maxLength: 6 }),
				fc.array(shallowEntryText, { maxLength: 3 }),
				(elements, added) => {
					const more = added.map((text) => JSON.parse(text) as unknown);
					const text = JSON.stringify(JSON.parse(`[${elements.join(',')}]`), null, 2);
					const parsed = parseInboxText(text);
					if (!parsed.ok) throw new Error(`canonical text did not parse: ${parsed.reason}`);
					expect(serializeInbox(parsed.items)).toBe(text);
					expect(serializeInbox(parsed.items, { text, items: parsed.items })).toBe(text);
					const appended = appendToInboxText(text, parsed.items.length, more);
					expect(appended).toBe(serializeInbox([...parsed.items, ...more]));
				},
			),
			fuzzOptions(300),
		);
	});

	it('an element too deep for JSON.stringify is written back as its original bytes, neighbours unchanged', async () => {
		const element = fc.oneof(
			{ weight: 3, arbitrary: shallowEntryText.map((text) => ({ deep: false, text })) },
			{ weight: 1, arbitrary: fc.constantFrom(5_000, 100_000).map((depth) => ({ deep: true, text: deepText(depth) })) },
		);
		await check(
			fc.property(fc.array(element, { minLength: 1, maxLength: 4 }), anyString, (elements, extra) => {
				const rendered = elements.map(({ deep, text }) => {
					if (deep) return text;
					return JSON.stringify(JSON.parse(text), null, 2).replaceAll('\n', '\n  ');
				});
				const text = `[\n  ${rendered.join(',\n  ')}\n]`;
				const parsed = parseInboxText(text);
				if (!parsed.ok) throw new Error(parsed.reason);
				expect(serializeInbox(parsed.items, { text, items: parsed.items })).toBe(text);
				// Dropping one element (an ack) keeps the others' bytes.
				const kept = parsed.items.slice(1);
				expect(serializeInbox(kept, { text, items: parsed.items })).toBe(
					kept.length === 0 ? '[]' : `[\n  ${rendered.slice(1).join(',\n  ')}\n]`,
				);
				const appended = appendToInboxText(text, parsed.items.length, [{ from: 'x', text: extra, timestamp: 't' }]);
				expect(itemsOf(appended).length).toBe(parsed.items.length + 1);
			}),
			fuzzOptions(20),
		);
	});
});
