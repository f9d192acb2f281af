/**
One real-client scenario: a private Claude Code home (config dir with the team, `.claude.json`, optional
`settings.json`), a mock of the model API, and the official Claude Code binary started as an agent-team pane
teammate on a pseudo-terminal, offline, as `../shared/reference/claude-code-offline.md` describes. The lead side is
whatever the test runs against the same teams root (our `lead` CLI, our `Worker`, or a Claude Code lead).
*/

import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { type IPty, spawn } from 'node-pty';
import { afterEach, describe, inject } from 'vitest';
import type { OutgoingEntry } from '../../src/inbox/entry.js';
import { Team } from '../../src/team/team.js';
import { type CliProcess, startCli } from '../helpers/cli.js';
import { MockModelApi, type Responder, type ScriptedCall } from './mock-api.js';

declare module 'vitest' {
	export interface ProvidedContext {
		claudeBin: string;
		/** Why there is no binary (locally only; CI fails instead), or empty. */
		claudeMissing: string;
	}
}

/** `describe`, skipped (saying why) when the global setup found no binary; under CI=true that setup fails instead. */
export function withClaude(name: string, body: () => void): void {
	const missing = inject('claudeMissing');
	if (missing) console.warn(`skipped "${name}": no Claude Code binary (${missing})`);
	describe.skipIf(missing !== '')(name, body);
}

export const TEAM = 'alpha';
export const WORKER = 'worker1';
const API_KEY = 'sk-ant-offline-test-key-0123456789abcdef';

const live = new Set<Scenario>();

afterEach(async () => {
	const scenarios = [...live];
	live.clear();
	await Promise.all(scenarios.map((scenario) => scenario.close()));
});

/** A Claude Code process on a pseudo-terminal. */
export class ClaudeProcess {
	readonly #pty: IPty;
	raw = '';
	readonly exited: Promise<number>;
	#done = false;
	readonly #waiters = new Set<() => void>();

	constructor(args: string[], options: { cwd: string; env: Record<string, string> }) {
		this.#pty = spawn(inject('claudeBin'), args, {
			name: 'xterm-256color',
			cols: 140,
			rows: 50,
			cwd: options.cwd,
			env: options.env,
		});
		this.#pty.onData((data) => {
			this.raw += data;
			this.#wake();
		});
		this.exited = new Promise((resolve) =>
			this.#pty.onExit(({ exitCode }) => {
				this.#done = true;
				this.#wake();
				resolve(exitCode);
			}),
		);
	}

	#wake(): void {
		for (const wake of this.#waiters) wake();
	}

	/** The screen output so far, escape sequences stripped. */
	text(since = 0): string {
		return stripVTControlCharacters(this.raw.slice(since));
	}

	mark(): number {
		return this.raw.length;
	}

	/**
	Resolves once the output since `since` shows `words`; rejects after `ms` or on exit. Claude Code's screen moves the
	cursor instead of printing spaces, so the match ignores all whitespace.
	*/
	async waitFor(words: string, since = 0, ms = 30_000): Promise<string> {
		const wanted = words.replace(/\s+/g, '');
		const deadline = Date.now() + ms;
		for (;;) {
			const text = this.text(since);
			if (text.replace(/\s+/g, '').includes(wanted)) return text;
			const left = deadline - Date.now();
			if (this.#done || left <= 0) {
				const why = this.#done ? 'Claude Code exited first' : `not within ${ms} ms`;
				throw new Error(`Claude Code never showed "${words}": ${why}\n--- screen ---\n${text.slice(-3000)}`);
			}
			await new Promise<void>((resolve) => {
				const wake = () => {
					clearTimeout(timer);
					this.#waiters.delete(wake);
					resolve();
				};
				const timer = setTimeout(wake, Math.min(left, 250));
				this.#waiters.add(wake);
			});
		}
	}

	press(keys: string): void {
		this.#pty.write(keys);
	}

	async kill(): Promise<void> {
		if (!this.#done) this.#pty.kill('SIGKILL');
		await this.exited;
	}
}

