/**
Finds or fetches the pinned Claude Code release once for the whole run and hands its path to the scenarios. Under
CI=true a release that cannot be had fails the run; locally the scenarios are skipped with the reason printed.
*/

import type { TestProject } from 'vitest/node';
import { ensureClaude } from '../../scripts/fetch-claude.js';

export default async function setup(project: TestProject): Promise<void> {
	try {
		const release = await ensureClaude();
		const fetched =
			release.downloadedBytes === undefined
				? ''
				: `, downloaded ${(release.downloadedBytes / 1e6).toFixed(1)} MB in ${((release.downloadMs ?? 0) / 1000).toFixed(1)} s`;
		console.log(`Claude Code: ${release.bin} (${release.version}${fetched})`);
		project.provide('claudeBin', release.bin);
		project.provide('claudeMissing', '');
	} catch (error) {
		if (process.env['CI'] === 'true') throw error;
		const reason = error instanceof Error ? error.message : String(error);
		console.warn(`SKIPPING the real-client suite: no Claude Code binary (${reason})`);
		project.provide('claudeBin', '');
		project.provide('claudeMissing', reason);
	}
}
