/**
Bundles the `swarm-mailbox` command (src/cli/main.ts) into `dist/bin/` with esbuild, one chunk per lazily imported
command module. The CLI starts on every tool call of a runner; unbundled, Node resolves and evaluates about 250
module files for a `request` (zod alone is 220), which costs more than Node's own start-up. The library entries
(`dist/index.js`, `dist/mcp.js`) stay tsc's file-per-module output.

The MCP SDK (an optional peer dependency) and the prompt library stay external: each loads only in the one command
that uses it. Run by `npm run build` (and so by `prepare`); `node scripts/build-cli.mjs [outdir]`.
*/

import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
Build the bundle into `outdir` (default `dist/bin`). Its chunks sit beside the entry, two levels below the package
root, where the code expects `../../package.json`.
*/
export async function buildCli(outdir = path.join(repoRoot, 'dist', 'bin')) {
	rmSync(outdir, { recursive: true, force: true }); // chunk names carry hashes: old ones would pile up in the package
	await build({
		entryPoints: [path.join(repoRoot, 'src', 'cli', 'main.ts')],
		outdir,
		entryNames: '[name]',
		chunkNames: '[name]-[hash]',
		bundle: true,
		splitting: true,
		format: 'esm',
		platform: 'node',
		target: 'node20',
		external: ['@modelcontextprotocol/sdk', '@inquirer/core'],
		// Bundled CommonJS packages (commander, proper-lockfile) call require() for Node's built-ins.
		banner: {
			js: "import { createRequire as __swarmRequire } from 'node:module';\nconst require = __swarmRequire(import.meta.url);",
		},
		sourcemap: 'linked',
		sourcesContent: true,
		legalComments: 'linked',
		logLevel: 'warning',
	});
	// The approval page's files (built by scripts/build-web.ts), where the bundled web module looks for them.
	const page = path.join(repoRoot, 'dist', 'web', 'page');
	if (existsSync(page)) cpSync(page, path.join(outdir, 'page'), { recursive: true });
	return path.join(outdir, 'main.js');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli(process.argv[2]);
