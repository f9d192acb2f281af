/**
The reference model of one inbox for model-based tests: a list of entries, each with what the model knows of it.
- `present`: its send resolved (or a read showed it): it must be in every read until acked or cleared.
- `maybe`: its sender was killed mid-send: it may show up at any time (a spooled batch is committed by the next
  lock holder), or never.
- `doomed`: an ack or clear of it was cut short by a kill, or it raced a clear: it may still be there, but once a
  read shows it gone it never comes back.
- `gone`: acked or cleared: it must never appear again.
*/
import { expect } from 'vitest';

export type Status = 'present' | 'maybe' | 'doomed' | 'gone';

export interface Tracked {
	text: string;
	id: string | undefined;
	status: Status;
}

export interface Observed {
	id: unknown;
	text: string;
}

export class InboxModel {
	readonly entries = new Map<string, Tracked>();
	/** Per runner slot: what its watcher yielded, and what was gone before it started. */
	readonly watchers = new Map<number, { yielded: Set<string>; goneAtStart: Set<string> }>();
	/** Runners killed so far in this run. */
	crashes = 0;
	readonly #prefix: string;
	#count = 0;

	constructor(prefix: string) {
		this.#prefix = prefix;
	}

	/** A new entry text, tracked as `maybe` until its send resolves. */
	newText(): string {
		const text = `${this.#prefix}-${this.#count++}`;
		this.entries.set(text, { text, id: undefined, status: 'maybe' });
		return text;
	}

	get(text: string): Tracked {
		const tracked = this.entries.get(text);
		if (!tracked) throw new Error(`unknown entry ${JSON.stringify(text)} (not sent by this run)`);
		return tracked;
	}

	sent(text: string, id: unknown, status: 'present' | 'doomed' = 'present'): void {
		const tracked = this.get(text);
		tracked.id = String(id);
		tracked.status = status;
	}

	/** Present entries with a known id, in send order. */
	present(): Tracked[] {
		return [...this.entries.values()].filter((entry) => entry.status === 'present' && entry.id !== undefined);
	}

	/** A non-empty subset of the present entries chosen by `picks` (empty when none is present). */
	pick(picks: readonly number[]): Tracked[] {
		const present = this.present();
		if (present.length === 0) return [];
		return [...new Set(picks.map((pick) => present[pick % present.length] as Tracked))];
	}

	texts(status: Status): string[] {
		return [...this.entries.values()].filter((entry) => entry.status === status).map((entry) => entry.text);
	}

	/** Check a full read against the model, then learn from it: what it shows is committed, what it lacks is decided. */
	observe(read: readonly Observed[], where: string): void {
		const texts = read.map((entry) => entry.text);
		expect(new Set(texts).size, `${where}: an entry appears twice in ${JSON.stringify(texts)}`).toBe(texts.length);
		for (const { text } of read) {
			expect(this.get(text).status, `${where}: ${text} was acked or cleared, yet it is back`).not.toBe('gone');
		}
		for (const text of this.texts('present')) {
			expect(texts, `${where}: ${text} was delivered (send resolved), yet it is missing`).toContain(text);
		}
		const seen = new Set(texts);
		for (const { id, text } of read) {
			const tracked = this.get(text);
			if (tracked.status === 'maybe') tracked.status = 'present';
			tracked.id = String(id);
		}
		for (const tracked of this.entries.values())
			if (tracked.status === 'doomed' && !seen.has(tracked.text)) tracked.status = 'gone';
	}

	/** Entries a clear removes for sure; `maybe` ones may still arrive from the spool. */
	cleared(status: 'gone' | 'doomed'): void {
		for (const tracked of this.entries.values()) {
			if (tracked.status === 'present' || (status === 'gone' && tracked.status === 'doomed')) tracked.status = status;
		}
	}
}
