/** What the bench asks of a pool child (child.ts) and what it gets back; shared by both sides of the IPC channel. */

/** Which write path: this library, or the older Claude Code path reproduced in baseline-*.ts. */
export type Implementation = 'ours' | 'baseline';

/** Send `count` messages one after another into `file` (text `<writerId>:<index>`). */
export interface WriteCommand {
	role: 'write';
	impl: Implementation;
	file: string;
	writerId: number;
	count: number;
}

/** Ask the lead `count` Bash permissions one after another, as teammate `name`, through a Worker. */
export interface OursAskCommand {
	role: 'ask';
	impl: 'ours';
	root: string;
	team: string;
	name: string;
	count: number;
	/** Poll the inbox instead of OS notifications (network file system mode). */
	polling: boolean;
	/** Commands asked in turn (ask `i` runs `<commands[i % n]> <i>`); default: `echo`. */
	commands?: string[];
}

/** The same through the older path: request written by the baseline writer, answer found by a 500 ms poll. */
export interface BaselineAskCommand {
	role: 'ask';
	impl: 'baseline';
	inboxes: string;
	name: string;
	count: number;
	/** Give up on an answer after this long and count it unanswered (the older worker would wait forever). */
	deadlineMs: number;
}

export type ChildCommand = WriteCommand | OursAskCommand | BaselineAskCommand;

export interface WriteResult {
	/** Sends that rejected (ours) or that the older path swallowed an error for (baseline). */
	failed: { text: string; code: string }[];
	/** CPU (user + system) this writer used while sending, ms. */
	cpuMs: number;
}

export interface AskResult {
	/** Round trip of each answered request, ms. */
	samples: number[];
	/** Requests with no answer before the deadline. */
	unanswered: number;
	/** Answers other than allow, with their reason. */
	refused: string[];
	/** Time spent waiting on asks (answered or not), ms: excludes the older path's untimed start delays. */
	busyMs: number;
	/** CPU (user + system) this worker process used during the run, ms. */
	cpuMs: number;
}

/** Parent → child. */
export type ToChild = { job: number; command: ChildCommand } | { job: number; go: true };

/** Child → parent. */
export type FromChild =
	| { kind: 'ready' }
	| { kind: 'prepared'; job: number }
	| { kind: 'result'; job: number; result: unknown }
	| { kind: 'error'; job: number; message: string };
