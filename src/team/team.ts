import path from 'node:path';
import { errors } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { assertRealDirectory, ensureDirectoryInRoot } from '../fs/directories.js';
import { acquireLock } from '../fs/lock.js';
import { Inbox } from '../inbox/inbox.js';
import type { InboxOptions, OperationOptions } from '../inbox/options.js';
import {
	assertConfig,
	ConfigCache,
	leaderNameOf,
	memberColors,
	readConfigFile,
	type TeamConfig,
	type TeamMember,
	validMembers,
} from './config.js';
import { defaultLeadStaleMs, judgeLead, LeadHeartbeat, leadRefreshMs, watchLead } from './lead-heartbeat.js';
import {
	claimForThisProcess,
	hostOfSpace,
	judgeProcess,
	onThisMachine,
	type ProcessClaim,
	type ProcessState,
	parseProcessClaim,
	sameClaim,
} from './lead-process.js';
import {
	assertAddressableName,
	assertCreatableMemberName,
	assertCreatableTeamName,
	formatAgentId,
	LEAD_NAME,
	resolveTeamsRoot,
	sanitizePathComponent,
	sanitizeTeamDirName,
} from './paths.js';

/** Options of `Team.open` (and `Team.create`); the inbox options apply to every inbox the team hands out. */
export interface TeamOptions extends InboxOptions {
	/** Teams root. @default `$CLAUDE_CONFIG_DIR/teams`, else `~/.claude/teams` */
	root?: string;
	/** Mode of directories we create. @default 0o700 */
	dirMode?: number;
}

/** A teammate to add to the roster. */
export interface MemberInput {
	name: string;
	/** @default the next of Claude Code's eight colours */
	color?: string;
	agentType?: string;
	model?: string;
	prompt?: string;
	cwd?: string;
	/** @default 'in-process' */
	backendType?: 'in-process' | 'tmux' | 'iterm2';
	planModeRequired?: boolean;
}

/** Options of `Team.create`. */
export interface CreateTeamOptions extends TeamOptions {
	description?: string;
	leadSessionId?: string;
	/** @default process.cwd() */
	cwd?: string;
	members?: MemberInput[];
}

/** Options of {@link Team.claimLead}. */
export interface ClaimLeadOptions extends OperationOptions {
	/** Take the claim even from a live holder (a person who knows better). @default false */
	takeover?: boolean;
	/**
	How long a lead's heartbeat may stay unchanged, as seen from here, before its claim counts as dead (a claim made on
	another machine is judged so, waiting up to this long). This claim's heartbeat beats six times per window.
	@default 30_000 (`SWARM_MAILBOX_LEAD_STALE_MS` if set)
	*/
	leadStaleMs?: number;
}

/** A lead claim made by {@link Team.claimLead}, and the claim it replaced (if any). */
export interface LeadClaim {
	claim: ProcessClaim;
	/** The claim's heartbeat, first beat written: `start()` it, and `close()` it before releasing the claim. */
	heartbeat: LeadHeartbeat;
	/** The `leadProcess` found and replaced, with what could be said about its process. */
	replaced?: { previous: unknown; state: ProcessState };
}

/** A Claude Code agent team: `<root>/<team>/config.json` and `<root>/<team>/inboxes/<agent>.json`. */
export class Team {
	readonly name: string;
	readonly root: string;
	/** Directory of `config.json` (Claude Code's lowercasing sanitiser). */
	readonly directory: string;
	/** Directory of the inboxes (Claude Code's case-keeping sanitiser; differs for names outside `[a-z0-9-]`). */
	readonly inboxDirectory: string;
	readonly configPath: string;
	readonly #options: TeamOptions;
	readonly #dirMode: number;
	#inboxDirectoryReady: Promise<string> | undefined;
	readonly #config = new ConfigCache();
	readonly #members = new WeakMap<TeamConfig, TeamMember[]>();
	/** One Inbox per name, so listeners of its events see what every user of the team does with it. */
	readonly #inboxes = new Map<string, Inbox>();

	private constructor(name: string, options: TeamOptions) {
		this.name = name;
		this.root = resolveTeamsRoot(options.root);
		this.directory = path.join(this.root, sanitizeTeamDirName(name));
		this.inboxDirectory = path.join(this.root, sanitizePathComponent(name), 'inboxes');
		this.configPath = path.join(this.directory, 'config.json');
		this.#options = options;
		this.#dirMode = options.dirMode ?? 0o700;
	}

