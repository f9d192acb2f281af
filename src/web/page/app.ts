/**
The approval page's script (compiled by esbuild; see ../assets.ts). Everything a worker wrote reaches the DOM through
`textContent` or form values only, never as HTML. State comes from `/api/state` and then the event stream.
*/

interface PermissionUpdate {
	type: string;
	rules?: { toolName: string; ruleContent?: string }[];
	behavior?: string;
	destination?: string;
	mode?: string;
	directories?: string[];
}

interface RequestView {
	key: string;
	requestId: string;
	kind: 'permission' | 'sandbox';
	worker: string;
	toolName: string | null;
	description: string | null;
	input: Record<string, unknown> | null;
	host: string | null;
	suggestions: PermissionUpdate[];
	receivedAt: number;
}

interface DecisionRecord {
	time: string;
	requestId: string;
	kind: 'permission' | 'sandbox';
	worker: string;
	toolName?: string;
	host?: string;
	decision: 'allow' | 'deny';
	decidedBy: string;
	message?: string;
	msgId: string;
	persistedRule?: string;
}

interface DropView {
	time: string;
	from: string;
	reason: string;
	detail: string;
}

interface Snapshot {
	pending: RequestView[];
	recent: DecisionRecord[];
	dropped: DropView[];
}

type StreamEvent =
	| { type: 'added'; request: RequestView }
	| { type: 'removed'; key: string }
	| { type: 'decided'; record: DecisionRecord }
	| { type: 'dropped'; drop: DropView }
	| ({ type: 'snapshot' } & Snapshot);

const FOLD_CHARS = 240;
const RECENT_SHOWN = 30;

const requests = new Map<string, { view: RequestView; node: HTMLLIElement }>();
const selected = new Set<string>();
let recent: DecisionRecord[] = [];
let dropped: DropView[] = [];
let filter: string | null = null;
let csrf = '';

function element<T extends HTMLElement>(id: string): T {
	const found = document.getElementById(id);
	if (!found) throw new Error(`missing #${id}`);
	return found as T;
}

function part<T extends Element>(root: ParentNode, selector: string): T {
	const found = root.querySelector(selector);
	if (!found) throw new Error(`missing ${selector}`);
	return found as T;
}

const list = element<HTMLOListElement>('requests');
const recentList = element<HTMLOListElement>('recent');
const droppedList = element<HTMLOListElement>('dropped');
const template = element<HTMLTemplateElement>('request-template');

async function post(
	path: string,
	body: unknown,
): Promise<{ ok: boolean; status: number; data: Record<string, unknown> }> {
	const response = await fetch(path, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
		body: JSON.stringify(body),
		credentials: 'same-origin',
	});
	const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
	return { ok: response.ok, status: response.status, data };
}

/** Strings longer than FOLD_CHARS cut short, so a huge input reads at a glance. */
function fold(value: unknown): { value: unknown; folded: boolean } {
	if (typeof value === 'string') {
		return value.length > FOLD_CHARS
			? { value: `${value.slice(0, FOLD_CHARS)}… (${value.length - FOLD_CHARS} more characters)`, folded: true }
			: { value, folded: false };
	}
	if (Array.isArray(value)) {
		const items = value.map(fold);
		return { value: items.map((item) => item.value), folded: items.some((item) => item.folded) };
	}
	if (value !== null && typeof value === 'object') {
		let folded = false;
		const out: Record<string, unknown> = {};
		for (const [key, item] of Object.entries(value)) {
			const result = fold(item);
			out[key] = result.value;
			folded ||= result.folded;
		}
		return { value: out, folded };
	}
	return { value, folded: false };
}

function suggestionText(update: PermissionUpdate): string {
	if (update.type === 'addRules' || update.type === 'replaceRules' || update.type === 'removeRules') {
		const rules = (update.rules ?? [])
			.map((rule) => (rule.ruleContent === undefined ? rule.toolName : `${rule.toolName}(${rule.ruleContent})`))
			.join(', ');
		return `${update.type} ${update.behavior ?? ''} ${rules} → ${update.destination ?? ''}`;
	}
	if (update.type === 'setMode') return `setMode ${update.mode ?? ''} → ${update.destination ?? ''}`;
	return JSON.stringify(update);
}

