/**
A leader's permission policy: allow / deny / ask rule lists for tool calls, and allow / deny host patterns for sandbox
network requests.

Precedence is deny, then allow, then ask: a matching deny always wins, an allow beats an ask, and nothing matching
gives `none` (the caller's default: typically, ask a human). Note that Claude Code's own settings try ask before allow
(an ask rule carves an exception out of a broader allow); here an "always allow" added later beats an ask rule.

Compound Bash lines are judged per simple command (see `shell-command.ts`): a deny or ask rule matching any one of them
applies to the whole line, while an allow needs every one of them covered by some allow rule (different commands may be
covered by different rules). A rule without wildcards equal to the whole line also applies.
*/

import { errors } from '../errors.js';
import { hostMatches, isValidHost, isValidHostPattern } from './host-pattern.js';
import { formatRule, type MatchContext, type PermissionRule, parseRule, ruleMatches, type ToolInput } from './rule.js';
import { splitCommand } from './shell-command.js';

/** What a matching rule says to do with a tool call. */
export type RuleBehavior = 'allow' | 'deny' | 'ask';

/** Rule lists in Claude Code settings syntax (`Bash(npm test:*)`), plus network host patterns (`*.example.com`). */
export interface RuleSetSpec {
	allow?: readonly string[];
	deny?: readonly string[];
	ask?: readonly string[];
	/** Hosts a worker's sandbox may reach. `WebFetch(domain:…)` rules in `allow` count too. */
	networkAllow?: readonly string[];
	/** Hosts a worker's sandbox may never reach. `WebFetch(domain:…)` rules in `deny` count too. */
	networkDeny?: readonly string[];
}

/** The outcome for a tool call: `rule` is the deciding rule (for an allow of a compound line, the first one used). */
export interface ToolDecision {
	behavior: RuleBehavior | 'none';
	rule?: PermissionRule;
}

/** The outcome for a network host: `pattern` is the deciding host pattern, `reason` explains a refused host. */
export interface HostDecision {
	behavior: 'allow' | 'deny' | 'none';
	pattern?: string;
	reason?: string;
}

const BEHAVIORS: readonly RuleBehavior[] = ['deny', 'allow', 'ask'];
const DOMAIN = 'domain:';
// Claude Code ignores allow rules whose tool-name wildcard is not anchored to one MCP server, and so do we, loudly.
const ANCHORED_ALLOW_GLOB = /^mcp__[^*]+?__/;

/**
An ordered, de-duplicated set of permission rules with a pure decision function.

@example
```
const policy = new RuleSet({ allow: ['Bash(npm test:*)', 'Read(/src/**)'], deny: ['Bash(git push:*)'] });
policy.decide('Bash', { command: 'npm test -- --watch' }, ctx); // {behavior: 'allow', rule: {toolName: 'Bash', …}}
policy.decideHost('registry.npmjs.org'); // {behavior: 'none'}
```
*/
export class RuleSet {
	readonly #rules: Record<RuleBehavior, PermissionRule[]> = { allow: [], deny: [], ask: [] };
	readonly #hosts: Record<'allow' | 'deny', string[]> = { allow: [], deny: [] };

	/** @throws {MailboxError} `INVALID_ARGUMENT` for a malformed rule or host pattern. */
	constructor(spec: RuleSetSpec = {}) {
		for (const behavior of BEHAVIORS) this.addRules(behavior, spec[behavior] ?? []);
		for (const pattern of spec.networkAllow ?? []) this.addHost('allow', pattern);
		for (const pattern of spec.networkDeny ?? []) this.addHost('deny', pattern);
	}