	/** Create a team with its lead member (and optional teammates). Fails with `TEAM_EXISTS` if it exists. */
	static async create(name: string, options: CreateTeamOptions = {}): Promise<Team> {
		assertCreatableTeamName(name);
		const team = new Team(name, options);
		await ensureDirectoryInRoot(team.root, [sanitizeTeamDirName(name)], team.#dirMode);
		const now = Date.now();
		const config: TeamConfig = { name, createdAt: now, leadAgentId: formatAgentId(LEAD_NAME, name), members: [] };
		if (options.description !== undefined) config.description = options.description;
		if (options.leadSessionId !== undefined) config.leadSessionId = options.leadSessionId;
		config.members.push({
			agentId: config.leadAgentId,
			name: LEAD_NAME,
			agentType: LEAD_NAME,
			joinedAt: now,
			tmuxPaneId: 'leader',
			cwd: options.cwd ?? process.cwd(),
			subscriptions: [],
			backendType: 'in-process',
		});
		for (const member of options.members ?? []) team.#addTo(config, member, now);
		await team.#withConfigLock({}, async () => {
			const existing = await readConfigFile(team.configPath);
			if (existing.ok || !existing.missing) throw errors.teamExists(name, team.configPath);
			await team.#write(config);
		});
		await team.#ensureInboxDirectory();
		return team;
	}

	/** Open an existing team (one Claude Code made, or ours). */
	static async open(name: string, options: TeamOptions = {}): Promise<Team> {
		assertAddressableName('team', name);
		const team = new Team(name, options);
		await team.readConfig();
		await assertRealDirectory(team.directory);
		return team;
	}

	/** `config.json` as it is now (a read of a file unchanged since the last one may be reused: treat it as read-only). */
	async readConfig(): Promise<TeamConfig> {
		const first = await this.#config.read(this.configPath);
		if (first.ok || first.missing) return assertConfig(first, this.configPath, this.name);
		// Claude Code rewrites config.json in place, so an unlocked read can see a torn write: retry under its lock.
		return this.#withConfigLock({}, async () =>
			assertConfig(await readConfigFile(this.configPath), this.configPath, this.name),
		);
	}

	/** The roster's readable members (malformed ones stay in the file but are left out here). */
	async members(): Promise<TeamMember[]> {
		const config = await this.readConfig();
		// A reused read (unchanged file) keeps its checked roster: a lead looks it up for every request.
		let members = this.#members.get(config);
		if (!members) {
			members = validMembers(config);
			this.#members.set(config, members);
		}
		return members;
	}

	/** The leader's inbox name (`team-lead` unless the roster says otherwise). */
	async leaderName(): Promise<string> {
		return leaderNameOf(await this.readConfig());
	}

	/** The recorded lead process (`leadProcess` of `config.json`), if a well-formed one is there. */
	async leadProcess(): Promise<ProcessClaim | undefined> {
		return parseProcessClaim((await this.readConfig()).leadProcess);
	}

	/**
	Claim the team's lead for this process, as Claude Code records it (`leadProcess`, plus this machine's boot id and
	the heartbeat period), under the config lock. A claim made on this machine is judged by its pid; one made on another
	machine with a heartbeat is watched (outside the lock) until its heartbeat is seen to change (alive) or stays
	unchanged for `leadStaleMs` (dead). A dead or unjudgeable claim (another machine without a heartbeat, malformed) is
	replaced and reported in `replaced`.
	@throws {MailboxError} `LEAD_ACTIVE` when a live process holds it (unless `takeover`).
	*/
	async claimLead(options: ClaimLeadOptions = {}): Promise<LeadClaim> {
		const staleMs = options.leadStaleMs ?? defaultLeadStaleMs();
		const judging = { directory: this.directory, staleMs, signal: options.signal };
		// A claim watched from here, with its verdict; re-watched if another appears meanwhile.
		let watched: { claim: ProcessClaim; state: ProcessState } | undefined;
		let found = parseProcessClaim((await this.readConfig()).leadProcess);
		for (;;) {
			if (found && !onThisMachine(found) && found.refreshMs !== undefined && !options.takeover) {
				const state = await watchLead(found, judging);
				if (state === 'alive')
					throw errors.leadActive(this.name, found.pid, hostOfSpace(found.pidSpace), this.configPath);
				watched = { claim: found, state };
			}
			const claimed = await this.#withConfigLock(options, async (assertHeld) => {
				const config = assertConfig(await readConfigFile(this.configPath), this.configPath, this.name);
				const claim = claimForThisProcess(Date.now(), leadRefreshMs(staleMs));
				const place = { root: this.root, directoryName: sanitizeTeamDirName(this.name), dirMode: this.#dirMode };
				const result: LeadClaim = {
					claim,
					heartbeat: new LeadHeartbeat({ ...place, fileMode: this.#options.fileMode }, claim),
				};
				if (config.leadProcess !== undefined) {
					const previous = parseProcessClaim(config.leadProcess);
					let state: ProcessState;
					if (!previous || onThisMachine(previous) || previous.refreshMs === undefined || options.takeover) {
						state = judgeProcess(previous);
					} else if (watched && sameClaim(watched.claim, previous)) {
						// One more look under the lock: a lead that was only paused may have beaten again since.
						state = (await judgeLead(previous, judging)) === 'alive' ? 'alive' : watched.state;
					} else {
						found = previous; // another lead claimed while we watched: watch that one
						return undefined;
					}
					if (state === 'alive' && previous && !options.takeover) {
						throw errors.leadActive(this.name, previous.pid, hostOfSpace(previous.pidSpace), this.configPath);
					}
					result.replaced = { previous: config.leadProcess, state };
				}
				await result.heartbeat.begin();
				config.leadProcess = result.claim;
				await this.#write(config, assertHeld);
				return result;
			});
			if (claimed) return claimed;
		}
	}

	/** Remove `claim` from `config.json` if it is still the recorded one (stop its heartbeat first). Resolves `false` when someone took it over. */
	async releaseLead(claim: ProcessClaim, options: OperationOptions = {}): Promise<boolean> {
		return this.#withConfigLock(options, async (assertHeld) => {
			const read = await readConfigFile(this.configPath);
			if (!read.ok) return false; // the folder went (a Claude Code lead removes it on exit): nothing to release
			const recorded = parseProcessClaim(read.config.leadProcess);
			if (recorded?.pid !== claim.pid || recorded.claimedAt !== claim.claimedAt) return false;
			delete read.config.leadProcess;
			await this.#write(read.config, assertHeld);
			return true;
		});
	}

	/** The agent id of `name` in this team: `<name>@<team>`. */
	agentId(name: string): string {
		return formatAgentId(name, this.name);
	}

	/** Add a teammate under the config lock. Names are validated strictly and must not share an inbox file. */
	async addMember(input: MemberInput, options: OperationOptions = {}): Promise<TeamMember> {
		let added: TeamMember | undefined;
		await this.updateConfig((config) => {
			added = this.#addTo(config, input, Date.now());
		}, options);
		await this.#ensureInboxDirectory();
		return added as TeamMember;
	}

	/** Remove a member from the roster; resolves `false` if there was none by that name. */
	async removeMember(name: string, options: OperationOptions = {}): Promise<boolean> {
		let removed = false;
		await this.updateConfig((config) => {
			const before = config.members.length;
			config.members = config.members.filter((member) => (member as TeamMember | null)?.name !== name);
			removed = config.members.length < before;
		}, options);
		return removed;
	}

	/** Locked read-modify-write of `config.json` (Claude Code's lock path), written atomically. */
	async updateConfig(mutate: (config: TeamConfig) => void, options: OperationOptions = {}): Promise<TeamConfig> {
		return this.#withConfigLock(options, async (assertHeld) => {
			const config = assertConfig(await readConfigFile(this.configPath), this.configPath, this.name);
			mutate(config);
			await this.#write(config, assertHeld);
			return config;
		});
	}

	/**
	The inbox of `name` (any name Claude Code could address; sanitised exactly as Claude Code does). The same object for
	the same name, so its `quarantine` / `invalid` listeners hear about every read through this team.
	*/
	inbox(name: string): Inbox {
		let inbox = this.#inboxes.get(name);
		if (!inbox) {
			assertAddressableName('inbox', name);
			const file = path.join(this.inboxDirectory, `${sanitizePathComponent(name)}.json`);
			inbox = new Inbox(file, { ...this.#options, name, prepare: () => this.#ensureInboxDirectory() });
			this.#inboxes.set(name, inbox);
		}
		return inbox;
	}

	#addTo(config: TeamConfig, input: MemberInput, now: number): TeamMember {
		assertCreatableMemberName(input.name);
		const members = validMembers(config);
		const inboxKey = (name: string) => sanitizePathComponent(name).toLowerCase();
		if (members.some((member) => inboxKey(member.name) === inboxKey(input.name))) {
			throw errors.memberExists(input.name, this.configPath);
		}
		const teammates = members.filter((member) => member.agentId !== config.leadAgentId).length;
		const backendType = input.backendType ?? 'in-process';
		const member: TeamMember = {
			agentId: this.agentId(input.name),
			name: input.name,
			color: input.color ?? memberColors[teammates % memberColors.length],
			joinedAt: now,
			tmuxPaneId: backendType === 'in-process' ? 'in-process' : '',
			subscriptions: [],
			cwd: input.cwd ?? process.cwd(),
			backendType,
		};
		for (const key of ['agentType', 'model', 'prompt', 'planModeRequired'] as const) {
			if (input[key] !== undefined) (member as Record<string, unknown>)[key] = input[key];
		}
		config.members.push(member);
		return member;
	}

	#ensureInboxDirectory(): Promise<string> {
		this.#inboxDirectoryReady ??= ensureDirectoryInRoot(
			this.root,
			[sanitizePathComponent(this.name), 'inboxes'],
			this.#dirMode,
		).catch((error: unknown) => {
			this.#inboxDirectoryReady = undefined;
			throw error;
		});
		return this.#inboxDirectoryReady;
	}

	async #write(config: TeamConfig, assertHeld?: () => void): Promise<void> {
		const { fileMode: mode = 0o600, fsync = true } = this.#options;
		await writeFileAtomic(this.configPath, JSON.stringify(config, null, 2), { mode, fsync, beforeCommit: assertHeld });
	}

	async #withConfigLock<T>(options: OperationOptions, task: (assertHeld: () => void) => Promise<T>): Promise<T> {
		const lock = await acquireLock(this.configPath, `${this.configPath}.lock`, {
			staleMs: this.#options.staleMs,
			deadline: Date.now() + (options.timeoutMs ?? this.#options.lockTimeoutMs ?? 30_000),
			signal: options.signal,
		});
		try {
			return await task(() => lock.assertHeld());
		} finally {
			await lock.release();
		}
	}
}