function ageText(receivedAt: number): string {
	const seconds = Math.max(0, Math.round((Date.now() - receivedAt) / 1000));
	if (seconds < 60) return `${seconds}s ago`;
	const minutes = Math.floor(seconds / 60);
	if (minutes < 60) return `${minutes}m ago`;
	return `${Math.floor(minutes / 60)}h ${minutes % 60}m ago`;
}

function subjectOf(view: { kind: string; toolName?: string | null; host?: string | null }): string {
	return view.kind === 'sandbox' ? `network: ${view.host ?? '?'}` : (view.toolName ?? '?');
}

function buildCard(view: RequestView): HTMLLIElement {
	const node = (template.content.firstElementChild as HTMLLIElement).cloneNode(true) as HTMLLIElement;
	node.id = `request-${view.key}`;
	node.dataset['key'] = view.key;
	node.dataset['worker'] = view.worker;
	part(node, '.worker').textContent = view.worker;
	part(node, '.tool').textContent = subjectOf(view);
	part(node, '.age').textContent = ageText(view.receivedAt);
	const description = part<HTMLParagraphElement>(node, '.description');
	description.textContent = view.description ?? '';
	description.hidden = !view.description;

	const pre = part<HTMLPreElement>(node, '.input');
	const unfold = part<HTMLButtonElement>(node, '.unfold');
	if (view.input) {
		const folded = fold(view.input);
		pre.textContent = JSON.stringify(folded.value, null, 2);
		unfold.hidden = !folded.folded;
		unfold.addEventListener('click', () => {
			pre.textContent = JSON.stringify(view.input, null, 2);
			unfold.hidden = true;
		});
	} else pre.hidden = true;

	const suggestions = part<HTMLUListElement>(node, '.suggestions');
	for (const update of view.suggestions) {
		const item = document.createElement('li');
		item.textContent = `Suggested: ${suggestionText(update)}`;
		suggestions.append(item);
	}
	suggestions.hidden = view.suggestions.length === 0;

	const pick = part<HTMLInputElement>(node, '.pick');
	pick.addEventListener('change', () => {
		if (pick.checked) selected.add(view.key);
		else selected.delete(view.key);
		renderBatch();
	});

	const result = part<HTMLParagraphElement>(node, '.result');
	const actions = part<HTMLDivElement>(node, '.actions');
	const denyForm = part<HTMLFormElement>(node, '.deny-form');
	const editForm = part<HTMLFormElement>(node, '.edit-form');
	const editError = part<HTMLParagraphElement>(editForm, '.error');
	const edited = part<HTMLTextAreaElement>(editForm, '.edited');
	const always = part<HTMLButtonElement>(actions, '.always');
	const scope = part<HTMLSelectElement>(actions, '.scope');
	// Network access is allowed per host only.
	scope.hidden = view.kind !== 'permission';
	const acceptSuggestions = part<HTMLButtonElement>(actions, '.accept-suggestions');
	acceptSuggestions.hidden = view.suggestions.length === 0;
	const edit = part<HTMLButtonElement>(actions, '.edit');
	edit.hidden = view.kind !== 'permission';

	const send = async (path: string, body: unknown, errorTarget: HTMLElement) => {
		const buttons = [...node.querySelectorAll('button')];
		for (const button of buttons) button.disabled = true;
		errorTarget.textContent = '';
		try {
			const response = await post(`/api/requests/${encodeURIComponent(view.key)}/${path}`, body);
			if (response.ok) return removeRequest(view.key);
			if (response.status === 409) {
				removeRequest(view.key);
				return;
			}
			errorTarget.textContent = String(response.data['error'] ?? `Refused (${response.status}).`);
		} catch {
			errorTarget.textContent = 'The leader could not be reached.';
		}
		for (const button of buttons) button.disabled = false;
	};

	part(actions, '.approve').addEventListener('click', () => void send('approve', {}, result));
	always.addEventListener(
		'click',
		() => void send('approve', { always: scope.hidden ? 'exact' : scope.value }, result),
	);
	acceptSuggestions.addEventListener('click', () => void send('approve', { acceptSuggestions: true }, result));
	part(actions, '.deny').addEventListener('click', () => {
		denyForm.hidden = false;
		editForm.hidden = true;
		part<HTMLInputElement>(denyForm, '.reason').focus();
	});
	edit.addEventListener('click', () => {
		editForm.hidden = false;
		denyForm.hidden = true;
		edited.value = JSON.stringify(view.input ?? {}, null, 2);
		edited.focus();
	});
	for (const form of [denyForm, editForm]) {
		part(form, '.cancel').addEventListener('click', () => {
			form.hidden = true;
		});
	}
	denyForm.addEventListener('submit', (event) => {
		event.preventDefault();
		const message = part<HTMLInputElement>(denyForm, '.reason').value.trim();
		void send('deny', message ? { message } : {}, result);
	});
	editForm.addEventListener('submit', (event) => {
		event.preventDefault();
		let updatedInput: unknown;
		try {
			updatedInput = JSON.parse(edited.value);
		} catch (error) {
			editError.textContent = `Not valid JSON: ${(error as Error).message}`;
			return;
		}
		if (updatedInput === null || typeof updatedInput !== 'object' || Array.isArray(updatedInput)) {
			editError.textContent = 'The input must be a JSON object.';
			return;
		}
		void send('approve', { updatedInput }, editError);
	});
	return node;
}

