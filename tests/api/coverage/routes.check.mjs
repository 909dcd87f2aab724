// Route coverage (STYLE 9: "a check compares the route table with the routes
// the API suite exercised, and the OpenAPI file"). run.sh runs this after all
// suites, over the request log lines every server of the run wrote
// (SV_TEST_LOG_DIR/*.log):
//   - the route table (src/http/routes.c, STYLE 1) and docs/openapi.yaml list
//     the same operations;
//   - every operation in docs/openapi.yaml was answered with a 2xx at least once;
//   - every route the servers answered with a 2xx is in docs/openapi.yaml;
//   - every documented operation was also seen refused (4xx) at least once,
//     so each has at least one test of what a bad request gets;
//   - every response the suites received (SV_TEST_LOG_DIR/*.responses.jsonl)
//     has a status documented for its operation and a body that matches the
//     documented schema.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkResponse, operations } from '../lib/schema.mjs';
import { REPO } from '../lib/server.mjs';

const PREFIX = '/api/v1';
/* SCIM 2.0 (RFC 7644) lives beside the API: documented under its own full
 * paths, with a path-level servers entry of "/". */
const SCIM = '/scim/';
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** Path templates -> "{}", UUIDs -> "{}", so both sides compare. */
const norm = (p) => p
    .replace(/\{[^}]+\}/g, '{}')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{}');

/** "METHOD /path" for each operation under `paths:` (the file's own layout). */
export function openapiOperations(text) {
    const ops = new Set();
    let inPaths = false;
    let current = null;
    for (const line of text.split('\n')) {
        if (/^\S/.test(line)) { inPaths = /^paths:\s*$/.test(line); current = null; continue; }
        if (!inPaths) continue;
        const p = /^ {2}(\/\S*):\s*$/.exec(line);
        if (p) { current = p[1]; continue; }
        const m = /^ {4}([a-z]+):\s*$/.exec(line);
        if (current && m && METHODS.has(m[1])) ops.add(`${m[1].toUpperCase()} ${norm(current)}`);
    }
    return ops;
}

function requestLines(dir) {
    const out = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.log'))) {
        for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
            let o;
            try { o = JSON.parse(line); } catch { continue; }
            if (o.msg === 'request' && typeof o.route === 'string') out.push(o);
        }
    }
    return out;
}

/**
 * "METHOD /path" for each API row of the route table in src/http/routes.c.
 * The web console's static files ("/", "/static/...") are not part of the
 * JSON API: tests/browser covers them.
 */
function routeTable() {
    const file = path.join(REPO, 'src/http/routes.c');
    const text = readFileSync(file, 'utf8');
    const ops = new Set();
    for (const m of text.matchAll(/\{\s*"([A-Z]+)"\s*,\s*"(\/[^"]*)"/g)) {
        if (m[2].startsWith(SCIM)) ops.add(`${m[1]} ${norm(m[2])}`);
        if (!m[2].startsWith(PREFIX)) continue;
        ops.add(`${m[1]} ${norm(m[2].slice(PREFIX.length))}`);
    }
    return ops;
}

test('route table: src/http/routes.c and docs/openapi.yaml list the same operations', () => {
    const documented = openapiOperations(readFileSync(path.join(REPO, 'docs/openapi.yaml'), 'utf8'));
    const table = routeTable();
    assert.ok(table.size > 0, 'no routes found in src/http/routes.c');
    assert.deepEqual([...table].filter((op) => !documented.has(op)).sort(), [], 'routes missing from docs/openapi.yaml');
    assert.deepEqual([...documented].filter((op) => !table.has(op)).sort(), [], 'documented operations with no route');
});

test('route coverage: docs/openapi.yaml vs the requests the API suites made', (t) => {
    const dir = process.env.SV_TEST_LOG_DIR;
    assert.ok(dir, 'SV_TEST_LOG_DIR is not set: run through tests/api/run.sh');
    const documented = openapiOperations(readFileSync(path.join(REPO, 'docs/openapi.yaml'), 'utf8'));
    assert.ok(documented.size >= 9, `docs/openapi.yaml lists ${documented.size} operations`);

    const lines = requestLines(dir).filter((l) => l.route === '(none)' || l.route.startsWith(PREFIX)
        || l.route.startsWith(SCIM));
    assert.ok(lines.length > 0, 'no request log lines: did the suites run?');
    // HEAD is GET without a body (RFC 9110 9.3.2): it counts as the GET.
    const method = (m) => (m === 'HEAD' ? 'GET' : m);
    const key = (l) => `${method(l.method)} ${norm(l.route.startsWith(PREFIX) ? l.route.slice(PREFIX.length) : l.route)}`;
    const ok = new Set(lines.filter((l) => l.status >= 200 && l.status < 300).map(key));
    const refused = new Set(lines.filter((l) => l.status >= 400 && l.status < 500).map(key));

    // A 2xx here needs a solved CAPTCHA: no test can read one (the answer
    // is stored only as a keyed hash). unit/test_flow proves the solved
    // path; the API suites prove every refusal.
    const solvedOnlyByPeople = new Set(['POST /auth/challenges/{}/captcha']);
    const neverOk = [...documented].filter((op) => !ok.has(op) && !solvedOnlyByPeople.has(op)).sort();
    assert.deepEqual(neverOk, [], 'documented operations no suite got a 2xx from');
    const undocumented = [...ok].filter((op) => !documented.has(op)).sort();
    assert.deepEqual(undocumented, [], 'operations answered 2xx but missing from docs/openapi.yaml');
    const neverRefused = [...documented].filter((op) => !refused.has(op)).sort();
    assert.deepEqual(neverRefused, [], 'documented operations no suite sent a bad request to');
    t.diagnostic(`route coverage: ${documented.size} operations, ${lines.length} logged requests`);
});

/** docs/openapi.yaml as an object (Debian's python3-yaml reads it). */
function loadOpenapi() {
    const out = execFileSync('python3', ['-c',
        'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)',
        path.join(REPO, 'docs/openapi.yaml')], { encoding: 'utf8', maxBuffer: 16 << 20 });
    return JSON.parse(out);
}

test('OpenAPI conformance: every response the suites got matches docs/openapi.yaml', (t) => {
    const dir = process.env.SV_TEST_LOG_DIR;
    assert.ok(dir, 'SV_TEST_LOG_DIR is not set: run through tests/api/run.sh');
    const doc = loadOpenapi();
    assert.equal(doc.openapi, '3.1.0');
    const ops = operations(doc);
    let n = 0;
    const problems = new Set();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.responses.jsonl'))) {
        for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
            if (!line) continue;
            const r = JSON.parse(line);
            if (r.method === 'HEAD') continue; // no body to check
            n++;
            for (const p of checkResponse(doc, ops, r)) problems.add(p);
        }
    }
    assert.ok(n > 0, 'no recorded responses: did the suites run?');
    assert.deepEqual([...problems].slice(0, 40), [], `${problems.size} responses differ from the document`);
    t.diagnostic(`OpenAPI conformance: ${n} responses checked`);
});
