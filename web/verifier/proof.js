// custody's proof file (docs/proof-format.md): its header, then a C2SP
// tlog-proof whose extra is the entry's public part.
import { decimal, fromBase64 } from './bytes.js';
import { CheckError, parseCheckpoint, splitNote } from './note.js';

const KEYWORDS = ['timestamp', 'commitment', 'disclose', 'publication',
	'publication-path', 'log-key'];
export const PRIVATE_FIELDS = ['actor', 'path', 'version', 'previous', 'blob',
	'source', 'member', 'key', 'action', 'document', 'from', 'to', 'at',
	'backdate_reason', 'note'];
const MAX_SIZE = 4 * 1024 * 1024;
const TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

function b64(line, text, want, max, what) {
	const bytes = fromBase64(text);
	if (bytes === null || (want ? bytes.length !== want : bytes.length > max))
		throw new CheckError(`proof line ${line}: ${what} is not canonical ` +
			`base64 of ${want ? '32 bytes' : 'at most the bytes allowed'}`);
	return bytes;
}

function index(text) {
	return /^(0|[1-9][0-9]{0,19})$/.test(text) ? BigInt(text) : null;
}

function readLine(f, number, line, last) {
	const bad = what => { throw new CheckError(`proof line ${number}: ${what}`); };
	const space = line.indexOf(' ');
	const word = space < 0 ? line : line.slice(0, space);
	if (word === '')
		bad('an empty keyword');
	const k = KEYWORDS.indexOf(word);
	if (k < 0)
		bad('not a line custody writes in a proof\u2019s header'.replace('\u2019', '\''));
	if (space < 0)
		bad('a keyword without its value');
	if (k < last || (k === last && (k === 0 || k === 3 || k === 4)))
		bad('out of order, or repeated');
	const rest = line.slice(space + 1);
	const words = rest.split(' ');
	const field = name => {
		if (name.length === 0 || name.length >= 32)
			bad('the field name is missing or too long');
		if (!PRIVATE_FIELDS.includes(name))
			bad('names no private field of an entry');
		return name;
	};
	switch (k) {
	case 0:
		f.token = b64(number, rest, 0, 64 * 1024, 'the timestamp');
		break;
	case 1: {
		if (f.commitments.length === 16)
			bad('too many commitments');
		const name = field(words[0]);
		if (words.length !== 2)
			bad('a commitment is "commitment FIELD HASH"');
		f.commitments.push({ field: name,
			commit: b64(number, words[1], 32, 0, 'the commitment') });
		break;
	}
	case 2: {
		if (f.disclosed.length === 16)
			bad('too many disclosed fields');
		const name = field(words[0]);
		if (words.length < 3)
			bad('a disclosure is "disclose FIELD NONCE VALUE"');
		const nonce = b64(number, words[1], 32, 0, 'the nonce');
		if (words.length > 3)
			bad('a disclosure is "disclose FIELD NONCE VALUE"');
		const value = b64(number, words[2], 0, 4096, 'the value');
		if (value.includes(0))
			bad('the value holds a NUL byte');
		f.disclosed.push({ field: name, nonce, value });
		break;
	}
	case 3: {
		const usage = 'a publication is "publication INDEX TIME SALT PRIVATE ' +
			'PUBLISHED LINES DOCUMENTS"';
		if (words.length !== 7 || words.some(w => w === ''))
			bad(usage);
		const p = { index: index(words[0]) };
		if (p.index === null)
			bad('the publication\'s index is not a number');
		if (!TIME.test(words[1]) || !TIME.test(words[4]))
			bad('a publication\'s times are "YYYY-MM-DDTHH:MM:SSZ"');
		p.time = words[1];
		p.published = words[4];
		p.salt = b64(number, words[2], 32, 0, 'the publication\'s salt');
		p.private = b64(number, words[3], 32, 0,
			'the publication\'s commitment');
		p.lines = b64(number, words[5], 0, 64 * 1024,
			'the publication\'s lines');
		const l = p.lines;
		if (l.length < 6 || String.fromCharCode(...l.slice(0, 5)) !== 'url: ' ||
		    l[l.length - 1] !== 10)
			bad('the publication\'s lines are not its url line (and title ' +
				'line)');
		p.documents = [];
		let selves = 0;
		const items = words[6].split(',');
		if (items.length > 1000)
			bad('a publication names too many documents');
		for (const d of items) {
			if (d === '*') {
				if (selves++)
					bad('a publication names the document twice');
				p.documents.push({ self: true });
				continue;
			}
			const colon = d.indexOf(':');
			const i = colon < 0 ? null : index(d.slice(0, colon));
			if (i === null)
				bad('a publication\'s document is "*" or INDEX:SHA256');
			p.documents.push({ index: i, sha256: b64(number,
				d.slice(colon + 1), 32, 0, 'a document\'s SHA-256') });
		}
		f.publication = p;
		break;
	}
	case 4: {
		if (!f.publication)
			bad('a publication path without a publication');
		const all = b64(number, rest, 0, 64 * 32, 'the publication path');
		if (all.length === 0 || all.length % 32 !== 0)
			bad('the publication path is not whole hashes');
		for (let i = 0; i < all.length; i += 32)
			f.publicationPath.push(all.slice(i, i + 32));
		break;
	}
	default:
		if (f.logKeys.length === 16)
			bad('too many log-key entries');
		f.logKeys.push(b64(number, rest, 0, 64 * 1024, 'the log-key entry'));
	}
	return k;
}

