#!/usr/bin/env python3
"""Manual pages and shell completion, made from custody's --help texts.

    from-help.py man CUSTODY COMMAND OUT   custody-COMMAND(1)
    from-help.py man CUSTODY - OUT         custody(1)
    from-help.py bash CUSTODY OUT          the bash completion
    from-help.py zsh CUSTODY OUT           the zsh completion (_custody)

CUSTODY is the built binary. The commands are those `custody --help`
lists (cmd/main.c's table), so a command added there gets its page and
its completion without a change here. Nothing is written by hand twice:
what a page or a completion says, the command's --help said first.
"""

import os
import re
import subprocess
import sys
import textwrap

# an option as the helps write it: "--name" or "-x" starting a word (not
# "SHA-256", not "---"), as cmd/cli.c's list_tokens reads them
OPTION = re.compile(r"(?<![A-Za-z0-9-])(--[a-z0-9][a-z0-9-]*|"
                    r"-[A-Za-z0-9](?![A-Za-z0-9-]))")
# an indented list item: "  TERM  description", TERM at column 2
ITEM = re.compile(r"^  (\S(?:.*?\S)?)(?: {2,}(\S.*))?$")


def run(custody, *args):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CUSTODY_")}
    out = subprocess.run([custody, *args], stdout=subprocess.PIPE,
                         check=True, env=env)
    return out.stdout.decode("utf-8")


def commands(custody):
    """(name, summary) for each command `custody --help` lists."""
    found, inside = [], False
    for line in run(custody, "--help").split("\n"):
        if line == "Commands:":
            inside = True
        elif inside and line == "":
            break
        elif inside:
            # "  NAME  summary"; a long NAME has one space after it
            name, summary = line.split(None, 1)
            found.append((name, summary.strip()))
    return found


def paragraphs(text):
    block = []
    for line in text.rstrip("\n").split("\n"):
        if line == "":
            if block:
                yield block
            block = []
        else:
            block.append(line)
    if block:
        yield block


def indent(line):
    return len(line) - len(line.lstrip(" "))


def runs(block):
    """A paragraph as runs of ("prose", lines) and ("indented", lines)."""
    out = []
    for line in block:
        kind = "indented" if indent(line) >= 2 else "prose"
        if out and out[-1][0] == kind:
            out[-1][1].append(line)
        else:
            out.append((kind, [line]))
    return out


def items(lines):
    """An indented run as [(term, description)], or None when it is not
    a list ("  TERM  what it is", more indented lines going on with it)."""
    if indent(lines[0]) != 2 or not ITEM.match(lines[0]).group(2):
        return None
    found = []
    for line in lines:
        if indent(line) == 2:
            m = ITEM.match(line)
            found.append([m.group(1), m.group(2) or ""])
        else:
            found[-1][1] += " " + line.strip()
    return [(t, d.strip()) for t, d in found]


def listed(help_text):
    """The options a help offers, as cmd/cli.c checks them against the
    command's table: [(option, takes_value)] from the usage lines and
    the terms of the option lines ("  -x, --name ARG  ...")."""
    found = {}
    lines = help_text.split("\n")
    usage = True
    for line in lines:
        if line == "":
            usage = False
            continue
        if usage:
            part = line
        elif line.startswith("  -"):
            part = line[2:].split("  ")[0]
        else:
            continue
        # "--key NAME" takes a value; in "-o, --output FILE" both do
        tokens = list(re.finditer(OPTION.pattern + r"( [A-Za-z0-9.])?(,)?",
                                  part))
        takes = False
        for m in reversed(tokens):
            if m.group(2):
                takes = True
            elif not m.group(3):
                takes = False
            found[m.group(1)] = found.get(m.group(1), False) or takes
    return sorted(found.items())


def verbs(help_text, command):
    """The words a usage line puts right after the command: key new, ..."""
    found = []
    for line in next(paragraphs(help_text)):
        m = re.match(r"^(?:usage:)? *custody %s ([a-z][a-z-]*)\b(?!-)"
                     % re.escape(command), line)
        if m and m.group(1) not in found:
            found.append(m.group(1))
    return found


def descriptions(help_text):
    """{option: first words of its description}, from the option lines."""
    found = {}
    for block in paragraphs(help_text):
        for kind, lines in runs(block):
            for term, text in (kind == "indented" and items(lines)) or []:
                for m in OPTION.finditer(term):
                    found.setdefault(m.group(1), text)
    return found


# ---- manual pages ----

def roff_escape(text):
    text = text.replace("\\", "\\e")
    return text


def dashes(text):
    return text.replace("-", "\\-")


def inline(text):
    """Prose: options bold with real dashes, `code` bold."""
    parts = roff_escape(text).split("`")
    if len(parts) % 2 == 0:
        parts = ["`".join(parts)]
    return "".join(
        OPTION.sub(lambda m: "\\fB" + dashes(m.group(1)) + "\\fR", p)
        if i % 2 == 0 else "\\fB" + dashes(p) + "\\fR"
        for i, p in enumerate(parts))


