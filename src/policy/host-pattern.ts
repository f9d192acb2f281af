/**
Network host names and host patterns, as used by sandbox network requests (`sandbox_permission_request.hostPattern.host`)
and by `WebFetch(domain:…)` rules.

Decisions:
- A host is a bare name or address: no scheme, path, port or wildcard. The worker compares the answer's `host` with the
  host it asked for, so a `host:port` is refused rather than silently reduced to its host.
- Names are ASCII (IDNs in their `xn--` form, which is what `URL#hostname` yields), case-insensitive, and may end with
  one root dot (`example.com.` equals `example.com`). Labels hold letters, digits, `-` and `_` (seen in real service
  names), 1–63 characters, not starting or ending with `-`; the whole name is at most 253 characters.
- A name whose last label is all digits must be a dotted-quad IPv4 address. IPv6 is accepted bare or in brackets,
  without a zone id (`%eth0`).
- Patterns are an exact host, `*.example.com` (any depth of subdomain, never the apex `example.com` itself, and never
  an IP address), or `*` (every valid host).
*/

import { isIPv4, isIPv6 } from 'node:net';

const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
// Hex digits, colons and an embedded IPv4 tail only: this keeps zone ids and odd characters out.
const IPV6_CHARS = /^[0-9a-f:.]+$/;

function ipv6Literal(host: string): string | undefined {
	const inner = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
	return IPV6_CHARS.test(inner) && isIPv6(inner) ? inner : undefined;
}

/**
Whether `host` is one valid host name or IP address (see the module notes for the exact rules).
Anything else (wildcards, whitespace, control characters, ports, URLs, over-long names) is refused.
*/
export function isValidHost(host: unknown): host is string {
	if (typeof host !== 'string' || host.length === 0) return false;
	const lower = host.toLowerCase();
	if (lower.startsWith('[') || lower.includes(':')) return ipv6Literal(lower) !== undefined;
	const name = lower.endsWith('.') ? lower.slice(0, -1) : lower;
	if (name.length === 0 || name.length > MAX_HOST_LENGTH) return false;
	const labels = name.split('.');
	// No top-level domain is numeric, so a numeric last label means the caller meant an IPv4 address.
	if (/^\d+$/.test(labels.at(-1) ?? '')) return isIPv4(name);
	return labels.every((label) => label.length <= MAX_LABEL_LENGTH && LABEL.test(label));
}

/**
Canonical form of a valid host, for comparison: lower case, no trailing root dot, IPv6 compressed and without brackets.
Returns `undefined` for an invalid host.
*/
export function normalizeHost(host: string): string | undefined {
	if (!isValidHost(host)) return undefined;
	const lower = host.toLowerCase();
	const v6 = ipv6Literal(lower);
	// URL parsing gives the one compressed spelling of an IPv6 address (`0:0::0001` becomes `::1`).
	if (v6 !== undefined) return new URL(`http://[${v6}]/`).hostname.slice(1, -1);
	return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function isIpAddress(normalized: string): boolean {
	return isIPv4(normalized) || isIPv6(normalized);
}

/** Whether `pattern` is `*`, an exact valid host, or `*.` followed by a valid host name (not an IP address). */
export function isValidHostPattern(pattern: unknown): pattern is string {
	if (pattern === '*') return true;
	if (typeof pattern !== 'string') return false;
	if (!pattern.startsWith('*.')) return isValidHost(pattern);
	const suffix = normalizeHost(pattern.slice(2));
	return suffix !== undefined && !isIpAddress(suffix);
}

/**
Whether `host` is covered by `pattern`: `*` covers every valid host, `*.example.com` covers `a.example.com` and
`a.b.example.com` but not `example.com`, and any other pattern must equal the host. Case and one trailing dot are
ignored on both sides. An invalid host or pattern never matches.

@example
```
hostMatches('*.example.com', 'API.Example.com.'); // true
hostMatches('*.example.com', 'example.com'); // false
```
*/
export function hostMatches(pattern: string, host: string): boolean {
	if (!isValidHostPattern(pattern)) return false;
	const target = normalizeHost(host);
	if (target === undefined) return false;
	if (pattern === '*') return true;
	if (!pattern.startsWith('*.')) return normalizeHost(pattern) === target;
	const suffix = `.${normalizeHost(pattern.slice(2))}`;
	return !isIpAddress(target) && target.length > suffix.length && target.endsWith(suffix);
}