export interface ScenarioOptions {
	/** A short name, used in tool-use ids and markers. */
	tag: string;
	/** The tool calls the mock model makes, in order; given the scenario's output directory. */
	script: (out: string) => ScriptedCall[];
	/** A custom model instead of `script` (e.g. for a Claude Code lead and its helper). */
	respond?: Responder;
	/** Claude Code's user `settings.json` (e.g. the sandbox). */
	settings?: Record<string, unknown>;
}

/** The directories, the mock API and the processes of one scenario; closed after each test. */
export class Scenario {
	readonly tag: string;
	readonly dir: string;
	/** `CLAUDE_CONFIG_DIR`. */
	readonly configDir: string;
	/** `<configDir>/teams`: our `--root`. */
	readonly teamsRoot: string;
	readonly home: string;
	/** The teammate's working directory. */
	readonly cwd: string;
	/** Where the scripted commands write (outside `cwd`, so Claude Code asks before writing there). */
	readonly out: string;
	readonly api: MockModelApi;
	readonly team: Team;
	readonly claudes: ClaudeProcess[] = [];
	readonly #clis: CliProcess[] = [];

	private constructor(dir: string, tag: string, api: MockModelApi, team: Team) {
		this.dir = dir;
		this.tag = tag;
		this.configDir = path.join(dir, 'config');
		this.teamsRoot = path.join(this.configDir, 'teams');
		this.home = path.join(dir, 'home');
		this.cwd = path.join(dir, 'work');
		this.out = path.join(dir, 'out');
		this.api = api;
		this.team = team;
	}

	static async start(options: ScenarioOptions): Promise<Scenario> {
		const dir = mkdtempSync(path.join(tmpdir(), `claude-${options.tag}-`));
		const configDir = path.join(dir, 'config');
		const cwd = path.join(dir, 'work');
		for (const sub of ['config', 'home', 'work', 'out', 'tmp']) mkdirSync(path.join(dir, sub), { recursive: true });
		const claudeJson = {
			hasCompletedOnboarding: true,
			projects: { [cwd]: { hasTrustDialogAccepted: true } },
			customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
		};
		writeFileSync(path.join(configDir, '.claude.json'), JSON.stringify(claudeJson, null, 2));
		if (options.settings) writeFileSync(path.join(configDir, 'settings.json'), JSON.stringify(options.settings));
		const api = await MockModelApi.start(options.respond ?? options.script(path.join(dir, 'out')), options.tag);
		const team = await Team.create(TEAM, {
			root: path.join(configDir, 'teams'),
			cwd,
			members: [{ name: WORKER }],
		});
		const scenario = new Scenario(dir, options.tag, api, team);
		live.add(scenario);
		return scenario;
	}

	/** The environment Claude Code runs with: nothing from the caller but `PATH`. */
	env(extra: Record<string, string> = {}): Record<string, string> {
		return {
			PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
			HOME: this.home,
			// Claude Code keeps per-project scratch under $TMPDIR/claude-<uid>: inside the scenario, removed with it.
			TMPDIR: path.join(this.dir, 'tmp'),
			TERM: 'xterm-256color',
			LANG: 'C.UTF-8',
			CLAUDE_CONFIG_DIR: this.configDir,
			ANTHROPIC_BASE_URL: this.api.url,
			ANTHROPIC_API_KEY: API_KEY,
			CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
			DISABLE_AUTOUPDATER: '1',
			...extra,
		};
	}

	/** Put the teammate's first prompt in its inbox (signed by `sign` when given), as a Claude Code lead does. */
	async prompt(text: string, sign?: (entry: OutgoingEntry) => OutgoingEntry): Promise<void> {
		const entry: OutgoingEntry = { from: 'team-lead', text };
		await this.team.inbox(WORKER).send(sign ? sign(entry) : entry);
	}

