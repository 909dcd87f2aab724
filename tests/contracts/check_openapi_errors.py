#!/usr/bin/env python3
"""The API's error codes in docs/openapi.yaml = the catalogue in errors.def.

src/core/errors.def is the one list of error codes (SV_ERR(name, status,
"code", message)); the server answers with its code strings. This check
fails when the document drifts from it:
  (a) the `Error` schema's `error.code` enum must hold exactly the code
      strings of errors.def, "ok" excepted (no more, no fewer, no
      duplicates);
  (b) the error table in the API description (`| status | code | when |`)
      must name every code, each under the HTTP status errors.def gives it
      (a code errors.def maps to several statuses may appear under each).

Usage: check_openapi_errors.py [OPENAPI_YAML ERRORS_DEF]
       (default: docs/openapi.yaml and src/core/errors.def of this tree)
"""

import os
import re
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))

SV_ERR = re.compile(r'^SV_ERR\(\s*(\w+)\s*,\s*(\d+)\s*,\s*"([^"]*)"', re.M)
TABLE_ROW = re.compile(r"^\|\s*(\d{3})\s*\|([^|]*)\|")


def catalogue(path):
    """{code: {status, ...}} from errors.def, without "ok"."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    codes = {}
    for _name, status, code in SV_ERR.findall(text):
        if code != "ok":
            codes.setdefault(code, set()).add(int(status))
    return codes


def main(argv):
    doc_path = argv[1] if len(argv) > 1 else os.path.join(ROOT, "docs", "openapi.yaml")
    def_path = argv[2] if len(argv) > 2 else os.path.join(ROOT, "src", "core", "errors.def")
    codes = catalogue(def_path)
    if len(codes) < 10:
        print(f"{def_path}: only {len(codes)} codes read; is the SV_ERR pattern stale?")
        return 1
    with open(doc_path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    problems = []

    # (a) the Error schema's enum
    try:
        enum = doc["components"]["schemas"]["Error"]["properties"]["error"][
            "properties"]["code"]["enum"]
    except (KeyError, TypeError):
        print(f"{doc_path}: no components.schemas.Error.properties.error."
              "properties.code.enum")
        return 1
    for code in sorted({c for c in enum if enum.count(c) > 1}):
        problems.append(f"Error code enum lists {code!r} more than once")
    for code in sorted(set(codes) - set(enum)):
        problems.append(f"Error code enum lacks {code!r} (in errors.def)")
    for code in sorted(set(enum) - set(codes)):
        problems.append(f"Error code enum has {code!r}, not a code of errors.def")

    # (b) the table in info.description
    table = {}
    for line in doc.get("info", {}).get("description", "").splitlines():
        m = TABLE_ROW.match(line.strip())
        if m:
            for code in re.findall(r"`([a-z0-9_]+)`", m.group(2)):
                table.setdefault(code, set()).add(int(m.group(1)))
    if not table:
        problems.append("no error table (| status | code | when |) in info.description")
    for code in sorted(codes):
        if code not in table:
            problems.append(f"error table in info.description lacks {code!r}")
        elif not table[code] <= codes[code]:
            problems.append(
                f"error table lists {code!r} under {sorted(table[code])}; "
                f"errors.def says {sorted(codes[code])}")
    for code in sorted(set(table) - set(codes)):
        problems.append(f"error table names {code!r}, not a code of errors.def")

    for p in problems:
        print(f"{doc_path}: {p}")
    if problems:
        print(f"{len(problems)} difference(s) from {def_path}")
        return 1
    print(f"ok: {len(codes)} error codes, enum and table match errors.def")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
