#!/usr/bin/python3
"""Check custody files against the JSON Schemas in schemas/.

    check_schemas.py [--kind entry|private|custody] SCHEMA_DIR FILE...
    check_schemas.py --expect-invalid [--kind ...] SCHEMA_DIR FILE...

A FILE that is a folder stands for the *.yaml files in it.

The first form validates each file and exits 1 listing the failures; the
second asserts that each file is refused (by the reader or by the schema)
and exits 1 listing any that were accepted. Both first check the schema
files themselves (check_schema).

The schema is chosen by the file's place: a *.private.yaml file or a
*.yaml under a private/ folder is an entry's private part
(private.schema.yaml); another *.yaml under a log/ folder or under
tests/data/entries is an entry's public part (entry.schema.yaml);
custody.yaml or a file under tests/data/config is a policy
(custody.schema.yaml). --kind overrides the guess.

An entry's two parts are checked together when both are given (NAME.yaml
and NAME.private.yaml, or log/P and private/P): the private part against
the schema of the public part's type, and bound to it as the schemas
describe: the same index, `leaf` the public part's leaf hash, and the
public part's `private` the commitment of the private fields (computed
here with hashlib and hmac, independently of custody). A pair is refused
when either part or the binding is.

Files are read the way entry.schema.yaml says partners should read them,
the same profile as custody's C reader (lib/src/yaml.c): UTF-8 without BOM
or NUL, at most 64 KiB (entries) or 16 KiB (custody.yaml), one document,
no directives, anchors, aliases or tags, no duplicate keys, keys are
scalars, nesting at most 16 collections deep, at most 4096 nodes; a plain
scalar is an int only if it matches ^(0|[1-9][0-9]*)$, a bool only if it
is true or false, and otherwise an Unquoted value that matches no JSON
type, so the schema refuses it wherever it expects a value.

Run it with Debian's /usr/bin/python3 (python3-yaml, python3-jsonschema).
"""
import hashlib
import hmac
import os
import re
import sys

import jsonschema
import yaml

MAX_DEPTH = 16
MAX_NODES = 4096
LIMITS = {"entry": 64 * 1024, "private": 64 * 1024, "custody": 16 * 1024}
SCHEMAS = {"entry": "entry.schema.yaml", "private": "private.schema.yaml",
           "custody": "custody.schema.yaml"}
# The private fields in commitment order (schemas/entry.schema.yaml).
PRIVATE_ORDER = ["actor", "path", "version", "previous", "blob", "source",
                 "member", "key", "action", "document", "from", "to", "at",
                 "backdate_reason", "skipped", "note"]
INTEGER = re.compile(r"(?:0|[1-9][0-9]*)\Z")


class Refused(Exception):
    """The file is not custody YAML (refused before any schema check)."""


