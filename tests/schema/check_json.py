#!/usr/bin/python3
"""Check custody's --json outputs against the schemas in schemas/json/.

    check_json.py SCHEMA_DIR --schemas
    check_json.py SCHEMA_DIR OUTPUT_FILE [ARG...]

The first form checks every *.schema.json there: a valid JSON Schema
(draft 2020-12), named after the format it describes (NAME.schema.json
describes "format": "custody-NAME/v1"), and closed (additionalProperties
false on every object that lists its properties).

The second form checks what `custody ARG...` printed on stdout (saved in
OUTPUT_FILE): exactly one JSON object, whose "format" names a schema that
exists and that the object satisfies, and which belongs to the command
run (custody-COMMAND.../v1, or custody-error/v1 for a failure). It exits
1 saying what is wrong. tests/cli/lib.sh runs it after every --json run.

Run it with Debian's /usr/bin/python3 (python3-jsonschema).
"""
import glob
import json
import os
import re
import sys

import jsonschema

FORMAT = re.compile(r"^custody-([a-z0-9-]+)/v1$")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def closed(node, where, problems):
    """Every object schema with properties says additionalProperties."""
    if isinstance(node, dict):
        if "properties" in node and node.get("additionalProperties") is not False:
            problems.append(f"{where}: an object schema that is not closed")
        for key, value in node.items():
            closed(value, f"{where}/{key}", problems)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            closed(value, f"{where}/{i}", problems)


def formats_of(schema):
    """The format values a schema allows."""
    found = []
    for branch in [schema] + schema.get("oneOf", []):
        const = branch.get("properties", {}).get("format", {}).get("const")
        if const is not None:
            found.append(const)
    return found


def check_schemas(schema_dir):
    problems = []
    paths = sorted(glob.glob(os.path.join(schema_dir, "*.schema.json")))
    if not paths:
        problems.append(f"{schema_dir}: no *.schema.json")
    for path in paths:
        name = os.path.basename(path)[:-len(".schema.json")]
        try:
            schema = load(path)
            jsonschema.Draft202012Validator.check_schema(schema)
        except (ValueError, jsonschema.SchemaError) as e:
            problems.append(f"{path}: {e}")
            continue
        if schema.get("$schema") != \
                "https://json-schema.org/draft/2020-12/schema":
            problems.append(f"{path}: not draft 2020-12")
        want = f"custody-{name}/v1"
        got = formats_of(schema)
        if not got or any(f != want for f in got):
            problems.append(f"{path}: format must be {want!r}, not {got}")
        closed(schema, name, problems)
    return problems, len(paths)


def command_of(args):
    """The custody command ARGS run: its first word after the global
    options (-C DIR, --archive DIR)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 1 if "=" in args[i] else 2
    return args[i] if i < len(args) else None


def check_output(schema_dir, output, args):
    with open(output, encoding="utf-8") as f:
        text = f.read()
    if not text.strip():
        return ["printed nothing on stdout"]
    try:
        doc = json.loads(text)
    except ValueError as e:
        return [f"stdout is not one JSON document ({e}): {text[:300]!r}"]
    if not isinstance(doc, dict):
        return [f"the top level is a {type(doc).__name__}, not an object"]
    m = FORMAT.match(str(doc.get("format", "")))
    if m is None:
        return [f"no \"format\": \"custody-NAME/v1\" member: {text[:200]!r}"]
    name = m.group(1)
    command = command_of(args)
    if name != "error" and command is not None and \
            name != command and not name.startswith(command + "-"):
        return [f"format {doc['format']!r} is not custody {command}'s"]
    path = os.path.join(schema_dir, f"{name}.schema.json")
    if not os.path.exists(path):
        return [f"no schema for {doc['format']!r}: {path} is missing"]
    validator = jsonschema.Draft202012Validator(load(path))
    return [f"{doc['format']}: {'/'.join(map(str, e.absolute_path)) or '.'}: "
            f"{e.message}" for e in validator.iter_errors(doc)]


def main():
    if len(sys.argv) == 3 and sys.argv[2] == "--schemas":
        problems, n = check_schemas(sys.argv[1])
        for p in problems:
            print(p, file=sys.stderr)
        if not problems:
            print(f"{n} JSON schemas valid")
        return 1 if problems else 0
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check_output(sys.argv[1], sys.argv[2], sys.argv[3:])
    for p in problems:
        print(f"--json output of custody {' '.join(sys.argv[3:])}: {p}",
              file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
