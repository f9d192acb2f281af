/**
The Agent SDK's permission types, written out from its declarations as the reference notes describe them, so the tests
can check at compile time that `createCanUseTool` fits `options.canUseTool` without the package depending on the SDK.
Declared as interfaces and separate union members where the SDK does, which is the stricter case for assignability.
*/

export type SdkPermissionMode = 'default' | 'acceptEdits' | 'bypassPermissions' | 'plan' | 'dontAsk' | 'auto';
export type SdkDestination = 'userSettings' | 'projectSettings' | 'localSettings' | 'session' | 'cliArg';
export type SdkBehavior = 'allow' | 'deny' | 'ask';

export interface SdkRuleValue {
	toolName: string;
	ruleContent?: string;
}

export type SdkPermissionUpdate =
	| { type: 'addRules'; rules: SdkRuleValue[]; behavior: SdkBehavior; destination: SdkDestination }
	| { type: 'replaceRules'; rules: SdkRuleValue[]; behavior: SdkBehavior; destination: SdkDestination }
	| { type: 'removeRules'; rules: SdkRuleValue[]; behavior: SdkBehavior; destination: SdkDestination }
	| { type: 'setMode'; mode: SdkPermissionMode; destination: SdkDestination }
	| { type: 'addDirectories'; directories: string[]; destination: SdkDestination }
	| { type: 'removeDirectories'; directories: string[]; destination: SdkDestination };

export type SdkPermissionResult =
	| {
			behavior: 'allow';
			updatedInput?: Record<string, unknown>;
			updatedPermissions?: SdkPermissionUpdate[];
			toolUseID?: string;
			decisionClassification?: string;
	  }
	| { behavior: 'deny'; message: string; interrupt?: boolean; toolUseID?: string; decisionClassification?: string };

export interface SdkCanUseToolOptions {
	signal: AbortSignal;
	suggestions?: SdkPermissionUpdate[];
	blockedPath?: string;
	decisionReason?: string;
	toolUseID: string;
	requestId: string;
	agentID?: string;
	mcpServer?: { name: string; source: string };
	title?: string;
	displayName?: string;
	description?: string;
	defaultToNo?: boolean;
	suppressAlwaysAllowRule?: boolean;
	matchedAskRule?: { source: string; toolName: string; ruleContent?: string };
}

export type SdkCanUseTool = (
	toolName: string,
	input: Record<string, unknown>,
	options: SdkCanUseToolOptions,
) => Promise<SdkPermissionResult | null>;

/** The SDK's per-call options for one Bash call. */
export function sdkOptions(overrides: Partial<SdkCanUseToolOptions> = {}): SdkCanUseToolOptions {
	return { signal: new AbortController().signal, toolUseID: 'toolu_1', requestId: 'req_1', ...overrides };
}
