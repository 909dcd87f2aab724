// The route table read from the source (src/http/routes.c), and what each
// route's handler takes, read from the handler's source: for suites that
// walk every route (tests/api/walk.test.mjs) without a hand-written list.
//
// routeTable(): [{method, path, handler, auth, perm, flags, maxBody, query,
//   slots}]
//   auth   'none' | 'session' | 'perm' | 'token'
//          (PUBLIC, SIGNED_IN, NEEDS(p), TOKEN(p): an API token whose maker
//          holds p)
//   perm   the permission's wire name ('audit.read') for 'perm', else null
// permissions(): {wire: {kind, roles: Set of 'tenant_admin' 'department_admin'
//   'auditor' 'member'}} read from src/access/permissions.def
//   flags  Set of 'body' 'body_opt' 'forced_ok' 'mfa_ok' 'csv' (SV_ROUTE_*)
//   query  the query parameter names the router accepts
//   slots  how many {id} segments the path has
// handlerInput(name): {fields: [{name, required, type, nested}], noFields,
//   challengeToken}: the JSON body fields the handler (and the functions of
//   its file it calls) parse, and whether it reads X-Challenge-Token.
//
// Both throw when the source does not read as expected: a walk must never
// silently skip a route because this parser lost its way.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './server.mjs';

/** C source without comments; string and char literals kept as they are. */
export function stripComments(src) {
    let out = '';
    for (let i = 0; i < src.length;) {
        const c = src[i];
        if (c === '"' || c === '\'') {
            let j = i + 1;
            while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
            out += src.slice(i, j + 1);
            i = j + 1;
        } else if (c === '/' && src[i + 1] === '*') {
            const j = src.indexOf('*/', i + 2);
            if (j < 0) throw new Error('unterminated comment');
            out += src.slice(i, j + 2).replace(/[^\n]/g, ' ');
            i = j + 2;
        } else if (c === '/' && src[i + 1] === '/') {
            const j = src.indexOf('\n', i);
            i = j < 0 ? src.length : j;
        } else {
            out += c;
            i++;
        }
    }
    return out;
}

/** Index just past the brace that closes the one at @p open (literals skipped). */
function matchBrace(src, open) {
    let depth = 0;
    for (let i = open; i < src.length; i++) {
        const c = src[i];
        if (c === '"' || c === '\'') {
            let j = i + 1;
            while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
            i = j;
        } else if (c === '{') {
            depth++;
        } else if (c === '}') {
            depth--;
            if (depth === 0) return i + 1;
        }
    }
    throw new Error(`unbalanced braces from offset ${open}`);
}

const FLAG_NAMES = {
    SV_ROUTE_FORCED_OK: 'forced_ok',
    SV_ROUTE_BODY: 'body',
    SV_ROUTE_BODY_OPT: 'body_opt',
    SV_ROUTE_MFA_OK: 'mfa_ok',
    SV_ROUTE_SCIM: 'scim',
    SV_ROUTE_CSV: 'csv',
};
const AUTH_NAMES = { PUBLIC: 'none', SIGNED_IN: 'session' };
const ROLE_NAMES = { TA: 'tenant_admin', DA: 'department_admin', AU: 'auditor', ME: 'member' };

/** The permission catalogue of src/access/permissions.def, by NAME. */
export function permissions(repo = REPO) {
    const src = stripComments(readFileSync(path.join(repo, 'src/access/permissions.def'), 'utf8'));
    const out = {};
    for (const m of src.matchAll(/SV_PERMISSION\(\s*(\w+)\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*([^)]*)\)/g)) {
        const roles = new Set(m[4].split('|').map((s) => {
            const r = ROLE_NAMES[s.trim()];
            if (!r) throw new Error(`permissions.def: ${m[1]}: unknown role ${s.trim()}`);
            return r;
        }));
        out[m[1]] = { wire: m[2], kind: m[3].toLowerCase(), roles };
    }
    if (Object.keys(out).length === 0) throw new Error('permissions.def: no SV_PERMISSION line read');
    return out;
}
const METHODS = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/;

