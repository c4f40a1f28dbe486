// Bytes, text, base64 and hex: the small conversions every step needs.
import { sha256 } from '@noble/hashes/sha2';

export const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes) {
	try {
		return strictUtf8.decode(bytes);
	} catch {
		return null;
	}
}

export function concat(...parts) {
	const arrays = parts.map(p => typeof p === 'string' ? utf8.encode(p) : p);
	const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
	let at = 0;
	for (const a of arrays) {
		out.set(a, at);
		at += a.length;
	}
	return out;
}

export function hash(...parts) {
	return sha256(concat(...parts));
}

export function equal(a, b) {
	if (a.length !== b.length)
		return false;
	let diff = 0;
	for (let i = 0; i < a.length; i++)
		diff |= a[i] ^ b[i];
	return diff === 0;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes) {
	let s = '';
	for (let i = 0; i < bytes.length; i += 3) {
		const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) |
			(bytes[i + 2] ?? 0);
		s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
			(i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') +
			(i + 2 < bytes.length ? B64[n & 63] : '=');
	}
	return s;
}

// Standard, padded, canonical base64 (as custody writes it), or null.
export function fromBase64(text) {
	if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text))
		return null;
	const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
	const out = new Uint8Array(text.length / 4 * 3 - pad);
	let at = 0;
	for (let i = 0; i < text.length; i += 4) {
		let n = 0;
		for (let j = 0; j < 4; j++) {
			const c = text[i + j];
			n = n * 64 + (c === '=' ? 0 : B64.indexOf(c));
		}
		const b = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
		for (let j = 0; j < 3 && at < out.length; j++)
			out[at++] = b[j];
	}
	return toBase64(out) === text ? out : null;
}

export function toHex(bytes) {
	return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text) {
	if (!/^([0-9a-f]{2})*$/.test(text))
		return null;
	const out = new Uint8Array(text.length / 2);
	for (let i = 0; i < out.length; i++)
		out[i] = parseInt(text.substr(2 * i, 2), 16);
	return out;
}

// A decimal with no sign and no leading zero, below 2^63, or null.
export function decimal(text) {
	if (!/^(0|[1-9][0-9]{0,18})$/.test(text))
		return null;
	const n = BigInt(text);
	return n < (1n << 63n) ? n : null;
}