function addRequest(view: RequestView): void {
	if (requests.has(view.key)) return;
	const node = buildCard(view);
	const later = [...requests.values()].filter((entry) => entry.view.receivedAt > view.receivedAt);
	const next = later.sort((a, b) => a.view.receivedAt - b.view.receivedAt)[0];
	list.insertBefore(node, next?.node ?? null);
	requests.set(view.key, { view, node });
	node.hidden = filter !== null && filter !== view.worker;
	if (location.hash === `#${encodeURIComponent(view.key)}`) focusRequest(view.key);
	renderCounts();
}

function removeRequest(key: string): void {
	const entry = requests.get(key);
	if (!entry) return;
	entry.node.remove();
	requests.delete(key);
	selected.delete(key);
	renderCounts();
}

function focusRequest(key: string): void {
	const node = requests.get(key)?.node;
	if (!node) return;
	node.classList.add('focus');
	node.scrollIntoView({ block: 'center' });
}

function renderCounts(): void {
	const counts = new Map<string, number>();
	for (const { view } of requests.values()) counts.set(view.worker, (counts.get(view.worker) ?? 0) + 1);
	if (filter !== null && !counts.has(filter)) filter = null;
	const nav = element<HTMLElement>('workers');
	const chip = (label: string, worker: string | null, count: number) => {
		const button = document.createElement('button');
		button.type = 'button';
		button.className = 'chip';
		button.textContent = `${label} · ${count}`;
		button.setAttribute('aria-pressed', String(filter === worker));
		button.addEventListener('click', () => {
			filter = worker;
			for (const entry of requests.values()) entry.node.hidden = filter !== null && filter !== entry.view.worker;
			renderCounts();
		});
		return button;
	};
	const chips = [chip('All', null, requests.size)];
	for (const [worker, count] of [...counts].sort(([a], [b]) => a.localeCompare(b)))
		chips.push(chip(worker, worker, count));
	nav.replaceChildren(...chips);
	element('empty').hidden = requests.size > 0;
	document.title = requests.size > 0 ? `(${requests.size}) approvals` : 'approvals';
	renderBatch();
}

function visibleKeys(): string[] {
	return [...requests.values()].filter((entry) => !entry.node.hidden).map((entry) => entry.view.key);
}

function renderBatch(): void {
	for (const key of [...selected]) if (!requests.has(key)) selected.delete(key);
	element('batch').hidden = requests.size < 2;
	element('selected-count').textContent = `${selected.size} selected`;
	const all = element<HTMLInputElement>('select-all');
	const visible = visibleKeys();
	all.checked = visible.length > 0 && visible.every((key) => selected.has(key));
	for (const id of ['batch-approve', 'batch-deny']) element<HTMLButtonElement>(id).disabled = selected.size === 0;
	for (const { view, node } of requests.values())
		part<HTMLInputElement>(node, '.pick').checked = selected.has(view.key);
}

async function batch(decision: 'allow' | 'deny'): Promise<void> {
	const keys = [...selected];
	if (keys.length === 0) return;
	const response = await post('/api/batch', { keys, decision });
	const results = (response.data['results'] as { key: string; ok: boolean }[] | undefined) ?? [];
	for (const { key } of results) removeRequest(key);
	selected.clear();
	renderBatch();
}

