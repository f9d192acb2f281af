/**
The leader's permission policy: a {@link RuleSet} of fixed rules plus rules persisted by "always allow" in a JSON rules
file, deciding each request at once (allow / deny) or leaving it to a person (ask), optionally with a deadline.

The rules file (`<team dir>/swarm-mailbox/rules.json` for {@link Policy.forTeam}) holds `{version: 1, allow, deny, ask,
networkAllow, networkDeny}` in Claude Code settings syntax. Every change is a read-modify-write under the file's
mkdir lock with an atomic replace, so a leader and a CLI persisting at once both keep their rules. Only rules are
persisted: a `setMode` update is never written (a mode change must not outlive the answer that carried it), and
directory updates are not modelled here. Without a rules file, "always" rules live in the object's memory only.
*/

import { homedir } from 'node:os';
import path from 'node:path';
import { errors, isMailboxError } from '../errors.js';
import { ensureDirectoryInRoot } from '../fs/directories.js';
import { mkdir } from '../fs/fs-seam.js';
import { acquireLock } from '../fs/lock.js';
import { PermissionUpdate } from '../protocol/permissions.js';
import { sanitizeTeamDirName } from '../team/paths.js';
import type { Team } from '../team/team.js';
import { formatRule, type MatchContext, type ToolInput } from './rule.js';
import { type RuleBehavior, RuleSet, type RuleSetSpec } from './rule-set.js';
import { readRulesFile, rulesFileStamp, writeRulesFile } from './rules-file.js';

export { type AlwaysAllowSubject, alwaysAllowRuleFor } from './always-rule.js';

/** Options of {@link Policy}. */
export interface PolicyOptions {
	/** Rules that always apply. They are never written to the rules file. @default no rules */
	rules?: RuleSetSpec;
	/**
	Rules that apply to one worker only (by name), on top of `rules` and the persisted ones: least privilege per
	teammate. Every scope that applies is merged, so a deny anywhere beats an allow anywhere. @default none
	*/
	workers?: Readonly<Record<string, RuleSetSpec>>;
	/** Where "always allow" rules are persisted and read back. @default none: they are kept in memory only */
	rulesFile?: string;
	/** Deny a request nobody answered within this many ms. @default undefined (wait indefinitely) */
	askTimeoutMs?: number;
	/** The outcome when no rule matches. @default 'ask' */
	fallback?: 'ask' | 'deny';
	/** Anchors of path rules; per-request values (the worker's `cwd`) override them. @default process.cwd() and the home directory */
	context?: Partial<MatchContext>;
	/** How long a persist waits for the rules file lock, in ms. @default 10_000 */
	lockTimeoutMs?: number;
}

/** What the policy says about one request. */
export interface PolicyDecision {
	behavior: 'allow' | 'deny' | 'ask';
	/** The deciding rule or host pattern, in settings syntax. */
	rule?: string;
	/** A sentence for the audit log and, on deny, the worker. */
	reason: string;
	/** No rule matched: this is the `fallback` outcome. */
	fallback?: boolean;
}

/** Result of {@link Policy.persistUpdates}. */
export interface PersistResult {
	/** Rules newly written, as `behavior:Rule(content)`. */
	persisted: string[];
	skipped: { update: unknown; reason: string }[];
}

const BEHAVIORS: readonly RuleBehavior[] = ['allow', 'deny', 'ask'];

/** Allow / deny / ask decisions for a team's permission requests (see the module notes). */
export class Policy {
	readonly rulesFile: string | undefined;
	readonly askTimeoutMs: number | undefined;
	readonly #base: RuleSetSpec;
	readonly #fallback: 'ask' | 'deny';
	readonly #context: MatchContext;
	readonly #lockTimeoutMs: number;
	readonly #workers: ReadonlyMap<string, RuleSetSpec>;
	#rules: RuleSet;
	/** The rule set of each worker with a scope, built when first needed (dropped when the persisted rules change). */
	#scoped = new Map<string, RuleSet>();
	/** The "always" rules: as last read from (or written to) the rules file, or kept in memory without one. */
	#kept: RuleSetSpec = {};
	#stamp = '';

