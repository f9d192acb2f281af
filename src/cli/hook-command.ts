/**
`hook --team T --as W`: a Claude Code command hook (`PermissionRequest` or `PreToolUse`) that asks the team lead. It
reads the hook input on stdin, decides locally when `--policy` has a rule for the call, otherwise asks the lead as
worker W, and prints the hook output for the event (see `adapters/claude-hook.ts`).

It runs once per tool call, so it loads the mailbox only when it asks the lead. And it always decides on purpose:
once the event is known, every failure (bad flags, a missing team, an unreadable policy, even a crash) is a deny that
says what broke, written before the process exits. Only stdin that names no event gets the contract's error path:
a message on stderr and exit 2 (which blocks a `PreToolUse` call; `PermissionRequest` ignores it and shows its dialog).
*/

import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { Command, Option } from 'commander';
import {
	decisionFromOutcome,
	describeHookCall,
	type HookDecision,
	type HookEvent,
	type HookInput,
	parseHookInput,
	renderHookOutput,
} from '../adapters/claude-hook.js';
import { errors } from '../errors.js';
import { describeError, exitCodes } from './output.js';

interface HookFlags {
	team: string;
	as: string;
	timeout?: string;
	leadVerifyKey?: string;
	onTimeout: 'deny' | 'ask';
	policy?: string;
}

/** Claude Code writes the input and closes stdin at once; a stdin still open after this is not Claude Code. */
const STDIN_DEADLINE_MS = 10_000;
/** Far above any tool input a session sends (and above what one inbox entry may hold). */
const STDIN_MAX_BYTES = 64 * 1024 * 1024;
/** After the output is written, a handle still open may delay the exit this long at most. */
const EXIT_GRACE_MS = 2_000;

/** The hook's whole run: one answer on stdout (or the error path), whatever happens. */
class HookRun {
	#event: HookEvent | undefined;
	#answered = false;

	async run(flags: HookFlags, self: Command): Promise<void> {
		const crash = (error: unknown) => this.fail(error);
		process.on('uncaughtException', crash);
		process.on('unhandledRejection', crash);
		try {
			const parsed = parseHookInput(await readStdin());
			if (parsed.kind === 'unreadable') return this.refuse(`${parsed.problem}; it must be a Claude Code hook input`);
			if (parsed.kind === 'unsupported') {
				return this.refuse(`${parsed.event} is not a permission event (use PermissionRequest or PreToolUse)`, 1);
			}
			this.#event = parsed.kind === 'ok' ? parsed.input.hook_event_name : parsed.event;
			if (parsed.kind === 'invalid') {
				const message = `The ${parsed.event} hook input is not valid (${parsed.problem}), so the call was denied.`;
				return this.answer({ behavior: 'deny', message });
			}
			const cleanup: Promise<unknown>[] = [];
			const root = self.optsWithGlobals<{ root?: string }>().root;
			this.answer(await decide(parsed.input, flags, root, (closing) => cleanup.push(closing)));
			await Promise.allSettled(cleanup);
		} catch (error) {
			this.fail(error);
		}
	}

	/** Print the decision for the event, once. */
	answer(decision: HookDecision): void {
		if (this.#answered || this.#event === undefined) return;
		this.#answered = true;
		const text = renderHookOutput(this.#event, decision);
		process.exitCode = exitCodes.ok;
		process.stdout.write(text, () => exitSoon());
	}

	/** Anything that went wrong: a deny naming it once the event is known, else the error path. */
	fail(error: unknown): void {
		if (this.#event === undefined) {
			this.refuse(`failed before reading the hook input: ${describeError(error)}`);
			return;
		}
		const message = `The swarm-mailbox hook could not ask the team lead (${describeError(error)}), so the call was denied.`;
		this.answer({ behavior: 'deny', message });
	}

	/** The contract's error path: exit 2 (a blocking error) with the reason on stderr, unless told otherwise. */
	refuse(reason: string, code: number = exitCodes.error): void {
		if (this.#answered) return;
		this.#answered = true;
		process.exitCode = code;
		process.stderr.write(`swarm-mailbox hook: ${reason}\n`, () => exitSoon());
	}
}

/** Let the process end by itself, but never leave Claude Code waiting on a handle that stayed open. */
function exitSoon(): void {
	setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
}

/** Everything on stdin, as text. */
function readStdin(): Promise<string> {
	const stdin = process.stdin;
	if (stdin.isTTY) return Promise.reject(new Error('stdin is a terminal, not the hook input Claude Code pipes in'));
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const finish = (error?: Error) => {
			clearTimeout(timer);
			stdin.off('data', onData).off('end', onEnd).off('error', finish);
			stdin.pause();
			if (error) reject(error);
			else resolve(Buffer.concat(chunks).toString('utf8'));
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > STDIN_MAX_BYTES) return finish(new Error(`stdin holds more than ${STDIN_MAX_BYTES} bytes`));
			chunks.push(chunk);
		};
		const onEnd = () => finish();
		const timer = setTimeout(
			() => finish(new Error(`stdin was not closed within ${STDIN_DEADLINE_MS} ms`)),
			STDIN_DEADLINE_MS,
		);
		stdin.on('data', onData).once('end', onEnd).once('error', finish);
	});
}

