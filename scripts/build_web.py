#!/usr/bin/env python3
"""Bundle the web console (web/src/main.js) into one minified app.js.

Runs the esbuild that web/package-lock.json pins (installed by
scripts/npm-ci.sh into web/node_modules) and writes a Make-style depfile
from esbuild's metafile, so Ninja rebuilds the bundle when any source file
changes.

    build_web.py OUT DEPFILE ENTRY
"""
import json
import os
import subprocess
import sys

out, depfile, entry = (os.path.abspath(a) for a in sys.argv[1:4])
web = os.path.dirname(os.path.dirname(os.path.abspath(entry)))
esbuild = os.path.join(web, "node_modules", ".bin", "esbuild")
if not os.path.exists(esbuild):
    sys.exit(f"build_web: {esbuild} is missing: run `bash scripts/npm-ci.sh web` "
             "(make build does) to install web/package-lock.json")
meta = out + ".meta.json"
cmd = [esbuild, entry, "--bundle", "--minify", "--format=iife",
       "--target=es2020", "--legal-comments=none", "--charset=utf8",
       "--log-level=warning", f"--outfile={out}", f"--metafile={meta}"]
subprocess.run(cmd, check=True, cwd=web)
with open(meta) as f:
    inputs = json.load(f)["inputs"]
os.remove(meta)
deps = [os.path.abspath(os.path.join(web, p)) for p in sorted(inputs)]
deps.append(os.path.join(web, "package-lock.json"))
esc = lambda p: p.replace(" ", "\\ ")
with open(depfile, "w") as f:
    f.write(f"{esc(out)}: " + " ".join(esc(d) for d in deps) + "\n")
