// custody's proof file (docs/proof-format.md): its header, then a C2SP
// tlog-proof whose extra is the entry's public part.
import { decimal, fromBase64 } from './bytes.js';
import { CheckError, parseCheckpoint, splitNote } from './note.js';
import { t } from './strings.js';

const KEYWORDS = ['timestamp', 'commitment', 'disclose', 'publication',
	'publication-path', 'dkim', 'dkim-path', 'log-key'];
export const PRIVATE_FIELDS = ['actor', 'path', 'version', 'previous', 'blob',
	'source', 'member', 'key', 'action', 'document', 'from', 'to', 'at',
	'backdate_reason', 'note'];
const MAX_SIZE = 4 * 1024 * 1024;
const TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$/;

function b64(line, text, want, max, what) {
	const bytes = fromBase64(text);
	if (bytes === null || (want ? bytes.length !== want : bytes.length > max))
		throw new CheckError(t('reason.proof.proofLineCanonicalBase', { line,
			what, value: want ? '32 bytes' : 'at most the bytes allowed' }));
	return bytes;
}

function index(text) {
	return /^(0|[1-9][0-9]{0,19})$/.test(text) ? BigInt(text) : null;
}

function readLine(f, number, line, last) {
	const bad = what => { throw new CheckError(t('reason.proof.proofLine', {
		number, what })); };
	const space = line.indexOf(' ');
	const word = space < 0 ? line : line.slice(0, space);
	if (word === '')
		bad(t('reason.proof.emptyKeyword'));
	const k = KEYWORDS.indexOf(word);
	if (k < 0)
		bad(t('reason.proof.notLineProofHeader'));
	if (space < 0)
		bad(t('reason.proof.keywordWithoutItsValue'));
	if (k < last || (k === last && (k === 0 || (k >= 3 && k <= 6))))
		bad(t('reason.proof.outOrderOrRepeated'));
	const rest = line.slice(space + 1);
	const words = rest.split(' ');
	const field = name => {
		if (name.length === 0 || name.length >= 32)
			bad(t('reason.proof.fieldNameTooLong'));
		if (!PRIVATE_FIELDS.includes(name))
			bad(t('reason.proof.namesNoFieldEntry'));
		return name;
	};
	switch (k) {
	case 0:
		f.token = b64(number, rest, 0, 64 * 1024, t('reason.proof.timestamp'));
		break;
	case 1: {
		if (f.commitments.length === 16)
			bad(t('reason.proof.tooManyCommitments'));
		const name = field(words[0]);
		if (words.length !== 2)
			bad(t('reason.proof.commitmentCommitmentFieldHash'));
		f.commitments.push({ field: name,
			commit: b64(number, words[1], 32, 0,
				t('reason.proof.commitment')) });
		break;
	}
	case 2: {
		if (f.disclosed.length === 16)
			bad(t('reason.proof.tooManyDisclosedFields'));
		const name = field(words[0]);
		if (words.length < 3)
			bad(t('reason.proof.disclosureDiscloseNonceValue'));
		const nonce = b64(number, words[1], 32, 0, t('reason.proof.nonce'));
		if (words.length > 3)
			bad(t('reason.proof.disclosureDiscloseNonceValue'));
		const value = b64(number, words[2], 0, 4096, t('reason.proof.value'));
		if (value.includes(0))
			bad(t('reason.proof.valueHoldsNulByte'));
		f.disclosed.push({ field: name, nonce, value });
		break;
	}
	case 3: {
		const usage = t('reason.proof.publicationPublicationLinesDocuments');
		if (words.length !== 7 || words.some(w => w === ''))
			bad(usage);
		const p = { index: index(words[0]) };
		if (p.index === null)
			bad(t('reason.proof.publicationIndexNotNumber'));
		if (!TIME.test(words[1]) || !TIME.test(words[4]))
			bad(t('reason.proof.publicationTimesMmSsz'));
		p.time = words[1];
		p.published = words[4];
		p.salt = b64(number, words[2], 32, 0,
			t('reason.proof.publicationSalt'));
		p.private = b64(number, words[3], 32, 0,
			t('reason.proof.publicationCommitment'));
		p.lines = b64(number, words[5], 0, 64 * 1024,
			t('reason.proof.publicationLines'));
		const l = p.lines;
		if (l.length < 6 || String.fromCharCode(...l.slice(0, 5)) !== 'url: ' ||
		    l[l.length - 1] !== 10)
			bad(t('reason.proof.publicationLinesTitleLine'));
		p.documents = [];
		let selves = 0;
		const items = words[6].split(',');
		if (items.length > 1000)
			bad(t('reason.proof.publicationNamesManyDocuments'));
		for (const d of items) {
			if (d === '*') {
				if (selves++)
					bad(t('reason.proof.publicationNamesDocumentTwice'));
				p.documents.push({ self: true });
				continue;
			}
			const colon = d.indexOf(':');
			const i = colon < 0 ? null : index(d.slice(0, colon));
			if (i === null)
				bad(t('reason.proof.publicationDocumentIndexSha'));
			p.documents.push({ index: i, sha256: b64(number,
				d.slice(colon + 1), 32, 0, t('reason.proof.documentSha')) });
		}
		f.publication = p;
		break;
	}
	case 4: {
		if (!f.publication)
			bad(t('reason.proof.publicationPathWithoutPublication'));
		const all = b64(number, rest, 0, 64 * 32,
			t('reason.proof.publicationPath'));
		if (all.length === 0 || all.length % 32 !== 0)
			bad(t('reason.proof.publicationPathWholeHashes'));
		for (let i = 0; i < all.length; i += 32)
			f.publicationPath.push(all.slice(i, i + 32));
		break;
	}
	case 5:
		f.dkim = b64(number, rest, 0, 64 * 1024, t('reason.proof.dkimEntry'));
		break;
	case 6: {
		if (!f.dkim)
			bad(t('reason.proof.dkimPathWithoutDkim'));
		const all = b64(number, rest, 0, 64 * 32, t('reason.proof.dkimPath'));
		if (all.length === 0 || all.length % 32 !== 0)
			bad(t('reason.proof.dkimPathWholeHashes'));
		for (let i = 0; i < all.length; i += 32)
			f.dkimPath.push(all.slice(i, i + 32));
		break;
	}
	default:
		if (f.logKeys.length === 16)
			bad(t('reason.proof.tooManyKeyEntries'));
		f.logKeys.push(b64(number, rest, 0, 64 * 1024,
			t('reason.proof.logKeyEntry')));
	}
	return k;
}

