/**
`lead --web [--port N] [--bind ADDR] [--public-url URL] [--notify URL]...`: serve the approval page beside the terminal
screen (or the JSON lines). The page's code loads only when `--web` is given. The login URL is printed once, at start;
notification outcomes are reported like the leader's other events, with the target's origin only.
*/

import { type Command, InvalidArgumentError, Option } from 'commander';
import type { MailboxError } from '../errors.js';
import type { AuditRecord } from '../journal/audit-log.js';
import type { Leader } from '../leader/leader.js';
import { writeJson, writeLine } from './output.js';

export interface WebFlags {
	web?: boolean;
	port?: number;
	bind?: string;
	publicUrl?: string;
	notify?: string[];
}

/** What `lead` needs of a running page. */
export interface WebHandle {
	/** Show a decision made by another process. */
	decided(record: AuditRecord): void;
	close(): Promise<void>;
}

function portNumber(text: string): number {
	const port = Number(text);
	if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError('expected a port number.');
	return port;
}

/** Add the page's options to `lead`. */
export function addWebOptions(command: Command): Command {
	return command
		.option('--web', 'also serve the approval page (phone and desktop); prints its login URL')
		.addOption(new Option('--port <n>', 'port of the approval page (0: any free port)').argParser(portNumber))
		.option('--bind <addr>', 'address the page listens on; anything but 127.0.0.1 reaches the network', '127.0.0.1')
		.option('--public-url <url>', 'the address people reach the page at (a tunnel, a private network name)')
		.option(
			'--notify <url>',
			'push each request waiting for a person to this webhook or ntfy topic (repeatable; implies --web)',
			(url: string, previous: string[] = []) => [...previous, url],
		);
}

/** Start the page when `--web` was given; `undefined` otherwise. */
export async function startWeb(
	leader: Leader,
	flags: WebFlags,
	report: { json: boolean; failure: (error: MailboxError) => void },
): Promise<WebHandle | undefined> {
	// --notify alone serves the page too: its buttons answer through it.
	if (!flags.web && !flags.notify?.length) return undefined;
	const { serveApprovalPage } = await import('../web/server.js');
	const page = await serveApprovalPage(leader, {
		port: flags.port,
		bind: flags.bind,
		publicUrl: flags.publicUrl,
		notify: flags.notify,
	});
	page.on('failure', report.failure);
	page.on('notification', (event) => {
		if (event.error) report.failure(event.error);
		else if (report.json) writeJson({ event: 'notified', target: event.target, requestId: event.requestId });
	});
	const reach = page.loopback
		? 'on this machine only; from a phone or another machine, use an SSH tunnel (ssh -L) or --bind on a private network'
		: 'on the network: keep this link secret, and prefer an SSH tunnel or a private network';
	if (report.json) writeJson({ event: 'web', url: page.url, loginUrl: page.loginUrl, loopback: page.loopback });
	else writeLine(`Approval page (${reach}):\n  ${page.loginUrl}`);
	return page;
}
