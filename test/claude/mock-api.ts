/**
A local stand-in for the Messages API that Claude Code talks to (`ANTHROPIC_BASE_URL`). It streams scripted turns as
server-sent events: while the conversation has fewer tool results than the script has tool calls, the next call;
then a short closing text. Every tool result Claude Code sends back is recorded, so a scenario sees whether its tool
ran and with which message. Requests without the scripted tools (Claude Code's side queries) get a plain text.
*/

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted tool call. */
export interface ScriptedCall {
	name: string;
	input: Record<string, unknown>;
}

/** A tool result as Claude Code sent it back. */
export interface ToolResult {
	toolUseId: string;
	isError: boolean;
	/** The result's text (text blocks joined). */
	content: string;
}

interface ContentBlock {
	type: string;
	text?: string;
	tool_use_id?: string;
	is_error?: boolean;
	content?: string | ContentBlock[];
}

/** What a custom responder sees of one request. */
export interface ModelRequest {
	/** The names of the tools offered. */
	tools: Set<string>;
	/** The first user message's text (Claude Code's prompt, or an in-process teammate's). */
	firstPrompt: string;
	/** The system prompt's text. */
	system: string;
	/** The tool results in the conversation so far. */
	results: ToolResult[];
	body: unknown;
}

/** A tool call to make, a text to end the turn with, or `undefined` for a side query's plain answer. */
export type Responder = (request: ModelRequest) => ScriptedCall | string | undefined;

interface MessagesBody {
	system?: string | ContentBlock[];
	tools?: { name: string }[];
	messages?: { role: string; content: string | ContentBlock[] }[];
}

export const CLOSING_TEXT = 'All done.';

function textOf(content: string | ContentBlock[] | undefined): string {
	if (typeof content === 'string') return content;
	return (content ?? []).map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join('');
}

function toolResultsIn(body: MessagesBody): ToolResult[] {
	const results: ToolResult[] = [];
	for (const message of body.messages ?? []) {
		if (message.role !== 'user' || typeof message.content === 'string') continue;
		for (const block of message.content) {
			if (block.type !== 'tool_result') continue;
			results.push({
				toolUseId: block.tool_use_id ?? '',
				isError: block.is_error === true,
				content: textOf(block.content),
			});
		}
	}
	return results;
}

function sse(response: ServerResponse, event: string, data: unknown): void {
	response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function stream(response: ServerResponse, model: string, block: Record<string, unknown>, delta: unknown): void {
	const stopReason = block['type'] === 'tool_use' ? 'tool_use' : 'end_turn';
	response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	sse(response, 'message_start', {
		type: 'message_start',
		message: {
			id: `msg_${Date.now()}`,
			type: 'message',
			role: 'assistant',
			model,
			content: [],
			stop_reason: null,
			stop_sequence: null,
			usage: { input_tokens: 10, output_tokens: 1 },
		},
	});
	sse(response, 'content_block_start', { type: 'content_block_start', index: 0, content_block: block });
	sse(response, 'content_block_delta', { type: 'content_block_delta', index: 0, delta });
	sse(response, 'content_block_stop', { type: 'content_block_stop', index: 0 });
	sse(response, 'message_delta', {
		type: 'message_delta',
		delta: { stop_reason: stopReason, stop_sequence: null },
		usage: { output_tokens: 5 },
	});
	sse(response, 'message_stop', { type: 'message_stop' });
	response.end();
}

/** A responder that makes the model call `script`'s tools in order, then end its turn; side queries get `undefined`. */
export function scripted(script: ScriptedCall[]): Responder {
	return ({ tools, results }) => {
		if (script.length === 0 || !script.every((call) => tools.has(call.name))) return undefined;
		return script[results.length] ?? CLOSING_TEXT;
	};
}

/** The mock, listening on 127.0.0.1 on a free port. */
export class MockModelApi {
	readonly #server: Server;
	readonly #respond: Responder;
	readonly #tag: string;
	#calls = 0;
	/** Tool results of the latest main-loop request (each request carries the whole conversation). */
	toolResults: ToolResult[] = [];
	/** How many main-loop requests (answered with a tool call or a closing text) arrived. */
	turns = 0;
	readonly #waiters = new Set<() => void>();

	private constructor(respond: Responder, tag: string) {
		this.#respond = respond;
		this.#tag = tag;
		this.#server = createServer((request, response) => {
			this.#handle(request, response).catch((error: unknown) => {
				response.writeHead(500).end(String(error));
			});
		});
	}

	/** Start a mock answering with `script` (see `scripted`) or a custom responder. */
	static async start(script: ScriptedCall[] | Responder, tag = 'scenario'): Promise<MockModelApi> {
		const api = new MockModelApi(Array.isArray(script) ? scripted(script) : script, tag);
		await new Promise<void>((resolve) => api.#server.listen(0, '127.0.0.1', resolve));
		return api;
	}

	get url(): string {
		return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
	}

	async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		let raw = '';
		for await (const chunk of request) raw += chunk;
		const url = request.url ?? '';
		if (request.method !== 'POST' || !url.startsWith('/v1/messages') || url.startsWith('/v1/messages/count_tokens')) {
			response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ input_tokens: 10 }));
			return;
		}
		const body = JSON.parse(raw) as MessagesBody & { model?: string };
		const model = body.model ?? 'claude-sonnet-4-5';
		const results = toolResultsIn(body);
		const reply = this.#respond({
			tools: new Set((body.tools ?? []).map((tool) => tool.name)),
			firstPrompt: textOf(body.messages?.[0]?.content),
			system: textOf(body.system),
			results,
			body,
		});
		if (reply === undefined) {
			stream(response, model, { type: 'text', text: '' }, { type: 'text_delta', text: 'none' });
			return;
		}
		this.turns++;
		this.toolResults = results;
		this.#wake();
		if (typeof reply === 'string') {
			stream(response, model, { type: 'text', text: '' }, { type: 'text_delta', text: reply });
			return;
		}
		const id = `toolu_${this.#tag}_${++this.#calls}`;
		stream(
			response,
			model,
			{ type: 'tool_use', id, name: reply.name, input: {} },
			{ type: 'input_json_delta', partial_json: JSON.stringify(reply.input) },
		);
	}

	#wake(): void {
		for (const wake of this.#waiters) wake();
	}

	/** Resolves once `count` tool results came back; rejects after `ms`. */
	async waitForResults(count: number, ms = 30_000): Promise<ToolResult[]> {
		const deadline = Date.now() + ms;
		while (this.toolResults.length < count) {
			const left = deadline - Date.now();
			if (left <= 0) {
				throw new Error(
					`the model saw ${this.toolResults.length} tool result(s), not ${count}, within ${ms} ms (${this.turns} turns)`,
				);
			}
			await new Promise<void>((resolve) => {
				const wake = () => {
					clearTimeout(timer);
					this.#waiters.delete(wake);
					resolve();
				};
				const timer = setTimeout(wake, left);
				this.#waiters.add(wake);
			});
		}
		return this.toolResults;
	}

	async close(): Promise<void> {
		this.#server.closeAllConnections();
		await new Promise<void>((resolve) => this.#server.close(() => resolve()));
	}
}
