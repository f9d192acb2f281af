/**
The interactive leader's one long-running prompt, built on Inquirer's prompt core (`@inquirer/core`): it owns the
terminal (raw mode, redrawing, restoring it on exit) and gives React-style hooks, so the screen redraws both on key
presses and when the board changes underneath (a new request, an answer given from another shell).

Keys on a request: `a` approve, `d` deny (then type the reason, Enter), `A` or `l` always allow this exact call, `p`
always allow its prefix (`Bash(npm test:*)`, the file's directory), `t` always allow the whole tool (each persists a
rule and sends it to the worker), `s` approve and accept the worker's own suggestions, `e` edit the input as one line
of JSON (Enter approves with it), Esc back, Ctrl+C quit.
*/

import { createPrompt, isEnterKey, type KeypressEvent, useEffect, useKeypress, useRef, useState } from '@inquirer/core';
import type { PendingRequest } from '../leader/pending-request.js';
import type { AlwaysScope } from '../policy/always-rule.js';
import type { LeadBoard } from './lead-board.js';
import { columns, describeError, preview, printable } from './output.js';

/** What a key press asks for. */
export type ScreenAnswer =
	| {
			behavior: 'allow';
			updatedInput?: Record<string, unknown>;
			always?: boolean | AlwaysScope;
			acceptSuggestions?: boolean;
	  }
	| { behavior: 'deny'; message?: string };

export interface LeadPromptConfig {
	/** First part of the status line, e.g. `swarm-mailbox lead · team alpha`. */
	title: string;
	board: LeadBoard;
	/** Answer `request`; rejects with the reason it was not answered (shown on screen). */
	answer: (request: PendingRequest, answer: ScreenAnswer) => Promise<void>;
}

type Mode = 'choose' | 'reason' | 'edit';
type Key = KeypressEvent & { sequence?: string };
type Readline = Parameters<Parameters<typeof useKeypress>[0]>[1];

const KEYS =
	'[a] approve  [d] deny  [A/l] always: this call  [p] …its prefix  [t] …the tool  [e] edit input  [Ctrl+C] quit';
const SUGGESTION_KEY = '  [s] approve + accept its suggestions';
const SCOPE_KEYS: Record<string, AlwaysScope> = { p: 'prefix', t: 'tool' };
const NETWORK_KEYS = '[a] approve  [d] deny  [A/l] always allow  [Ctrl+C] quit';
const LABELS: Record<Exclude<Mode, 'choose'>, string> = {
	reason: 'Reason for denying (Enter: deny, Esc: back): ',
	edit: 'Input JSON (Enter: approve with it, Esc: back): ',
};
// JSON.stringify escapes control characters but not these; as \u escapes the text stays equal JSON and cannot
// reorder what the person sees while editing.
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const styled = (format: 'bold' | 'dim' | 'red', text: string) =>
	process.env['NO_COLOR'] ? text : `${{ bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m' }[format]}${text}\x1b[0m`;

