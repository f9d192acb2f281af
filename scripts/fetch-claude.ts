/**
Fetches the pinned Claude Code release (the linux-x64 platform package from the npm registry) once into a cache
outside the repository, and checks that it runs: `claude --version` must print the pinned version. The real-client
suite (`npm run test:claude`) calls `ensureClaude()` before its scenarios; run it alone with
`npx tsx scripts/fetch-claude.ts` (prints the binary's path).

`CLAUDE_BIN` names a binary to use instead (it is checked the same way, never downloaded). The cache is
`$XDG_CACHE_HOME/swarm-mailbox/claude-code-<version>/` (else `~/.cache/…`); the binary is never part of the repository.
*/

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The release the suite is pinned to. */
export const CLAUDE_VERSION = '2.1.330';
const PACKAGE = `@anthropic-ai/claude-code-linux-x64@${CLAUDE_VERSION}`;

/** What `ensureClaude` found or fetched. */
export interface ClaudeRelease {
	/** Absolute path of the executable. */
	bin: string;
	/** `claude --version`, trimmed. */
	version: string;
	/** Bytes of the npm tarball when it was downloaded by this call; `undefined` when cached or `CLAUDE_BIN`. */
	downloadedBytes?: number;
	/** How long the download and unpacking took, when it happened. */
	downloadMs?: number;
}

/** `$XDG_CACHE_HOME/swarm-mailbox/claude-code-<version>` (else under `~/.cache`). */
export function cacheDir(): string {
	const base = process.env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache');
	return path.join(base, 'swarm-mailbox', `claude-code-${CLAUDE_VERSION}`);
}

async function versionOf(bin: string): Promise<string> {
	let stdout: string;
	try {
		({ stdout } = await run(bin, ['--version'], {
			timeout: 60_000,
			env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: homedir(), DISABLE_AUTOUPDATER: '1' },
		}));
	} catch (error) {
		throw new Error(`cannot run ${bin} --version: ${(error as Error).message}`, { cause: error });
	}
	const version = stdout.trim();
	if (!version.startsWith(`${CLAUDE_VERSION} `)) {
		throw new Error(`${bin} --version printed "${version}", expected ${CLAUDE_VERSION} (Claude Code)`);
	}
	return version;
}

async function download(dir: string): Promise<{ bytes: number; ms: number }> {
	const started = Date.now();
	await mkdir(path.dirname(dir), { recursive: true });
	// Unpacked beside the cache and renamed into place, so an interrupted fetch never leaves a half binary there.
	const work = await mkdtemp(`${dir}.partial-`);
	try {
		const { stdout } = await run('npm', ['pack', PACKAGE, '--pack-destination', work, '--json'], {
			timeout: 15 * 60_000,
			maxBuffer: 16 * 1024 * 1024,
		}).catch((error: Error) => {
			throw new Error(`npm pack ${PACKAGE} failed (is the npm registry reachable?): ${error.message}`, {
				cause: error,
			});
		});
		const [packed] = JSON.parse(stdout) as { filename: string }[];
		if (!packed) throw new Error(`npm pack ${PACKAGE} printed no file`);
		const tarball = path.join(work, path.basename(packed.filename));
		const { size } = await stat(tarball);
		await run('tar', ['-xzf', tarball, '-C', work], { timeout: 5 * 60_000 });
		await rm(tarball);
		await rm(dir, { recursive: true, force: true });
		await rename(path.join(work, 'package'), dir);
		return { bytes: size, ms: Date.now() - started };
	} finally {
		await rm(work, { recursive: true, force: true });
	}
}

/**
The Claude Code binary to test against: `CLAUDE_BIN`, else the cached release, else the release fetched now.
@throws when it cannot be fetched or does not print the pinned version.
*/
export async function ensureClaude(): Promise<ClaudeRelease> {
	const override = process.env['CLAUDE_BIN'];
	if (override) return { bin: path.resolve(override), version: await versionOf(path.resolve(override)) };
	const dir = cacheDir();
	const bin = path.join(dir, 'claude');
	if (existsSync(bin)) {
		try {
			return { bin, version: await versionOf(bin) };
		} catch {
			// A broken cache is fetched again below.
		}
	}
	const { bytes, ms } = await download(dir);
	return { bin, version: await versionOf(bin), downloadedBytes: bytes, downloadMs: ms };
}

/** Leftover `*.partial-*` directories of interrupted fetches. */
export async function clearPartial(): Promise<void> {
	const dir = cacheDir();
	const parent = path.dirname(dir);
	if (!existsSync(parent)) return;
	for (const name of await readdir(parent)) {
		if (name.startsWith(`${path.basename(dir)}.partial-`)) await rm(path.join(parent, name), { recursive: true });
	}
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	await clearPartial();
	const release = await ensureClaude();
	const fetched =
		release.downloadedBytes === undefined
			? 'cached'
			: `downloaded ${(release.downloadedBytes / 1e6).toFixed(1)} MB in ${(release.downloadMs! / 1000).toFixed(1)} s`;
	console.log(`${release.bin}\n${release.version} (${fetched})`);
}
