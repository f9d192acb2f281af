/**
What the demo asks and what it expects: the leader's policy, each worker's requests in order, the scripted person's
answers, and the decision every request must end with. `run.ts` checks the real outcomes against `expect`.
*/

import type { RuleSetSpec } from '../src/index.js';

/** The leader's fixed rules; anything they do not cover is left to the person. */
export const rules: RuleSetSpec = {
	allow: ['Read', 'Bash(npm test:*)'],
	deny: ['Bash(rm:*)'],
	networkAllow: ['*.npmjs.org'],
	networkDeny: ['evil.example.com'],
};

/** How long a worker waits for an answer unless its ask says otherwise, in ms. */
export const workerTimeoutMs = 20_000;

/** How long the person looks at a request before answering, in ms. */
export const thinkMs = 400;

/** What the scripted person does with a request that reaches them. */
export type PersonAnswer = { approve: Record<string, unknown> } | { deny: string } | 'ignore';

/** The decision a request must end with. */
export interface Expected {
	decision: 'allow' | 'deny';
	by: 'policy' | 'person' | 'timeout';
	/** The rule or host pattern that decided (policy decisions). */
	rule?: string;
	/** The input the worker ends up running (approvals with an edited input). */
	input?: Record<string, unknown>;
}

/** One request of one worker: a tool call (`toolName`, `input`) or a sandbox network request (`host`). */
export interface Ask {
	/** Unique in the scenario; the tool call's `tool_use_id`. */
	id: string;
	worker: string;
	toolName?: string;
	input?: Record<string, unknown>;
	host?: string;
	/** The worker's own wait for an answer. */
	timeoutMs?: number;
	/** Set when the request is expected to reach the person. */
	person?: PersonAnswer;
	expect: Expected;
}

export const workers = ['ann', 'bob', 'cy', 'dee'] as const;

export const asks: readonly Ask[] = [
	{
		id: 'toolu_ann_1',
		worker: 'ann',
		toolName: 'Read',
		input: { file_path: 'README.md' },
		expect: { decision: 'allow', by: 'policy', rule: 'Read' },
	},
	{
		id: 'toolu_ann_2',
		worker: 'ann',
		toolName: 'Bash',
		input: { command: 'npm test -- --run' },
		expect: { decision: 'allow', by: 'policy', rule: 'Bash(npm test:*)' },
	},
	{
		id: 'toolu_bob_1',
		worker: 'bob',
		toolName: 'Bash',
		input: { command: 'rm -rf dist' },
		expect: { decision: 'deny', by: 'policy', rule: 'Bash(rm:*)' },
	},
	{
		id: 'toolu_bob_2',
		worker: 'bob',
		toolName: 'Bash',
		// An allowed command cannot carry a denied one along.
		input: { command: 'npm test && rm -rf ~' },
		expect: { decision: 'deny', by: 'policy', rule: 'Bash(rm:*)' },
	},
	{
		id: 'net_bob_3',
		worker: 'bob',
		host: 'registry.npmjs.org',
		expect: { decision: 'allow', by: 'policy', rule: '*.npmjs.org' },
	},
	{
		id: 'net_cy_1',
		worker: 'cy',
		host: 'evil.example.com',
		expect: { decision: 'deny', by: 'policy', rule: 'evil.example.com' },
	},
	{
		id: 'toolu_cy_2',
		worker: 'cy',
		toolName: 'Bash',
		input: { command: 'npm publish' },
		person: { approve: { command: 'npm publish --dry-run' } },
		expect: { decision: 'allow', by: 'person', input: { command: 'npm publish --dry-run' } },
	},
	{
		id: 'toolu_dee_1',
		worker: 'dee',
		toolName: 'Write',
		input: { file_path: '.env', content: 'TOKEN=hunter2\n' },
		person: { deny: 'no secrets in the repo' },
		expect: { decision: 'deny', by: 'person' },
	},
	{
		id: 'toolu_dee_2',
		worker: 'dee',
		toolName: 'WebFetch',
		input: { url: 'https://example.org/status' },
		timeoutMs: 1_500,
		person: 'ignore',
		expect: { decision: 'deny', by: 'timeout' },
	},
];

/** A worker's report of one request, sent to the demo over IPC. */
export interface OutcomeMessage {
	kind: 'outcome';
	id: string;
	requestId: string;
	decision: 'allow' | 'deny';
	/** Why it was denied (`denied`, `timeout`, …) or `allowed`. */
	reason: string;
	/** Permission requests: the input the worker runs (allow) or the lead's message (deny). */
	input?: Record<string, unknown>;
	message?: string;
	/** From sending the request to holding its outcome. */
	roundTripMs: number;
}

/** A one-line preview of a request: `Bash: npm test`, `Read: README.md`, `network: host`. */
export function preview(ask: Pick<Ask, 'toolName' | 'input' | 'host'>): string {
	if (ask.host !== undefined) return `network: ${ask.host}`;
	const input = ask.input ?? {};
	const main = input['command'] ?? input['file_path'] ?? input['url'] ?? JSON.stringify(input);
	return `${ask.toolName}: ${String(main)}`;
}