function parseTlogProof(text) {
	const bad = (n, what) => {
		throw new CheckError(t('reason.proof.tlogProofLine', { n, what }));
	};
	if (text.length > 4 * 1024 * 1024)
		throw new CheckError(t('reason.proof.tlogProofMayHave', {
			length: text.length }));
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
		bad(1, t('reason.proof.notTlogProofV'));
	const p = { extra: null, hashes: [] };
	number++;
	let line = take();
	if (line !== null && line.startsWith('extra ')) {
		p.extra = fromBase64(line.slice(6));
		if (p.extra === null)
			bad(number, t('reason.proof.extraDataCanonicalBase'));
		if (p.extra.length > 65536)
			bad(number, t('reason.proof.extraDataThanBytes'));
		number++;
		line = take();
	}
	if (line === null || !line.startsWith('index '))
		bad(number, t('reason.proof.expectedIndexN'));
	p.index = decimal(line.slice(6));
	if (p.index === null)
		bad(number, t('reason.proof.indexNotDecimalNumber'));
	for (;;) {
		number++;
		line = take();
		if (line === null)
			bad(number, t('reason.proof.noEmptyBeforeCheckpoint'));
		if (line === '')
			break;
		if (p.hashes.length === 63)
			bad(number, t('reason.proof.moreThanProofHashes'));
		const h = line.length === 44 ? fromBase64(line) : null;
		if (h === null || h.length !== 32)
			bad(number, t('reason.proof.proofHashCanonicalBase'));
		p.hashes.push(h);
	}
	number++;
	if (pos === text.length)
		bad(number, t('reason.proof.noCheckpointEmptyLine'));
	p.checkpoint = text.slice(pos);
	const { text: cpText } = splitNote(p.checkpoint, 'tlog-proof', number);
	parseCheckpoint(cpText, 'tlog-proof', number);
	return p;
}

// The proof file's text (a string: custody's files are UTF-8) to its parts.
export function parseProof(text) {
	if (text.length > MAX_SIZE)
		throw new CheckError(t('reason.proof.proofTooBigBytes', {
			length: text.length }));
	if (!text.startsWith('custody-proof/v3\n'))
		throw new CheckError(t('reason.proof.proofDoesThisVersion'));
	const f = { token: null, commitments: [], disclosed: [],
		publication: null, publicationPath: [], dkim: null, dkimPath: [],
		logKeys: [] };
	let pos = 'custody-proof/v3\n'.length, number = 1, last = -1;
	for (;;) {
		const eol = text.indexOf('\n', pos);
		number++;
		if (eol < 0)
			throw new CheckError(t('reason.proof.proofHeaderEmptyLine'));
		if (eol === pos) {
			f.tlog = parseTlogProof(text.slice(eol + 1));
			return f;
		}
		last = readLine(f, number, text.slice(pos, eol), last);
		pos = eol + 1;
	}
}