class Unquoted:
    """An unquoted scalar other than an integer or true/false."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return "unquoted %r" % self.text

    def __eq__(self, other):
        return isinstance(other, Unquoted) and other.text == self.text

    def __hash__(self):
        return hash(self.text)


def where(event):
    mark = event.start_mark
    return "%d:%d" % (mark.line + 1, mark.column + 1)


def scalar_value(event):
    if event.style is not None:     # quoted or block: always a string
        return event.value
    if INTEGER.match(event.value):
        return int(event.value)
    if event.value == "true":
        return True
    if event.value == "false":
        return False
    return Unquoted(event.value)


def load(data, limit):
    """Parse bytes into plain Python values, refusing what custody refuses."""
    if len(data) > limit:
        raise Refused("%d bytes, more than the %d allowed"
                      % (len(data), limit))
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise Refused("starts with a UTF-16 byte-order mark")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise Refused("not valid UTF-8 at byte %d" % (e.start + 1))
    if "\0" in text:
        raise Refused("a NUL byte")
    if "\ufeff" in text:
        raise Refused("a byte-order mark (U+FEFF)")

    root = None
    stack = []          # [container, pending key or None] per collection
    documents = 0
    nodes = 0

    def add(value, event):
        nonlocal root
        if not stack:
            if root is not None:
                raise Refused("%s: more than one top-level node"
                              % where(event))
            root = value
            return
        top = stack[-1]
        if isinstance(top[0], list):
            top[0].append(value)
        elif top[1] is None:
            raise Refused("%s: a mapping key must be a scalar" % where(event))
        else:
            top[0][top[1]] = value
            top[1] = None

    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise Refused("%s: a second document" % where(event))
                if event.version or event.tags:
                    raise Refused("%s: directives are not allowed"
                                  % where(event))
                continue
            if isinstance(event, yaml.AliasEvent):
                raise Refused("%s: an alias (*%s)" % (where(event),
                                                      event.anchor))
            if not isinstance(event, (yaml.ScalarEvent,
                                      yaml.CollectionStartEvent)):
                if isinstance(event, yaml.CollectionEndEvent):
                    value = stack.pop()[0]
                    add(value, event)
                continue
            if event.anchor is not None:
                raise Refused("%s: an anchor (&%s)" % (where(event),
                                                       event.anchor))
            if event.tag is not None:
                raise Refused("%s: a tag (%s)" % (where(event), event.tag))
            nodes += 1
            if nodes > MAX_NODES:
                raise Refused("%s: more than %d nodes" % (where(event),
                                                          MAX_NODES))
            if isinstance(event, yaml.ScalarEvent):
                top = stack[-1] if stack else None
                if top is not None and isinstance(top[0], dict) \
                        and top[1] is None:
                    if event.value in top[0]:
                        raise Refused("%s: duplicate key %r"
                                      % (where(event), event.value))
                    top[1] = event.value    # keys compare as text
                else:
                    add(scalar_value(event), event)
                continue
            if len(stack) >= MAX_DEPTH:
                raise Refused("%s: nested deeper than %d levels"
                              % (where(event), MAX_DEPTH))
            top = stack[-1] if stack else None
            if top is not None and isinstance(top[0], dict) \
                    and top[1] is None:
                raise Refused("%s: a mapping key must be a scalar"
                              % where(event))
            container = {} if isinstance(event,
                                          yaml.MappingStartEvent) else []
            stack.append([container, None])
    except yaml.YAMLError as e:
        raise Refused(str(e).replace("\n", " "))
    if documents == 0 or root is None:
        raise Refused("empty; no document")
    return root


def kind_of(path):
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    folders = parts[:-1]
    if os.path.basename(path) == "custody.yaml":
        return "custody"
    if path.endswith(".private.yaml"):
        return "private"
    for name in reversed(folders):     # the nearest log/ or private/
        if name in ("log", "private") and path.endswith(".yaml"):
            return "entry" if name == "log" else "private"
    for i, name in enumerate(folders):
        if name == "data" and i + 1 < len(folders):
            if folders[i + 1] == "entries":
                return "entry"
            if folders[i + 1] == "config":
                return "custody"
    return None


def load_schemas(schema_dir):
    validators = {}
    for kind, filename in SCHEMAS.items():
        path = os.path.join(schema_dir, filename)
        with open(path, "rb") as f:
            schema = yaml.safe_load(f)
        cls = jsonschema.validators.validator_for(schema)
        try:
            cls.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            raise SystemExit("%s: not a valid JSON Schema: %s"
                             % (path, e.message))
        if cls is not jsonschema.Draft202012Validator:
            raise SystemExit("%s: expected a draft 2020-12 schema" % path)
        validators[kind] = cls(schema)
        if kind == "private":
            validators.update(type_validators(cls, schema))
    return validators


def type_validators(cls, schema):
    """private.schema.yaml with its anyOf narrowed to one type's $defs."""
    out = {}
    for name in ("genesis", "register", "member", "publish", "event",
                 "derive", "log-key", "policy", "skip", "dkim"):
        narrowed = dict(schema)
        narrowed["anyOf"] = [{"$ref": "#/$defs/%s" % name}]
        out["private:" + name] = cls(narrowed)
    return out


def public_part_of(path):
    """The path of a private part's public part (which may not exist)."""
    if path.endswith(".private.yaml"):
        return path[:-len(".private.yaml")] + ".yaml"
    head, tail = path, []
    while head:
        head, name = os.path.split(head)
        if name == "private":
            return os.path.join(head, "log", *reversed(tail))
        if not name:
            break
        tail.append(name)
    return None


