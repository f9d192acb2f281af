/**
The `swarm-mailbox` command as `prepare` ships it (scripts/build-cli.mjs: the bundled `dist/bin/main.js` that the
package's `bin` names), built from the working tree into `.bench-tmp/` two levels below the repository, where it finds
`package.json` and `node_modules` as the installed package does.
*/

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.join(import.meta.dirname, '..');

/** Build the shipped command; `main` is its entry, `remove()` deletes the build. */
export function shippedCli(): { main: string; remove(): void } {
	const outdir = path.join(repoRoot, '.bench-tmp', `cli-${process.pid}`);
	execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-cli.mjs'), outdir]);
	return { main: path.join(outdir, 'main.js'), remove: () => rmSync(outdir, { recursive: true, force: true }) };
}
