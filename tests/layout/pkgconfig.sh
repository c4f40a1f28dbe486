#!/bin/bash
# tests/layout/pkgconfig.sh BUILD-DIR
#
# The build's pkg-config file gives a user of the public headers no
# compiler flag of a dependency's own (no -D: the headers include no
# dependency's header), and names every library the shared library
# links privately, so that `pkg-config --static --libs` links. libcurl
# is not linked: the library loads it when it first needs it
# (lib/src/libcurl.h).
set -euo pipefail
export PKG_CONFIG_PATH=$1/meson-uninstalled
cflags=$(pkg-config --cflags custody)
libs=$(pkg-config --static --libs custody)
status=0
for f in $cflags; do
	case $f in
	-D*) echo "Cflags define $f"; status=1 ;;
	esac
done
for l in -lcustody -lssl -lcrypto -lgit2 -lyaml -lutf8proc -lmagic -lz \
    -lm -pthread; do
	case " $libs " in
	*" $l "*) ;;
	*) echo "Libs (static) lack $l: $libs"; status=1 ;;
	esac
done
case " $libs " in
*" -lcurl "*) echo "Libs (static) link libcurl: $libs"; status=1 ;;
esac
[ $status = 0 ] && echo "cflags: $cflags"
exit $status
