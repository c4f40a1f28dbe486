// Every word the page shows, in one place, so that a translation is one
// more object of the same keys: the labels, the result lines and every
// reason a check fails for (under `reason`). English first; its wording
// follows `custody check`'s, which the browser tests compare it with.
// A {name} in a text is filled from the values given to t(); a reason may
// hold another, already filled, as {reason}.
export const strings = {
	en: {
		title: 'Check a document against its custody proof',
		intro: 'Choose the document, its proof and the outlet\u2019s key (or ' +
			'its witness policy). Everything is checked on this computer: ' +
			'nothing is sent anywhere.',
		document: 'Document',
		documentHelp: 'the file you want to check',
		proof: 'Proof',
		proofHelp: 'the .proof file the outlet published with it',
		key: 'Outlet key or policy',
		keyHelp: 'a verifier key (custody key export --vkey), an ssh-ed25519 ' +
			'line, or a witness policy file',
		keyText: 'or paste the key',
		advanced: 'More checks (optional)',
		saved: 'A checkpoint you saved earlier',
		consistency: 'Its consistency proof',
		tsaCa: 'Timestamp authority certificate you trust (PEM)',
		check: 'Check',
		drop: 'or drop files here',
		hashing: 'Hashing the document',
		ok: 'OK: {file} is the document registered in the log {origin}',
		failed: 'Check failed at step \u2018{step}\u2019',
		missing: 'Choose the document, the proof and the key first.',
		steps: {
			options: 'options', policy: 'policy', key: 'key',
			proof: 'proof', signature: 'signature',
			cosignature: 'cosignature', entry: 'entry',
			disclosure: 'disclosure', file: 'file',
			inclusion: 'inclusion', publication: 'publication',
			dkim: 'dkim', consistency: 'consistency', timestamp: 'timestamp',
		},
		stepPassed: '{step}: passed',
		stepFailed: '{step}: failed',
		listSeparator: ', ',
		rows: {
			registered: 'registered', document: 'document',
			derived: 'derived', publication: 'publication',
			dkim: 'dkim', signature: 'signature', dkimBound: 'dkim bound',
			dkimAgain: 'dkim again',
			disclosed: 'disclosed', private: 'private', log: 'log',
			history: 'history', signedBy: 'signed by',
			witnesses: 'witnesses', cosigned: 'cosigned', time: 'time',
		},
		registeredAt: '{time} (the outlet\'s clock), entry {index}',
		digest: 'SHA-256 {sha256}, {size} bytes',
		derivedFrom: 'by {how} from entry {from}, registered earlier in the ' +
			'same log (the original is not disclosed)',
		published: 'published at {url} on {date} (entry {index})',
		notPublished: 'registered, not recorded as published',
		noDkim: 'no dkim entry: the outlet recorded no DKIM verdict on this ' +
			'message before this checkpoint',
		dkimVerdict: '{verdict}, entry {index}: keys observed {observed}',
		dkimVerdictAsked: '{verdict}, entry {index}: keys observed ' +
			'{observed}, asked of {resolver}',
		dkimSignature: 'd={domain} s={selector} a={algorithm}: {result} ' +
			'({key} from {source}, DNSSEC {dnssec})',
		dkimKeyBits: '{bits}-bit key',
		dkimKey: 'key',
		dkimBound: 'entry {index} is in the same signed tree (size {size}); ' +
			'no timestamp dates it',
		dkimBoundStamped: 'entry {index} is in the same signed tree, which ' +
			'the timestamp dates: verdict and key records recorded before ' +
			'{time}',
		dkimNotAgain: 'not verified again: this page has no DKIM verifier; ' +
			'the verdict shown is the one recorded (custody check verifies ' +
			'it again)',
		disclosedValue: 'by the outlet: {field} = {value}',
		privateRest: '{fields} (not disclosed)',
		privateAll: 'every field but the public ones (the outlet disclosed none)',
		logAt: '{origin} at size {size}, root {root}',
		history: 'consistent with the checkpoint of size {size} you saved',
		signedByKey: '{fingerprint}, the key you gave',
		signedByPolicy: '{fingerprint}, the log key of the policy',
		witnessesMet: '{n} of the policy\'s {total} cosigned it, quorum ' +
			'{quorum} met',
		cosignedBy: 'by {name} at {time}',
		noTimestamp: 'no timestamp: only the outlet\'s own records say when',
		timestampTrusted: 'registered before {time}, by an RFC 3161 ' +
			'timestamp from {tsa} (trusted: {ca})',
		timestampUntrusted: 'an RFC 3161 timestamp says {time}, from {tsa}, ' +
			'but no trusted authority was given',
		pageHash: 'This page\u2019s SHA-256 is printed by `custody verifier`; ' +
			'compare it before you trust a copy.',
		reason: {
			check: {
				prefixed: '{prefix}: {message}',
				consistencyProofConsistencyV: 'the ' +
					'consistency proof does not start ' +
					'with "custody-consistency/v1"',
				consistencyProofNLines: 'the consistency ' +
					'proof lacks its "old N" and "new ' +
					'N" lines',
				consistencyProofWithNewline: 'the ' +
					'consistency proof\'s last line ' +
					'does not end with a newline',
				consistencyProofHashBytes: 'the consistency ' +
					'proof\'s line {value} is not one ' +
					'base64 hash of 32 bytes',
				checkpointsAreTwoLogs: 'the checkpoints are ' +
					'of two logs (\'{origin}\' and ' +
					'\'{bOrigin}\')',
				evidenceForkTwoRoots: 'evidence of a fork: ' +
					'two checkpoints of {origin}, both ' +
					'signed by {fp}, give size {size} ' +
					'two roots ({rootB64} and ' +
					'{newerRootB64})',
				consistencyProofNotFrom: 'the consistency ' +
					'proof is from size {old} to {new}, ' +
					'not from {size} to {newerSize}',
				checkpointSizeShaNothing: 'the checkpoint ' +
					'of size 0 has root {rootB64}, not ' +
					'the empty tree\'s (SHA-256 of ' +
					'nothing)',
				consistencyProofExpectedNone: 'the ' +
					'consistency proof from the empty ' +
					'tree has {length} hashes, expected ' +
					'none',
				checkpointsSizesConsistencyProof: 'checkpoints ' +
					'of sizes {size} and {newerSize} ' +
					'need a consistency proof',
				consistencyProofExpectedNone2: 'the ' +
					'consistency proof between two ' +
					'checkpoints of size {size} has ' +
					'{length} hashes, expected none',
				evidenceForkNotConsistent: 'evidence of a ' +
					'fork: the checkpoints of {origin} ' +
					'at sizes {size} (root {rootB64}) ' +
					'and {newerSize} (root ' +
					'{newerRootB64}), both signed by ' +
					'{fp}, are not consistent: ' +
					'{message}',
				proofDisclosesNoCommitments: 'the proof ' +
					'discloses fields but lists no ' +
					'commitments',
				commitmentsProofEntryPrivate: 'the ' +
					'commitments the proof lists are ' +
					'not the entry\'s (\'private\')',
				disclosedButSuchField: '\'{field}\' is ' +
					'disclosed, but the entry holds no ' +
					'such field',
				valueDisclosedEntryCommitted: 'the value ' +
					'disclosed for \'{field}\' is not ' +
					'the one the entry committed to',
				valueNotNumber: 'the value of \'{field}\' is not a number',
				valueNotText: 'the value of \'{field}\' is not UTF-8 text of ' +
					'the length allowed',
				publicationLinesNotUtf: 'the publication\'s ' +
					'lines are not UTF-8',
				publicationEntry: 'the publication entry',
				dkimEntry: 'the dkim entry',
				dkimNotMessage: 'the proof carries a dkim entry, but its ' +
					'entry {index} is no registration of a message',
				dkimNotDkim: 'the proof\'s dkim line holds {type} entry ' +
					'{index}, not a dkim entry',
				dkimOtherMessage: 'dkim entry {index} is the verdict on ' +
					'entry {message}, not on this message (entry {eIndex})',
				dkimOtherLeaf: 'dkim entry {index} names entry {eIndex} by ' +
					'leaf hash {named}..., not this entry\'s {leaf}...',
				dkimNotInTree: 'dkim entry {index} is not in the ' +
					'checkpoint\'s tree beside the message: {message}',
				dkimOtherDigest: 'the evidence of dkim entry {index} was ' +
					'made for SHA-256 {named}..., not this message\'s ' +
					'{sha256}...',
				dkimObserved: 'dkim entry {index} says the keys were ' +
					'observed at {observed}, its evidence at {seen}',
				entryDoesEntrySha: 'entry {index} does not ' +
					'publish this document (entry ' +
					'{eIndex}, SHA-256 {value}...)',
				logKeyEntryProof: 'a log-key entry of the ' +
					'proof',
				logKeyTreeSize: 'a log-key line holds entry ' +
					'{index} (type {type}), not a ' +
					'rotation inside the checkpoint\'s ' +
					'tree (size {size})',
				rotationAtNewKey: 'the rotation at entry ' +
					'{index} is not signed by both the ' +
					'old and the new key',
				rotated: 'the outlet key was rotated at entry {at}: the ' +
					'checkpoint is signed by the new key {vkey}, which the ' +
					'key you gave endorsed; check again with the new key',
				rotatedSeveral: 'the outlet key was rotated at entry {at} ' +
					'(the last of several rotations): the checkpoint is ' +
					'signed by the new key {vkey}, which the key you gave ' +
					'endorsed; check again with the new key',
				giveOutletNotBoth: 'give the outlet\'s key ' +
					'or a policy (which names it), not ' +
					'both',
				policy: 'the policy',
				checkNeedsPublicKey: 'the check needs the ' +
					'outlet\'s public key',
				proofNotUtfText: 'the proof is not UTF-8 text',
				proofFileMalformed: 'the proof file is ' +
					'malformed',
				keyOrCheckpoint: 'the key or checkpoint',
				policyItOutletPolicy: 'policy: it names no ' +
					'log of origin {origin}, the ' +
					'proof\'s; is it this outlet\'s ' +
					'policy?',
				checkpointSignature: 'the checkpoint\'s ' +
					'signature',
				cosignatures: 'cosignatures',
				entryProofNoExtra: 'entry: the proof ' +
					'carries no entry (no "extra")',
				proofEntry: 'the proof\'s entry',
				entryProofAtIndex: 'entry: the proof\'s ' +
					'entry is {type} entry {index}, not ' +
					'the registration at index ' +
					'{tpIndex}',
				fileNotEntryBytes: 'file: {documentName} is ' +
					'not the registered document: its ' +
					'SHA-256 is {got} ({size} bytes), ' +
					'the entry\'s {sha256} ({eSize} ' +
					'bytes)',
				inclusionEntryCheckpointTree: 'inclusion: ' +
					'the entry is not in the ' +
					'checkpoint\'s tree',
				savedCheckpointNotUtf: 'the saved ' +
					'checkpoint is not UTF-8',
				savedCheckpoint: 'the saved checkpoint: ' +
					'{message}',
			},
			proof: {
				proofLineCanonicalBase: 'proof line {line}: ' +
					'{what} is not canonical base64 of ' +
					'{value}',
				proofLine: 'proof line {number}: {what}',
				emptyKeyword: 'an empty keyword',
				notLineProofHeader: 'not a line custody writes in a ' +
					'proof\'s header',
				keywordWithoutItsValue: 'a keyword without ' +
					'its value',
				outOrderOrRepeated: 'out of order, or repeated',
				fieldNameTooLong: 'the field name is ' +
					'missing or too long',
				namesNoFieldEntry: 'names no private field ' +
					'of an entry',
				timestamp: 'the timestamp',
				tooManyCommitments: 'too many commitments',
				commitmentCommitmentFieldHash: 'a ' +
					'commitment is "commitment FIELD ' +
					'HASH"',
				commitment: 'the commitment',
				tooManyDisclosedFields: 'too many disclosed ' +
					'fields',
				disclosureDiscloseNonceValue: 'a disclosure ' +
					'is "disclose FIELD NONCE VALUE"',
				nonce: 'the nonce',
				value: 'the value',
				valueHoldsNulByte: 'the value holds a NUL byte',
				publicationPublicationLinesDocuments: 'a ' +
					'publication is "publication INDEX ' +
					'TIME SALT PRIVATE PUBLISHED LINES ' +
					'DOCUMENTS"',
				publicationIndexNotNumber: 'the ' +
					'publication\'s index is not a ' +
					'number',
				publicationTimesMmSsz: 'a publication\'s ' +
					'times are "YYYY-MM-DDTHH:MM:SSZ"',
				publicationSalt: 'the publication\'s salt',
				publicationCommitment: 'the publication\'s ' +
					'commitment',
				publicationLines: 'the publication\'s lines',
				publicationLinesTitleLine: 'the ' +
					'publication\'s lines are not its ' +
					'url line (and title line)',
				publicationNamesManyDocuments: 'a ' +
					'publication names too many ' +
					'documents',
				publicationNamesDocumentTwice: 'a ' +
					'publication names the document ' +
					'twice',
				publicationDocumentIndexSha: 'a ' +
					'publication\'s document is "*" or ' +
					'INDEX:SHA256',
				documentSha: 'a document\'s SHA-256',
				dkimEntry: 'the dkim entry',
				dkimPath: 'the dkim path',
				dkimPathWithoutDkim: 'a dkim path without a dkim entry',
				dkimPathWholeHashes: 'the dkim path is not whole hashes',
				publicationPathWithoutPublication: 'a ' +
					'publication path without a ' +
					'publication',
				publicationPath: 'the publication path',
				publicationPathWholeHashes: 'the ' +
					'publication path is not whole ' +
					'hashes',
				tooManyKeyEntries: 'too many log-key entries',
				logKeyEntry: 'the log-key entry',
				tlogProofLine: 'tlog-proof line {n}: {what}',
				tlogProofMayHave: 'tlog-proof: {length} ' +
					'bytes is more than the 4194304 a ' +
					'proof may have',
				notTlogProofV: 'not a tlog proof (the first ' +
					'line must be ' +
					'"c2sp.org/tlog-proof@v1")',
				extraDataCanonicalBase: 'the extra data is ' +
					'not canonical base64',
				extraDataThanBytes: 'the extra data is more ' +
					'than 65536 bytes',
				expectedIndexN: 'expected "index <N>"',
				indexNotDecimalNumber: 'the index is not a ' +
					'decimal number',
				noEmptyBeforeCheckpoint: 'no empty line ' +
					'before the checkpoint',
				moreThanProofHashes: 'more than 63 proof ' +
					'hashes',
				proofHashCanonicalBase: 'a proof hash must ' +
					'be 32 bytes of canonical base64',
				noCheckpointEmptyLine: 'no checkpoint after ' +
					'the empty line',
				proofTooBigBytes: 'the proof is too big ' +
					'({length} bytes)',
				proofDoesThisVersion: 'the proof does not ' +
					'start with "custody-proof/v3" (not ' +
					'a custody proof file of this ' +
					'version)',
				proofHeaderEmptyLine: 'the proof\'s header ' +
					'does not end with an empty line',
			},
			note: {
				empty: 'is empty',
				holdsControlCharacter: 'holds a control ' +
					'character',
				holdsSpace: 'holds a space',
				holds: 'holds a "+"',
				controlCharacter: '{what} line {line}: control character ' +
					'0x{hex}',
				lineNoteEmpty: '{what} line {firstLine}: ' +
					'the note is empty',
				lineLastWithNewline: '{what} line {value}: ' +
					'the last line does not end with a ' +
					'newline',
				lineNoSignatureLines: '{what} line {value}: ' +
					'no blank line separates the text ' +
					'from the signature lines',
				lineNoBlankLine: '{what} line {value}: no ' +
					'signature line after the blank ' +
					'line',
				lineMoreSignatureLines: '{what} line ' +
					'{number}: more than 100 signature ' +
					'lines',
				lineSignatureUSpace: '{what} line {number}: ' +
					'a signature line must start with ' +
					'an em dash (U+2014) and a space',
				lineNoNameSignature: '{what} line {number}: ' +
					'no space between the key name and ' +
					'the signature',
				lineKeyName: '{what} line {number}: the key ' +
					'name {problem}',
				lineSignatureCanonicalBase: '{what} line ' +
					'{number}: the signature is not ' +
					'canonical base64',
				lineSignatureOneByte: '{what} line ' +
					'{number}: the signature is shorter ' +
					'than a key id and one byte',
				lineNoOriginLine: '{what} line {firstLine}: ' +
					'no origin line',
				lineOriginEmpty: '{what} line {firstLine}: ' +
					'the origin is empty',
				lineNoSizeLine: '{what} line {value}: no ' +
					'tree size line',
				lineTreeDecimalNumber: '{what} line ' +
					'{value}: the tree size is not a ' +
					'decimal number',
				lineNoHashLine: '{what} line {value}: no ' +
					'root hash line',
				lineRootCanonicalBase: '{what} line ' +
					'{value}: the root hash is not 32 ' +
					'bytes of canonical base64',
				lineExtensionLineEmpty: '{what} line ' +
					'{value}: an extension line is ' +
					'empty',
				verifierKeyKeyName: 'verifier key: the key ' +
					'name {problem}',
				verifierKeyIdKey: 'verifier key: not of the ' +
					'form <name>+<key id>+<key>',
				verifierKeyAfterName: 'verifier key: no ' +
					'8-digit lowercase hex key id after ' +
					'the name',
				verifierKeyXBytes: 'verifier key: not an ' +
					'Ed25519 key (type 0x01 and 32 ' +
					'bytes)',
				verifierKeyCanonicalBase: 'verifier key: ' +
					'the key is not canonical base64',
				verifierKeyNameKey: 'verifier key: the key ' +
					'id {value} does not match the name ' +
					'and key',
				publicKeyKeyLine: 'public key: not an ' +
					'OpenSSH Ed25519 public key line',
				noteLineNotVerify: 'note line {badLine}: ' +
					'the signature by {name}+{hexId} ' +
					'does not verify',
				noteNotSignedBy: 'note: not signed by {name}',
			},
			entry: {
				notNumberQuotedString: '{where}: ' +
					'\'{value}\' is not a number or a ' +
					'quoted string',
				notUtfEndingNewline: '{what}: not UTF-8 ' +
					'YAML ending in a newline',
				notCustodyEntryVersion: '{what}:1:1: not a ' +
					'custody entry of version 2',
				place: '{what}:{line}:1',
				notLineCustodyEntry: '{where}: not a line ' +
					'of a custody entry',
				appearsTwice: '{where}: \'{value}\' appears ' +
					'twice',
				typeMustQuotedString: '{where}: \'type\' ' +
					'must be a quoted string',
				missing: '{what}: \'{k}\' is missing',
				mediaTypeMustQuotedString: '{what}: ' +
					'\'media_type\' must be a quoted string',
				typeMustBeOne: '{what}: \'type\' must be one of {types}',
				shaMustHexDigits: '{what}: \'sha256\' must ' +
					'be 64 lowercase hex digits',
				privateMustHexDigits: '{what}: \'private\' ' +
					'must be 64 lowercase hex digits',
				documentsItemEarlierEntry: '{what}: ' +
					'\'documents\' item: \'index\' must ' +
					'name an earlier entry (1 to ' +
					'{value})',
			},
			merkle: {
				leafNotTreeSize: 'leaf {index} is not in a ' +
					'tree of size {size}',
				inclusionProofManyHashes: 'the inclusion ' +
					'proof of leaf {index} in a tree of ' +
					'size {size} has too many hashes',
				inclusionProofTooShort: 'the inclusion ' +
					'proof of leaf {index} in a tree of ' +
					'size {size} is too short',
				inclusionProofGiveRoot: 'the inclusion ' +
					'proof of leaf {index} in a tree of ' +
					'size {size} does not give the root',
				consistencyProofFromSize: 'the consistency ' +
					'proof from size {size1} to {size2}',
				oldSizeLarger: '{what}: the old size is larger',
				fails: '{what} fails',
				empty: '{what} is empty',
				hasTooManyHashes: '{what} has too many hashes',
				doesNotBothRoots: '{what} does not give ' +
					'both roots',
				leavesAreTreeSize: 'leaves {i} and {j} are ' +
					'not two leaves of a tree of size ' +
					'{size}',
				proofLeafTooShort: 'the proof of leaf {j} ' +
					'beside leaf {i} is too short',
				proofLeafTooMany: 'the proof of leaf {j} ' +
					'beside leaf {i} has {value} hashes ' +
					'too many',
				leafItsTreeRoot: 'leaf {j} and its proof do ' +
					'not give the tree\'s root',
			},
			policy: {
				witnessKey: 'witness key: {msg}',
				keyNameSpaceOr: 'the key name is empty or ' +
					'holds a space or "+"',
				notFormIdKey: 'not of the form <name>+<key ' +
					'id>+<key>',
				noDigitAfterName: 'no 8-digit lowercase hex ' +
					'key id after the name',
				notCanonicalTypeBytes: 'not canonical ' +
					'base64 of a key type and 32 bytes',
				typeXCosignatureV: 'of type 0x01, a log\'s ' +
					'note key: a witness cosigns with ' +
					'type 0x04 (cosignature/v1)',
				typeXVKey: 'of type 0x{value}, not 0x04 (an ' +
					'Ed25519 cosignature/v1 key)',
				keyIdNameKey: 'the key id {value} does not ' +
					'match the name and key',
				line: '{what} line {n}: {msg}',
				logLineVkeyUrl: 'a log line is "log <vkey> ' +
					'[<url>]"',
				logKey: 'the log key: {message}',
				witnessLineVkeyUrl: 'a witness line is ' +
					'"witness <name> <vkey> [<url>]"',
				alreadyDefined: '"{value}" is already defined',
				witness: 'witness {value}: {message}',
				groupLineOneMember: 'a group line is "group ' +
					'<name> <k|any|all> <name>..." with ' +
					'at least one member',
				notDefinedEarlierLine: '"{m}" is not ' +
					'defined on an earlier line',
				oneQuorumQuorumName: 'one quorum line, ' +
					'"quorum <name>"',
				notDefinedEarlierLine2: '"{value}" is not ' +
					'defined on an earlier line',
				notPolicyLine: '"{value}" is not a policy line',
				itNamesNoLog: '{what}: it names no log',
				itHasQuorumLine: '{what}: it has no quorum ' +
					'line',
				cosignatureWitnessOrForged: 'the ' +
					'cosignature of witness {name}: the ' +
					'signature does not verify (a ' +
					'cosignature over another ' +
					'checkpoint, or forged)',
				cosignatureWitnessMachineClock: 'the ' +
					'cosignature of witness {name} is ' +
					'dated {ts}, {value} seconds after ' +
					'this machine\'s clock: a ' +
					'cosignature from the future is ' +
					'refused (check this machine\'s ' +
					'clock)',
				shortOfQuorumOne: 'the checkpoint carries {n} valid ' +
					'cosignature by the policy\'s {witnesses} witnesses, ' +
					'short of its quorum ({quorum}): its witnesses have not ' +
					'vouched for it',
				shortOfQuorum: 'the checkpoint carries {n} valid ' +
					'cosignatures by the policy\'s {witnesses} witnesses, ' +
					'short of its quorum ({quorum}): its witnesses have not ' +
					'vouched for it',
			},
			tsa: {
				notDer: '{what} is not DER',
				certificate: 'a certificate',
				authorityFilePemCertificate: 'the authority ' +
					'file holds no PEM certificate',
				tokenNamesCertificateEss: 'the token names ' +
					'no signing certificate (ESS)',
				tokenSigningAttributeMalformed: 'the ' +
					'token\'s signing certificate ' +
					'attribute is malformed',
				tokenSigningUnknownAlgorithm: 'the token\'s ' +
					'signing certificate is hashed with ' +
					'an unknown algorithm',
				tokenCertificateSigningCertificate: 'the ' +
					'token\'s certificate is not the ' +
					'one its signature names (ESS ' +
					'signing certificate)',
				token: 'the token',
				tokenNotSignedData: 'the token is not CMS ' +
					'signed data',
				tokenHoldsNoTstinfo: 'the token holds no ' +
					'TSTInfo',
				tstinfo: 'the TSTInfo',
				tokenDoesNotParse: 'the token does not ' +
					'parse ({value})',
				tokenImprintNotSha: 'the token\'s imprint ' +
					'is not SHA-256',
				tokenCoversThisCheckpoint: 'the token ' +
					'covers {value}..., not this ' +
					'checkpoint ({value2}...)',
				tsaNotAuthoritiesGiven: 'the TSA is not ' +
					'trusted: its certificate does not ' +
					'chain to the authorities given',
				tsaNotNotVerify: 'the TSA is not trusted: ' +
					'its certificate does not chain to ' +
					'the authorities given, or its ' +
					'signature does not verify',
				tokenSignatureNotVerify: 'the token\'s ' +
					'signature does not verify',
				tokenDoesSignerCertificate: 'the token does ' +
					'not carry its signer\'s ' +
					'certificate',
				tsaNotKeyUsage: 'the TSA is not trusted: ' +
					'its certificate lacks the critical ' +
					'timeStamping extended key usage',
				tsaCertificateTokenTime: 'the TSA\'s ' +
					'certificate was not valid at the ' +
					'token\'s time',
			},
		},
	},
};

// The page's language is its <html lang>; a text it lacks is English.
const lang = globalThis.document?.documentElement?.lang;

function lookup(table, key) {
	return key.split('.').reduce((o, k) => o?.[k], table);
}

// The text of KEY ('reason.note.empty') in the page's language, each
// {name} in it replaced by values[name].
export function t(key, values = {}) {
	const template = lookup(strings[lang], key) ?? lookup(strings.en, key);
	if (typeof template !== 'string')
		throw new Error(`strings.js has no text '${key}'`);
	return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));
}
