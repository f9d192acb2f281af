import http from 'node:http';

export interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: string;
}

/** One HTTP request with exactly these headers (fetch would not let a test set `Host`). Streams are cut after `ms`. */
export function raw(
	url: string,
	options: { method?: string; headers?: Record<string, string>; body?: string; ms?: number } = {},
): Promise<RawResponse> {
	return new Promise((resolve, reject) => {
		const request = http.request(url, { method: options.method ?? 'GET', headers: options.headers }, (response) => {
			let body = '';
			response.setEncoding('utf8').on('data', (chunk: string) => {
				body += chunk;
			});
			const done = () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body });
			response.on('end', done);
			// An event stream never ends: take what came within `ms`.
			if (options.ms !== undefined) {
				setTimeout(() => {
					request.destroy();
					done();
				}, options.ms);
			}
		});
		request.on('error', (error) => (options.ms === undefined ? reject(error) : undefined));
		request.end(options.body);
	});
}

/** Log in with `loginUrl` and return the session cookie header and the CSRF token. */
export async function logIn(loginUrl: string): Promise<{ cookie: string; csrf: string; host: string; origin: string }> {
	const url = new URL(loginUrl);
	const login = await raw(loginUrl, { headers: { host: url.host } });
	const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
	if (login.status !== 303 || !cookie) throw new Error(`login failed: ${login.status} ${login.body}`);
	const state = await raw(new URL('/api/state', url).href, { headers: { host: url.host, cookie } });
	const { csrf } = JSON.parse(state.body) as { csrf: string };
	return { cookie, csrf, host: url.host, origin: url.origin };
}
