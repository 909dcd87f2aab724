#!/usr/bin/env python3
"""Layers without cycles: the include graph of src/, folder by folder.

Reads every `#include "..."` in src/ (.c, .h, and the C++ shim .cc), maps
each file to its layer (its folder, with the exceptions below) and fails on
  (a) a cycle between layers,
  (b) an include the ALLOWED table does not permit (e.g. a handler that
      includes db/, STYLE 2),
  (c) a CLI file that includes a `*_store.h` header or calls the audit
      writer itself (the CLI calls capabilities; they write their events),
  (d) a handler file that includes a `*_store.h` header,
  (e) a folder of src/ the table does not know.

Layers (docs/architecture.md, "Layers"):
  - a folder of src/ is a layer;
  - `*_http.c` / `*_http.h` in any folder, and http/routes.c (the route table
    names every handler), form the virtual layer `handlers`: they may use
    http/ and every capability, but not cli/ or db/;
  - src/app.h (the process context every capability gets) is `app`;
  - src/app.c and src/main.c wire everything together: `main`.

Usage: check_layers.py [SRC_DIR]   (default: the src/ next to tests/)
"""

import os
import re
import sys

# Who may include whom. Keep it as tight as the code allows: a new edge
# is a design decision, made here on purpose, not by the compiler.
ALLOWED = {
    "core": set(),
    "crypto": {"core"},
    "db": {"core"},
    "policy": {"core"},  # the password policy: a leaf
    "auth": {"core"},  # CAPTCHA, TOTP, QR, device signatures: no database
    "app": {"core", "crypto"},  # src/app.h
    # Delivery (SMS, e-mail) and the in-app inbox.
    "notify": {"core", "db", "app"},
    "audit": {"core", "crypto", "db"},
    # The server and router: sessions, CSRF, device nonces reach it as
    # hooks (struct sv_http_hooks), never as a capability's header.
    "http": {"core", "app", "auth"},
    # The permission model (docs/permissions.md): the evaluator, roles and
    # assignments; below every capability that asks it.
    "access": {"core", "db", "audit"},
    "directory": {"core", "crypto", "db", "audit", "policy", "access"},
    # Failure counters, locks, stuffing, the blacklist: below identity,
    # which asks it before and after every check.
    "risk": {"core", "db", "audit", "app"},
    # The device registry, trust, revocation and signed-request nonces.
    "device": {"core", "crypto", "db", "audit", "app"},
    # Accounts, sessions, the own password.
    "identity": {"access", "core", "crypto", "db", "audit", "policy", "directory",
                 "risk", "app"},
    # An employee's lifecycle across the account, the directory profile and
    # the permission model: hire, change, offboard.
    "people": {"core", "db", "audit", "access", "device", "directory", "identity",
               "app", "apitoken", "recovery", "records"},
    # API tokens: machines' credentials, acting for the account that made
    # them (a session-shaped principal for the router's hook).
    "apitoken": {"core", "crypto", "db", "audit", "identity", "app"},
    # SCIM 2.0 provisioning over the directory: the filter parser, its SQL,
    # the mapping of Users and Groups onto employees and groups.
    "scim": {"core", "db", "audit", "access", "directory", "identity", "people",
             "app"},
    # CRM records (DATA-1, DATA-3, DATA-4, DATA-6): classified fields, the
    # level policy, masks; sealed through the directory's sealed columns;
    # a quota crossing posts to the tenant admins' inboxes (notify).
    "records": {"core", "crypto", "db", "audit", "access", "directory", "app",
                "policy", "notify"},
    # Provisioning: the CSV import (and its jobs) of departments and
    # employees, through the directory's, identity's and access's bulk
    # entry points.
    "provision": {"core", "db", "audit", "access", "directory", "identity",
                  "app"},
    # Second factors (TOTP, recovery codes) and the bound phone.
    "mfa": {"access", "core", "crypto", "db", "audit", "auth", "notify", "policy",
            "directory", "risk", "identity", "app"},
    # The self-service password reset.
    "recovery": {"access", "core", "crypto", "db", "audit", "notify", "policy",
                 "directory", "risk", "identity", "mfa", "app"},
    # The sign-in: the password step, challenges, approvals. On top of the
    # capabilities it asks.
    "login": {"access", "core", "crypto", "db", "audit", "auth", "notify", "policy",
              "directory", "risk", "device", "identity", "mfa", "app"},
    "backup": {"core", "db", "audit", "app"},
    "cli": {"access", "core", "crypto", "db", "audit", "auth", "directory", "risk",
            "identity", "backup", "app", "provision"},
    # Parse, call a capability, render: http/ and any capability, never the
    # primitives behind one (db/, crypto/) nor cli/.
    "handlers": {"records", "people", "apitoken", "scim", "access", "core", "app", "http", "auth", "audit", "notify", "policy",
                 "directory", "risk", "device", "identity", "mfa", "recovery",
                 "login", "backup", "provision"},
    # src/app.c and src/main.c: the top, wiring every layer (hooks included).
    "main": {"records", "people", "apitoken", "scim", "provision", "access", "core", "crypto", "db", "policy", "auth", "notify", "app",
             "audit", "http", "directory", "risk", "device", "identity", "mfa",
             "recovery", "login", "backup", "cli", "handlers"},
}

