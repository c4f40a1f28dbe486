// The public part of an entry, in the one layout custody writes it
// (schemas/): "key: value" lines, a value a decimal or a quoted string.
import { decodeUtf8 } from './bytes.js';
import { CheckError } from './note.js';

const TYPES = ['register', 'derive', 'publish', 'event', 'member', 'log-key'];

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
	throw new CheckError(`${where}: '${raw.split(':')[0]}' is not a number ` +
		'or a quoted string');
}

// The entry's fields; throws naming the line when it is not custody's.
export function parseEntry(bytes, what) {
	const text = decodeUtf8(bytes);
	if (text === null || !text.endsWith('\n'))
		throw new CheckError(`${what}: not UTF-8 YAML ending in a newline`);
	const lines = text.slice(0, -1).split('\n');
	if (lines[0] !== 'custody-entry: 2')
		throw new CheckError(`${what}:1:1: not a custody entry of version 2`);
	const e = { documents: [] };
	for (let i = 1; i < lines.length; i++) {
		const where = `${what}:${i + 1}:1`;
		const m = /^([a-z0-9_]+): (.*)$/.exec(lines[i]);
		if (!m) {
			if (lines[i] === 'documents:')
				continue;
			const d = /^(- |  )(index|sha256): (.*)$/.exec(lines[i]);
			if (!d)
				throw new CheckError(`${where}: not a line of a custody entry`);
			if (d[1] === '- ')
				e.documents.push({});
			if (e.documents.length === 0)
				throw new CheckError(`${where}: not a line of a custody entry`);
			e.documents[e.documents.length - 1][d[2]] = value(d[3], where);
			continue;
		}
		if (m[1] in e)
			throw new CheckError(`${where}: '${m[1]}' appears twice`);
		e[m[1]] = value(m[2], where);
		if (m[1] === 'type' && typeof e.type !== 'string')
			throw new CheckError(`${where}: 'type' must be a quoted string`);
	}
	for (const [k, kind] of [['index', 'bigint'], ['type', 'string'],
	    ['time', 'string'], ['salt', 'string'], ['private', 'string']])
		if (typeof e[k] !== kind)
			throw new CheckError(`${what}: '${k}' is missing`);
	if (!TYPES.includes(e.type))
		throw new CheckError(`${what}: 'type' must be one of ` +
			TYPES.join(', '));
	if (e.type === 'register' || e.type === 'derive') {
		for (const [k, kind] of [['size', 'bigint'], ['sha256', 'string'],
		    ['media_type', 'string']])
			if (typeof e[k] !== kind)
				throw new CheckError(`${what}: '${k}' is missing`);
		if (!/^[0-9a-f]{64}$/.test(e.sha256))
			throw new CheckError(`${what}: 'sha256' must be 64 lowercase ` +
				'hex digits');
	}
	if (!/^[0-9a-f]{64}$/.test(e.private))
		throw new CheckError(`${what}: 'private' must be 64 lowercase hex ` +
			'digits');
	for (const d of e.documents)
		if (typeof d.index !== 'bigint' || d.index >= e.index ||
		    d.index < 1n)
			throw new CheckError(`${what}: 'documents' item: 'index' must ` +
				`name an earlier entry (1 to ${e.index - 1n})`);
	return e;
}

export const registers = e => e.type === 'register' || e.type === 'derive';
