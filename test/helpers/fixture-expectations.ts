import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './fork.js';

/** What `fixtures/expected.json` says of one inbox file (keyed `<fixture>/<path>`). */
export interface Expectation {
	validEntries: number;
	invalidEntries: number;
	corrupt: boolean;
	recoverable: number;
}

export const expected: Record<string, Expectation> = JSON.parse(
	readFileSync(path.join(repoRoot, 'fixtures/expected.json'), 'utf8'),
);

/** The team each sample directory under `fixtures/` holds. */
export const teamOf: Record<string, string> = {
	'cc-2.1.330': 'alpha-team',
	'cc-older': 'beta',
	'mixed-case': 'My Team_1',
	corrupt: 'gamma',
	hostile: 'delta',
};
