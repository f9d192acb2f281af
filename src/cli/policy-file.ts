/**
The leader's policy file (`lead --policy FILE`): fixed rules plus what to do when none matches. It is the team rules
file's shape (`rules.json`) with two more keys, and maps onto `PolicyOptions`:

```json
{
  "allow": ["Bash(npm test:*)", "Read"],
  "deny": ["Bash(git push:*)"],
  "ask": ["Bash(npm publish:*)"],
  "networkAllow": ["registry.npmjs.org", "*.github.com"],
  "networkDeny": ["*.internal.example"],
  "workers": { "ann": { "allow": ["Edit(/src/**)"], "deny": ["WebFetch"] } },
  "fallback": "ask",
  "askTimeoutMs": 600000
}
```

Every key is optional; unknown keys are refused so a typo cannot silently weaken the policy. Rules use Claude Code
settings syntax; deny beats allow beats ask, and the "always allow" rules persisted in the team's rules file apply
on top. `workers` scopes rules to one teammate each (least privilege): a worker's scope is merged with the team-wide
rules, so a deny in either beats an allow in either. `fallback` (`ask` or `deny`, default `ask`) is the outcome when no rule matches; `askTimeoutMs` denies a
request nobody answered in time (default: wait indefinitely).
*/

import path from 'node:path';
import { z } from 'zod';
import { errors, isMailboxError } from '../errors.js';
import { readFile } from '../fs/fs-seam.js';
import type { PolicyOptions } from '../policy/policy.js';
import { RuleSet, type RuleSetSpec } from '../policy/rule-set.js';

const rules = z.array(z.string()).optional();
const ruleLists = {
	allow: rules,
	deny: rules,
	ask: rules,
	networkAllow: rules,
	networkDeny: rules,
};
const policyFileSchema = z.strictObject({
	version: z.literal(1).optional(),
	...ruleLists,
	workers: z.record(z.string(), z.strictObject(ruleLists)).optional(),
	fallback: z.enum(['ask', 'deny']).optional(),
	askTimeoutMs: z.number().int().positive().optional(),
});

/** The policy options a file asks for, without a file: every request not decided by a persisted rule is asked. */
export type PolicyFileOptions = Omit<PolicyOptions, 'rulesFile'>;

/**
Read and check a policy file; `undefined` gives the default policy (no fixed rules, ask).
@throws {MailboxError} `INVALID_ARGUMENT` when the file is unreadable, not JSON, has unknown keys, or a bad rule.
*/
export async function loadPolicyFile(file: string | undefined): Promise<PolicyFileOptions> {
	if (file === undefined) return {};
	const resolved = path.resolve(file);
	let value: unknown;
	try {
		value = JSON.parse(await readFile(resolved, 'utf8'));
	} catch (error) {
		const reason = error instanceof SyntaxError ? 'not JSON' : `cannot read it: ${(error as Error).message}`;
		throw errors.policyFile(resolved, reason, error);
	}
	const parsed = policyFileSchema.safeParse(value);
	if (!parsed.success) throw errors.policyFile(resolved, z.prettifyError(parsed.error).replaceAll('\n', ' '));
	const { fallback, askTimeoutMs, version: _version, workers, ...spec } = parsed.data;
	// Every rule and host pattern is checked now, not at the first request.
	const check = (where: string, scoped: RuleSetSpec) => {
		try {
			new RuleSet(scoped);
		} catch (error) {
			if (!isMailboxError(error)) throw error;
			throw errors.policyFile(resolved, `${where}${error.message}`, error);
		}
	};
	check('', spec);
	for (const [worker, scoped] of Object.entries(workers ?? {})) check(`workers.${JSON.stringify(worker)}: `, scoped);
	return {
		rules: spec,
		...(workers === undefined ? {} : { workers }),
		...(fallback === undefined ? {} : { fallback }),
		...(askTimeoutMs === undefined ? {} : { askTimeoutMs }),
	};
}
