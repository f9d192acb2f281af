/**
How the bench reports: each section is an intro, one Markdown table and notes; goals are collected into a summary.
The same text is printed and, for a full run (or with `--write`), saved to bench/RESULTS.md with the date, the exact
command and the machine's description.
*/

import { writeFileSync } from 'node:fs';
import { type Cell, table } from './stats.js';

export interface Section {
	title: string;
	intro: string;
	headers: string[];
	rows: Cell[][];
	notes: string[];
}

/** A target from the project's issues, and whether this run met it. */
export interface Goal {
	goal: string;
	measured: string;
	met: boolean;
}

export interface SectionResult {
	section: Section;
	goals: Goal[];
}

export function renderSection({ title, intro, headers, rows, notes }: Section): string {
	const parts = [`## ${title}`, intro, table(headers, rows)];
	if (notes.length > 0) parts.push(notes.map((note) => `- ${note}`).join('\n'));
	return parts.join('\n\n');
}

export function goalsSection(goals: Goal[]): Section {
	return {
		title: 'Goals',
		intro: 'Targets from the project issues, checked against this run.',
		headers: ['goal', 'measured', 'met'],
		rows: goals.map((goal) => [goal.goal, goal.measured, goal.met ? 'yes' : 'NO']),
		notes: [],
	};
}

export interface Report {
	quick: boolean;
	date: Date;
	command: string;
	machine: string[];
	sections: Section[];
	failures: string[];
	elapsedMs: number;
}

export function renderReport(report: Report): string {
	const mode = report.quick ? 'quick run (small samples: indicative only)' : 'full run';
	const header = [
		'# swarm-mailbox benchmark results',
		[
			`${mode}, ${report.date.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${(report.elapsedMs / 1000).toFixed(0)} s.`,
			`Command: \`${report.command}\` (from the repository root).`,
		].join(' '),
		report.machine.join('\n'),
	];
	return `${[...header, ...report.sections.map(renderSection), verdict(report.failures)].join('\n\n')}\n`;
}

export function verdict(failures: string[]): string {
	if (failures.length === 0) return 'Our runs lost, failed, duplicated and refused nothing.';
	const list = failures.map((failure) => `- ${failure}`).join('\n');
	return `FAILED: ${failures.length} run(s) of ours lost, failed, duplicated or refused something:\n\n${list}`;
}

export function writeReport(file: string, report: Report): void {
	writeFileSync(file, renderReport(report));
}
