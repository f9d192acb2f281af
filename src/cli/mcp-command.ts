/**
`mcp-permission-server --team <team> --as <worker>`: a stdio MCP server whose `permission_prompt` tool forwards each
permission check to the team lead (for `claude -p --permission-prompt-tool`). The MCP SDK is loaded only here.
*/

import { Command } from 'commander';
import { globalOptions, openTeam, parseMs, requireMember, stopSignal, withAnyName } from './context.js';

export function mcpPermissionServerCommand(): Command {
	return withAnyName(new Command('mcp-permission-server'))
		.description('serve the permission_prompt MCP tool over stdio, forwarding each check to the team lead')
		.requiredOption('--team <team>', 'team name')
		.requiredOption('--as <worker>', 'the teammate this server asks for')
		.option('--timeout <ms>', 'how long each prompt waits for the lead before it is denied')
		.option('--lead-verify-key <key>', "accept only answers signed by the lead's key (<ms>.<base64url SPKI>)")
		.action(
			async (
				options: { team: string; as: string; timeout?: string; leadVerifyKey?: string; anyName?: boolean },
				command,
			) => {
				await requireMember(await openTeam(command, options.team), '--as', options.as, options.anyName);
				const { servePermissionPrompt } = await import('../mcp.js'); // fails with how to add the SDK when it is missing
				const { root } = globalOptions(command);
				await servePermissionPrompt({
					team: options.team,
					as: options.as,
					...(root === undefined ? {} : { root }),
					...(options.timeout === undefined ? {} : { timeoutMs: parseMs('--timeout', options.timeout) }),
					...(options.leadVerifyKey === undefined ? {} : { leadVerifyKey: options.leadVerifyKey }),
					signal: stopSignal(),
				});
			},
		);
}
