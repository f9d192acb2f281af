/**
fast-check arbitraries for hostile inbox files. Values are built as JSON *text* (never as objects), so keys such as
`__proto__` reach the parser exactly as a peer would write them, and each damaged file knows which of its elements
are complete, well-formed objects a careful reader must keep.
*/
import fc from 'fast-check';

/** Keys that trip naive object handling, mixed with arbitrary ones. */
export const hostileKey = fc.oneof(
	fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '0', '10', '-1'),
	fc.string({ unit: 'binary', maxLength: 6 }),
);

/** Any UTF-16 code unit, lone surrogates included. */
export const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
export const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: codeUnit }));

const whitespace = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n    ');
const scalarText = fc.oneof(
	fc.constantFrom('true', 'false', 'null', '0', '-0', '1.0', '-1.5e-3', '1E+2', '1e400'),
	fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
	anyString.map((value) => JSON.stringify(value)),
);

/** Nested JSON text with hostile and duplicate keys and random whitespace. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
	value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, scalarText, tie('array'), tie('object')),
	array: fc
		.array(fc.tuple(whitespace, tie('value')), { maxLength: 4 })
		.map((items) => `[${items.map(([space, value]) => space + value).join(',')}]`),
	object: fc
		.array(fc.tuple(hostileKey, whitespace, tie('value')), { maxLength: 4 })
		.map((pairs) => `{${pairs.map(([key, space, value]) => `${space}${JSON.stringify(key)}:${value}`).join(',')}}`),
})).value;

const schemaKeys = new Set(['from', 'text', 'timestamp', 'read', 'type', 'color', 'summary', 'from_plugin']);

/** `depth` nested objects, written compactly (JSON.stringify overflows the stack long before 100k levels). */
export function deepText(depth: number): string {
	return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const hugeText = fc.integer({ min: 100_000, max: 2_000_000 }).map((length) => JSON.stringify('x'.repeat(length)));
// 100k levels are slow to walk in the tests' own checks, so they come up less often than 5k (also beyond JSON.stringify).
const extremeValue = fc.oneof(
	{ weight: 2, arbitrary: fc.constant(5_000).map(deepText) },
	{ weight: 1, arbitrary: fc.constant(100_000).map(deepText) },
	{ weight: 2, arbitrary: hugeText },
);

function objectText(pairs: [string, string][]): string {
	return `{${pairs.map(([key, value]) => `${JSON.stringify(key)}: ${value}`).join(', ')}}`;
}

function entryText(extraValue: fc.Arbitrary<string>): fc.Arbitrary<string> {
	return fc
		.record({
			from: anyString,
			text: anyString,
			timestamp: anyString,
			optional: fc.subarray(['read', 'type', 'color', 'summary', 'from_plugin']),
			flag: fc.boolean(),
			word: anyString,
			extras: fc.array(fc.tuple(hostileKey, extraValue), { maxLength: 3 }),
		})
		.chain((parts) => {
			const pairs: [string, string][] = [
				['from', JSON.stringify(parts.from)],
				['text', JSON.stringify(parts.text)],
				['timestamp', JSON.stringify(parts.timestamp)],
				...parts.optional.map((key): [string, string] => [
					key,
					JSON.stringify(key === 'read' ? parts.flag : parts.word),
				]),
				...parts.extras.filter(([key]) => !schemaKeys.has(key)),
			];
			return fc.shuffledSubarray(pairs, { minLength: pairs.length }).map(objectText);
		});
}

/** A complete entry that passes the 2.1.330 rules, as JSON text: required fields, typed optionals, hostile extras. */
export const shallowEntryText = entryText(jsonText);
/** An entry with at least one 5k or 100k deep extra value (beyond JSON.stringify) or a string of up to 2 MB. */
export const extremeEntryText = entryText(extremeValue).filter((text) => text.length > 20_000);
/** The same, sometimes with a 5k or 100k deep extra value (beyond JSON.stringify) or a string of up to 2 MB. */
export const validEntryText = entryText(
	fc.oneof({ weight: 15, arbitrary: jsonText }, { weight: 1, arbitrary: extremeValue }),
);

/** A well-formed JSON object that breaks the entry rules (kept in the file, reported as invalid). */
export const invalidEntryText = fc.constantFrom(
	'{"from": 5, "text": "t", "timestamp": "s"}',
	'{"from": "f", "timestamp": "s"}',
	'{"from": "f", "text": "t", "timestamp": "s", "read": "yes"}',
	'{"from": "f", "text": "t", "timestamp": "s", "type": null}',
	'{}',
	'{"__proto__": {"from": "f", "text": "t", "timestamp": "s"}}',
);

/** An object-shaped element that is not valid JSON but keeps quotes and brackets balanced. */
export const brokenObjectText = fc.constantFrom(
	'{"from": "f" "text": "t", "timestamp": "s"}',
	'{"from": "f", "text": "t", "timestamp": "s",}',
	'{"from": tru, "text": "t", "timestamp": "s"}',
	'{"from": "f", "text": "a\u0000b", "timestamp": "s"}',
	'{"from": "f", "text": "bad \\q escape", "timestamp": "s"}',
	'{"from"}',
	'{"a": [1, 2,], "b": {"c": NaN}}',
	'{"from": "f", "text": "t", "timestamp": "s", "n": 01}',
);

/** Stray bytes with no quote or opening bracket (those would swallow the rest of the file). NUL, `}`, `,` and invalid UTF-8 included. */
export const junkBytes = fc
	.uint8Array({ minLength: 1, maxLength: 12 })
	.map((bytes) =>
		Uint8Array.from(bytes.filter((byte) => byte !== 0x22 && byte !== 0x5b && byte !== 0x5d && byte !== 0x7b)),
	);

type Segment = { kind: 'entry' | 'object' | 'broken' | 'other'; text: string } | { kind: 'junk'; bytes: Uint8Array };

const segment: fc.Arbitrary<Segment> = fc.oneof(
	{ weight: 6, arbitrary: validEntryText.map((text) => ({ kind: 'entry' as const, text })) },
	{ weight: 1, arbitrary: invalidEntryText.map((text) => ({ kind: 'object' as const, text })) },
	{ weight: 2, arbitrary: brokenObjectText.map((text) => ({ kind: 'broken' as const, text })) },
	{ weight: 2, arbitrary: junkBytes.map((bytes) => ({ kind: 'junk' as const, bytes })) },
	{
		weight: 1,
		arbitrary: jsonText.filter((text) => !text.startsWith('{')).map((text) => ({ kind: 'other' as const, text })),
	},
);

/** A damaged inbox file and what a careful reader must get back from it. */
export interface DamagedInbox {
	bytes: Buffer;
	/** JSON texts of the complete, well-formed object elements wholly before the cut (entries or not). */
	objects: string[];
	/** Those of them that are valid entries. */
	entries: string[];
}

/**
An inbox array whose elements mix valid entries with invalid, broken and junk elements, joined by intact or damaged
separators (missing, doubled), maybe left unclosed, then maybe cut at any byte (mid-character included).
*/
export const damagedInbox: fc.Arbitrary<DamagedInbox> = fc
	.record({
		prefix: fc.constantFrom('', '\n', '\uFEFF'),
		segments: fc.array(fc.tuple(segment, fc.constantFrom(',', ',', ',\n  ', ', ', '', ',,', ' ,\n')), { maxLength: 8 }),
		closing: fc.constantFrom('\n]', ']', ''),
		cut: fc.option(fc.nat(), { freq: 2 }),
	})
	.map(({ prefix, segments, closing, cut }) => {
		const parts: Buffer[] = [Buffer.from(`${prefix}[\n  `)];
		let length = parts[0]?.length ?? 0;
		const complete: { kind: string; text: string; end: number }[] = [];
		segments.forEach(([item, separator], index) => {
			const bytes = item.kind === 'junk' ? Buffer.from(item.bytes) : Buffer.from(item.text);
			parts.push(bytes);
			length += bytes.length;
			if (item.kind === 'entry' || item.kind === 'object')
				complete.push({ kind: item.kind, text: item.text, end: length });
			if (index < segments.length - 1) {
				parts.push(Buffer.from(separator));
				length += Buffer.byteLength(separator);
			}
		});
		parts.push(Buffer.from(closing));
		const whole = Buffer.concat(parts);
		const end = cut === null ? whole.length : cut % (whole.length + 1);
		const kept = complete.filter((item) => item.end <= end);
		return {
			bytes: whole.subarray(0, end),
			objects: kept.map((item) => item.text),
			entries: kept.filter((item) => item.kind === 'entry').map((item) => item.text),
		};
	});

class Literal {
	constructor(readonly text: string) {}
}

/**
JSON.stringify(value) (own keys in order, so `__proto__` data keys count), also for values too deep for it:
those are rendered iteratively, to the same text.
*/
export function canonical(value: unknown): string {
	try {
		return JSON.stringify(value);
	} catch {
		// Too deep: the same rendering without recursion.
	}
	const parts: string[] = [];
	const stack: unknown[] = [value];
	while (stack.length > 0) {
		const item = stack.pop();
		if (item instanceof Literal) parts.push(item.text);
		else if (Array.isArray(item)) {
			parts.push('[');
			stack.push(new Literal(']'));
			for (let index = item.length - 1; index >= 0; index--) {
				stack.push(item[index]);
				if (index > 0) stack.push(new Literal(','));
			}
		} else if (typeof item === 'object' && item !== null) {
			parts.push('{');
			stack.push(new Literal('}'));
			const keys = Object.keys(item);
			for (let index = keys.length - 1; index >= 0; index--) {
				const key = keys[index] as string;
				stack.push(
					(item as Record<string, unknown>)[key],
					new Literal(`${index > 0 ? ',' : ''}${JSON.stringify(key)}:`),
				);
			}
		} else parts.push(JSON.stringify(item));
	}
	return parts.join('');
}

/** The elements of `expected` that `actual` lacks, counting repeats (empty when `actual` holds them all). */
export function missingFrom(actual: readonly string[], expected: readonly string[]): string[] {
	const counts = new Map<string, number>();
	for (const item of actual) counts.set(item, (counts.get(item) ?? 0) + 1);
	const missing: string[] = [];
	for (const item of expected) {
		const count = counts.get(item) ?? 0;
		if (count === 0) missing.push(item);
		else counts.set(item, count - 1);
	}
	return missing;
}