# Functions a layer must not call even though it may include their header:
# the CLI verifies audit chains (audit.h) but never appends events itself.
FORBIDDEN_CALLS = {
    "cli": ("sv_audit_append",),
}

# Layers that must not include any `*_store.h` (SQL stays behind its
# capability): the CLI and the handlers.
NO_STORE_HEADERS = {"cli", "handlers"}

# Known exceptions to the rules above, as (file relative to src/, what it
# includes or calls). Empty: keep it that way; an entry here is debt, with a
# comment saying why and until when.
KNOWN_EXCEPTIONS = set()

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
HANDLER_FILES = {"http/routes.c"}


def layer_of(rel):
    """The layer of @rel, a path relative to src/."""
    parts = rel.split("/")
    name = parts[-1]
    if len(parts) == 1:
        return "app" if name == "app.h" else "main"
    if rel in HANDLER_FILES or re.search(r"_http\.[ch]$", name):
        return "handlers"
    return parts[0]


def sources(src):
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for f in sorted(files):
            if f.endswith((".c", ".cc", ".h")):
                path = os.path.join(root, f)
                yield os.path.relpath(path, src).replace(os.sep, "/"), path


def resolve(src, rel, target):
    """An include as the compiler sees it: from src/ (the include
    directory), else next to the including file; None when neither."""
    for base in ("", os.path.dirname(rel)):
        cand = os.path.normpath(os.path.join(base, target)).replace(os.sep,
                                                                    "/")
        if os.path.isfile(os.path.join(src, cand)):
            return cand
    return None


def find_cycles(graph):
    """Strongly connected components with more than one layer (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def cycle_path(graph, comp):
    """One concrete cycle through the first layer of @comp, as a list."""
    start = comp[0]
    members = set(comp)
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w not in members:
                continue
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp + [start]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..",
                                                             "..", "src")
    src = os.path.abspath(src)
    problems = []

    # The table itself must be a partial order.
    for comp in find_cycles(ALLOWED):
        problems.append("ALLOWED table has a cycle: %s"
                        % " -> ".join(cycle_path(ALLOWED, comp)))

    graph = {}  # layer -> {layer: [example "file:line -> include"]}
    n_files = n_includes = 0
    for rel, path in sources(src):
        n_files += 1
        me = layer_of(rel)
        if me not in ALLOWED:
            problems.append("%s: layer '%s' is not in the ALLOWED table"
                            % (rel, me))
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in INCLUDE_RE.finditer(text):
            n_includes += 1
            line = text.count("\n", 0, m.start()) + 1
            target = resolve(src, rel, m.group(1))
            where = "%s:%d: #include \"%s\"" % (rel, line, m.group(1))
            if target is None:
                problems.append("%s: not found under src/ (a generated "
                                "header needs a layer here)" % where)
                continue
            them = layer_of(target)
            if (rel, m.group(1)) in KNOWN_EXCEPTIONS:
                continue
            if me in NO_STORE_HEADERS and target.endswith("_store.h"):
                problems.append("%s: %s may not include a *_store.h header"
                                % (where, me))
            if them == me:
                continue
            graph.setdefault(me, {}).setdefault(them, []).append(where)
            if them not in ALLOWED.get(me, set()):
                problems.append("%s: %s may not include %s" % (where, me,
                                                               them))
        for fn in FORBIDDEN_CALLS.get(me, ()):
            code = COMMENT_RE.sub("", text)
            for m in re.finditer(r"\b%s\s*\(" % re.escape(fn), code):
                if (rel, fn) in KNOWN_EXCEPTIONS:
                    continue
                problems.append("%s: %s may not call %s (ask the capability)"
                                % (rel, me, fn))

    edges = {k: set(v) for k, v in graph.items()}
    for comp in find_cycles(edges):
        path = cycle_path(edges, comp)
        lines = ["cycle between layers: %s" % " -> ".join(path)]
        for a, b in zip(path, path[1:]):
            lines.append("    %s -> %s: %s" % (a, b, graph[a][b][0]))
        problems.append("\n".join(lines))

    if problems:
        for p in problems:
            print("FAIL " + p)
        print("%d problem(s); the layers are in %s" % (len(problems),
                                                      __file__))
        return 1
    print("layers ok: %d files, %d includes, %d layers, no cycle"
          % (n_files, n_includes, len(ALLOWED)))
    for me in sorted(edges):
        print("  %-9s -> %s" % (me, ", ".join(sorted(edges[me]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