	/** @throws {MailboxError} `INVALID_ARGUMENT` for a malformed fixed rule or option. */
	constructor(options: PolicyOptions = {}) {
		const { askTimeoutMs } = options;
		if (askTimeoutMs !== undefined && !(askTimeoutMs > 0)) {
			throw errors.invalidArgument('askTimeoutMs', 'a number of ms > 0', askTimeoutMs);
		}
		this.rulesFile = options.rulesFile === undefined ? undefined : path.resolve(options.rulesFile);
		this.askTimeoutMs = askTimeoutMs;
		this.#base = options.rules ?? {};
		this.#fallback = options.fallback ?? 'ask';
		const cwd = options.context?.cwd ?? process.cwd();
		this.#context = {
			cwd,
			projectRoot: options.context?.projectRoot ?? cwd,
			homeDir: options.context?.homeDir ?? homedir(),
		};
		this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
		this.#workers = new Map(Object.entries(options.workers ?? {}));
		for (const spec of this.#workers.values()) new RuleSet(spec); // each rule checked now, not at the first request
		this.#rules = new RuleSet(this.#base);
	}

	/** The rules file of a team: `<team dir>/swarm-mailbox/rules.json`. */
	static rulesFileOf(team: Team): string {
		return path.join(team.directory, 'swarm-mailbox', 'rules.json');
	}

	/** A policy persisting to the team's rules file, loaded. */
	static async forTeam(team: Team, options: Omit<PolicyOptions, 'rulesFile'> = {}): Promise<Policy> {
		await ensureDirectoryInRoot(team.root, [sanitizeTeamDirName(team.name), 'swarm-mailbox'], 0o700);
		return new Policy({ ...options, rulesFile: Policy.rulesFileOf(team) }).load();
	}

	/**
	(Re)read the rules file. A missing file means no persisted rules.
	@throws {MailboxError} `CORRUPT_CONFIG` when it is not a valid rules file.
	*/
	async load(): Promise<this> {
		if (this.rulesFile === undefined) return this;
		const { spec, stamp } = await readRulesFile(this.rulesFile as string);
		this.#apply(spec, stamp);
		return this;
	}

	/** Reload when the rules file changed since it was last read (another process persisted). Resolves `true` if it did. */
	async refresh(): Promise<boolean> {
		if (this.rulesFile === undefined) return false;
		if (rulesFileStamp(this.rulesFile as string) === this.#stamp) return false;
		await this.load();
		return true;
	}

	/**
	Decide a tool call. `ctx` overrides the path anchors (e.g. the worker's `cwd`); `worker` adds that worker's scope.
	*/
	decideTool(toolName: string, input: ToolInput, ctx: Partial<MatchContext> = {}, worker?: string): PolicyDecision {
		const full: MatchContext = {
			cwd: ctx.cwd ?? this.#context.cwd,
			projectRoot: ctx.projectRoot ?? this.#context.projectRoot,
			homeDir: ctx.homeDir ?? this.#context.homeDir,
		};
		const { behavior, rule } = this.#rulesFor(worker).decide(toolName, input, full);
		if (behavior === 'none') return this.#fallbackDecision(`no rule matches ${toolName}`);
		const text = rule && formatRule(rule);
		const verb = { allow: 'allowed', deny: 'denied', ask: 'left to a person' }[behavior];
		return { behavior, rule: text, reason: `${toolName} ${verb} by rule ${text}` };
	}

	/** Decide a sandbox network request (`worker` adds that worker's scope). An invalid host is always denied. */
	decideHost(host: string, worker?: string): PolicyDecision {
		const { behavior, pattern, reason } = this.#rulesFor(worker).decideHost(host);
		if (behavior === 'none') return this.#fallbackDecision(`no rule matches host ${host}`);
		if (pattern === undefined) return { behavior, reason: reason ?? `host ${host} refused` };
		const verb = behavior === 'allow' ? 'allowed' : 'denied';
		return { behavior, rule: pattern, reason: `network access to ${host} ${verb} by ${pattern}` };
	}

	#fallbackDecision(why: string): PolicyDecision {
		return this.#fallback === 'deny'
			? { behavior: 'deny', reason: `${why}; denied by default`, fallback: true }
			: { behavior: 'ask', reason: `${why}; asking a person`, fallback: true };
	}

