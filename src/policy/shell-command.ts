/**
Bash command lines as the permission rules see them: a line is split into the simple commands it would run, and each
simple command is matched against a rule's content.

Splitting is a small quote-aware scanner, not a shell parser. It cuts at `&&`, `||`, `;`, `|`, `|&`, `&` and newlines
outside quotes (not at the `&` of `2>&1`, `>&2`, `&>` or the `|` of `>|`), and it also yields the commands inside
`$(…)`, backticks, `<(…)`, `>(…)` (also within double quotes) and `( … )` subshells. A substitution stays part of the
text of the command around it. Leading reserved words (`if`, `then`, `do`, `{`, `!`, …) are dropped, so
`for f in *; do rm "$f"; done` yields `for f in *` and `rm "$f"`. Errors in this scanner only ever add or widen parts,
which makes an allow stricter and a deny broader; it does not see through `eval`, `bash -c`, `sudo` or variables.
*/

const LEADING_WORD = /^(\S+)(?:\s+|$)/;
const RESERVED = new Set(['!', '{', '}', 'if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'esac']);

function pushPart(parts: string[], text: string): void {
	let part = text.trim();
	for (let word = LEADING_WORD.exec(part); word && RESERVED.has(word[1]!); word = LEADING_WORD.exec(part)) {
		part = part.slice(word[0].length);
	}
	if (part !== '') parts.push(part);
}

function isSeparator(src: string, i: number): boolean {
	const c = src.charAt(i);
	const prev = src.charAt(i - 1);
	if (c === ';' || c === '\n' || c === '\r') return true;
	if (c === '|') return prev !== '>';
	if (c === '&') return prev !== '>' && prev !== '<' && src.charAt(i + 1) !== '>';
	return false;
}

/** Scans from `i` to `close` (or the end), pushing simple commands; returns the index just after `close`. */
function scan(src: string, i: number, close: ')' | '`' | undefined, parts: string[]): number {
	let start = i;
	let inDoubleQuotes = false;
	while (i < src.length) {
		const c = src.charAt(i);
		if (c === '\\') {
			i += 2;
		} else if (c === '`' && close !== '`') {
			i = scan(src, i + 1, '`', parts);
		} else if (c === '$' && src.charAt(i + 1) === '(') {
			i = scan(src, i + 2, ')', parts);
		} else if (inDoubleQuotes) {
			if (c === '"') inDoubleQuotes = false;
			i++;
		} else if (c === close) {
			pushPart(parts, src.slice(start, i));
			return i + 1;
		} else if (c === '"') {
			inDoubleQuotes = true;
			i++;
		} else if (c === "'") {
			const end = src.indexOf("'", i + 1);
			i = end === -1 ? src.length : end + 1;
		} else if (c === '(' && (src.charAt(i - 1) === '<' || src.charAt(i - 1) === '>')) {
			i = scan(src, i + 1, ')', parts);
		} else if (c === '(') {
			// A subshell is transparent: only the commands inside it run.
			pushPart(parts, src.slice(start, i));
			i = scan(src, i + 1, ')', parts);
			start = i;
		} else if (c === ')' || isSeparator(src, i)) {
			pushPart(parts, src.slice(start, i));
			start = ++i;
		} else {
			i++;
		}
	}
	pushPart(parts, src.slice(start));
	return src.length;
}

/**
The simple commands a Bash command line would run (see the module notes). The commands inside a substitution come
before the command that contains it.

@example
```
splitCommand('npm test && git push 2>&1 | tee log'); // ['npm test', 'git push 2>&1', 'tee log']
```
*/
export function splitCommand(command: string): string[] {
	const parts: string[] = [];
	scan(command, 0, undefined, parts);
	return parts;
}

const compiled = new Map<string, { regex: RegExp; exact: boolean }>();

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/*
Rule content syntax: `*` matches any text; `\*` and `\\` are a literal star and backslash. A trailing `:*` (legacy) or a
trailing ` *` on a pattern with no other wildcard is a prefix rule: `npm test:*` and `npm test *` match `npm test` and
`npm test --watch`, but never `npm testify`, because the prefix must be followed by whitespace or the end.
*/
function compile(content: string): { regex: RegExp; exact: boolean } {
	const cached = compiled.get(content);
	if (cached) return cached;
	const tokens: string[] = [];
	for (let i = 0; i < content.length; i++) {
		const c = content.charAt(i);
		const next = content.charAt(i + 1);
		if (c === '\\' && (next === '*' || next === '\\')) {
			tokens.push(escapeRegExp(next));
			i++;
		} else {
			// The bare marker '*' stands for a wildcard; a literal star is always escaped.
			tokens.push(c === '*' ? '*' : escapeRegExp(c));
		}
	}
	const stars = tokens.filter((token) => token === '*').length;
	let tail = '';
	if (tokens.at(-1) === '*' && (tokens.at(-2) === ':' || (tokens.at(-2) === ' ' && stars === 1))) {
		tokens.splice(-2, 2);
		tail = '(?:\\s[\\s\\S]*)?';
	}
	const body = tokens.map((token) => (token === '*' ? '[\\s\\S]*' : token)).join('');
	const result = { regex: new RegExp(`^${body}${tail}$`), exact: stars === 0 };
	if (compiled.size > 1000) compiled.clear();
	compiled.set(content, result);
	return result;
}

/** Whether one simple command (already split, see {@link splitCommand}) matches a Bash rule's content. */
export function commandMatches(content: string, command: string): boolean {
	return compile(content).regex.test(command.trim());
}

/** Whether a Bash rule's content has no wildcard, so it can only ever equal one exact command line. */
export function isExactCommandPattern(content: string): boolean {
	return compile(content).exact;
}
