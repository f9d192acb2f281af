import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { bash, startScenario, WORKER, withClaude } from './harness.js';

const BODY = 'reached-through-the-sandbox-proxy';
const servers: ReturnType<typeof createServer>[] = [];

afterEach(async () => {
	for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A local web server the sandboxed command tries to reach. */
async function target(): Promise<number> {
	const server = createServer((_request, response) => response.end(BODY));
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return (server.address() as AddressInfo).port;
}

/** Claude Code's sandbox needs both; without them it does not start. */
const missing = ['bwrap', 'socat'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
const skip = missing.length > 0 && process.env['CI'] !== 'true';
if (skip)
	console.warn(`skipped the sandbox scenario: install ${missing.join(' and ')} (apt-get install bubblewrap socat)`);

withClaude('a sandboxed real Claude Code teammate (bubblewrap, socat)', () => {
	it.skipIf(skip)("our lead answers the sandbox's network request for the host; the command reaches it", async () => {
		expect(missing, 'bubblewrap and socat must be installed (apt-get install bubblewrap socat)').toEqual([]);
		const port = await target();
		// The sandbox proxy's NO_PROXY skips localhost, so the command forces the proxy to make the request ask.
		const curl = `curl -s --max-time 20 --noproxy "" -x "$HTTP_PROXY" http://localhost:${port}/`;
		const s = await startScenario({
			tag: 'sandbox',
			script: () => [bash(curl, 'Fetch the local page')],
			settings: { sandbox: { enabled: true, autoAllowBashIfSandboxed: true } },
		});
		const lead = await s.startLead(['--auto', 'allow']);
		await s.launch();
		const request = await s.nextRequest(lead);
		expect(request).toMatchObject({ kind: 'sandbox', worker: WORKER, host: 'localhost' });
		const [result] = await s.api.waitForResults(1);
		expect(result, s.screens()).toMatchObject({ isError: false });
		expect(result?.content).toContain(BODY);
	});
});