def commitment(part):
    """The public `private` that the private part's fields make."""
    opening = bytes.fromhex(part["opening"])
    text = b"custody-private v2\n"
    for f in PRIVATE_ORDER:
        if f not in part:
            continue
        value = str(part[f]).encode("utf-8")
        nonce = hmac.new(opening, f.encode(), hashlib.sha256).digest()
        c = hashlib.sha256(b"custody-field v2\n" + f.encode() + b"\n" +
                           nonce + value).hexdigest()
        text += ("%s %s\n" % (f, c)).encode()
    return hashlib.sha256(text).hexdigest()


def binding(public_data, public, part):
    """None when the private part is the public part's, else the reason."""
    if part.get("index") != public.get("index"):
        return "index %r is not its public part's (%r)" % (
            part.get("index"), public.get("index"))
    leaf = hashlib.sha256(b"\0" + public_data).hexdigest()
    if not hmac.compare_digest(str(part.get("leaf")), leaf):
        return "'leaf' is not its public part's leaf hash"
    if not hmac.compare_digest(str(public.get("private")),
                               commitment(part)):
        return "the fields do not match the public part's 'private'"
    return None


def read(path, kind):
    """(bytes, value, None), or (None, None, the reason)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        return data, load(data, LIMITS[kind]), None
    except Refused as e:
        return None, None, "not custody YAML: %s" % e
    except OSError as e:
        return None, None, "cannot read: %s" % e.strerror


def schema_errors(value, validator):
    e = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if e is None:
        return None
    at = "/".join(str(p) for p in e.absolute_path) or "(top)"
    return "%s: %s" % (at, e.message[:200])


def check(path, kind, validators):
    """None when the file is valid, else the reason."""
    _, value, reason = read(path, kind)
    if reason is None:
        reason = schema_errors(value, validators[kind])
    return reason


def check_pair(public_path, private_path, validators):
    """None when both parts are valid and bound, else the reason."""
    public_data, public, reason = read(public_path, "entry")
    if reason is None:
        reason = schema_errors(public, validators["entry"])
    if reason is not None:
        return "%s: %s" % (public_path, reason)
    _, part, reason = read(private_path, "private")
    if reason is None:      # the schema read alone, then for the type
        reason = (schema_errors(part, validators["private"]) or
                  schema_errors(part, validators["private:" +
                                                 public["type"]]))
    if reason is None:
        reason = binding(public_data, public, part)
    if reason is not None:
        return "%s: %s" % (private_path, reason)
    return None


def main(argv):
    args = argv[1:]
    expect_invalid = False
    kind = None
    while args and args[0].startswith("--"):
        option = args.pop(0)
        if option == "--expect-invalid":
            expect_invalid = True
        elif option == "--kind" and args:
            kind = args.pop(0)
            if kind not in SCHEMAS:
                raise SystemExit("--kind must be entry, private or custody")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    validators = load_schemas(args[0])
    paths = []
    for path in args[1:]:
        if os.path.isdir(path):
            paths += sorted(os.path.join(top, name)
                            for top, _, names in os.walk(path)
                            for name in names if name.endswith(".yaml"))
        else:
            paths.append(path)
    if not paths:
        print("no files to check")
        return 1
    failures = 0
    given = set(os.path.normpath(p) for p in paths)
    paired = {}     # public part -> its private part, both given
    for path in paths:
        if (kind or kind_of(path)) == "private":
            public = public_part_of(path)
            if public is not None and os.path.normpath(public) in given:
                paired[os.path.normpath(public)] = path
    privates = set(os.path.normpath(p) for p in paired.values())
    units = [p for p in paths if os.path.normpath(p) not in privates]
    for path in units:
        file_kind = kind or kind_of(path)
        if file_kind is None:
            print("%s: cannot tell whether this is an entry or custody.yaml"
                  " (use --kind)" % path)
            failures += 1
            continue
        if os.path.normpath(path) in paired:
            reason = check_pair(path, paired[os.path.normpath(path)],
                                validators)
        else:
            reason = check(path, file_kind, validators)
        if expect_invalid:
            if reason is None:
                print("%s: accepted, but should be refused" % path)
                failures += 1
            else:
                print("refused as expected: %s: %s" % (path, reason))
        elif reason is not None:
            print("%s: %s" % (path, reason))
            failures += 1
    if failures:
        print("%d of %d files or pairs %s" % (failures, len(units),
              "accepted" if expect_invalid else "invalid"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
