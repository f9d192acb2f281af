import { defineConfig } from 'vitest/config';

// The real-client suite (`npm run test:claude`): the official Claude Code release against our CLI and library.
// Kept out of `npm test` (vitest.config.ts only picks up `*.test.ts`): it fetches a 175 MB release on its first run.
export default defineConfig({
	test: {
		include: ['test/claude/**/*.claude.ts'],
		globalSetup: ['test/claude/global-setup.ts'],
		pool: 'forks',
		// Each scenario runs a Claude Code process (about 300 MB) plus our CLI: two files at a time on 2 cores.
		maxWorkers: 2,
		testTimeout: 120_000,
		hookTimeout: 60_000,
	},
});