	/** The rules in force for `worker`: the team's, plus its own scope when it has one. */
	#rulesFor(worker: string | undefined): RuleSet {
		const spec = worker === undefined ? undefined : this.#workers.get(worker);
		if (worker === undefined || spec === undefined) return this.#rules;
		let rules = this.#scoped.get(worker);
		if (!rules) {
			rules = new RuleSet(this.#rules.toJSON());
			mergeSpec(rules, spec);
			this.#scoped.set(worker, rules);
		}
		return rules;
	}

	/** The rules in force (fixed plus persisted). */
	toJSON(): Required<RuleSetSpec> {
		return this.#rules.toJSON();
	}

	/** Persist one allow rule (settings syntax; in memory without a rules file). Resolves `false` if it was already there. */
	async allowAlways(rule: string): Promise<boolean> {
		const { persisted } = await this.#persist([{ behavior: 'allow', rule, source: rule }]);
		return persisted.length > 0;
	}

	/**
	Persist the rules of `addRules` updates (any destination, since "always" means keep it). `setMode` is never
	persisted; other update types are skipped too. Invalid items are skipped with a reason.
	*/
	async persistUpdates(updates: readonly unknown[]): Promise<PersistResult> {
		const wanted: { behavior: RuleBehavior; rule: string; source: unknown }[] = [];
		const skipped: PersistResult['skipped'] = [];
		for (const update of updates) {
			const parsed = PermissionUpdate.safeParse(update);
			if (!parsed.success) skipped.push({ update, reason: 'not a valid permission update' });
			else if (parsed.data.type === 'setMode') skipped.push({ update, reason: 'a mode change is never persisted' });
			else if (parsed.data.type !== 'addRules')
				skipped.push({ update, reason: `${parsed.data.type} is not persisted` });
			else
				for (const rule of parsed.data.rules)
					wanted.push({ behavior: parsed.data.behavior, rule: formatRule(rule), source: update });
		}
		const result = await this.#persist(wanted);
		return { persisted: result.persisted, skipped: [...skipped, ...result.skipped] };
	}

	async #persist(wanted: { behavior: RuleBehavior; rule: string; source: unknown }[]): Promise<PersistResult> {
		const file = this.rulesFile;
		const result: PersistResult = { persisted: [], skipped: [] };
		if (wanted.length === 0) return result;
		if (file === undefined) {
			const kept = new RuleSet(this.#kept);
			this.#add(kept, wanted, result);
			this.#apply(kept.toJSON(), '');
			return result;
		}
		await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
		const lock = await acquireLock(file, `${file}.lock`, { deadline: Date.now() + this.#lockTimeoutMs });
		try {
			const { spec } = await readRulesFile(this.rulesFile as string);
			const stored = new RuleSet(spec);
			this.#add(stored, wanted, result);
			if (result.persisted.length > 0) {
				await writeRulesFile(file, stored.toJSON(), () => lock.assertHeld());
			}
			this.#apply(stored.toJSON(), rulesFileStamp(this.rulesFile as string));
		} finally {
			await lock.release();
		}
		return result;
	}

	#add(into: RuleSet, wanted: { behavior: RuleBehavior; rule: string; source: unknown }[], result: PersistResult) {
		for (const { behavior, rule, source } of wanted) {
			try {
				if (into.addRule(behavior, rule)) result.persisted.push(`${behavior}:${rule}`);
			} catch (error) {
				if (!isMailboxError(error)) throw error;
				result.skipped.push({ update: source, reason: error.message });
			}
		}
	}

	#apply(persisted: RuleSetSpec, stamp: string): void {
		this.#kept = persisted;
		const rules = new RuleSet(this.#base);
		mergeSpec(rules, persisted);
		this.#rules = rules;
		this.#scoped = new Map();
		this.#stamp = stamp;
	}
}

/** Add every rule and host pattern of `spec` to `rules`. */
function mergeSpec(rules: RuleSet, spec: RuleSetSpec): void {
	for (const behavior of BEHAVIORS) rules.addRules(behavior, spec[behavior] ?? []);
	for (const host of spec.networkAllow ?? []) rules.addHost('allow', host);
	for (const host of spec.networkDeny ?? []) rules.addHost('deny', host);
}
