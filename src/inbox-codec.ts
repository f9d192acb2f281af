/**
Pure parsing and serialising of inbox files. A corrupt file is never read as "empty":
the caller gets the reason plus every entry that could be recovered, and decides about quarantine.
*/

export type ParsedInbox = { ok: true; items: unknown[] } | { ok: false; reason: string; recovered: unknown[] };

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
	const recovered = typeof value === 'object' && value !== null ? [value] : [];
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
			recovered.push(JSON.parse(text.slice(start, end)));
		} catch {
			// A damaged object is skipped; its neighbours are still recovered.
		}
	}
	return recovered;
}

/**
Serialise exactly as Claude Code does: 2-space JSON, no trailing newline. An entry too deep for
JSON.stringify's recursion is written back as its original bytes from `source` instead of crashing the rewrite.
*/
export function serializeInbox(
	items: readonly unknown[],
	source?: { text: string; items: readonly unknown[] },
): string {
	try {
		return JSON.stringify(items, null, 2);
	} catch (error) {
		if (!(error instanceof RangeError) || !source) throw error;
	}
	const spans = elementSpans(source.text);
	const original = new Map<unknown, string>();
	source.items.forEach((item, index) => {
		const span = spans[index];
		if (span) original.set(item, source.text.slice(span[0], span[1]));
	});
	if (items.length === 0) return '[]';
	const body = items.map((item) => {
		try {
			return `  ${JSON.stringify(item, null, 2).replaceAll('\n', '\n  ')}`;
		} catch (error) {
			const raw = original.get(item);
			if (raw === undefined) throw error;
			return `  ${raw}`;
		}
	});
	return `[\n${body.join(',\n')}\n]`;
}

/** Start and end offsets of each complete top-level element of a JSON array text (a cut-off last one is left out). */
function elementSpans(text: string): [number, number][] {
	const spans: [number, number][] = [];
	let depth = 0;
	let inString = false;
	let escaped = false;
	let start = -1;
	let last = -1;
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
		if (depth === 1 && char === ',') {
			if (start !== -1) spans.push([start, last + 1]);
			start = -1;
			continue;
		}
		if (char === ']' || char === '}') {
			depth--;
			if (depth === 0) {
				if (start !== -1) spans.push([start, last + 1]);
				break;
			}
			last = index;
			continue;
		}
		if (depth === 1 && start === -1) start = index;
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
	const close = previous.lastIndexOf(']');
	if (previousCount === 0 || close === -1) return serializeInbox(added);
	const body = added.map((item) => `  ${JSON.stringify(item, null, 2).replaceAll('\n', '\n  ')}`).join(',\n');
	return `${previous.slice(0, close).trimEnd()},\n${body}\n]`;
}
