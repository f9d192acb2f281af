import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { repoRoot } from './fork.js';

const created: string[] = [];

afterEach(() => {
	// A child process that is still being stopped may write one more file meanwhile (ENOTEMPTY): retry.
	for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 40, retryDelay: 50 });
});

/** A fresh directory for one test, removed after it. */
export function tempDir(prefix = 'swarm-mailbox-'): string {
	const dir = mkdtempSync(path.join(tmpdir(), prefix));
	created.push(dir);
	return dir;
}

/** A temp copy of `fixtures/<name>` to use as a teams root. */
export function fixtureRoot(name: string): string {
	const dir = tempDir(`fixture-${name}-`);
	cpSync(path.join(repoRoot, 'fixtures', name), dir, { recursive: true });
	return dir;
}