function parseTlogProof(text) {
	const bad = (n, what) => {
		throw new CheckError(`tlog-proof line ${n}: ${what}`);
	};
	if (text.length > 4 * 1024 * 1024)
		throw new CheckError(`tlog-proof: ${text.length} bytes is more than ` +
			'the 4194304 a proof may have');
	let pos = 0, number = 1;
	const take = () => {
		const eol = text.indexOf('\n', pos);
		if (eol < 0)
			return null;
		const line = text.slice(pos, eol);
		pos = eol + 1;
		return line;
	};
	if (take() !== 'c2sp.org/tlog-proof@v1')
		bad(1, 'not a tlog proof (the first line must be ' +
			'"c2sp.org/tlog-proof@v1")');
	const p = { extra: null, hashes: [] };
	number++;
	let line = take();
	if (line !== null && line.startsWith('extra ')) {
		p.extra = fromBase64(line.slice(6));
		if (p.extra === null)
			bad(number, 'the extra data is not canonical base64');
		if (p.extra.length > 65536)
			bad(number, 'the extra data is more than 65536 bytes');
		number++;
		line = take();
	}
	if (line === null || !line.startsWith('index '))
		bad(number, 'expected "index <N>"');
	p.index = decimal(line.slice(6));
	if (p.index === null)
		bad(number, 'the index is not a decimal number');
	for (;;) {
		number++;
		line = take();
		if (line === null)
			bad(number, 'no empty line before the checkpoint');
		if (line === '')
			break;
		if (p.hashes.length === 63)
			bad(number, 'more than 63 proof hashes');
		const h = line.length === 44 ? fromBase64(line) : null;
		if (h === null || h.length !== 32)
			bad(number, 'a proof hash must be 32 bytes of canonical base64');
		p.hashes.push(h);
	}
	number++;
	if (pos === text.length)
		bad(number, 'no checkpoint after the empty line');
	p.checkpoint = text.slice(pos);
	const { text: cpText } = splitNote(p.checkpoint, 'tlog-proof', number);
	parseCheckpoint(cpText, 'tlog-proof', number);
	return p;
}

// The proof file's text (a string: custody's files are UTF-8) to its parts.
export function parseProof(text) {
	if (text.length > MAX_SIZE)
		throw new CheckError(`the proof is too big (${text.length} bytes)`);
	if (!text.startsWith('custody-proof/v3\n'))
		throw new CheckError('the proof does not start with ' +
			'"custody-proof/v3" (not a custody proof file of this version)');
	const f = { token: null, commitments: [], disclosed: [],
		publication: null, publicationPath: [], logKeys: [] };
	let pos = 'custody-proof/v3\n'.length, number = 1, last = -1;
	for (;;) {
		const eol = text.indexOf('\n', pos);
		number++;
		if (eol < 0)
			throw new CheckError('the proof\'s header does not end with an ' +
				'empty line');
		if (eol === pos) {
			f.tlog = parseTlogProof(text.slice(eol + 1));
			return f;
		}
		last = readLine(f, number, text.slice(pos, eol), last);
		pos = eol + 1;
	}
}