/** The input as one editable line of JSON. */
function editableJson(input: Record<string, unknown> | undefined): string {
	return JSON.stringify(input ?? {}).replace(BIDI, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON object typed by the person, or the reason it is not one. */
function parseEdited(text: string): { input: Record<string, unknown> } | { problem: string } {
	try {
		const value: unknown = JSON.parse(text);
		if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
			return { input: value as Record<string, unknown> };
		}
		return { problem: 'the input must be a JSON object ({…})' };
	} catch (error) {
		return { problem: `not valid JSON: ${(error as Error).message}` };
	}
}

function statusLine(config: LeadPromptConfig): string {
	const workers = [...config.board.workers()].map(([worker, count]) => `${printable(worker)} ${count}`);
	const waiting = `${config.board.pending.length} pending`;
	return `${config.title} · ${waiting}${workers.length > 0 ? ` · workers: ${workers.join(', ')}` : ''}`;
}

function requestLines(request: PendingRequest, queued: number): string[] {
	const asks = request.kind === 'sandbox' ? 'for network access' : `to use ${printable(request.toolName ?? '')}`;
	const received = new Date(request.receivedAt).toLocaleTimeString();
	const rows =
		request.kind === 'sandbox'
			? [['  host', printable(request.host ?? '')]]
			: [
					['  tool', printable(request.toolName ?? '')],
					['  description', printable(request.description ?? '', { maxLength: 200 }) || '-'],
					['  input', preview(request.input ?? {}, 300)],
				];
	const more = queued > 1 ? `  (${queued - 1} more waiting)` : '';
	return [
		styled('bold', `${printable(request.worker)} asks ${asks}`) + more,
		columns([...rows, ['  request', `${printable(request.requestId)} at ${received}`]]),
	];
}

export const leadPrompt = createPrompt<void, LeadPromptConfig>((config) => {
	const { board } = config;
	const version = useRef(0);
	const [, setVersion] = useState(0);
	const [mode, setMode] = useState<Mode>('choose');
	const [typed, setTyped] = useState('');
	const [problem, setProblem] = useState<string | undefined>(undefined);
	const [busy, setBusy] = useState(false);
	// The request a reason or an edit is for: it stays on screen even if the queue moves on meanwhile.
	const target = useRef<PendingRequest | undefined>(undefined);

	useEffect(() => {
		const unsubscribe = board.subscribe(() => setVersion(++version.current));
		return () => void unsubscribe();
	}, []);

	const reset = (rl: Readline) => {
		rl.clearLine(0);
		setTyped('');
		setMode('choose');
	};

	const send = async (rl: Readline, request: PendingRequest, answer: ScreenAnswer) => {
		setBusy(true);
		setProblem(undefined);
		try {
			await config.answer(request, answer);
		} catch (error) {
			setProblem(describeError(error));
		} finally {
			reset(rl);
			setBusy(false);
		}
	};

	useKeypress(async (event, rl) => {
		const key = event as Key;
		if (busy || mode === 'choose') rl.clearLine(0); // single keys are commands, not text
		if (busy) return;
		if (mode === 'choose') {
			const request = board.current;
			if (request === undefined) return;
			if (key.sequence === 'a') return send(rl, request, { behavior: 'allow' });
			if (key.sequence === 'A' || key.sequence === 'l') return send(rl, request, { behavior: 'allow', always: true });
			const scope = request.kind === 'sandbox' ? undefined : SCOPE_KEYS[key.sequence ?? ''];
			if (scope) return send(rl, request, { behavior: 'allow', always: scope });
			if (key.sequence === 's' && request.suggestions.length > 0) {
				return send(rl, request, { behavior: 'allow', acceptSuggestions: true });
			}
			if (key.sequence === 'd' || key.sequence === 'e') {
				if (key.sequence === 'e' && request.kind === 'sandbox') {
					return setProblem('A network request has no input to edit: approve or deny it.');
				}
				target.current = request;
				setProblem(undefined);
				setMode(key.sequence === 'd' ? 'reason' : 'edit');
				const prefill = key.sequence === 'e' ? editableJson(request.input) : '';
				rl.write(prefill);
				setTyped(prefill);
			}
			return;
		}
		const request = target.current as PendingRequest;
		if (key.name === 'escape') return reset(rl);
		if (!isEnterKey(event)) return setTyped(rl.line);
		if (mode === 'reason') return send(rl, request, { behavior: 'deny', message: typed.trim() || undefined });
		const edited = parseEdited(typed);
		if ('problem' in edited) {
			rl.write(typed); // Enter cleared the line: give the text back to fix it
			return setProblem(edited.problem);
		}
		return send(rl, request, { behavior: 'allow', updatedInput: edited.input });
	});

	const shown = mode === 'choose' ? board.current : target.current;
	const top = [styled('bold', statusLine(config)), styled('dim', '─'.repeat(60))];
	if (shown === undefined) top.push('Waiting for permission requests… (Ctrl+C to quit)');
	else
		top.push(
			...requestLines(shown, board.pending.length),
			mode !== 'choose'
				? LABELS[mode] + typed
				: shown.kind === 'sandbox'
					? NETWORK_KEYS
					: KEYS + (shown.suggestions.length > 0 ? SUGGESTION_KEY : ''),
		);
	const bottom = [];
	if (busy) bottom.push(styled('dim', 'sending the answer…'));
	if (problem) bottom.push(styled('red', `! ${printable(problem)}`));
	if (board.log.length > 0) bottom.push(styled('dim', 'Recent:'), ...board.log.map((line) => `  ${line}`));
	return [top.join('\n'), bottom.join('\n')];
});
