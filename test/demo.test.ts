import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/fork.js';

interface DemoRun {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Run `demo/run.ts` as `npm run demo` does (through tsx), to the end. */
function runDemo(args: string[] = []): Promise<DemoRun> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts', ...args], { cwd: repoRoot });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString('utf8');
		});
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString('utf8');
		});
		child.once('error', reject);
		child.once('close', (code) => resolve({ code, stdout, stderr }));
	});
}

/** The table rows: worker, request, decision, decided by, and the ✓ / ✗ mark (with its note). */
function rowsOf(stdout: string): string[][] {
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => /^-+$/.test(line));
	expect(start).toBeGreaterThan(0);
	const rows: string[][] = [];
	for (const line of lines.slice(start + 1)) {
		if (line === '') break;
		if (line.startsWith('  · ')) continue; // the person's remarks
		const [worker, request, decision, by, ms, mark] = line.split(/ {2,}/);
		expect(ms).toMatch(/^\d+$/);
		rows.push([worker, request, decision, by, mark].map(String));
	}
	return sorted(rows);
}

function sorted(rows: string[][]): string[][] {
	return rows.sort((a, b) => a.join().localeCompare(b.join()));
}

/** What the demo left behind: its temp root and its worker processes must be gone. */
function expectCleanedUp(stdout: string) {
	const root = /team "demo" in (\S+) /.exec(stdout)?.[1];
	expect(root).toBeDefined();
	expect(existsSync(root as string)).toBe(false);
	const pids = [...stdout.matchAll(/\(pid (\d+)\)/g)].map((match) => Number(match[1]));
	expect(pids).toHaveLength(4);
	for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
	expect(stdout).toContain('workers exited, temp root removed');
}

const expected = [
	['ann', 'Bash: npm test -- --run', 'allow', 'policy Bash(npm test:*)'],
	['ann', 'Read: README.md', 'allow', 'policy Read'],
	['bob', 'Bash: npm test && rm -rf ~', 'deny', 'policy Bash(rm:*)'],
	['bob', 'Bash: rm -rf dist', 'deny', 'policy Bash(rm:*)'],
	['bob', 'network: registry.npmjs.org', 'allow', 'policy *.npmjs.org'],
	['cy', 'Bash: npm publish', 'allow, edited: npm publish --dry-run', 'person'],
	['cy', 'network: evil.example.com', 'deny', 'policy evil.example.com'],
	['dee', 'WebFetch: https://example.org/status', 'deny: no answer in 1500 ms', 'timeout'],
	['dee', 'Write: .env', 'deny: "no secrets in the repo"', 'person'],
];

describe('npm run demo', () => {
	it('prints every expected decision, exits 0 and leaves nothing behind', async () => {
		const run = await runDemo();
		expect(run.code, run.stderr).toBe(0);
		expect(rowsOf(run.stdout)).toEqual(sorted(expected.map((row) => [...row, '✓'])));
		expect(run.stdout).toContain('person approves it, edited to "Bash: npm publish --dry-run"');
		expect(run.stdout).toContain('9 of 9 decisions as expected');
		expectCleanedUp(run.stdout);
	}, 120_000);

	it('is a real check: a policy that denies what no rule covers fails the person and timeout rows, exit 1', async () => {
		const run = await runDemo(['--fallback=deny']);
		expect(run.code, run.stderr).toBe(1);
		const marks = rowsOf(run.stdout).map(([worker, request, , by, mark]) => [worker, request, by, mark]);
		expect(marks).toEqual([
			['ann', 'Bash: npm test -- --run', 'policy Bash(npm test:*)', '✓'],
			['ann', 'Read: README.md', 'policy Read', '✓'],
			['bob', 'Bash: npm test && rm -rf ~', 'policy Bash(rm:*)', '✓'],
			['bob', 'Bash: rm -rf dist', 'policy Bash(rm:*)', '✓'],
			['bob', 'network: registry.npmjs.org', 'policy *.npmjs.org', '✓'],
			['cy', 'Bash: npm publish', 'policy default', '✗ expected allow by person'],
			['cy', 'network: evil.example.com', 'policy evil.example.com', '✓'],
			['dee', 'WebFetch: https://example.org/status', 'policy default', '✗ expected deny by timeout'],
			['dee', 'Write: .env', 'policy default', '✗ expected deny by person'],
		]);
		expect(run.stdout).toContain('3 of 9 decisions NOT as expected');
		expectCleanedUp(run.stdout);
	}, 120_000);
});
