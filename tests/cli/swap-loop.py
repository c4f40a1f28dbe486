#!/usr/bin/python3
"""swap-loop.py FOLDER TARGET SECONDS

Swap FOLDER with a symbolic link to TARGET, atomically
(renameat2 RENAME_EXCHANGE) and as fast as the machine allows, until
SECONDS have passed or the file FOLDER.stop exists: the race a hostile
collection can play while custody reads or writes it. FOLDER always
exists, as the real folder or as the link. Prints the number of swaps;
the real folder is back in place when it exits.
"""
import ctypes
import os
import sys
import time

RENAME_EXCHANGE = 2
AT_FDCWD = -100

libc = ctypes.CDLL(None, use_errno=True)
libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                           ctypes.c_char_p, ctypes.c_uint]


def exchange(a, b):
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


folder, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
link = folder + ".link"
stop = folder + ".stop"
os.symlink(target, link)
a, b = os.fsencode(folder), os.fsencode(link)
deadline = time.monotonic() + seconds
swaps = 0
try:
    while time.monotonic() < deadline and not os.path.exists(stop):
        exchange(a, b)
        exchange(a, b)
        swaps += 1
finally:
    if os.path.islink(folder):
        exchange(a, b)
    os.unlink(link)
print(swaps)
