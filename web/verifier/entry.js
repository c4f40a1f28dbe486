// The public part of an entry, in the one layout custody writes it
// (schemas/): "key: value" lines, a value a decimal or a quoted string.
import { decodeUtf8 } from './bytes.js';
import { CheckError } from './note.js';
import { t } from './strings.js';

const TYPES = ['register', 'derive', 'publish', 'event', 'member', 'log-key',
	'dkim'];

function value(raw, where) {
	if (/^(0|[1-9][0-9]{0,18})$/.test(raw))
		return BigInt(raw);
	if (raw.length >= 2 && raw[0] === '"' && raw.endsWith('"') &&
	    !/[\u0000-\u001f]/.test(raw)) {
		try {
			return JSON.parse(raw);
		} catch {
			/* fall through */
		}
	}
	throw new CheckError(t('reason.entry.notNumberQuotedString', { where,
		value: raw.split(':')[0] }));
}

// The entry's fields; throws naming the line when it is not custody's.
export function parseEntry(bytes, what) {
	const text = decodeUtf8(bytes);
	if (text === null || !text.endsWith('\n'))
		throw new CheckError(t('reason.entry.notUtfEndingNewline', { what }));
	const lines = text.slice(0, -1).split('\n');
	if (lines[0] !== 'custody-entry: 2')
		throw new CheckError(t('reason.entry.notCustodyEntryVersion', {
			what }));
	const e = { documents: [] };
	for (let i = 1; i < lines.length; i++) {
		const where = t('reason.entry.place', { what, line: i + 1 });
		const m = /^([a-z0-9_]+): (.*)$/.exec(lines[i]);
		if (!m) {
			if (lines[i] === 'documents:')
				continue;
			const d = /^(- |  )(index|sha256): (.*)$/.exec(lines[i]);
			if (!d)
				throw new CheckError(t('reason.entry.notLineCustodyEntry', {
					where }));
			if (d[1] === '- ')
				e.documents.push({});
			if (e.documents.length === 0)
				throw new CheckError(t('reason.entry.notLineCustodyEntry', {
					where }));
			e.documents[e.documents.length - 1][d[2]] = value(d[3], where);
			continue;
		}
		if (m[1] in e)
			throw new CheckError(t('reason.entry.appearsTwice', { where,
				value: m[1] }));
		e[m[1]] = value(m[2], where);
		if (m[1] === 'type' && typeof e.type !== 'string')
			throw new CheckError(t('reason.entry.typeMustQuotedString', {
				where }));
	}
	for (const [k, kind] of [['index', 'bigint'], ['type', 'string'],
	    ['time', 'string'], ['salt', 'string'], ['private', 'string']])
		if (typeof e[k] !== kind)
			throw new CheckError(t('reason.entry.missing', { what, k }));
	if (!TYPES.includes(e.type))
		throw new CheckError(t('reason.entry.typeMustBeOne', { what,
			types: TYPES.join(', ') }));
	if (e.type === 'register' || e.type === 'derive') {
		for (const [k, kind] of [['size', 'bigint'], ['sha256', 'string']])
			if (typeof e[k] !== kind)
				throw new CheckError(t('reason.entry.missing', { what, k }));
		// absent when the archive's policy is "media_types: none"
		if ('media_type' in e && typeof e.media_type !== 'string')
			throw new CheckError(t('reason.entry.mediaTypeMustQuotedString',
				{ what }));
		if (!/^[0-9a-f]{64}$/.test(e.sha256))
			throw new CheckError(t('reason.entry.shaMustHexDigits', { what }));
	}
	if (e.type === 'dkim')
		for (const [k, kind] of [['message', 'bigint'],
		    ['message_leaf', 'string'], ['verdict', 'string'],
		    ['observed', 'string'], ['evidence', 'string']])
			if (typeof e[k] !== kind)
				throw new CheckError(t('reason.entry.missing', { what, k }));
	if (!/^[0-9a-f]{64}$/.test(e.private))
		throw new CheckError(t('reason.entry.privateMustHexDigits', { what }));
	for (const d of e.documents)
		if (typeof d.index !== 'bigint' || d.index >= e.index ||
		    d.index < 1n)
			throw new CheckError(t('reason.entry.documentsItemEarlierEntry', {
				what, value: e.index - 1n }));
	return e;
}

export const registers = e => e.type === 'register' || e.type === 'derive';