function decisionText(record: DecisionRecord): string {
	const verb = record.decision === 'allow' ? 'allowed' : 'denied';
	const note = record.message ? `: ${record.message}` : '';
	const rule = record.persistedRule ? ` [always: ${record.persistedRule}]` : '';
	return `${verb} ${subjectOf(record)} for ${record.worker} (${record.decidedBy})${note}${rule}`;
}

function renderRecent(): void {
	const items = recent
		.slice(0, RECENT_SHOWN)
		.map((record) =>
			timeItem(
				record.time,
				`${record.decision === 'allow' ? '✔' : '✘'} ${decisionText(record)}`,
				record.decision === 'allow' ? 'allowed' : 'denied',
			),
		);
	recentList.replaceChildren(...items);
}

function timeItem(iso: string, text: string, className: string): HTMLLIElement {
	const item = document.createElement('li');
	item.className = className;
	const time = document.createElement('time');
	time.dateTime = iso;
	time.textContent = new Date(iso).toLocaleTimeString();
	const span = document.createElement('span');
	span.textContent = text;
	item.append(time, span);
	return item;
}

function renderDropped(): void {
	const items = dropped
		.slice(0, RECENT_SHOWN)
		.map((drop) => timeItem(drop.time, `! ${drop.reason}: a request from ${drop.from}: ${drop.detail}`, 'denied'));
	droppedList.replaceChildren(...items);
	element('dropped-section').hidden = dropped.length === 0;
}

function applySnapshot(snapshot: Snapshot): void {
	const keys = new Set(snapshot.pending.map((view) => view.key));
	for (const key of [...requests.keys()]) if (!keys.has(key)) removeRequest(key);
	for (const view of snapshot.pending) addRequest(view);
	recent = snapshot.recent;
	dropped = snapshot.dropped;
	renderRecent();
	renderDropped();
	renderCounts();
}

function apply(event: StreamEvent): void {
	if (event.type === 'snapshot') applySnapshot(event);
	else if (event.type === 'added') addRequest(event.request);
	else if (event.type === 'removed') removeRequest(event.key);
	else if (event.type === 'dropped') {
		dropped.unshift(event.drop);
		renderDropped();
	} else {
		for (const { view } of [...requests.values()]) {
			if (view.requestId === event.record.requestId && view.worker === event.record.worker) removeRequest(view.key);
		}
		if (!recent.some((record) => record.msgId === event.record.msgId)) recent.unshift(event.record);
		renderRecent();
	}
}

async function start(): Promise<void> {
	const status = element('status');
	const response = await fetch('/api/state', { credentials: 'same-origin' });
	if (response.status === 401) {
		location.reload();
		return;
	}
	const state = (await response.json()) as Snapshot & { csrf: string; title: string };
	csrf = state.csrf;
	element('team').textContent = state.title;
	applySnapshot(state);

	const events = new EventSource('/api/events');
	for (const type of ['snapshot', 'added', 'removed', 'decided', 'dropped']) {
		events.addEventListener(type, (message) => apply(JSON.parse((message as MessageEvent<string>).data)));
	}
	events.addEventListener('open', () => {
		status.textContent = 'live';
		status.className = 'status live';
	});
	events.addEventListener('error', () => {
		status.textContent = 'reconnecting…';
		status.className = 'status down';
	});

	element('select-all').addEventListener('change', (event) => {
		const checked = (event.target as HTMLInputElement).checked;
		for (const key of visibleKeys()) {
			if (checked) selected.add(key);
			else selected.delete(key);
		}
		renderBatch();
	});
	element('logout').addEventListener('click', async () => {
		await post('/api/logout', {}).catch(() => undefined);
		events.close();
		location.reload();
	});
	element('batch-approve').addEventListener('click', () => void batch('allow'));
	element('batch-deny').addEventListener('click', () => void batch('deny'));
	window.addEventListener('hashchange', () => focusRequest(decodeURIComponent(location.hash.slice(1))));
	setInterval(() => {
		for (const { view, node } of requests.values()) part(node, '.age').textContent = ageText(view.receivedAt);
	}, 5_000);
}

void start();
