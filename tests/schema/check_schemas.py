#!/usr/bin/python3
"""Check custody files against the JSON Schemas in schemas/.

    check_schemas.py [--kind entry|custody] SCHEMA_DIR FILE...
    check_schemas.py --expect-invalid [--kind ...] SCHEMA_DIR FILE...

A FILE that is a folder stands for the *.yaml files in it.

The first form validates each file and exits 1 listing the failures; the
second asserts that each file is refused (by the reader or by the schema)
and exits 1 listing any that were accepted. Both first check the schema
files themselves (check_schema).

The schema is chosen by the file's place: a *.yaml under a log/ folder or
under tests/data/entries is an entry (entry.schema.yaml); custody.yaml or a
file under tests/data/config is a policy (custody.schema.yaml). --kind
overrides the guess.

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
import os
import re
import sys

import jsonschema
import yaml

MAX_DEPTH = 16
MAX_NODES = 4096
LIMITS = {"entry": 64 * 1024, "custody": 16 * 1024}
SCHEMAS = {"entry": "entry.schema.yaml", "custody": "custody.schema.yaml"}
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
    for i, name in enumerate(folders):
        if name == "data" and i + 1 < len(folders):
            if folders[i + 1] == "entries":
                return "entry"
            if folders[i + 1] == "config":
                return "custody"
    if "log" in folders and path.endswith(".yaml"):
        return "entry"
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
    return validators


def check(path, kind, validators):
    """None when the file is valid, else the reason."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        value = load(data, LIMITS[kind])
    except Refused as e:
        return "not custody YAML: %s" % e
    except OSError as e:
        return "cannot read: %s" % e.strerror
    errors = sorted(validators[kind].iter_errors(value),
                    key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    e = errors[0]
    at = "/".join(str(p) for p in e.absolute_path) or "(top)"
    return "%s: %s" % (at, e.message[:200])


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
                raise SystemExit("--kind must be entry or custody")
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
    for path in paths:
        file_kind = kind or kind_of(path)
        if file_kind is None:
            print("%s: cannot tell whether this is an entry or custody.yaml"
                  " (use --kind)" % path)
            failures += 1
            continue
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
        print("%d of %d files %s" % (failures, len(paths),
              "accepted" if expect_invalid else "invalid"))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
