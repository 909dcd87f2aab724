#!/usr/bin/env python3
"""The permission catalogue and its documentation agree.

Reads src/access/permissions.def (SV_PERMISSION(NAME, "wire", KIND, ROLES))
and the table "The catalogue" of docs/permissions.md, and fails when a
permission is missing from either, or when the object kind or the built-in
roles holding it differ.

Usage: check_permissions.py [REPO]   (default: the repository above tests/)
"""

import os
import re
import sys

ROLES = {"TA": "tenant_admin", "DA": "department_admin", "AU": "auditor",
         "ME": "member"}
COLUMNS = ["tenant_admin", "department_admin", "auditor", "member"]


def catalogue(repo):
    path = os.path.join(repo, "src/access/permissions.def")
    text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(),
                  flags=re.S)
    out = {}
    for m in re.finditer(r'SV_PERMISSION\(\s*(\w+)\s*,\s*"([^"]+)"\s*,'
                         r'\s*(\w+)\s*,\s*([^)]*)\)', text):
        roles = {ROLES[r.strip()] for r in m.group(4).split("|")}
        out[m.group(2)] = (m.group(3).lower(), roles)
    return out


def documented(repo):
    path = os.path.join(repo, "docs/permissions.md")
    text = open(path, encoding="utf-8").read()
    section = text.split("## The catalogue", 1)
    if len(section) != 2:
        sys.exit("FAIL docs/permissions.md: no '## The catalogue' section")
    out = {}
    for line in section[1].split("\n## ", 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([a-z_.]+)`", cells[0]) if cells else None
        if not m or len(cells) < 6:
            continue
        roles = {COLUMNS[i] for i in range(4) if cells[2 + i] == "yes"}
        out[m.group(1)] = (cells[1], roles)
    return out


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    code, doc = catalogue(repo), documented(repo)
    problems = []
    if not code:
        problems.append("permissions.def: no SV_PERMISSION line read")
    for name, want in code.items():
        if name not in doc:
            problems.append(f"{name}: not in docs/permissions.md's catalogue")
        elif doc[name] != want:
            problems.append(f"{name}: docs say {doc[name]}, the code {want}")
    for name in doc.keys() - code.keys():
        problems.append(f"{name}: documented but not in permissions.def")
    for p in problems:
        print("FAIL", p)
    if problems:
        return 1
    print(f"permissions ok: {len(code)} in the catalogue and the docs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