/** `--timeout`, checked as `parseMs` in `context.ts` does (which this module does not load: it opens teams). */
function parseTimeout(text: string): number {
	const value = Number(text);
	if (!/^\d+$/.test(text.trim()) || !(value > 0) || !Number.isSafeInteger(value)) {
		throw errors.invalidArgument('--timeout', 'a whole number of ms > 0', text);
	}
	return value;
}

/** The local policy's decision, else the lead's. */
async function decide(
	input: HookInput,
	flags: HookFlags,
	root: string | undefined,
	later: (closing: Promise<unknown>) => void,
): Promise<HookDecision> {
	const timeoutMs = flags.timeout === undefined ? undefined : parseTimeout(flags.timeout);
	if (flags.policy !== undefined) {
		const local = await decideLocally(input, flags.policy);
		if (local) return local;
	}
	return askTheLead(input, flags, root, timeoutMs, later);
}

/** `--policy`: a matching allow or deny rule (or `fallback: "deny"`) decides here; anything else goes to the lead. */
async function decideLocally(input: HookInput, file: string): Promise<HookDecision | undefined> {
	const [{ loadPolicyFile }, { RuleSet }, { formatRule }] = await Promise.all([
		import('./policy-file.js'),
		import('../policy/rule-set.js'),
		import('../policy/rule.js'),
	]);
	const options = await loadPolicyFile(file);
	const context = { cwd: input.cwd, projectRoot: input.cwd, homeDir: homedir() };
	const { behavior, rule } = new RuleSet(options.rules).decide(input.tool_name, input.tool_input, context);
	const by = rule ? `rule ${formatRule(rule)}` : 'its fallback';
	if (behavior === 'allow') return { behavior: 'allow', reason: `Allowed by the hook's policy (${by})` };
	if (behavior === 'deny' || (behavior === 'none' && options.fallback === 'deny')) {
		return { behavior: 'deny', message: `${input.tool_name} denied by the hook's policy (${by}).` };
	}
	return undefined;
}

/** Ask the lead as the worker `--as`; the mailbox is loaded only now. The worker's closing is handed to `later`. */
async function askTheLead(
	input: HookInput,
	flags: HookFlags,
	root: string | undefined,
	timeoutMs: number | undefined,
	later: (closing: Promise<unknown>) => void,
): Promise<HookDecision> {
	const [{ Team }, { Worker }, { LeadVerifier }, { askLead }, { validPermissionUpdates }] = await Promise.all([
		import('../team/team.js'),
		import('../worker/worker.js'),
		import('../protocol/signing.js'),
		import('../adapters/ask-lead.js'),
		import('../protocol/permissions.js'),
	]);
	const verifier = flags.leadVerifyKey === undefined ? undefined : new LeadVerifier(flags.leadVerifyKey);
	const team = await Team.open(flags.team, root === undefined ? {} : { root });
	// Claude Code runs one hook process per tool call, several at once: they share the worker's inbox.
	const worker = new Worker(team, {
		name: flags.as,
		sharedInbox: true,
		...(verifier ? { verifier } : {}),
		...(timeoutMs === undefined ? {} : { timeoutMs }),
	});
	try {
		const toolUseId =
			input.hook_event_name === 'PreToolUse' ? input.tool_use_id : `toolu_hook_${randomBytes(12).toString('hex')}`;
		const suggestions =
			input.hook_event_name === 'PermissionRequest' ? validPermissionUpdates(input.permission_suggestions ?? []) : [];
		const ask = {
			toolName: input.tool_name,
			toolUseId,
			input: input.tool_input,
			description: describeHookCall(input),
			suggestions,
		};
		const outcome = await askLead(worker, ask, {});
		return decisionFromOutcome(outcome, { input: input.tool_input, onTimeout: flags.onTimeout });
	} finally {
		// Closing acks the answer; the decision is printed first, so a slow inbox lock cannot hold it back.
		later(worker.close());
	}
}

export function hookCommand(): Command {
	return new Command('hook')
		.description(
			'answer a Claude Code permission hook (PermissionRequest, PreToolUse) read on stdin by asking the lead',
		)
		.requiredOption('--team <team>', 'team name')
		.requiredOption('--as <worker>', 'the worker name the lead sees (its inbox receives the answers)')
		.option(
			'--timeout <ms>',
			"deny if the lead has not answered within this many ms (default 120000; keep it under the hook's timeout)",
		)
		.option('--lead-verify-key <key>', "accept only answers signed with this key (the lead's --signing-key)")
		.addOption(
			new Option(
				'--on-timeout <what>',
				'when the lead does not answer in time: deny, or ask (Claude Code shows its dialog)',
			)
				.choices(['deny', 'ask'])
				.default('deny'),
		)
		.option(
			'--policy <file>',
			'decide locally first: a policy file (as for `lead --policy`); unmatched calls go to the lead',
		)
		.action((flags: HookFlags, self: Command) => new HookRun().run(flags, self));
}
