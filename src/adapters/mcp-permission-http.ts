/**
The permission-prompt MCP server over MCP's Streamable HTTP transport, for clients that connect to an MCP server by URL
(the stdio one is `mcp-permission-server.ts`): 127.0.0.1 only, a bearer token, loopback Host headers only. Each
client session gets its own server; they all ask through one Worker.
*/

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from '../errors.js';
import { LeadVerifier } from '../protocol/signing.js';
import { Team } from '../team/team.js';
import { Worker } from '../worker/worker.js';
import { createPermissionPromptServer, type ServePermissionPromptOptions } from './mcp-permission-server.js';

/** Options of {@link servePermissionPromptHttp}, as `mcp-permission-server --http` passes them. */
export interface ServePermissionPromptHttpOptions extends ServePermissionPromptOptions {
	/** The port on 127.0.0.1 (`--port`); 0 picks a free one. @default 0 */
	port?: number;
	/** The bearer token clients must send; at least 16 characters. @default a fresh random token */
	token?: string;
	/** Called once the server listens, with its URL (`http://127.0.0.1:<port>/mcp`) and the token in force. */
	onListening?: (info: { url: string; port: number; token: string }) => void;
	/** At most this many MCP sessions at once; more are refused with 503. @default 32 */
	maxSessions?: number;
}

/** What the handlers use of Express's request and response (the SDK brings Express without its types). */
type HttpRequest = IncomingMessage & { body?: unknown };
interface HttpResponse extends ServerResponse {
	status(code: number): HttpResponse;
	json(body: unknown): void;
}

/** A JSON-RPC error body without a request id, as the Streamable HTTP transport itself answers. */
const rpcError = (message: string) => ({ jsonrpc: '2.0', error: { code: -32000, message }, id: null });

/**
Serve `permission_prompt` over MCP's Streamable HTTP transport at `http://127.0.0.1:<port>/mcp` until `signal` aborts.
Only 127.0.0.1 is bound; a request whose Host header is not a loopback name is refused (403, against DNS rebinding),
and one without `Authorization: Bearer <token>` gets 401. Each client session gets its own MCP server; all of them
ask through one Worker. The SDK's HTTP parts (Express) are loaded only here.
@throws {MailboxError} before serving: `TEAM_NOT_FOUND`, `INVALID_KEY`, `INVALID_ARGUMENT` (a short token, a port in use), …
*/
export async function servePermissionPromptHttp(options: ServePermissionPromptHttpOptions): Promise<void> {
	const { signal, leadVerifyKey, timeoutMs, port = 0, maxSessions = 32 } = options;
	const token = options.token ?? randomBytes(32).toString('base64url');
	if (token.length < 16) throw errors.invalidArgument('token', 'at least 16 characters', `${token.length} characters`);
	const [{ createMcpExpressApp }, { StreamableHTTPServerTransport }, { requireBearerAuth }, { isInitializeRequest }] =
		await Promise.all([
			import('@modelcontextprotocol/sdk/server/express.js'),
			import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
			import('@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js'),
			import('@modelcontextprotocol/sdk/types.js'),
		]);
	const { InvalidTokenError } = await import('@modelcontextprotocol/sdk/server/auth/errors.js');
	const verifier = leadVerifyKey === undefined ? undefined : new LeadVerifier(leadVerifyKey);
	const team = await Team.open(options.team, options.root === undefined ? {} : { root: options.root });
	const worker = new Worker(team, {
		name: options.as,
		...(verifier ? { verifier } : {}),
		...(timeoutMs === undefined ? {} : { timeoutMs }),
	});
	const sessions = new Map<string, InstanceType<typeof StreamableHTTPServerTransport>>();
	const expected = createHash('sha256').update(token).digest();
	const app = createMcpExpressApp({ host: '127.0.0.1' });
	app.use(
		'/mcp',
		requireBearerAuth({
			verifier: {
				async verifyAccessToken(given: string) {
					// Digests have equal lengths, so the comparison takes the same time whatever was sent.
					if (!timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
						throw new InvalidTokenError('The token is not the one this server was started with');
					}
					return { token: given, clientId: 'local', scopes: [], expiresAt: Math.floor(Date.now() / 1000) + 3600 };
				},
			},
		}),
	);
	const sessionOf = (request: HttpRequest) => {
		const id = request.headers['mcp-session-id'];
		return typeof id === 'string' ? sessions.get(id) : undefined;
	};
	app.post('/mcp', async (request: HttpRequest, response: HttpResponse) => {
		const existing = sessionOf(request);
		if (existing) return existing.handleRequest(request, response, request.body);
		if (request.headers['mcp-session-id'] !== undefined) {
			return response.status(404).json(rpcError('Unknown MCP session: initialize a new one'));
		}
		if (!isInitializeRequest(request.body)) {
			return response.status(400).json(rpcError('No MCP session: the first request must be initialize'));
		}
		if (sessions.size >= maxSessions) {
			return response.status(503).json(rpcError(`Too many MCP sessions (at most ${maxSessions}); close one first`));
		}
		const transport: InstanceType<typeof StreamableHTTPServerTransport> = new StreamableHTTPServerTransport({
			sessionIdGenerator: () => randomUUID(),
			onsessioninitialized: (id) => void sessions.set(id, transport),
		});
		const server = createPermissionPromptServer(worker, timeoutMs === undefined ? {} : { timeoutMs });
		transport.onclose = () => {
			if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
			void server.close();
		};
		await server.connect(transport);
		return transport.handleRequest(request, response, request.body);
	});
	const existingOnly = async (request: HttpRequest, response: HttpResponse) => {
		const existing = sessionOf(request);
		if (existing) return existing.handleRequest(request, response);
		return response.status(404).json(rpcError('Unknown or missing MCP session'));
	};
	app.get('/mcp', existingOnly);
	app.delete('/mcp', existingOnly);

	let http: HttpServer | undefined;
	try {
		await worker.ready();
		if (signal?.aborted) return;
		http = await listen(app, port);
		const bound = (http.address() as AddressInfo).port;
		options.onListening?.({ url: `http://127.0.0.1:${bound}/mcp`, port: bound, token });
		await new Promise<void>((resolve) => {
			if (signal?.aborted) resolve();
			signal?.addEventListener('abort', () => resolve(), { once: true });
			http?.once('close', resolve);
		});
	} finally {
		for (const transport of [...sessions.values()]) await transport.close().catch(() => {});
		if (http) await closeServer(http);
		await worker.close();
	}
}

/** Listen on 127.0.0.1 only; a port in use is a clear error, not a crash. */
function listen(app: { listen: (...args: unknown[]) => HttpServer }, port: number): Promise<HttpServer> {
	return new Promise((resolve, reject) => {
		const server: HttpServer = app.listen(port, '127.0.0.1');
		server.once('listening', () => resolve(server));
		server.once('error', (error: NodeJS.ErrnoException) =>
			reject(errors.invalidArgument('port', `a free port on 127.0.0.1 (${error.code ?? error.message})`, port)),
		);
	});
}

function closeServer(server: HttpServer): Promise<void> {
	return new Promise((resolve) => {
		server.close(() => resolve());
		// Open SSE streams would hold close() forever; the sessions are closed already.
		server.closeAllConnections();
	});
}
