/**
The README and docs/ as a reader gets them: every code fence is closed (an open one turns the rest of the page into
code), and the README's TypeScript examples compile against the package as an app sees it: the declarations `tsc`
emits for the package, reached through its `exports` map under `node_modules/swarm-mailbox`.
*/

import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/fork.js';

const run = promisify(execFile);

/** The Markdown files a reader opens: the README and every page under docs/ (not the generated API reference). */
function pages(): string[] {
	const docs = readdirSync(path.join(repoRoot, 'docs'), { recursive: true, encoding: 'utf8' })
		.filter((file) => file.endsWith('.md') && !file.startsWith(`api${path.sep}`))
		.map((file) => path.join('docs', file));
	return ['README.md', ...docs.sort()];
}

interface Fence {
	info: string;
	line: number;
	body: string;
}

/**
The fenced code blocks of a CommonMark text, and the line of a fence left open (`undefined` when all are closed). A
fence closes with the same character, at least as long, and nothing after it but spaces.
*/
function fencesOf(text: string): { fences: Fence[]; unclosed: number | undefined } {
	const fences: Fence[] = [];
	let open: { marker: string; info: string; line: number; body: string[] } | undefined;
	for (const [index, line] of text.split('\n').entries()) {
		const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
		const marker = match?.[1] ?? '';
		const rest = match?.[2] ?? '';
		if (open === undefined) {
			if (marker && !(marker.startsWith('`') && rest.includes('`'))) {
				open = { marker, info: rest.trim(), line: index + 1, body: [] };
			}
		} else if (marker && marker[0] === open.marker[0] && marker.length >= open.marker.length && !rest.trim()) {
			fences.push({ info: open.info, line: open.line, body: open.body.join('\n') });
			open = undefined;
		} else {
			open.body.push(line);
		}
	}
	return { fences, unclosed: open?.line };
}

const scratch = path.join(repoRoot, '.scratch', `readme-examples-${process.pid}`);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README and docs', () => {
	it('finds an unclosed fence (the check itself)', () => {
		expect(fencesOf('# a\n```ts\nconst a = 1;\n```\n').unclosed).toBeUndefined();
		expect(fencesOf('# a\n```ts\nconst a = 1;\n## Command line\n').unclosed).toBe(2);
		expect(fencesOf('````md\n```\n````\n').fences).toHaveLength(1);
	});

	it.each(pages())('%s closes every code fence', (file) => {
		const { unclosed } = fencesOf(readFileSync(path.join(repoRoot, file), 'utf8'));
		expect(unclosed, `${file}: the fence opened on line ${unclosed} is never closed`).toBeUndefined();
	});

	it('the README stays a guide (at most 15 KB)', () => {
		expect(readFileSync(path.join(repoRoot, 'README.md')).length).toBeLessThanOrEqual(15 * 1024);
	});

	it("the README's TypeScript examples compile against the package's types", async () => {
		const { fences } = fencesOf(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
		const examples = fences.filter((fence) => fence.info === 'ts' || fence.info === 'typescript');
		expect(examples.length).toBeGreaterThanOrEqual(3);

		// The package as an app resolves it: its package.json (the exports map), each entry's declarations standing in
		// for the source they are built from (so the check needs no build and sees the working tree).
		const pkg = path.join(scratch, 'node_modules', 'swarm-mailbox');
		const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
			exports: Record<string, string | { types?: string }>;
		};
		for (const target of Object.values(manifest.exports)) {
			if (typeof target === 'string' || target.types === undefined) continue;
			const declarations = path.join(pkg, target.types);
			const source = path.join(repoRoot, 'src', path.relative('dist', target.types).replace(/\.d\.ts$/, '.js'));
			mkdirSync(path.dirname(declarations), { recursive: true });
			writeFileSync(declarations, `export * from ${JSON.stringify(source)};\n`);
		}
		copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
		const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

		const app = path.join(scratch, 'app');
		mkdirSync(app, { recursive: true });
		writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
		const files = examples.map((example, i) => {
			const file = `readme-${i + 1}-line-${example.line}.ts`;
			writeFileSync(path.join(app, file), `${example.body}\nexport {};\n`);
			return file;
		});
		const compilerOptions = {
			target: 'ES2022',
			module: 'NodeNext',
			moduleResolution: 'NodeNext',
			strict: true,
			noUncheckedIndexedAccess: true,
			noEmit: true,
			skipLibCheck: true,
			types: ['node'],
			typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
		};
		writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
		const result = await run(process.execPath, [tsc, '-p', app]).then(
			() => '',
			(error: { stdout: string }) => error.stdout,
		);
		expect(result, 'README examples (file names give the line of each fence)').toBe('');
	}, 120_000);
});
