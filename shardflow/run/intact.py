"""The stored sizes of many files at once: how a resume checks what markers vouch for.

A resume checks that every file a marker lists still exists with its recorded size. One
request per file (a HEAD on S3) makes resuming a run of 10,000 tasks cost tens of thousands
of requests; a listing returns the sizes of up to 1,000 files per request. So files are
grouped by folder, and a folder with many files to check is listed once (the listing only
confirms sizes; what counts as committed is still the marker's manifest). A folder with
only a few is asked file by file, since listing a large folder for them would cost more.
On the local disk a ``stat`` per file is cheap and is what is done.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from typing import Callable

from shardflow.io import filesystem
from shardflow.io.fs import full_path, is_local

#: A folder with at least this many files to check is listed instead of asked file by file.
LIST_FROM = 8


def stored_sizes(paths: list[str], options_for: Callable[[str], dict | None]) -> dict[str, int | None]:
    """The stored size of each path (None where it is missing).

    Args:
        paths: Full paths or URLs.
        options_for: The storage options of a path.
    """
    by_folder: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in paths:
        by_folder[(posixpath.dirname(path), repr(options_for(path)))].append(path)
    sizes: dict[str, int | None] = {}
    for (folder, _), members in by_folder.items():
        fs, stripped = filesystem(folder, options_for(members[0]))
        if not is_local(fs) and len(members) >= LIST_FROM:
            try:
                listed = {full_path(fs, i["name"]): i.get("size") for i in fs.ls(stripped, detail=True)}
            except FileNotFoundError:
                listed = {}
            sizes.update({p: listed.get(p) for p in members})
            continue
        for path in members:
            try:
                sizes[path] = fs.size(filesystem(path, options_for(path))[1])
            except FileNotFoundError:
                sizes[path] = None
    return sizes
