#!/usr/bin/env python3
"""The console's message catalogues (web/src/locales/<lang>/*.json).

Checks, and fails with every problem listed:
  - every language has the same files and, per file, the same keys;
  - no message is empty, and a key's {placeholders} are the same in every
    language;
  - every literal key the code asks for (t('a.b'), t("a.b")) exists, and
    every template key (t(`a.${x}`)) has at least one key with its prefix;
  - every error code of src/core/errors.def has an errors.<code> message
    (API errors are shown in the reader's language).

    check_catalogues.py WEB_SRC ERRORS_DEF
"""
import json
import os
import re
import sys

src, errors_def = sys.argv[1:3]
loc = os.path.join(src, "locales")
problems = []

langs = sorted(d for d in os.listdir(loc) if os.path.isdir(os.path.join(loc, d)))
if "en" not in langs:
    sys.exit("check_catalogues: no English catalogue")
cats = {}
for lang in langs:
    cats[lang] = {}
    for name in sorted(os.listdir(os.path.join(loc, lang))):
        if name.endswith(".json"):
            with open(os.path.join(loc, lang, name), encoding="utf-8") as f:
                cats[lang][name] = json.load(f)

PH = re.compile(r"\{(\w+)\}")
for lang in langs:
    if sorted(cats[lang]) != sorted(cats["en"]):
        problems.append(f"{lang}: files {sorted(cats[lang])} differ from en's {sorted(cats['en'])}")
    for name, msgs in cats[lang].items():
        en = cats["en"].get(name, {})
        for k in sorted(set(en) - set(msgs)):
            problems.append(f"{lang}/{name}: missing {k}")
        for k in sorted(set(msgs) - set(en)):
            problems.append(f"{lang}/{name}: {k} is not in en/{name}")
        for k, v in msgs.items():
            if not isinstance(v, str) or not v.strip():
                problems.append(f"{lang}/{name}: {k} is empty or not text")
            elif k in en and set(PH.findall(v)) != set(PH.findall(en[k])):
                problems.append(f"{lang}/{name}: {k} has placeholders {sorted(set(PH.findall(v)))}, "
                                f"en has {sorted(set(PH.findall(en[k])))}")

keys = set()
for name, msgs in cats["en"].items():
    dup = keys & set(msgs)
    if dup:
        problems.append(f"en/{name}: keys also in another file: {sorted(dup)}")
    keys |= set(msgs)

LITERAL = re.compile(r"""\bt\(\s*(['"])([A-Za-z0-9_.]+)\1""")
TEMPLATE = re.compile(r"""\bt\(\s*`([A-Za-z0-9_.]*)\$\{""")
used = 0
for root, dirs, files in os.walk(src):
    dirs[:] = [d for d in dirs if d not in ("node_modules", "locales")]
    for name in files:
        if not name.endswith(".js"):
            continue
        path = os.path.join(root, name)
        text = open(path, encoding="utf-8").read()
        rel = os.path.relpath(path, src)
        for m in LITERAL.finditer(text):
            used += 1
            if m.group(2) not in keys:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: t('{m.group(2)}') has no message")
        for m in TEMPLATE.finditer(text):
            used += 1
            if not any(k.startswith(m.group(1)) for k in keys):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{rel}:{line}: no message starts with '{m.group(1)}'")

codes = set(re.findall(r'^SV_ERR\(\w+, \d+, "(\w+)"', open(errors_def).read(), re.M)) - {"ok"}
for c in sorted(codes):
    if f"errors.{c}" not in keys:
        problems.append(f"errors.def: code {c} has no errors.{c} message")

if problems:
    print("\n".join(f"FAIL {p}" for p in problems))
    sys.exit(1)
print(f"catalogues ok: {len(langs)} languages, {len(keys)} keys, {used} uses, {len(codes)} error codes")
