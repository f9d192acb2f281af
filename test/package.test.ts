/**
The package as a user gets it: `npm pack` (which runs `prepare`, so it builds dist/ and the CLI bundle from a
clean tree), the tarball installed into an empty app, then the library imported by name and the bin run with npx.
The app installs its dependencies from npm's local cache (`--prefer-offline`; `npm ci` filled it).
*/

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/fork.js';

const run = promisify(execFile);
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };

let work: string;
let app: string;
let files: string[];

beforeAll(async () => {
	work = mkdtempSync(path.join(tmpdir(), 'swarm-pack-')); // shared by the tests, so not the per-test tempDir
	const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {
		cwd: repoRoot,
		maxBuffer: 32 * 1024 * 1024,
	});
	const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
	if (!info) throw new Error(`npm pack printed no package: ${packed.stdout}`);
	files = info.files.map((file) => file.path);
	app = path.join(work, 'app');
	mkdirSync(app);
	writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
	await run(
		'npm',
		['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, info.filename.replace(/^.*\//, ''))],
		{ cwd: app },
	);
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack, installed into an empty app', () => {
	it('ships the built library, the CLI bundle, the JSON Schemas, and the sources the maps point at', () => {
		for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/protocol.js', 'dist/mcp.js', 'dist/bin/main.js']) {
			expect(files).toContain(file);
		}
		expect(files).toContain('schemas/index.json');
		expect(files.some((file) => file.startsWith('src/') || file.startsWith('test/'))).toBe(false);
		const map = JSON.parse(readFileSync(path.join(app, 'node_modules/swarm-mailbox/dist/index.js.map'), 'utf8'));
		expect(map.sourcesContent?.[0]).toContain('export');
	});

	it('imports by name: a Team is created and a message goes through an inbox', async () => {
		const root = path.join(app, 'teams');
		const script = `
			import { Team } from 'swarm-mailbox';
			const team = await Team.create('alpha', { root: ${JSON.stringify(root)}, members: [{ name: 'ann' }] });
			await team.inbox('ann').send({ from: 'team-lead', text: 'hello' });
			const [entry] = await team.inbox('ann').read();
			console.log(entry.text);`;
		const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
		expect(stdout.trim()).toBe('hello');
	});

	it('runs the swarm-mailbox bin with npx: --version, and a command that touches files', async () => {
		const npx = (args: string[]) => run('npx', ['--no-install', 'swarm-mailbox', ...args], { cwd: app });
		expect((await npx(['--version'])).stdout.trim()).toBe(version);
		const root = path.join(app, 'cli-teams');
		await npx(['--root', root, 'team', 'create', 'beta', '--member', 'bob']);
		await npx(['--root', root, 'send', 'beta', 'bob', 'hi']);
		const { stdout } = await npx(['--root', root, '--json', 'inbox', 'beta', 'bob']);
		expect(JSON.parse(stdout)).toMatchObject({ from: 'team-lead', text: 'hi' });
	});

	it('a command loads its own chunk only: no MCP SDK, no prompt library, no unbundled package', async () => {
		// A resolve hook that prints every specifier resolved from outside the bundle's own files.
		const hooks = path.join(app, 'resolve-hooks.mjs');
		writeFileSync(
			hooks,
			'export async function resolve(specifier, context, next) {\n' +
				"  if (!/^(\\.|\\/|file:|node:)/.test(specifier)) process.stderr.write('RESOLVED ' + specifier + '\\n');\n" +
				'  return next(specifier, context);\n}\n',
		);
		const register = path.join(app, 'register-hooks.mjs');
		writeFileSync(
			register,
			"import { register } from 'node:module';\nregister('./resolve-hooks.mjs', import.meta.url);\n",
		);
		const bin = path.join(app, 'node_modules', 'swarm-mailbox', 'dist', 'bin', 'main.js');
		const root = path.join(app, 'cli-teams');
		for (const args of [['--version'], ['--root', root, '--json', 'inbox', 'beta', 'bob']]) {
			const { stderr } = await run(process.execPath, ['--import', register, bin, ...args], { cwd: app });
			expect(stderr.match(/^RESOLVED .*/gm) ?? [], args.join(' ')).toEqual([]);
		}
		// The hook sees what a command does load: the MCP command asks for the SDK (missing here, so it exits 2).
		const mcp = await run(process.execPath, [
			...['--import', register, bin, '--root', root],
			...['mcp-permission-server', '--team', 'beta', '--as', 'bob'],
		]).catch((error: { stderr: string }) => error);
		expect(mcp.stderr).toMatch(/^RESOLVED @modelcontextprotocol\/sdk/m);
	});

	it('without the optional MCP SDK, swarm-mailbox/mcp and the MCP command say how to add it', async () => {
		const script = `
			try { await import('swarm-mailbox/mcp'); console.log('loaded'); }
			catch (error) { console.log(JSON.stringify({ code: error.code, message: error.message })); }`;
		const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
		const failure = JSON.parse(stdout) as { code: string; message: string };
		expect(failure.code).toBe('MISSING_DEPENDENCY');
		expect(failure.message).toContain('npm install @modelcontextprotocol/sdk');

		const root = path.join(app, 'cli-teams');
		const served = await run(
			'npx',
			['--no-install', 'swarm-mailbox', '--root', root, 'mcp-permission-server', '--team', 'beta', '--as', 'bob'],
			{ cwd: app },
		).then(
			() => ({ code: 0, stderr: '' }),
			(error: { code: number; stderr: string }) => error,
		);
		expect(served.code).toBe(2);
		expect(served.stderr).toContain('MISSING_DEPENDENCY');
		expect(served.stderr).toContain('npm install @modelcontextprotocol/sdk');
	});
});
