#!/bin/bash
# The manual pages and shell completions `meson install` puts on the
# system, made from the --help texts (docs/from-help.py): one page per
# command, saying the options its --help says, no more, no fewer; bash
# and zsh completing commands, verbs and options.
. "$(dirname "$0")/lib.sh"

BUILDDIR=${BUILDDIR:-$SRCDIR/build}

commands() {
	"$CUSTODY" --help | sed -n '/^Commands:/,/^$/p' |
		sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'
}

# install: the build's pages and completions, as `meson install` puts
# them, under $TMP/inst; $MAN1 and $DATA are their folders there
install() {
	meson install -C "$BUILDDIR" --no-rebuild --quiet \
		--destdir "$TMP/inst" --tags man,completion >"$TMP/install.log" 2>&1 ||
		fail "meson install: $(cat "$TMP/install.log")"
	local dirs
	dirs=$(meson introspect "$BUILDDIR" --buildoptions | "$PYTHON" -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(os.path.join(o["prefix"], o["mandir"], "man1"))
print(os.path.join(o["prefix"], o["datadir"]))') || fail "meson introspect"
	MAN1=$TMP/inst$(sed -n 1p <<<"$dirs")
	DATA=$TMP/inst$(sed -n 2p <<<"$dirs")
}

# render PAGE: the page as man shows it, 80 columns, plain text; a
# warning of groff's fails
render() {
	MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$1" 2>"$TMP/warnings" ||
		fail "man -l $1: exit $?"
	[ ! -s "$TMP/warnings" ] ||
		fail "man -l $1 warns: $(cat "$TMP/warnings")"
}

# options: the options ("--name", "-x") a text on stdin names anywhere,
# one a line, sorted
options() {
	"$PYTHON" -c '
import re, sys
print("\n".join(sorted(set(re.findall(
    r"(?<![A-Za-z0-9-])(--[a-z0-9][a-z0-9-]*|-[A-Za-z0-9](?![A-Za-z0-9-]))",
    sys.stdin.read())))))'
}

test_manual__every_command_has_a_page_and_no_page_lacks_one() {
	local c n=0 page
	install
	[ -s "$MAN1/custody.1" ] || fail "no $MAN1/custody.1"
	for c in $(commands); do
		[ -s "$MAN1/custody-$c.1" ] ||
			fail "custody $c has no manual page in $MAN1"
		n=$((n + 1))
	done
	[ "$n" -ge 20 ] || fail "only $n commands listed"
	for page in "$MAN1"/custody-*.1; do
		c=${page##*/custody-}
		c=${c%.1}
		commands | grep -qxF "$c" ||
			fail "$page is the page of no command"
	done
}

test_manual__pages_render_cleanly_with_name_and_examples() {
	local c text
	install
	text=$(render "$MAN1/custody.1")
	contains "$text" "custody - prove what a newsroom holds" ||
		fail "custody(1): $text"
	for c in $(commands); do
		text=$(render "$MAN1/custody-$c.1")
		for part in NAME SYNOPSIS DESCRIPTION EXAMPLES "SEE ALSO"; do
			grep -qx "$part" <<<"$text" ||
				fail "custody-$c(1) has no $part: $text"
		done
		grep -qx "       custody-$c - .*" <<<"$text" ||
			fail "custody-$c(1): NAME is not 'custody-$c - ...': $text"
		grep -q "^           custody $c\\b" <<<"$text" ||
			fail "custody-$c(1) shows no example of custody $c"
	done
}

# An option its --help names (in its usage, its option lines or its
# text) is in its page, and one its page names is in its --help; each
# one its usage or option lines offer is in the page's SYNOPSIS or
# OPTIONS.
test_manual__a_page_names_the_options_its_help_names() {
	local c text help in_help in_page offered
	install
	for c in - $(commands); do
		if [ "$c" = - ]; then
			help=$("$CUSTODY" --help)
			text=$(render "$MAN1/custody.1")
			c=
		else
			help=$("$CUSTODY" "$c" --help)
			text=$(render "$MAN1/custody-$c.1")
		fi
		in_help=$(options <<<"$help")
		in_page=$(options <<<"$text")
		[ "$in_help" = "$in_page" ] ||
			fail "custody${c:+ $c}: --help and page differ in options:
$(diff <(echo "$in_help") <(echo "$in_page"))"
		[ -n "$c" ] || continue
		offered=$(sed -n '/^SYNOPSIS$/,/^DESCRIPTION$/p;/^OPTIONS$/,/^[A-Z]/p' \
			<<<"$text" | options)
		for option in $(listed_options "$help"); do
			grep -qxF -- "$option" <<<"$offered" ||
				fail "custody-$c(1): $option is in neither its" \
					"SYNOPSIS nor its OPTIONS"
		done
	done
}

# listed_options HELP: the options HELP's usage and option lines offer
listed_options() {
	"$PYTHON" -c '
import re, sys
usage = True
for line in sys.argv[1].split("\n"):
    if line == "":
        usage = False
    elif usage or line.startswith("  -"):
        part = line if usage else line[2:].split("  ")[0]
        for m in re.findall(r"(?<![A-Za-z0-9-])(--[a-z0-9][a-z0-9-]*|"
                            r"-[A-Za-z0-9](?![A-Za-z0-9-]))", part):
            print(m)' "$1" | sort -u
}

# A page changes with its --help: drifting is impossible because the
# build makes each page from the --help of the custody it built
test_manual__the_build_makes_pages_from_the_built_help() {
	local rule
	rule=$(ninja -C "$BUILDDIR" -t query docs/custody-add.1 2>&1) ||
		fail "ninja knows no docs/custody-add.1: $rule"
	contains "$rule" "cmd/custody" ||
		fail "docs/custody-add.1 is not made from cmd/custody: $rule"
}

# complete WORD...: what the bash completion offers for the last WORD of
# `custody WORD...`, one a line, sorted
complete_bash() {
	bash -c '
. "$1"
shift
COMP_WORDS=(custody "$@")
COMP_CWORD=$#
_custody
printf "%s\n" "${COMPREPLY[@]}" | sort' bash \
		"$DATA/bash-completion/completions/custody" "$@"
}

test_completion__bash_completes_a_command_and_its_options() {
	install
	[ -s "$DATA/bash-completion/completions/custody" ] ||
		fail "no bash completion in $DATA/bash-completion/completions"
	expect_eq "$(complete_bash ad)" add "custody ad<TAB>"
	expect_eq "$(complete_bash add --dr)" --dry-run "custody add --dr<TAB>"
	expect_eq "$(complete_bash verify-sig)" verify-signature
	expect_eq "$(complete_bash -C coll ad)" add "custody -C coll ad<TAB>"
	expect_eq "$(complete_bash --archive coll status --exi)" --exit-code
	expect_eq "$(complete_bash key ex)" export "custody key ex<TAB>"
	expect_eq "$(complete_bash member "")" "add
list
revoke" "custody member <TAB>"
	expect_eq "$(complete_bash help chec)" "check
check-reveal
checkpoint" "custody help chec<TAB>"
	# an option's value and a document are the shell's to complete
	expect_eq "$(complete_bash add --note "")" "" "custody add --note <TAB>"
	expect_eq "$(complete_bash add memo)" "" "custody add memo<TAB>"
	expect_eq "$(complete_bash nosuch --x)" "" "custody nosuch --x<TAB>"
}

test_completion__bash_offers_every_option_each_help_lists() {
	local c offered option n=0
	install
	for c in $(commands); do
		offered=$(complete_bash "$c" -)
		for option in $(listed_options "$("$CUSTODY" "$c" --help)"); do
			grep -qxF -- "$option" <<<"$offered" ||
				fail "custody $c -<TAB> does not offer $option: $offered"
			n=$((n + 1))
		done
	done
	[ "$n" -ge 90 ] || fail "only $n options offered"
}

# complete_zsh WORD...: what the zsh completion adds for the last WORD,
# with zsh's completion functions replaced by ones that print what they
# are given (the completion's logic, not zsh's matching)
complete_zsh() {
	zsh -f -c '
compadd() { while [[ $1 == -* && $1 != -- ]]; do
	[[ $1 == -a ]] && { shift; print -l ${(P)1}; return }; shift; done
	[[ $1 == -- ]] && shift; print -l -- "$@" }
_describe() { local a; a=("${(@P)4}"); print -l -- ${a%%:*} }
_files() { print -- "(files)" }
words=(custody "${@:2}")
CURRENT=$#words
PREFIX=$words[CURRENT]
. "$1"' zsh "$DATA/zsh/site-functions/_custody" "$@" |
		awk -v p="${*: -1}" 'index($0, p) == 1 || $0 == "(files)"' | sort
}

test_completion__zsh_completes_a_command_and_its_options() {
	command -v zsh >/dev/null || fail "zsh is not installed (dev.sh installs it)"
	install
	[ -s "$DATA/zsh/site-functions/_custody" ] ||
		fail "no zsh completion in $DATA/zsh/site-functions"
	zsh -n "$DATA/zsh/site-functions/_custody" || fail "zsh -n: syntax"
	head -1 "$DATA/zsh/site-functions/_custody" | grep -qx '#compdef custody' ||
		fail "_custody does not start with #compdef custody"
	expect_eq "$(complete_zsh ad)" add "custody ad<TAB>"
	expect_eq "$(complete_zsh add --dr)" --dry-run "custody add --dr<TAB>"
	expect_eq "$(complete_zsh -C coll ad)" add "custody -C coll ad<TAB>"
	expect_eq "$(complete_zsh key ex)" export "custody key ex<TAB>"
	expect_eq "$(complete_zsh add --note "")" "(files)" \
		"custody add --note <TAB>"
	local c offered option
	for c in $(commands); do
		offered=$(complete_zsh "$c" -)
		for option in $(listed_options "$("$CUSTODY" "$c" --help)"); do
			grep -qxF -- "$option" <<<"$offered" ||
				fail "zsh: custody $c -<TAB> does not offer $option"
		done
	done
}

run_tests
