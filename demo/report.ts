/**
The demo's table: one row per finished request, built from the worker's outcome and the leader's audit record, and
checked against the scenario's expectation.
*/

import { isDeepStrictEqual } from 'node:util';
import type { AuditRecord } from '../src/index.js';
import { type Ask, asks, type Expected, type OutcomeMessage, preview, workerTimeoutMs } from './scenario.js';

/** What actually happened to one request. */
export interface Actual {
	decision: 'allow' | 'deny';
	by: string;
	rule?: string;
	input?: Record<string, unknown>;
}

/**
The deciding rule, from the policy's note in the audit record: "Read allowed by rule Read", "network access to h denied
by evil.example.com", or "no rule matches Write; denied by default" (the fallback).
*/
function ruleOf(note: string): string | undefined {
	if (note.startsWith('no rule matches')) return 'default';
	return / by (?:rule )?(\S.*)$/.exec(note)?.[1];
}

/** Join a worker's outcome with the leader's record of it (absent when the worker's own deadline ended it). */
export function actualOf(outcome: OutcomeMessage, record: AuditRecord | undefined): Actual {
	const by = outcome.reason === 'timeout' ? 'timeout' : (record?.decidedBy ?? `worker (${outcome.reason})`);
	const rule = by === 'policy' ? ruleOf(record?.message ?? '') : undefined;
	return {
		decision: outcome.decision,
		by,
		...(rule === undefined ? {} : { rule }),
		...(outcome.input === undefined ? {} : { input: outcome.input }),
	};
}

/** How `actual` differs from `expected`, or `undefined` when it is as expected. */
export function mismatchOf(expected: Expected, actual: Actual): string | undefined {
	const wanted = `${expected.decision} by ${expected.by}${expected.rule ? ` ${expected.rule}` : ''}`;
	const got = `${actual.decision} by ${actual.by}${actual.rule ? ` ${actual.rule}` : ''}`;
	if (wanted !== got) return `expected ${wanted}`;
	if (expected.input && !isDeepStrictEqual(expected.input, actual.input)) {
		return `expected the input ${JSON.stringify(expected.input)}`;
	}
	return undefined;
}

const widths = [6, Math.max(...asks.map((ask) => preview(ask).length)), 36, 24, 6] as const;

function line(cells: readonly string[]): string {
	return cells
		.map((cell, index) => (index === 4 ? cell.padStart(widths[4]) : cell.padEnd(widths[index] ?? 0)))
		.join('  ')
		.trimEnd();
}

export const header = line(['worker', 'request', 'decision', 'decided by', 'ms']);
export const separator = '-'.repeat(header.length + 3);

/** One table row; a mismatch is flagged at the end of it. */
export function row(ask: Ask, outcome: OutcomeMessage, actual: Actual, mismatch: string | undefined): string {
	let decision: string = actual.decision;
	if (actual.by === 'timeout') decision = `deny: no answer in ${ask.timeoutMs ?? workerTimeoutMs} ms`;
	else if (actual.decision === 'deny' && actual.by !== 'policy') decision = `deny: "${outcome.message}"`;
	else if (actual.input && ask.input && !isDeepStrictEqual(actual.input, ask.input)) {
		decision = `allow, edited: ${preview({ ...ask, input: actual.input }).replace(/^\w+: /, '')}`;
	}
	const by = actual.rule ? `${actual.by} ${actual.rule}` : actual.by;
	const cells = [ask.worker, preview(ask), decision, by, outcome.roundTripMs.toFixed(0)];
	return `${line(cells)}  ${mismatch ? `✗ ${mismatch}` : '✓'}`;
}
