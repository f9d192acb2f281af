/**
How Claude Code 2.1.330 folds a name before judging it: whether a sender poses as the lead, and whether a teammate
name is reserved "in any spelling". Shared by the signing rules (protocol/) and the name rules (team/paths.ts).
*/

/*
Confusables fold: Cyrillic, Greek and a few Latin letters that render like ASCII letters, plus the ASCII
look-alikes I, 1, | (for l) and 0 (for o). It is a small hand-picked table, not Unicode's confusables.txt: it misses
other scripts (Armenian, Cherokee, ...) and symbol look-alikes. That is acceptable because its only uses are to decide
whether a sender is posing as one of three lead names, none of which contains an "i" (over-folding can only turn an
unverified entry that already looks like a lead into "forged"), and whether a new teammate name is reserved, where
the unfolded spelling (`spellingOf`) is judged too, so "MAIN" (whose "I" folds to "l") is still "main".
*/
const confusableGroups: Record<string, string> = {
	a: '\u0430\u0410\u03b1\u0391\u0251',
	b: '\u0412\u0392\u042c\u044c',
	c: '\u0441\u0421\u03f2\u03f9',
	d: '\u0501\u0500',
	e: '\u0435\u0415\u0395\u04bd',
	g: '\u0261\u050d',
	h: '\u04bb\u041d\u0397',
	i: '\u0456\u03b9\u0131\u0269',
	j: '\u0458\u0408\u03f3\u037f',
	k: '\u043a\u041a\u03ba\u039a',
	l: 'I1|\u04cf\u04c0\u0399\u0406',
	m: '\u043c\u041c\u039c',
	n: '\u039d',
	o: '0\u043e\u041e\u03bf\u039f',
	p: '\u0440\u0420\u03c1\u03a1',
	q: '\u051b\u051a',
	s: '\u0455\u0405',
	t: '\u0422\u03a4\u03c4',
	u: '\u03c5',
	v: '\u03bd\u0475\u0474',
	w: '\u051d\u051c',
	x: '\u0445\u0425\u03c7\u03a7',
	y: '\u0443\u0423\u03a5\u04af\u04ae',
	z: '\u0396',
};
const confusables = new Map<string, string>(
	Object.entries(confusableGroups).flatMap(([latin, lookalikes]) => [...lookalikes].map((c) => [c, latin] as const)),
);

/**
The name as spelled, without confusable folding: NFKC; strip combining marks and invisible (default-ignorable)
characters; lowercase; Unicode dashes to "-"; trim; whitespace runs to "-". Session ids and agent ids are judged on
this form (folding would turn their digits into letters).
*/
export function spellingOf(name: string): string {
	return name
		.normalize('NFKC')
		.normalize('NFD')
		.replace(/[\p{M}\p{Default_Ignorable_Code_Point}]/gu, '')
		.toLowerCase()
		.replace(/[\p{Pd}\u2212\u2043\u02d7]/gu, '-')
		.trim()
		.replace(/\s+/gu, '-');
}

/**
Folds a sender name for the "poses as the lead" check: NFKC; strip combining marks and invisible (default-ignorable)
characters; fold confusables; lowercase; Unicode dashes to "-"; trim; whitespace runs to "-". For example
"Team\u2013Lead " and "team-l\u0435ad" (Cyrillic e) both become "team-lead".
*/
export function normalizeSenderName(name: string): string {
	const bare = name
		.normalize('NFKC')
		.normalize('NFD')
		.replace(/[\p{M}\p{Default_Ignorable_Code_Point}]/gu, '');
	const folded = Array.from(bare, (c) => confusables.get(c) ?? c).join('');
	return folded
		.toLowerCase()
		.replace(/[\p{Pd}\u2212\u2043\u02d7]/gu, '-')
		.trim()
		.replace(/\s+/gu, '-');
}
