/**
Path rules (`Read(…)`, `Edit(…)`, …): gitignore-style globs with Claude Code's four anchors.

| pattern      | anchored at                    | example                | covers                        |
|--------------|--------------------------------|------------------------|-------------------------------|
| `//abs/path` | the filesystem root            | `Read(//etc/hosts)`    | `/etc/hosts`                  |
| `~/path`     | `homeDir`                      | `Read(~/.ssh/**)`      | everything under `~/.ssh`     |
| `/path`      | `projectRoot` (not `/`!)       | `Edit(/src/**)`        | everything under `src`        |
| `./path`, `a/b` | `cwd`                       | `Read(docs/*.md)`      | Markdown files in `cwd/docs`  |
| `name`       | `cwd`, at any depth (no slash) | `Read(.env)`           | `cwd/.env`, `cwd/pkg/.env`    |

Globs: `*` matches within one path segment (dot files included, as in gitignore), `?` one character other than `/`,
`[a-z]` / `[!a-z]` a character class, `**` as a whole segment any number of segments (including none), and `\x` a
literal `x`. A trailing `/` is ignored. As in gitignore, a pattern that matches a directory covers everything below
it: `Read(secrets)` covers `secrets/key.pem`.

Matching is lexical and POSIX-only: the target is resolved against `cwd` (`..` removed) but symlinks are not
followed, so a link inside an allowed directory that points elsewhere is still judged by its own path.
*/

import { posix } from 'node:path';

/** The directories path rules are anchored at. Every field is an absolute POSIX path. */
export interface MatchContext {
	/** The worker's current directory: anchors `./path`, `a/b` and bare-name patterns, and relative targets. */
	cwd: string;
	/** Anchors `/path` patterns (Claude Code anchors them at the settings file's project). */
	projectRoot: string;
	/** Anchors `~/path` patterns and `~/…` targets. */
	homeDir: string;
}

function escapeGlob(literal: string): string {
	return literal.replace(/[*?[\]\\]/g, '\\$&');
}

/** The pattern as one absolute glob, with the root directory's own characters escaped. */
function absoluteGlob(pattern: string, ctx: MatchContext): string {
	let root: string;
	let rest: string;
	if (pattern.startsWith('//')) [root, rest] = ['/', pattern.slice(2)];
	else if (pattern === '~' || pattern.startsWith('~/')) [root, rest] = [ctx.homeDir, pattern.slice(2)];
	else if (pattern.startsWith('/')) [root, rest] = [ctx.projectRoot, pattern.slice(1)];
	else if (pattern.startsWith('./')) [root, rest] = [ctx.cwd, pattern.slice(2)];
	else [root, rest] = [ctx.cwd, pattern.replace(/\/+$/, '').includes('/') ? pattern : `**/${pattern}`];
	return posix.join(escapeGlob(root), rest.replace(/\/+$/, ''));
}

function classToRegExp(segment: string, open: number): [source: string, end: number] | undefined {
	let i = open + 1;
	const negate = segment.charAt(i) === '!' || segment.charAt(i) === '^';
	if (negate) i++;
	// A `]` right after the opening bracket is a member, not the end.
	const close = segment.indexOf(']', segment.charAt(i) === ']' ? i + 1 : i);
	if (close === -1) return undefined;
	const members = segment.slice(i, close).replace(/[\\\]^[]/g, '\\$&');
	return [`[${negate ? '^/' : ''}${members}]`, close];
}

function segmentToRegExp(segment: string): string {
	let source = '';
	let afterStar = false;
	for (let i = 0; i < segment.length; i++) {
		const c = segment.charAt(i);
		const cls = c === '[' ? classToRegExp(segment, i) : undefined;
		if (c === '*') {
			// Runs of stars inside a segment (`a**b`) act as one `*`, as in gitignore.
			if (!afterStar) source += '[^/]*';
		} else if (c === '\\' && i + 1 < segment.length) {
			source += escapeRegExp(segment.charAt(++i));
		} else if (c === '?') {
			source += '[^/]';
		} else if (cls) {
			source += cls[0];
			i = cls[1];
		} else {
			source += escapeRegExp(c);
		}
		afterStar = c === '*';
	}
	return source;
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

const compiled = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
	const cached = compiled.get(glob);
	if (cached) return cached;
	// `glob` is absolute, so the first segment is the empty one before the leading slash.
	const segments = glob.split('/').slice(1);
	const source = segments.map((s) => (s === '**' ? '(?:/[\\s\\S]*)?' : `/${segmentToRegExp(s)}`)).join('');
	const regex = new RegExp(`^${source || '/'}$`);
	if (compiled.size > 1000) compiled.clear();
	compiled.set(glob, regex);
	return regex;
}

/** The absolute path a relative or `~/` target stands for, resolved against `ctx.cwd` / `ctx.homeDir`. */
export function resolveTarget(target: string, ctx: MatchContext): string {
	if (target === '~' || target.startsWith('~/')) return posix.join(ctx.homeDir, target.slice(1));
	return posix.resolve(ctx.cwd, target);
}

/**
Whether the file or directory `target` is covered by the path `pattern` (see the module notes for the syntax).

@example
```
const ctx = { cwd: '/repo/pkg', projectRoot: '/repo', homeDir: '/home/me' };
pathMatches('/src/**', '/repo/src/a/b.ts', ctx); // true
pathMatches('.env', 'sub/.env', ctx); // true: a bare name matches at any depth below cwd
```
*/
export function pathMatches(pattern: string, target: string, ctx: MatchContext): boolean {
	const regex = globToRegExp(absoluteGlob(pattern, ctx));
	// gitignore semantics: a matching ancestor directory covers everything below it.
	for (let path = resolveTarget(target, ctx); ; path = posix.dirname(path)) {
		if (regex.test(path)) return true;
		if (path === '/') return false;
	}
}
