#!/usr/bin/env python3
"""Evicts files from the page cache, to time a build on a cold cache without rebooting.

    python3 tools/evict_cache.py DIR [FRACTION] [SEED]

Asks the kernel to drop the cached pages of every file under DIR (or of a random FRACTION of
them, chosen with SEED) with posix_fadvise(POSIX_FADV_DONTNEED). Only file contents go:
directories and inodes stay cached (for those, `echo 3 > /proc/sys/vm/drop_caches` as root,
which drops everything, the binaries too). Standard library only; prints how many files it
evicted.
"""

import os
import random
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    fraction = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    pick = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    evicted = 0
    for folder, _, files in os.walk(root):
        for name in files:
            if pick.random() >= fraction:
                continue
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                evicted += 1
            finally:
                os.close(fd)
    print(f"{evicted} files evicted", file=sys.stderr)


if __name__ == "__main__":
    main()
