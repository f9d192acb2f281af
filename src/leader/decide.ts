/**
A runner's own decision function on the Leader's fast path (`LeaderOptions.decide`). It sees every request the
policy's rules neither allow nor deny, before a person is asked; what it decides is answered the policy's way (claimed
and delivered at once, no journal record for a person first). It runs with a deadline and an AbortSignal; a throw, a
timeout or a malformed decision is reported and the request goes on to a person: a failing decider never allows.
*/

import { errors } from '../errors.js';
import type { PendingRecord } from '../journal/pending-store.js';
import type { PolicyDecision } from '../policy/policy.js';
import { type PermissionRequestFrame, type PermissionUpdate, validPermissionUpdates } from '../protocol/frames.js';
import type { Team } from '../team/team.js';
import { type AnswerDecision, hostOf } from './response.js';

/** A request as a decide function sees it. */
export interface DecideRequest {
	/** A tool call (`permission`), or sandbox network access (`sandbox`). */
	kind: 'permission' | 'sandbox';
	/** The asking worker's name. */
	worker: string;
	requestId: string;
	/** The tool asked for; `undefined` for sandbox requests (see `host`). */
	toolName: string | undefined;
	/** The tool call's id; `undefined` for sandbox requests. */
	toolUseId: string | undefined;
	/** The tool input as the worker sent it; `{}` for sandbox requests. */
	input: Record<string, unknown>;
	/** The worker's description of the call; `''` for sandbox requests. */
	description: string;
	/** The worker's valid `permission_suggestions` (what "always allow" would add on its side); `[]` for sandbox requests. */
	suggestions: readonly PermissionUpdate[];
	/** The host a sandbox request asks to reach; `undefined` for tool calls. */
	host: string | undefined;
	/** Epoch ms at which the Leader took the request in. */
	receivedAt: number;
}

/** What a decide function gets besides the request. */
export interface DecideContext {
	/** Aborted when `decideTimeoutMs` has passed or the Leader closes: the answer is no longer wanted. */
	signal: AbortSignal;
	team: Team;
	/** The Leader's inbox name. */
	leader: string;
	/**
	What the policy said, when it has one: `ask` (an ask rule, or no rule with the fallback `ask`) or the fallback
	`deny` (no rule matched; `fallback: true`), which stands if the function returns `undefined`.
	*/
	policy: PolicyDecision | undefined;
}

/**
Decides a request in the runner's code: an {@link AnswerDecision} (allow, optionally with an edited input, permission
updates or `always`; deny with a message) answers it, `undefined` leaves it to a person.
*/
export type DecideFunction = (
	request: DecideRequest,
	context: DecideContext,
) => AnswerDecision | undefined | Promise<AnswerDecision | undefined>;

/** The request of a journal record, as a decide function sees it. */
export function decideRequestOf(record: PendingRecord): DecideRequest {
	const base = { kind: record.kind, worker: record.worker, requestId: record.requestId, receivedAt: record.receivedAt };
	if (record.kind === 'sandbox') {
		const request = { toolName: undefined, toolUseId: undefined, input: {}, description: '', suggestions: [] };
		return { ...base, ...request, host: hostOf(record) };
	}
	const frame = record.frame as PermissionRequestFrame;
	return {
		...base,
		toolName: frame.tool_name,
		toolUseId: frame.tool_use_id,
		input: frame.input,
		description: frame.description,
		suggestions: validPermissionUpdates(frame.permission_suggestions),
		host: undefined,
	};
}

function isDecision(value: unknown): value is AnswerDecision {
	const behavior = (value as { behavior?: unknown } | null)?.behavior;
	return typeof value === 'object' && (behavior === 'allow' || behavior === 'deny');
}

/** Runs a decide function with its deadline, turning every failure into a report and `undefined` (a person decides). */
export class DecideRunner {
	readonly #decide: DecideFunction;
	readonly #timeoutMs: number;
	readonly #context: Omit<DecideContext, 'signal' | 'policy'>;
	readonly #onFailure: (error: unknown) => void;
	readonly #running = new Set<AbortController>();
	#closed = false;

	constructor(
		decide: DecideFunction,
		timeoutMs: number,
		context: Omit<DecideContext, 'signal' | 'policy'>,
		onFailure: (error: unknown) => void,
	) {
		if (!(timeoutMs > 0)) throw errors.invalidArgument('decideTimeoutMs', 'a number of ms > 0', timeoutMs);
		this.#decide = decide;
		this.#timeoutMs = timeoutMs;
		this.#context = context;
		this.#onFailure = onFailure;
	}

	/**
	The decision for `record`, or `undefined` to ask a person (also after a failure, which is reported). `whileWaiting`
	is called once the function has returned a promise, before it settles: work that can overlap the wait starts there.
	*/
	async run(
		record: PendingRecord,
		policy?: PolicyDecision,
		whileWaiting?: () => void,
	): Promise<AnswerDecision | undefined> {
		if (this.#closed) return undefined;
		const controller = new AbortController();
		const context: DecideContext = {
			team: this.#context.team,
			leader: this.#context.leader,
			signal: controller.signal,
			policy,
		};
		let result: ReturnType<DecideFunction>;
		try {
			result = this.#decide(decideRequestOf(record), context);
		} catch (error) {
			return this.#failed(record, `it threw: ${describe(error)}`, error);
		}
		// A synchronous answer needs no deadline: the fast path pays for no timer.
		if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') return this.#checked(record, result);
		const pending = Promise.resolve(result);
		whileWaiting?.();
		this.#running.add(controller);
		let timer: NodeJS.Timeout | undefined;
		const deadline = new Promise<'timeout'>((resolve) => {
			timer = setTimeout(() => resolve('timeout'), this.#timeoutMs);
		});
		const closed = new Promise<'closed'>((resolve) =>
			controller.signal.addEventListener('abort', () => resolve('closed'), { once: true }),
		);
		try {
			const outcome = await Promise.race([pending, deadline, closed]);
			if (outcome === 'timeout') {
				controller.abort(errors.timeout('decide', this.#timeoutMs));
				return this.#failed(record, `it did not answer within ${this.#timeoutMs} ms (decideTimeoutMs)`);
			}
			if (outcome === 'closed') return undefined;
			return this.#checked(record, outcome);
		} catch (error) {
			return this.#failed(record, `it threw: ${describe(error)}`, error);
		} finally {
			clearTimeout(timer);
			this.#running.delete(controller);
			pending.catch(() => {}); // a late rejection after the deadline is not unhandled
		}
	}

	#checked(record: PendingRecord, value: unknown): AnswerDecision | undefined {
		if (value === undefined || this.#closed) return undefined;
		if (isDecision(value)) return value;
		return this.#failed(record, `it returned ${describe(value)}, not an AnswerDecision or undefined`);
	}

	#failed(record: PendingRecord, reason: string, cause?: unknown): undefined {
		this.#onFailure(errors.deciderFailed(record.requestId, record.worker, reason, cause));
		return undefined;
	}

	/** Report an answer the decider gave that could not be sent (invalid `updatedInput` …): a person decides. */
	rejected(record: PendingRecord, error: unknown): void {
		this.#failed(record, `its decision was refused: ${describe(error)}`, error);
	}

	/** Abort every decision in progress (each request goes to a person's queue in the journal). */
	close(): void {
		this.#closed = true;
		for (const controller of this.#running) controller.abort(errors.closed('Leader'));
		this.#running.clear();
	}
}

function describe(value: unknown): string {
	if (value instanceof Error) return value.message;
	try {
		return JSON.stringify(value)?.slice(0, 200) ?? String(value);
	} catch {
		return String(value);
	}
}
