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
  "fallback": "ask",
  "askTimeoutMs": 600000
}
```

Every key is optional; unknown keys are refused so a typo cannot silently weaken the policy. Rules use Claude Code
settings syntax; deny beats allow beats ask, and the "always allow" rules persisted in the team's rules file apply
on top. `fallback` (`ask` or `deny`, default `ask`) is the outcome when no rule matches; `askTimeoutMs` denies a
request nobody answered in time (default: wait indefinitely).
*/

import path from 'node:path';
import { z } from 'zod';
import { errors, isMailboxError } from '../errors.js';
import { readFile } from '../fs/fs-seam.js';
import type { PolicyOptions } from '../policy/policy.js';
import { RuleSet } from '../policy/rule-set.js';

const rules = z.array(z.string()).optional();
const policyFileSchema = z.strictObject({
	version: z.literal(1).optional(),
	allow: rules,
	deny: rules,
	ask: rules,
	networkAllow: rules,
	networkDeny: rules,
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
	const { fallback, askTimeoutMs, version: _version, ...spec } = parsed.data;
	try {
		new RuleSet(spec); // checks every rule and host pattern now, not at the first request
	} catch (error) {
		if (!isMailboxError(error)) throw error;
		throw errors.policyFile(resolved, error.message, error);
	}
	return {
		rules: spec,
		...(fallback === undefined ? {} : { fallback }),
		...(askTimeoutMs === undefined ? {} : { askTimeoutMs }),
	};
}
