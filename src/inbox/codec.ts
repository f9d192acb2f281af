/**
Pure parsing and serialising of inbox files. A corrupt file is never read as "empty":
the caller gets the reason plus every entry that could be recovered, and decides about quarantine.
*/

export type ParsedInbox = { ok: true; items: unknown[] } | { ok: false; reason: string; recovered: unknown[] };

/** The text each recovered object was parsed from: a corrupt file is not a `source`, yet its deep entries must be written back. */
const recoveredText = new WeakMap<object, string>();

function remember(value: unknown, text: string): unknown {
	if (typeof value === 'object' && value !== null) recoveredText.set(value, text);
	return value;
}

export function parseInboxText(text: string): ParsedInbox {
	// An empty file is what an interrupted `wx` create leaves behind; there is nothing to lose.
	if (text.trim() === '') return { ok: true, items: [] };
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		return { ok: false, reason: `unparseable JSON: ${(error as Error).message}`, recovered: recoverObjects(text) };
	}
	if (Array.isArray(value)) return { ok: true, items: value };
	const shape = value === null ? 'null' : typeof value;
	const recovered = typeof value === 'object' && value !== null ? [remember(value, text.trim())] : [];
	return { ok: false, reason: `top level is ${shape}, not an array`, recovered };
}

/**
Scan a damaged array for complete top-level objects (string- and escape-aware), parsing each alone.
A truncated write keeps every entry before the cut.
*/
export function recoverObjects(text: string): unknown[] {
	if (!text.trimStart().startsWith('[')) return [];
	const recovered: unknown[] = [];
	for (const [start, end] of elementSpans(text)) {
		if (text[start] !== '{') continue;
		try {
			const slice = text.slice(start, end);
			recovered.push(remember(JSON.parse(slice), slice));
		} catch {
			// A damaged object is skipped; its neighbours are still recovered.
		}
	}
	return recovered;
}

/**
Serialise exactly as Claude Code does: 2-space JSON, no trailing newline. An entry too deep for
JSON.stringify's recursion is written back as its original text instead of crashing the rewrite: from `source`, or
from the corrupt file `parseInboxText` recovered it from.
*/
export function serializeInbox(
	items: readonly unknown[],
	source?: { text: string; items: readonly unknown[] },
): string {
	try {
		return JSON.stringify(items, null, 2);
	} catch (error) {
		if (!(error instanceof RangeError)) throw error;
	}
	const original = new Map<unknown, string>();
	if (source) {
		const spans = elementSpans(source.text);
		source.items.forEach((item, index) => {
			const span = spans[index];
			if (span) original.set(item, source.text.slice(span[0], span[1]));
		});
	}
	if (items.length === 0) return '[]';
	const body = items.map((item) => {
		try {
			return `  ${JSON.stringify(item, null, 2).replaceAll('\n', '\n  ')}`;
		} catch (error) {
			const raw =
				original.get(item) ?? (typeof item === 'object' && item !== null ? recoveredText.get(item) : undefined);
			if (raw === undefined) throw error;
			return `  ${raw}`;
		}
	});
	return `[\n${body.join(',\n')}\n]`;
}

/**
Start and end offsets of each complete top-level element of a JSON array text (a cut-off last one is left out).
For a valid array these are exactly its elements. In a damaged one an object or array ends where its brackets
balance, even when the text is cut right after it, and one that opens where a comma was due (a missing separator,
or right after junk) starts a new element; a stray `}` between elements is skipped. So damage to one element does
not cost its neighbours, unless it leaves an unbalanced quote or bracket.
*/
function elementSpans(text: string): [number, number][] {
	const spans: [number, number][] = [];
	let depth = 0;
	let inString = false;
	let escaped = false;
	let start = -1;
	let last = -1;
	const endElement = (end: number) => {
		if (start !== -1) spans.push([start, end]);
		start = -1;
	};
	for (let index = 0; index < text.length; index++) {
		const char = text[index] as string;
		if (inString) {
			if (escaped) escaped = false;
			else if (char === '\\') escaped = true;
			else if (char === '"') inString = false;
			last = index;
			continue;
		}
		if (/\s/.test(char)) continue;
		if (depth === 1) {
			if (char === ',') {
				endElement(last + 1);
				continue;
			}
			if (char === ']') {
				endElement(last + 1);
				break;
			}
			if (char === '}') continue;
			if (char === '{' || char === '[') endElement(last + 1);
			if (start === -1) start = index;
		} else if (char === ']' || char === '}') {
			depth--;
			last = index;
			if (depth === 1) endElement(index + 1);
			continue;
		}
		if (char === '"') inString = true;
		else if (char === '[' || char === '{') depth++;
		last = index;
	}
	return spans;
}

/**
Append without re-serialising the existing entries. Produces the same bytes as `serializeInbox`
when `previous` was written by it, and valid JSON for any array text.
*/
export function appendToInboxText(previous: string, previousCount: number, added: readonly unknown[]): string {
	if (added.length === 0) return previous;
	// The same bytes as serializeInbox, from each entry's one serialisation (see entryJson).
	const body = added.map((item) => `  ${entryJson(item).replaceAll('\n', '\n  ')}`).join(',\n');
	const close = previous.lastIndexOf(']');
	if (previousCount === 0 || close === -1) return `[\n${body}\n]`;
	return `${previous.slice(0, close).trimEnd()},\n${body}\n]`;
}

/** Bytes an entry adds to the 2-space array besides its own text (indent, comma, newline). */
const entryOverhead = 4;

/** The bytes `entry` adds to an inbox file as this codec writes it. */
export function entryBytes(entry: unknown): number {
	return Buffer.byteLength(entryJson(entry)) + entryOverhead;
}

// A send sizes its entry, then appends it: one serialisation serves both. Entries are never changed once built.
const entryTexts = new WeakMap<object, string>();

function entryJson(entry: unknown): string {
	if (typeof entry !== 'object' || entry === null) return JSON.stringify(entry, null, 2);
	let text = entryTexts.get(entry);
	if (text === undefined) {
		text = JSON.stringify(entry, null, 2);
		entryTexts.set(entry, text);
	}
	return text;
}

/**
The batches (spooled by other senders) that fit under `maxBytes` on top of a file of `currentBytes` holding `current`,
skipping entries already present (a crashed combiner's leftovers); the others are rejected (too large to add).
*/
export function fitBatches<B extends { file: string; entries: unknown[]; leftover?: boolean }>(
	batches: B[],
	current: (readonly unknown[])[],
	currentBytes: number,
	maxBytes: number,
): { committed: { file: string; entries: unknown[] }[]; rejected: B[] } {
	const committed: { file: string; entries: unknown[] }[] = [];
	const rejected: B[] = [];
	const msgId = (item: unknown) => (item as { msg_id?: unknown } | null)?.msg_id;
	// Only leftovers can repeat what is already in the file, so only they pay for the lookup.
	const present = batches.some((batch) => batch.leftover) ? new Set(current.flat().map(msgId)) : undefined;
	let size = currentBytes;
	for (const batch of batches) {
		const entries =
			present && batch.leftover ? batch.entries.filter((entry) => !present.has(msgId(entry))) : batch.entries;
		const bytes = entries.reduce<number>((sum, entry) => sum + entryBytes(entry), 0);
		if (size + bytes > maxBytes) {
			rejected.push(batch);
			continue;
		}
		size += bytes;
		committed.push({ file: batch.file, entries });
	}
	return { committed, rejected };
}