def lines_out(text):
    """roff lines: none starting with a control character."""
    out = []
    for line in text.split("\n"):
        if line[:1] in (".", "'"):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def term(text):
    """A list item's term: options and words bold, placeholders italic."""
    def word(m):
        w = m.group(0)
        if re.fullmatch(r"[A-Z][A-Z0-9._-]*(\.\.\.)?", w):
            return "\\fI" + dashes(w) + "\\fR"
        return "\\fB" + dashes(w) + "\\fR"
    return re.sub(r"[^\s,|\[\]{}]+", word, roff_escape(text))


def literal(lines, strip=None):
    cut = min(indent(x) for x in lines) if strip is None else strip
    body = "\n".join(dashes(roff_escape(x[cut:])) for x in lines)
    return ".RS 4\n.nf\n" + lines_out(body) + "\n.fi\n.RE"


def prose(lines):
    return lines_out(inline(" ".join(x.strip() for x in lines)))


def body(blocks):
    """Paragraphs (lists of lines) as roff."""
    out = []
    for block in blocks:
        for kind, lines in runs(block):
            if kind == "prose":
                out.append(".PP")
                out.append(prose(lines))
            else:
                listing = items(lines)
                if listing is None:
                    out.append(literal(lines))
                else:
                    for t, d in listing:
                        out.append(".TP")
                        out.append(term(t))
                        if d:
                            out.append(prose([d]))
    return "\n".join(out)


def synopsis(block):
    out = []
    for line in block:
        line = re.sub(r"^usage: ", "", line)
        line = line[7:] if line.startswith("       ") else line
        line = dashes(roff_escape(line.rstrip()))
        line = re.sub(r"^(\s*)(custody(?: [a-z][a-z\\-]*)?)",
                      lambda m: m.group(1) + "\\fB" + m.group(2) + "\\fR",
                      line, count=1)
        out.append(line)
    return ".nf\n" + lines_out("\n".join(out)) + "\n.fi"


def is_options(block):
    listing = items(block) if all(indent(x) >= 2 for x in block) else None
    return listing is not None and all(t.startswith("-")
                                       for t, _ in listing)


def see_also(help_text, names, own):
    refs = ["custody(1)"] if own else []
    for name in names:
        if own is None or name != own and re.search(
                r"custody %s(?![a-z-])" % re.escape(name), help_text):
            refs.append("custody-%s(1)" % name)
    return ",\n".join("\\fB%s\\fR(1)" % dashes(r[:-3]) for r in refs)


def header(title, version, summary):
    name = title.lower()
    return (".\\\" Made by docs/from-help.py from `%s --help`; do not edit.\n"
            ".TH %s 1 \"\" \"custody %s\" \"custody manual\"\n"
            ".nh\n.ad l\n"
            ".SH NAME\n%s \\- %s" % (name.replace("-", " ", 1), dashes(title),
                                      version, dashes(name), roff_escape(summary)))


def manual(custody, command):
    names = [n for n, _ in commands(custody)]
    summaries = dict(commands(custody))
    version = run(custody, "--version").split()[-1]
    if command == "-":
        text = run(custody, "--help")
        title, summary = "CUSTODY", None
    else:
        text = run(custody, command, "--help")
        title, summary = "CUSTODY-" + command.upper(), summaries[command]
    blocks = list(paragraphs(text))
    description, options, examples, status = [], [], [], []
    listing, environment = [], []
    for block in blocks[1:]:
        if block[0] in ("Examples:", "Example:"):
            examples = block[1:]
        elif block[0] == "Commands:":
            listing = block[1:]
        elif block[0] == "Environment:":
            environment = block[1:]
        elif block[0].startswith("Exit status"):
            status.append(block)
        elif is_options(block):
            options.append(block)
        else:
            description.append(block)
    if summary is None:
        # custody(1): the line under the usage names what custody is
        summary = description.pop(0)[0].rstrip(".") if description and \
            runs(description[0])[0][0] == "prose" else "custody"
        summary = re.sub(r"^custody: ", "", summary)
    out = [header(title, version, summary)]
    out.append(".SH SYNOPSIS\n" + synopsis(blocks[0]))
    if description:
        out.append(".SH DESCRIPTION\n" + body(description))
    if listing:
        rows = []
        for t, d in commands(custody):
            rows.append(".TP\n\\fBcustody %s\\fR\n%s"
                        % (dashes(t), lines_out(inline(d))))
        out.append(".SH COMMANDS\n" + "\n".join(rows))
    if options:
        out.append(".SH OPTIONS\n" + body(options))
    if environment:
        out.append(".SH ENVIRONMENT\n" + body([environment]))
    if examples:
        out.append(".SH EXAMPLES\n" + literal(examples, 2))
    if status:
        out.append(".SH EXIT STATUS\n" + body(status))
    out.append(".SH SEE ALSO\n" + see_also(text, names,
                                           None if command == "-" else
                                           command))
    return "\n".join(out) + "\n"


# ---- completion ----

GLOBAL = ["-C", "--archive", "--help", "--version"]


