/**
`send` and `inbox`: plain messages. Reading never removes entries (the owner of an inbox acks what it handled);
`inbox --follow` streams entries as they arrive until SIGINT / SIGTERM.
*/

import { Command } from 'commander';
import type { InboxEntry } from '../inbox/entry.js';
import { frameTypeOf } from '../protocol/frame-codec.js';
import { globalOptions, openTeam, requireMember, stopSignal, withAnyName } from './context.js';
import { printable, writeJson, writeLine } from './output.js';
import { loadSigner } from './signing-key.js';

/** `<timestamp>  <from> (<summary>): <text>`, with structured frames labelled by their type. */
function formatEntry(entry: InboxEntry): string {
	const type = frameTypeOf(entry.text);
	const summary = entry.summary === undefined ? '' : ` (${printable(entry.summary, { maxLength: 200 })})`;
	const text = printable(entry.text, { multiline: type === undefined }).replaceAll('\n', '\n    ');
	return `${printable(entry.timestamp)}  ${printable(entry.from)}${summary}: ${type ? `[${printable(type)}] ` : ''}${text}`;
}

export function sendCommand(): Command {
	return withAnyName(new Command('send'))
		.description('send a plain message to a member inbox')
		.argument('<team>', 'team name')
		.argument('<to>', 'recipient (a member name)')
		.argument('<text>', 'message text')
		.option('--from <name>', 'sender name (default: the team lead)')
		.option('--summary <text>', 'short summary shown with the message')
		.option(
			'--signing-key <file|dir>',
			"sign the message with the lead's Ed25519 private key (PKCS#8 PEM), or <dir>/<teammate>.pem per teammate, as `lead` does",
		)
		.action(async (teamName: string, to: string, text: string, options: SendOptions, self: Command) => {
			const signer = await loadSigner(options.signingKey);
			const team = await openTeam(self, teamName);
			await requireMember(team, 'recipient', to, options.anyName);
			if (options.from !== undefined) await requireMember(team, '--from', options.from, options.anyName);
			const from = options.from ?? (await team.leaderName());
			const color = (await team.members()).find((member) => member.name === from)?.color;
			const entry = { from, text, summary: options.summary, color };
			const msgId = await team.inbox(to).send(signer ? signer.sign(entry, to) : entry);
			if (globalOptions(self).json) writeJson({ msgId, team: team.name, to, from });
			else writeLine(`Sent ${msgId} to ${printable(to)}`);
		});
}

interface SendOptions {
	from?: string;
	summary?: string;
	signingKey?: string;
	anyName?: boolean;
}

export function inboxCommand(): Command {
	return withAnyName(new Command('inbox'))
		.description("print a member's inbox (entries stay in it); --follow streams new entries until stopped")
		.argument('<team>', 'team name')
		.argument('<name>', 'inbox (member) name')
		.option('--follow', 'keep running and print each unread entry as it arrives (backlog first)')
		.action(async (teamName: string, name: string, options: { follow?: boolean; anyName?: boolean }, self: Command) => {
			const { json } = globalOptions(self);
			const team = await openTeam(self, teamName);
			await requireMember(team, 'inbox', name, options.anyName);
			const inbox = team.inbox(name);
			const print = (entry: InboxEntry) => (json ? writeJson(entry) : writeLine(formatEntry(entry)));
			if (!options.follow) {
				const entries = await inbox.read();
				for (const entry of entries) print(entry);
				if (!json && entries.length === 0) writeLine(`(no entries in ${inbox.path})`);
				return;
			}
			const watcher = inbox.watch({ signal: stopSignal() });
			for await (const entry of watcher) print(entry);
		});
}