	/** Start Claude Code as the pane teammate `worker1@alpha`, in `--permission-mode default`. */
	startTeammate(options: { verifyKey?: string } = {}): ClaudeProcess {
		const args = [
			'--agent-id',
			`${WORKER}@${TEAM}`,
			'--agent-name',
			WORKER,
			'--team-name',
			TEAM,
			'--agent-color',
			'blue',
			'--parent-session-id',
			randomUUID(),
			...(options.verifyKey ? ['--lead-verify-key', options.verifyKey] : []),
			'--permission-mode',
			'default',
		];
		const env = this.env({ CLAUDECODE: '1', CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS: '1' });
		const claude = new ClaudeProcess(args, { cwd: this.cwd, env });
		this.claudes.push(claude);
		return claude;
	}

	/**
	Start Claude Code as an interactive team lead that adopts this team (`CLAUDE_INTERNAL_ASSISTANT_TEAM_NAME`). It
	reads its inbox only once it has spawned a teammate itself, so its model has to start one first.
	*/
	startClaudeLead(): ClaudeProcess {
		const env = this.env({ CLAUDE_CODE_EXPERIMENTAL_AGENT_TEAMS: '1', CLAUDE_INTERNAL_ASSISTANT_TEAM_NAME: TEAM });
		const claude = new ClaudeProcess(['--permission-mode', 'default'], { cwd: this.cwd, env });
		this.claudes.push(claude);
		return claude;
	}

	/** Our `lead` CLI (`--json`) on this team; resolves once it is ready. */
	async startLead(args: string[] = []): Promise<CliProcess> {
		const lead = startCli(['--json', 'lead', TEAM, ...args], { root: this.teamsRoot, deadlineMs: 120_000 });
		this.#clis.push(lead);
		await lead.nextEvent((event) => event['event'] === 'ready', 'lead ready');
		return lead;
	}

	/** Put the first prompt in the teammate's inbox and start it (see `prompt` and `startTeammate`). */
	async launch(
		options: { verifyKey?: string; sign?: (entry: OutgoingEntry) => OutgoingEntry } = {},
	): Promise<ClaudeProcess> {
		await this.prompt('Run the command you were given.', options.sign);
		return this.startTeammate(options.verifyKey === undefined ? {} : { verifyKey: options.verifyKey });
	}

	/** The lead's first `request` event whose id is not in `seen` (Claude Code asks about a second after launch). */
	async nextRequest(lead: CliProcess, seen: unknown[] = []): Promise<Record<string, unknown>> {
		return lead
			.nextEvent(
				(event) => event['event'] === 'request' && !seen.includes(event['requestId']),
				'the permission request',
				60_000,
			)
			.catch((error: Error) => {
				throw new Error(`${error.message}
--- Claude Code ---\n${this.screens()}`);
			});
	}

	/** The lead's JSON events so far (complete lines only). */
	leadEvents(lead: CliProcess): Record<string, unknown>[] {
		const lines = lead.stdout.split('\n').slice(0, -1);
		return lines.filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
	}

	/** Polls `check` every 100 ms until it holds; fails after `ms`. */
	async until(check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
		const deadline = Date.now() + ms;
		while (!(await check())) {
			if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms\n${this.screens()}`);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}

	/** A file the scripted commands write, or `undefined` when no command wrote it. */
	output(name = 'ran.txt', dir = this.out): string | undefined {
		try {
			return readFileSync(path.join(dir, name), 'utf8');
		} catch {
			return undefined;
		}
	}

	/** The last screen of each Claude Code process, for a failing test's message. */
	screens(): string {
		return this.claudes.map((claude) => claude.text().slice(-2000)).join('\n-----\n');
	}

	async close(): Promise<void> {
		live.delete(this);
		await Promise.all(this.claudes.map((claude) => claude.kill()));
		await Promise.all(this.#clis.map((cli) => (cli.child.exitCode === null ? cli.stop('SIGKILL') : undefined)));
		await this.api.close();
		rmSync(this.dir, { recursive: true, force: true });
	}
}

/** `Scenario.start`. */
export function startScenario(options: ScenarioOptions): Promise<Scenario> {
	return Scenario.start(options);
}

/** A Bash call in the shape Claude Code's Bash tool takes. */
export function bash(command: string, description = 'Write a marker file'): ScriptedCall {
	return { name: 'Bash', input: { command, description } };
}