def table(custody):
    """[(command, summary, [(option, takes_value)], [verb], {desc})]"""
    rows = []
    for name, summary in commands(custody):
        text = run(custody, name, "--help")
        rows.append((name, summary, listed(text) + [("--help", False)],
                     verbs(text, name), descriptions(text)))
    return rows


def bash(custody):
    rows = table(custody)
    names = " ".join(r[0] for r in rows)
    cases = []
    for name, _, options, words, _ in rows:
        cases.append("\t%s)\n\t\toptions='%s'\n\t\tvalued='%s'\n"
                     "\t\tverbs='%s' ;;" % (
                         name, " ".join(o for o, _ in options),
                         " ".join(o for o, v in options if v),
                         " ".join(words)))
    return """\
# bash completion for custody: commands, their verbs and options.
# Made by docs/from-help.py from custody's --help texts; do not edit.

_custody() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	local i=1 options valued verbs
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	# before the command, as git: -C DIR, --archive DIR
	while [ "$i" -lt "$COMP_CWORD" ]; do
		case ${COMP_WORDS[i]} in
		-C | --archive) i=$((i + 2)) ;;
		--archive=*) i=$((i + 1)) ;;
		*) break ;;
		esac
	done
	if [ "$i" -ge "$COMP_CWORD" ]; then
		case $prev in
		-C | --archive)
			COMPREPLY=($(compgen -d -- "$cur"))
			return ;;
		esac
		case $cur in
		-*) COMPREPLY=($(compgen -W '%(global)s' -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W '%(names)s help' -- "$cur")) ;;
		esac
		return
	fi
	case ${COMP_WORDS[i]} in
%(cases)s
	help)
		[ "$COMP_CWORD" -eq $((i + 1)) ] &&
			COMPREPLY=($(compgen -W '%(names)s' -- "$cur"))
		return ;;
	*) return ;;
	esac
	# an option's value: left to the shell's own (file names)
	case " $valued " in
	*" $prev "*) return ;;
	esac
	case $cur in
	-*) COMPREPLY=($(compgen -W "$options" -- "$cur")) ;;
	*)
		[ -n "$verbs" ] && [ "$COMP_CWORD" -eq $((i + 1)) ] &&
			COMPREPLY=($(compgen -W "$verbs" -- "$cur")) ;;
	esac
}
complete -o default -F _custody custody
""" % {"global": " ".join(GLOBAL), "names": names,
       "cases": "\n".join(cases)}


def zsh_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def zsh(custody):
    rows = table(custody)
    described = "\n".join("\t\t%s" % zsh_quote("%s:%s" % (n, s))
                          for n, s, _, _, _ in rows)
    cases = []
    for name, _, options, words, desc in rows:
        desc.setdefault("--help", "print this command's help")
        opts = " ".join(zsh_quote("%s:%s" % (o, textwrap.shorten(
            desc.get(o, ""), 60, placeholder="..."))) for o, _ in options)
        cases.append("\t%s)\n\t\toptions=(%s)\n\t\tvalued=(%s)\n"
                     "\t\tverbs=(%s) ;;" % (
                         name, opts, " ".join(o for o, v in options if v),
                         " ".join(words)))
    return """\
#compdef custody
# zsh completion for custody: commands, their verbs and options.
# Made by docs/from-help.py from custody's --help texts; do not edit.

_custody() {
	local -a commands options valued verbs
	local i=2
	commands=(
%(described)s
	)
	# before the command, as git: -C DIR, --archive DIR
	while (( i < CURRENT )); do
		case $words[i] in
		-C|--archive) (( i += 2 )) ;;
		--archive=*) (( i += 1 )) ;;
		*) break ;;
		esac
	done
	if (( i >= CURRENT )); then
		case $words[CURRENT-1] in
		-C|--archive) _files -/; return ;;
		esac
		if [[ $PREFIX == -* ]]; then
			compadd -- %(global)s
		else
			_describe -t commands 'custody command' commands
		fi
		return
	fi
	case $words[i] in
%(cases)s
	help)
		(( CURRENT == i + 1 )) &&
			_describe -t commands 'custody command' commands
		return ;;
	*) _files; return ;;
	esac
	# an option's value: a file name
	if (( ${valued[(Ie)$words[CURRENT-1]]} )); then
		_files
	elif [[ $PREFIX == -* ]]; then
		_describe -t options 'option' options
	elif (( CURRENT == i + 1 && $#verbs )); then
		compadd -a verbs
	else
		_files
	fi
}

_custody "$@"
""" % {"described": described, "global": " ".join(GLOBAL),
       "cases": "\n".join(cases)}


def main(argv):
    if len(argv) == 5 and argv[1] == "man":
        text = manual(argv[2], argv[3])
        out = argv[4]
    elif len(argv) == 4 and argv[1] in ("bash", "zsh"):
        text = (bash if argv[1] == "bash" else zsh)(argv[2])
        out = argv[3]
    else:
        sys.stderr.write(__doc__)
        return 2
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