	/**
	Adds one rule (settings text or `{toolName, ruleContent?}`), e.g. for "always allow". Returns false if it was
	already there.
	@throws {MailboxError} `INVALID_ARGUMENT` for a malformed rule, or an allow rule with an unanchored wildcard tool.
	*/
	addRule(behavior: RuleBehavior, rule: string | PermissionRule): boolean {
		if (!BEHAVIORS.includes(behavior)) throw errors.invalidArgument('behavior', '`allow`, `deny` or `ask`', behavior);
		const parsed = Object.freeze(parseRule(typeof rule === 'string' ? rule : formatRule(rule)));
		if (behavior === 'allow' && parsed.toolName.includes('*') && !ANCHORED_ALLOW_GLOB.test(parsed.toolName)) {
			throw errors.invalidArgument('allow rule', 'a tool-name wildcard anchored as `mcp__server__*`', rule);
		}
		const text = formatRule(parsed);
		if (this.#rules[behavior].some((existing) => formatRule(existing) === text)) return false;
		this.#rules[behavior].push(parsed);
		return true;
	}

	/** Adds several rules, such as the `rules` of an `addRules` permission update. Returns how many were new. */
	addRules(behavior: RuleBehavior, rules: Iterable<string | PermissionRule>): number {
		let added = 0;
		for (const rule of rules) if (this.addRule(behavior, rule)) added++;
		return added;
	}

	/**
	Adds a network host pattern (`example.com`, `*.example.com` or `*`). Returns false if it was already there.
	@throws {MailboxError} `INVALID_ARGUMENT` for an invalid pattern.
	*/
	addHost(behavior: 'allow' | 'deny', pattern: string): boolean {
		if (behavior !== 'allow' && behavior !== 'deny') {
			throw errors.invalidArgument('behavior', '`allow` or `deny`', behavior);
		}
		if (!isValidHostPattern(pattern)) {
			throw errors.invalidArgument('host pattern', 'a host name, `*.example.com` or `*`', pattern);
		}
		const normalized = pattern.toLowerCase().replace(/\.$/, '');
		if (this.#hosts[behavior].includes(normalized)) return false;
		this.#hosts[behavior].push(normalized);
		return true;
	}

	/** The rules of one behaviour, in insertion order. */
	rules(behavior: RuleBehavior): readonly PermissionRule[] {
		return [...this.#rules[behavior]];
	}

	/** The set in {@link RuleSetSpec} form, ready to be saved and passed back to the constructor. */
	toJSON(): Required<RuleSetSpec> {
		const texts = (behavior: RuleBehavior) => this.#rules[behavior].map(formatRule);
		return {
			allow: texts('allow'),
			deny: texts('deny'),
			ask: texts('ask'),
			networkAllow: [...this.#hosts.allow],
			networkDeny: [...this.#hosts.deny],
		};
	}

	/** Decides a tool call: deny, then allow, then ask, else `none` (see the module notes). */
	decide(toolName: string, input: ToolInput, ctx: MatchContext): ToolDecision {
		const some = { compound: 'some' } as const;
		const deny = this.#rules.deny.find((rule) => ruleMatches(rule, toolName, input, ctx, some));
		if (deny) return { behavior: 'deny', rule: deny };
		const allow = this.#allowing(toolName, input, ctx);
		if (allow) return { behavior: 'allow', rule: allow };
		const ask = this.#rules.ask.find((rule) => ruleMatches(rule, toolName, input, ctx, some));
		if (ask) return { behavior: 'ask', rule: ask };
		return { behavior: 'none' };
	}

	#allowing(toolName: string, input: ToolInput, ctx: MatchContext): PermissionRule | undefined {
		const rules = this.#rules.allow;
		const whole = rules.find((rule) => ruleMatches(rule, toolName, input, ctx));
		if (whole || toolName !== 'Bash' || typeof input.command !== 'string') return whole;
		// Different simple commands may be allowed by different rules; each one must be covered by some rule.
		let first: PermissionRule | undefined;
		for (const command of splitCommand(input.command)) {
			const covering = rules.find((rule) =>
				ruleMatches(rule, 'Bash', { ...input, command }, ctx, { compound: 'none' }),
			);
			if (!covering) return undefined;
			first ??= covering;
		}
		return first;
	}

	#hostPatterns(behavior: 'allow' | 'deny'): string[] {
		const fromRules = this.#rules[behavior]
			.filter((rule) => rule.toolName === 'WebFetch' && rule.ruleContent?.startsWith(DOMAIN))
			.map((rule) => (rule.ruleContent ?? '').slice(DOMAIN.length));
		return [...this.#hosts[behavior], ...fromRules];
	}

	/** Decides a sandbox network request for `host`: an invalid host is denied, then deny beats allow, else `none`. */
	decideHost(host: string): HostDecision {
		if (!isValidHost(host)) {
			return {
				behavior: 'deny',
				reason: `${JSON.stringify(host)} is not one valid host name (no wildcards, whitespace, ports or over-long names)`,
			};
		}
		for (const behavior of ['deny', 'allow'] as const) {
			const pattern = this.#hostPatterns(behavior).find((candidate) => hostMatches(candidate, host));
			if (pattern !== undefined) return { behavior, pattern };
		}
		return { behavior: 'none' };
	}
}