function evalFlags(expr, aliases, where) {
    const flags = new Set();
    for (const raw of expr.split('|').map((s) => s.trim())) {
        if (raw === '0') continue;
        const name = aliases[raw] ?? raw;
        if (!FLAG_NAMES[name]) throw new Error(`${where}: unknown route flag ${raw}`);
        flags.add(FLAG_NAMES[name]);
    }
    return flags;
}

function evalSize(expr, where) {
    if (!/^[\d\s*]+$/.test(expr)) throw new Error(`${where}: body limit "${expr}" is not a product of numbers`);
    return expr.split('*').reduce((n, s) => n * Number(s.trim()), 1);
}

/** The route table of src/http/routes.c, in table order. */
export function routeTable(repo = REPO) {
    const file = path.join(repo, 'src/http/routes.c');
    const src = stripComments(readFileSync(file, 'utf8'));
    const perms = permissions(repo);
    const aliases = {};
    for (const m of src.matchAll(/^#define\s+(\w+)\s+(SV_ROUTE_\w+)\s*$/gm)) aliases[m[1]] = m[2];
    const start = src.search(/const struct sv_route sv_routes\[\]\s*=\s*\{/);
    if (start < 0) throw new Error('routes.c: no sv_routes[] table');
    const open = src.indexOf('{', src.indexOf('=', start));
    const table = src.slice(open + 1, matchBrace(src, open) - 1);
    // Every entry of the table, one by one: anything unreadable throws.
    const routes = [];
    for (let i = 0; i < table.length;) {
        while (i < table.length && /[\s,]/.test(table[i])) i++;
        if (i >= table.length) break;
        if (table[i] !== '{') throw new Error(`routes.c: unexpected "${table.slice(i, i + 40)}"`);
        const end = matchBrace(table, i);
        const entry = table.slice(i + 1, end - 1);
        i = end;
        const m = /^\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(\w+(?:\(\s*\w+\s*\))?)\s*,\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*\{([^}]*)\}\s*$/s
            .exec(entry);
        if (!m) throw new Error(`routes.c: cannot read entry {${entry.trim()}}`);
        const [, method, p, handler, auth, flags, limit, query] = m;
        const where = `${method} ${p}`;
        if (!METHODS.test(method)) throw new Error(`${where}: unknown method`);
        const needs = /^(NEEDS|TOKEN)\(\s*(\w+)\s*\)$/.exec(auth);
        if (!AUTH_NAMES[auth] && !needs) throw new Error(`${where}: unknown auth kind ${auth}`);
        let perm = null;
        if (needs) {
            const p = perms[needs[2]];
            if (!p) throw new Error(`${where}: ${needs[1]}(${needs[2]}) names no permission of permissions.def`);
            perm = p.wire;
        }
        const q = query.trim() === '0' || query.trim() === ''
            ? []
            : query.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
                const qm = /^"([^"]+)"$/.exec(s);
                if (!qm) throw new Error(`${where}: query entry ${s} is not a string`);
                return qm[1];
            });
        routes.push({
            method, path: p, handler, auth: needs ? (needs[1] === 'TOKEN' ? 'token' : 'perm') : AUTH_NAMES[auth], perm,
            flags: evalFlags(flags, aliases, where),
            maxBody: evalSize(limit, where), query: q, slots: (p.match(/\{id\}/g) || []).length,
        });
    }
    // Cross-check: as many entries as "METHOD", "/path" pairs in the table.
    const pairs = [...table.matchAll(/"([A-Z]+)"\s*,\s*"\//g)].length;
    if (pairs !== routes.length || routes.length === 0) {
        throw new Error(`routes.c: read ${routes.length} routes but the table has ${pairs} entries`);
    }
    return routes;
}

/** Every function defined in src/**\/*.c: name -> [{file, params, body}]. */
let functionIndex = null;
function functions(repo) {
    if (functionIndex) return functionIndex;
    functionIndex = new Map();
    const walk = (dir) => {
        for (const e of readdirSync(dir)) {
            const p = path.join(dir, e);
            if (statSync(p).isDirectory()) walk(p);
            else if (p.endsWith('.c')) index(p);
        }
    };
    const index = (file) => {
        const src = stripComments(readFileSync(file, 'utf8'));
        // The style: return type on its own line, then "name(params)" at the
        // start of a line, then "{" on the next.
        for (const m of src.matchAll(/^([A-Za-z_]\w*)\(([^)]*)\)\s*\n\{/gm)) {
            const open = m.index + m[0].length - 1;
            const body = src.slice(open, matchBrace(src, open));
            const list = functionIndex.get(m[1]) || [];
            list.push({ file, params: m[2], body });
            functionIndex.set(m[1], list);
        }
    };
    walk(path.join(repo, 'src'));
    return functionIndex;
}

function specFields(body, params) {
    const out = [];
    // The json_t parameters: a spec parsed against one of them is a nested
    // object's (e.g. the login's "device"), not the body's.
    const jsonParams = [...params.matchAll(/json_t\s*\*\s*(\w+)/g)].map((m) => m[1]);
    const parsed = [...body.matchAll(/sv_json_spec_parse\(\s*([^,]+?)\s*,/g)].map((m) => m[1]);
    const nested = parsed.length > 0 && parsed.every((a) => jsonParams.includes(a));
    for (const m of body.matchAll(/SV_F_(STR|STR_OPT|OBJ_OPT|STRS_OPT)\(\s*"([^"]+)"/g)) {
        const type = { OBJ_OPT: 'object', STRS_OPT: 'list' }[m[1]] ?? 'string';
        out.push({ name: m[2], required: m[1] === 'STR', type, nested });
    }
    for (const m of body.matchAll(/\.name\s*=\s*"([^"]+)"/g)) {
        // The initializer it sits in: up to the next "}".
        const rest = body.slice(m.index, body.indexOf('}', m.index));
        const type = /SV_FT_(\w+)/.exec(rest)?.[1]?.toLowerCase() ?? 'unknown';
        out.push({ name: m[1], required: /\.required\s*=\s*true/.test(rest), type, nested });
    }
    return out;
}

/**
 * What the handler @p name reads of the request, following the calls it
 * makes to functions of its own source file.
 */
export function handlerInput(name, repo = REPO) {
    const idx = functions(repo);
    const defs = idx.get(name);
    if (!defs || defs.length !== 1) throw new Error(`handler ${name}: ${defs ? 'defined twice' : 'not found'} in src/`);
    const file = defs[0].file;
    const seen = new Set();
    const fields = new Map();
    let noFields = false;
    let challengeToken = false;
    const visit = (fn) => {
        if (seen.has(fn)) return;
        seen.add(fn);
        const def = (idx.get(fn) || []).find((d) => d.file === file);
        if (!def) return;
        for (const f of specFields(def.body, def.params)) {
            const key = (f.nested ? 'nested:' : '') + f.name;
            if (!fields.has(key)) fields.set(key, f);
        }
        if (/\bsv_rq_no_fields_or_reply\s*\(/.test(def.body)) noFields = true;
        if (/"X-Challenge-Token"/.test(def.body)) challengeToken = true;
        // Calls, and functions handed on by name (offloaded work, callbacks).
        // (Not struct members: "o->ch_token" is no call of ch_token.)
        for (const m of def.body.matchAll(/(?<![.>\w])([A-Za-z_]\w*)\b/g)) visit(m[1]);
    };
    visit(name);
    return { file: path.relative(repo, file), fields: [...fields.values()], noFields, challengeToken };
}
