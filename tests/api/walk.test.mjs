// DIR-1 "no API returns or changes another tenant's data", proven by walking
// every route (issue 11 part 8). The routes come from src/http/routes.c and
// the body fields from each handler's source (lib/routes.mjs): a route added
// later is walked without anyone editing this file, and a route that takes a
// field or parameter this file does not know how to fill fails the suite.
//
// Tenant A gets one object or more of every id kind the routes take. Then
// tenant B (its admin, its member, the member's trusted device, its own
// login challenge) calls every route that takes an id (in the path, the
// query or the body) with each of A's ids in each place. Every answer must
// be exactly the answer the same call gets with an id that names nothing
// (the "control": a fresh random UUID in the same place), and that answer
// must be a refusal:
//   - 404 for an id in the path of a session or admin route;
//   - 403 forbidden for a member on an admin route, and for a session that
//     is no trusted device's on the device-only routes (/devices/self/...:
//     the router cannot say so, the handler answers it for any id);
//   - on the public routes, 404 or 401 (the challenge steps, called with
//     B's own X-Challenge-Token and A's ids, all answer 404
//     challenge_not_found today);
//   - a 2xx only where the control gets the same 2xx (the filters and lists:
//     ?actor=, ?cursor=, ?q=; a login naming A's device id as its own) and
//     the body holds none of A's ids.
// A 400 or 415 means this file filled the call wrong: that fails too. Where
// the value is not an id (a cursor, a search text) there is no control: the
// answer is a 2xx holding nothing of A's, or 400 naming that parameter.
// Last, A is checked unchanged: users, devices, sessions (its tokens still
// work), inbox and read state, blacklist, settings, departments, pending
// approvals, and its audit stream (count and last event; `salesvault audit
// verify`).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Device, step, totp } from './lib/device.mjs';
import { handlerInput, permissions, routeTable } from './lib/routes.mjs';
import {
    PASSWORDS, closeDown, expectStatus, listAll, sleep, startServer,
} from './lib/server.mjs';

const A_PHONE = '+8613800000001';
const B_PHONE = '+8613800000002';
const B_PW = { admin: PASSWORDS.admin2, member: PASSWORDS.p2 };
const A_PW = { admin: PASSWORDS.admin, member: PASSWORDS.p1 };

// ---- how to fill what a route takes, by name ----
//
// kind 'id'      a place for an id: every id of A's goes there in turn,
//                against a control of a random UUID;
// kind 'qr'      an approval QR text ("svqr1.<approval id>.<secret>");
// kind 'cursor'  an opaque page cursor (no control: see above);
// kind 'text'    a search text (A's usernames);
// kind 'value'   not an id: value(ctx, route) fills it when it is required
//                or the call needs it; omit: never sent.
// Nested fields (inside an object field) are filled by their object.
const ASSIGN = '/api/v1/access/assignments';
const SCIM_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCIM_BODY = {
    'PUT /scim/v2/Users/{id}': { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'walked.in' },
    'PATCH /scim/v2/Users/{id}': { schemas: [SCIM_PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Walked' }] },
    'PUT /scim/v2/Groups/{id}': { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Walked' },
    'PATCH /scim/v2/Groups/{id}': { schemas: [SCIM_PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'W' }] },
    'POST /scim/v2/Users': undefined, // no id: never walked
    'POST /scim/v2/Groups': undefined,
};
const BODY = {
    up_to: { kind: 'id' },
    all: { kind: 'value', omit: true, why: 'the alternative of up_to' },
    qr: { kind: 'qr' },
    decision: { kind: 'value', values: ['approve', 'deny'] },
    number: { kind: 'value', value: (c) => c.A.pushNumber, why: 'A\'s approval number: the worst case' },
    // A's own secrets on A's ids: were B's credential ever ignored, the call
    // would go through and the walk would see it.
    code: { kind: 'value', value: (c, r) => (r.path.includes('/sms/') ? c.A.smsCode : totp(c.A.totpSecret)) },
    answer: { kind: 'value', value: () => 'abcde' },
    password: { kind: 'value', value: (c, r) => (r.slots > 0 ? A_PW.member : B_PW.member) },
    tenant: { kind: 'value', value: () => 'bravo', why: 'B\'s own name: logins and resets name their tenant' },
    // A hire names a new account (username) or an existing one (account_id,
    // walked): never both.
    username: { kind: 'value', value: () => 'bea', omitFor: (r) => r.path === '/api/v1/directory/employees' },
    device: { kind: 'object', of: 'device' },
    phone: { kind: 'value', value: () => '+8613800009999' },
    // Fields of routes that take no id (never walked, but known: a new
    // route with one of them is walked only if it also has an id place).
    current: { kind: 'value', value: () => B_PW.member },
    new: { kind: 'value', value: () => PASSWORDS.p4 },
    // POST /users takes admin|auditor|member (it has no id place: never
    // walked); an assignment takes a built-in role or a custom role's id.
    role: { kind: 'value', value: () => 'department_admin' },
    email: { kind: 'value', omit: true },
    channel: { kind: 'value', value: () => 'sms' },
    new_password: { kind: 'value', value: () => PASSWORDS.p4 },
    require_mfa: { kind: 'value', omit: true },
    password_policy: { kind: 'value', omit: true },
    password_min_score: { kind: 'value', omit: true },
    phone_region: { kind: 'value', omit: true },
    mask_phones: { kind: 'value', omit: true },
    phone_reveals_per_day: { kind: 'value', omit: true },
    name: { kind: 'value', value: () => 'Walked in' },
    parent_id: { kind: 'id' },
    description: { kind: 'value', omit: true },
    permissions: { kind: 'value', value: () => ['audit.read'] },
    // own: when another place is walked, B's own id of that kind (so the
    // check of the walked one is the one that answers).
    // An assignment names an account or a group (one of the two), over the
    // tenant, a department or a group: the walked place decides which.
    account_id: { kind: 'id', own: 'account', omitFor: (r, p) => r.path === ASSIGN && p?.name === 'group_id' },
    group_id: { kind: 'id', own: 'group', omitFor: (r, p) => r.path === ASSIGN && p?.name !== 'group_id' },
    department_id: { kind: 'id', own: 'department', omitFor: (r, p) => r.path === ASSIGN && p?.name === 'scope_group_id' },
    scope_group_id: { kind: 'id', own: 'group', omitFor: (r) => r.path === ASSIGN },
    scope: { kind: 'value', value: (c, r, p) => (p?.name === 'scope_group_id' ? 'group' : 'department') },
    // Groups: an owner; a member's kind and id (an employee: an account).
    owner_id: { kind: 'id' },
    kind: { kind: 'value', value: () => 'employee' },
    id: { kind: 'id', own: 'account' },
    subtree: { kind: 'value', omit: true },
    // DIR-3: a department's visibility.
    hidden: { kind: 'value', value: () => false },
    viewers: { kind: 'value', omit: true },
    // API tokens (no id place: never walked).
    expires_in_days: { kind: 'value', omit: true },
    // Employees: a profile's fields; the ids are walked, the rest filled.
    display_name: { kind: 'value', value: () => 'Walked In' },
    title: { kind: 'value', omit: true },
    employee_no: { kind: 'value', omit: true },
    departments: { kind: 'value', omit: true },
    manager_id: { kind: 'id' },
    id_number: { kind: 'value', omit: true },
    // DIR-6: an offboarding names its successor (walked; B's own employee
    // when the path is walked); a temporary disable is a state (never sent:
    // it would end B's sessions).
    successor_id: { kind: 'id', own: 'account' },
    state: { kind: 'value', omit: true },
    // CRM records (issue 12): a record's fields (a name will do), the
    // version a change read; a custom field's and the pipeline's settings
    // (no id place: never walked).
    fields: { kind: 'value', value: () => ({ name: 'Walked in' }) },
    version: { kind: 'value', value: () => 1 },
    type: { kind: 'value', omit: true },
    level: { kind: 'value', omit: true },
    required: { kind: 'value', omit: true },
    indexed: { kind: 'value', omit: true },
    max: { kind: 'value', omit: true },
    label: { kind: 'value', omit: true },
    stages: { kind: 'value', omit: true },
    // DATA-4: an export's filters (its ids are walked, the rest left out);
    // the quotas (no id place: never walked).
    q: { kind: 'value', omit: true },
    where: { kind: 'value', omit: true },
    reads_per_minute: { kind: 'value', omit: true },
    reads_per_day: { kind: 'value', omit: true },
    unmasks_per_day: { kind: 'value', omit: true },
    export_rows_per_day: { kind: 'value', omit: true },
};
// Inside the login's "device" object: a CLI device of the caller's, whose id
// is the place walked (the key it signs with is its own, fresh).
const NESTED = {
    stages: { key: { kind: 'value' }, label: { kind: 'value' } },
    device: {
        id: { kind: 'id' },
        kind: { kind: 'value' }, name: { kind: 'value' }, model: { kind: 'value' },
        platform: { kind: 'value' }, public_key: { kind: 'value' },
    },
};
const QUERY = {
    actor: { kind: 'id' },
    parent: { kind: 'id' },
    account: { kind: 'id' },
    department: { kind: 'id' },
    phone: { kind: 'value', omit: true },
    id_number: { kind: 'value', omit: true },
    cursor: { kind: 'cursor' },
    q: { kind: 'text' },
    limit: { kind: 'value', omit: true },
    action: { kind: 'value', omit: true },
    result: { kind: 'value', omit: true },
    since: { kind: 'value', omit: true },
    until: { kind: 'value', omit: true },
    expand: { kind: 'value', omit: true },
    // SCIM lists: the filter is proven by api/scim (B's filter for A's
    // userName finds nothing); pages are no ids.
    report: { kind: 'value', omit: true },
    filter: { kind: 'value', omit: true },
    startIndex: { kind: 'value', omit: true },
    attributes: { kind: 'value', omit: true },
    excludedAttributes: { kind: 'value', omit: true },
    count: { kind: 'value', omit: true },
    dry_run: { kind: 'value', omit: true },
    // Record pages: the filters by id are walked; an exact match, the
    // order and ?unmask= name no ids.
    owner_id: { kind: 'id' },
    department_id: { kind: 'id' },
    parent_id: { kind: 'id' },
    where: { kind: 'value', omit: true },
    sort: { kind: 'value', omit: true },
    unmask: { kind: 'value', omit: true },
};
// The record type a path's {type} names: customers (A's contacts are
// walked through it too: another type's id is as unknown as any).
const RECORD_TYPE = 'customer';
// The id kind a path's {id} names, by the segment before it: for the
// partner of a two-id path (A's own or B's own pair).
const COLLECTION = {
    users: 'account', devices: 'device', sessions: 'session', blacklist: 'blacklist',
    challenges: 'challenge', approvals: 'approval', departments: 'department',
    roles: 'role', assignments: 'assignment', employees: 'account',
    groups: 'group', members: 'account', Users: 'account', Groups: 'group', tokens: 'api_token', imports: 'import',
    '{type}': 'record',
};
// The permissions every account holds (the member role): a member calling a
// route that needs one of them is a caller like any other.
const MEMBER_HOLDS = new Set(Object.values(permissions()).filter((p) => p.roles.has('member')).map((p) => p.wire));
const memberRefused = (r) => r.auth === 'perm' && !MEMBER_HOLDS.has(r.perm);

const b64url = (s) => Buffer.from(s).toString('base64url');
const uuids = (text) => new Set((text || '').match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) || []);

describe('walk: every route, every id of tenant A, called by tenant B (DIR-1)', () => {
    let srv;
    let routes;
    const A = { ids: {}, cursors: [], tokens: {} };
    const B = { tokens: {} };
    const ctx = { A, B };
    const outbox = () => {
        let text = '';
        try { text = readFileSync(path.join(srv.dir, 'outbox.jsonl'), 'utf8'); } catch { /* none yet */ }
        return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    };
    async function smsAfter(seen, to) {
        for (let i = 0; i < 100; i++) {
            const m = outbox().slice(seen).filter((x) => x.channel === 'sms' && x.to === to);
            if (m.length) return /\b(\d{6})\b/.exec(m[m.length - 1].text)[1];
            await sleep(50);
        }
        assert.fail(`no SMS to ${to} in the outbox`);
    }
    /** A new device of @p username trusted through the SMS step. */
    async function trustBySms(dev, tenant, username, password, phone) {
        const l = await dev.login(srv, tenant, username, password);
        expectStatus(l, 200, `${tenant}/${username} device login`);
        const ch = l.json.challenge;
        assert.ok(ch?.next.includes('sms_code'), `sms step offered: ${l.text}`);
        const seen = outbox().length;
        expectStatus(await step(srv, ch, 'sms/send'), 202);
        const v = await step(srv, ch, 'sms/verify', { body: { code: await smsAfter(seen, phone) } });
        expectStatus(v, 200, 'sms/verify');
        dev.token = v.json.token;
        dev.deviceId = v.json.device_id;
    }
    const add = (kind, ...ids) => {
        A.ids[kind] = A.ids[kind] || [];
        for (const id of ids) if (id && !A.ids[kind].includes(id)) A.ids[kind].push(id);
    };

    before(async () => {
        srv = await startServer({
            name: 'walk',
            conf: { auth: { stuffing_accounts: 3, stuffing_window_s: 600, blacklist_s: 3600 } },
            tenants: [
                { slug: 'alpha', name: 'Alpha', admin: 'ada', users: [{ username: 'ann' }] },
                { slug: 'bravo', name: 'Bravo', admin: 'boris', users: [{ username: 'bea' }] },
            ],
        });
        const ta = srv.tenants.alpha;
        const tb = srv.tenants.bravo;
        A.tokens.admin = (await srv.activate('alpha', 'ada', ta.admin.temporary_password, A_PW.admin)).token;
        A.tokens.member = (await srv.activate('alpha', 'ann', ta.users.ann.temporary_password, A_PW.member)).token;
        B.tokens.admin = (await srv.activate('bravo', 'boris', tb.admin.temporary_password, B_PW.admin)).token;
        B.tokens.member = (await srv.activate('bravo', 'bea', tb.users.bea.temporary_password, B_PW.member)).token;
        // B's SCIM token (an API token of its admin): the machine caller.
        const st = await srv.api('POST', '/access/tokens', { token: B.tokens.admin, body: { name: 'B IdP', scope: 'scim' } });
        expectStatus(st, 201, 'B SCIM token');
        B.tokens.scim = st.json.token;
        A.usernames = ['ada', 'ann'];
        add('tenant', ta.tenant.id);
        add('account', ta.admin.id, ta.users.ann.id);
        B.account = tb.users.bea.id;
        expectStatus(await srv.api('PATCH', `/users/${ta.users.ann.id}`, { token: A.tokens.admin, body: { phone: A_PHONE } }), 204);
        expectStatus(await srv.api('PATCH', `/users/${tb.users.bea.id}`, { token: B.tokens.admin, body: { phone: B_PHONE } }), 204);

        // Trusted devices: A's (ann) and B's (bea, the signing caller).
        A.device = new Device('cli', { name: 'Ann laptop' });
        await trustBySms(A.device, 'alpha', 'ann', A_PW.member, A_PHONE);
        B.device = new Device('cli', { name: 'Bea laptop' });
        await trustBySms(B.device, 'bravo', 'bea', B_PW.member, B_PHONE);
        add('device', A.device.deviceId, A.device.id);
        const bd = await srv.api('POST', '/directory/departments', { token: B.tokens.admin, body: { name: 'B own' } });
        expectStatus(bd, 201, 'B department');
        const bg = await srv.api('POST', '/directory/groups', { token: B.tokens.admin, body: { name: 'B own' } });
        expectStatus(bg, 201, 'B group');
        B.partner = { account: B.account, device: B.device.deviceId, department: bd.json.id, group: bg.json.id };

        // A TOTP for ann (inbox items, audit events; the totp step's code).
        const en = await srv.api('POST', '/me/totp', { token: A.tokens.member });
        expectStatus(en, 200, 'totp start');
        A.totpSecret = en.json.secret;
        srv.secrets.add(A.totpSecret);
        const cf = await srv.api('POST', '/me/totp/confirm', { token: A.tokens.member, body: { code: totp(A.totpSecret) } });
        expectStatus(cf, 200, 'totp confirm');
        for (const c of cf.json.recovery_codes) srv.secrets.add(c);

        // A's pending login challenges: a second device waiting on an
        // approval (with an SMS code sent), and a web login's QR.
        A.device2 = new Device('cli', { name: 'Ann desktop' });
        const l2 = await A.device2.login(srv, 'alpha', 'ann', A_PW.member);
        expectStatus(l2, 200);
        A.pushCh = l2.json.challenge;
        assert.ok(A.pushCh?.next.includes('device_approval'), `approval offered: ${l2.text}`);
        const seen = outbox().length;
        expectStatus(await step(srv, A.pushCh, 'sms/send'), 202);
        A.smsCode = await smsAfter(seen, A_PHONE);
        const ap = await step(srv, A.pushCh, 'approval');
        expectStatus(ap, 200, 'approval start');
        A.pushNumber = ap.json.number;
        const web = await srv.login('alpha', 'ann', A_PW.member);
        expectStatus(web, 200);
        A.qrCh = web.json.challenge;
        assert.deepEqual(A.qrCh?.next, ['qr_approval']);
        const qr = await step(srv, A.qrCh, 'qr');
        expectStatus(qr, 200, 'qr start');
        A.qr = qr.json.qr;
        srv.secrets.add(A.qr);
        A.qrSecret = A.qr.split('.')[2];
        add('challenge', A.pushCh.id, A.qrCh.id);
        const pend = await A.device.request(srv, 'GET', '/devices/self/approvals');
        expectStatus(pend, 200);
        A.pushApproval = pend.json.items.find((x) => x.kind === 'push')?.id;
        assert.ok(A.pushApproval, `A's push approval listed: ${pend.text}`);
        add('approval', A.pushApproval, A.qr.split('.')[1]);
        add('device', A.device2.id);

        // B's own challenge (its token is B's credential on the public steps).
        const lb = await new Device('cli').login(srv, 'bravo', 'bea', B_PW.member);
        expectStatus(lb, 200);
        B.challenge = lb.json.challenge;
        assert.ok(B.challenge?.token, `B's challenge: ${lb.text}`);

        // A's blacklist: one CLI device failing on 3 names of alpha (the
        // stuffing rule) lists the IP and the device. The last A login.
        const stuffer = new Device('cli');
        for (const name of ['nobody1', 'nobody2', 'nobody3']) {
            const r = await stuffer.login(srv, 'alpha', name, 'Wrong-Pass-123!');
            assert.ok(r.status === 401 || r.status === 403, `stuffing login ${name}: ${r.status} ${r.text}`);
        }
        const bl = await srv.api('GET', '/admin/blacklist', { token: A.tokens.admin });
        expectStatus(bl, 200);
        add('blacklist', ...bl.json.items.filter((e) => e.scope === 'tenant').map((e) => e.id));
        assert.ok(A.ids.blacklist?.length >= 1, `A has blacklist entries: ${bl.text}`);

        // Every device, session and inbox item of A's, as A sees them.
        for (const u of A.ids.account) {
            const d = await srv.api('GET', `/users/${u}/devices`, { token: A.tokens.admin });
            expectStatus(d, 200);
            add('device', ...d.json.items.map((x) => x.id));
        }
        for (const who of ['admin', 'member']) {
            const s = await srv.api('GET', '/me/sessions', { token: A.tokens[who] });
            expectStatus(s, 200);
            add('session', ...s.json.items.map((x) => x.id));
            const ib = await srv.api('GET', '/me/inbox?limit=200', { token: A.tokens[who] });
            expectStatus(ib, 200);
            add('inbox', ...ib.json.items.map((x) => x.id));
        }
        assert.ok(A.ids.inbox?.length >= 1, 'A has inbox items');
        const ev = await listAll(srv, A.tokens.admin, '/audit/events', { limit: 200 });
        // Newest three and the oldest (every event would multiply the calls).
        add('audit', ...ev.slice(0, 3).map((e) => e.id), ev[ev.length - 1].id);
        A.auditSeqs = [ev[0].seq, ev[ev.length - 1].seq];

        // A's departments: two roots, a child (a cursor names one of them).
        const depts = [];
        for (const [name, parent] of [['Board', null], ['Sales', null], ['Sales East', 0]]) {
            const body = parent === null ? { name } : { name, parent_id: depts[parent] };
            const r = await srv.api('POST', '/directory/departments', { token: A.tokens.admin, body });
            expectStatus(r, 201, `A department ${name}`);
            depts.push(r.json.id);
        }
        add('department', ...depts);

        // A's custom role, and its member made department admin of Sales.
        const role = await srv.api('POST', '/access/roles', {
            token: A.tokens.admin, body: { name: 'Log readers', permissions: ['audit.read'] },
        });
        expectStatus(role, 201, 'A custom role');
        add('role', role.json.id);
        const me = await srv.api('GET', '/me', { token: A.tokens.member });
        const asg = await srv.api('POST', '/access/assignments', {
            token: A.tokens.admin,
            body: { role: 'department_admin', account_id: me.json.id, scope: 'department', department_id: depts[1] },
        });
        expectStatus(asg, 201, 'A assignment');
        add('assignment', asg.json.id);

        // A's employees: one hired (a new account), the member linked.
        const emp = await srv.api('POST', '/directory/employees', {
            token: A.tokens.admin,
            body: { username: 'emma', display_name: 'Emma Stone', department_id: depts[1], phone: '13800138123' },
        });
        expectStatus(emp, 201, 'A employee');
        add('account', emp.json.id);
        const linked = await srv.api('POST', '/directory/employees', {
            token: A.tokens.admin,
            body: { account_id: me.json.id, display_name: 'Ann A', department_id: depts[0], manager_id: emp.json.id },
        });
        expectStatus(linked, 201, 'A linked employee');

        // A's group, with Emma in it.
        const grp = await srv.api('POST', '/directory/groups', {
            token: A.tokens.admin, body: { name: 'A team', owner_id: emp.json.id },
        });
        expectStatus(grp, 201, 'A group');
        expectStatus(await srv.api('POST', `/directory/groups/${grp.json.id}/members`, {
            token: A.tokens.admin, body: { kind: 'employee', id: emp.json.id },
        }), 201, 'A group member');
        expectStatus(await srv.api('POST', `/directory/groups/${grp.json.id}/members`, {
            token: A.tokens.admin, body: { kind: 'department', id: depts[2] },
        }), 201, 'A group member department');
        const grp2 = await srv.api('POST', '/directory/groups', { token: A.tokens.admin, body: { name: 'A board' } });
        expectStatus(grp2, 201, 'A second group');
        add('group', grp.json.id, grp2.json.id);
        const at = await srv.api('POST', '/access/tokens', { token: A.tokens.admin, body: { name: 'A IdP', scope: 'scim' } });
        expectStatus(at, 201, 'A API token');
        add('api_token', at.json.id);
        // A's import job (a dry run: it writes nothing of the directory).
        const job = await srv.api('POST', '/directory/imports?dry_run=true', {
            token: A.tokens.admin,
            raw: 'username,display_name,department\r\nivy,Ivy,Board\r\n',
            headers: { 'content-type': 'text/csv' },
        });
        expectStatus(job, 202, 'A import job');
        for (let i = 0; i < 200; i++) {
            const g = await srv.api('GET', `/directory/imports/${job.json.id}`, { token: A.tokens.admin });
            expectStatus(g, 200);
            if (!['queued', 'running'].includes(g.json.state)) break;
            await sleep(50);
        }
        add('import', job.json.id);

        // A's real page cursors, each naming one of A's rows.
        for (const [p, tok] of [['/users', 'admin'], ['/audit/events', 'admin'], ['/me/inbox', 'member'],
            ['/directory/departments', 'admin'], ['/access/assignments', 'admin'],
            ['/directory/employees', 'admin'], ['/directory/groups', 'admin'],
            [`/directory/groups/${grp.json.id}/members`, 'admin']]) {
            const r = await srv.api('GET', `${p}?limit=1`, { token: A.tokens[tok] });
            expectStatus(r, 200);
            if (r.json.next_cursor) A.cursors.push(r.json.next_cursor);
        }
        // A's CRM records: customers (a phone sealed and masked), a contact
        // of one, one in the recycle bin; no secret value (its every read
        // would be an audit event of A's).
        const cust = [];
        for (const name of ['Acme', 'Globex', 'Initech', 'Umbrella']) {
            const r = await srv.api('POST', '/records/customer', {
                token: A.tokens.admin,
                body: { fields: { name, phone: '13800138777', industry: 'Retail' }, department_id: depts[1] },
            });
            expectStatus(r, 201, `A customer ${name}`);
            cust.push(r.json.id);
        }
        const contact = await srv.api('POST', '/records/contact', {
            token: A.tokens.admin, body: { fields: { name: 'Wile', customer_id: cust[0] }, department_id: depts[1] },
        });
        expectStatus(contact, 201, 'A contact');
        for (const gone of cust.slice(2)) {
            expectStatus(await srv.api('DELETE', `/records/customer/${gone}`, { token: A.tokens.admin }), 204);
        }
        add('record', ...cust, contact.json.id);
        for (const p of ['/records/customer?limit=1&sort=name', '/records/customer?limit=1&sort=-updated_at',
            '/records/customer/bin?limit=1']) {
            const rc = await srv.api('GET', p, { token: A.tokens.admin });
            expectStatus(rc, 200);
            assert.ok(rc.json.next_cursor, `A's cursor of ${p}`);
            A.cursors.push(rc.json.next_cursor);
        }
        A.all = new Set(Object.values(A.ids).flat());
        for (const kind of Object.keys(COLLECTION).map((k) => COLLECTION[k])) {
            assert.ok(A.ids[kind]?.length, `A has an id of kind ${kind}`);
        }
    });
    after(async () => { await closeDown(srv); });

    // ---- 1. the table ----

    const plan = []; // {route, input}
    test('1. the route table reads, and every body field and query parameter of every route is one this walk can fill', () => {
        routes = routeTable();
        const unknown = [];
        for (const r of routes) {
            const input = handlerInput(r.handler);
            for (const f of input.fields) {
                if (f.nested) {
                    const parent = input.fields.find((p) => !p.nested && (p.type === 'object' || p.type === 'objs'));
                    if (!parent || !NESTED[parent.name]?.[f.name]) unknown.push(`${r.method} ${r.path}: body ${parent?.name ?? '?'}.${f.name}`);
                } else if (!BODY[f.name]) {
                    unknown.push(`${r.method} ${r.path}: body field ${f.name}`);
                }
            }
            for (const q of r.query) if (!QUERY[q]) unknown.push(`${r.method} ${r.path}: query ${q}`);
            if (r.slots > 0) {
                for (const seg of [...r.path.matchAll(/([^/]+)\/\{id\}/g)].map((m) => m[1])) {
                    if (!COLLECTION[seg]) unknown.push(`${r.method} ${r.path}: an {id} after "${seg}"`);
                }
            }
            // SCIM's bodies are read by hand (SCIM_BODY fills them); a CSV
            // body (the import's) is a file, not fields.
            if (r.flags.has('scim') && r.flags.has('body') && !(`${r.method} ${r.path}` in SCIM_BODY)) {
                unknown.push(`${r.method} ${r.path}: a SCIM body this walk has no SCIM_BODY entry for`);
            } else if (r.flags.has('body') && !r.flags.has('scim') && !r.flags.has('csv') && !input.noFields
                && input.fields.length === 0) {
                unknown.push(`${r.method} ${r.path}: takes a body, but no field spec was found in ${input.file}`);
            }
            plan.push({ route: r, input });
        }
        assert.deepEqual(unknown, [], 'places this walk does not know how to fill: add them to BODY/QUERY/COLLECTION');
        assert.ok(routes.length >= 40, `${routes.length} routes`);
    });

    let snapBefore;
    // node:test runs the tests in order: this one before the walk.
    test('2. A\'s state before the walk', async () => { snapBefore = await snapshot(); });


    // ---- 2. the walk ----

    const stats = { routes: new Set(), calls: 0, controls: 0, twoxx: 0, reads: 0, byStatus: {} };
    const failures = [];
    const perRoute = {}; // "METHOD path as caller" -> {answer: count}
    const seen2xx = new Set(); // cursor/text places that answered 2xx at least once

    /** The callers of a route: who in B calls it, with what credential. */
    function callers(r, input) {
        if (r.auth === 'token') return ['scim'];
        if (r.auth === 'perm') return ['admin', 'member'];
        if (r.auth === 'session') return ['admin', 'member', 'device'];
        return [input.challengeToken ? 'challenge' : 'anonymous'];
    }

    /** Send one call. spec: {caller, path, query, body}. */
    async function send(r, spec) {
        const qs = new URLSearchParams(spec.query || {}).toString();
        const url = `${spec.path.replace('{type}', RECORD_TYPE)}${qs ? `?${qs}` : ''}`;
        const body = spec.body;
        if (body && body.device && typeof body.device === 'object') {
            // A CLI login naming the walked id as its device: signed with a
            // fresh key of the caller's.
            const dev = new Device('cli');
            dev.id = body.device.id;
            const b = { ...body, device: dev.descriptor() };
            return dev.request(srv, r.method, url, { token: null, body: b });
        }
        if (spec.caller === 'device') return B.device.request(srv, r.method, url, { body });
        const headers = {};
        if (spec.caller === 'challenge') headers['x-challenge-token'] = B.challenge.token;
        const token = ['admin', 'member', 'scim'].includes(spec.caller) ? B.tokens[spec.caller] : undefined;
        return srv.api(r.method, url, { token, body, headers });
    }

    /** The body of a call: required fields filled, the walked one set. */
    function bodyOf(r, input, place, value, extra = {}) {
        if (!r.flags.has('body')) return undefined;
        // SCIM bodies are SCIM's, read by hand (no field spec): a valid
        // change, so that the id in the path is what answers.
        if (r.flags.has('scim')) return SCIM_BODY[`${r.method} ${r.path}`];
        if (input.noFields || input.fields.length === 0) return r.flags.has('body_opt') ? undefined : {};
        const b = {};
        for (const f of input.fields.filter((x) => !x.nested)) {
            const fill = BODY[f.name];
            if (place?.where === 'body' && place.name === f.name) { b[f.name] = value; continue; }
            if (fill.kind === 'object') {
                if (place?.where === 'nested' && place.parent === f.name) b[f.name] = { [place.name]: value };
                continue;
            }
            if (fill.omit || fill.omitFor?.(r, place)) continue;
            if (f.name in extra) { b[f.name] = extra[f.name]; continue; }
            if (fill.kind === 'value') {
                if (!f.required && !fill.values && !fill.value) continue;
                b[f.name] = fill.values ? fill.values[0] : fill.value(ctx, r, place);
            } else if (fill.own) {
                b[f.name] = B.partner[fill.own];
            } else if (f.required) {
                b[f.name] = A.ids.account[0]; // an id field not walked now: A's own
            }
        }
        return b;
    }

    /** The id places of a route: path slots, query and body fields. */
    function placesOf(r, input) {
        const out = [];
        for (let i = 0; i < r.slots; i++) out.push({ where: 'path', slot: i, kind: 'id', name: `{id}#${i + 1}` });
        for (const q of r.query) if (QUERY[q].kind !== 'value') out.push({ where: 'query', name: q, kind: QUERY[q].kind });
        for (const f of input.fields) {
            if (f.nested) {
                const parent = input.fields.find((p) => !p.nested && (p.type === 'object' || p.type === 'objs')).name;
                if (NESTED[parent][f.name].kind !== 'value') out.push({ where: 'nested', parent, name: f.name, kind: 'id' });
            } else if (BODY[f.name].kind === 'id' || BODY[f.name].kind === 'qr') {
                out.push({ where: 'body', name: f.name, kind: BODY[f.name].kind });
            }
        }
        return out;
    }

    /** The values walked through a place, with the control of each. */
    function valuesOf(place) {
        const all = [...A.all];
        const rnd = randomUUID();
        switch (place.kind) {
        case 'id': return { values: all, control: rnd };
        case 'qr': return {
            values: [A.qr, ...all.map((id) => `svqr1.${id}.${A.qrSecret}`)],
            control: `svqr1.${rnd}.${A.qrSecret}`,
        };
        case 'cursor': {
            const crafted = [];
            for (const kind of Object.keys(A.ids)) {
                for (const p of ['u', 'i']) crafted.push(b64url(`${p}:${A.ids[kind][0]}`));
            }
            for (const seq of A.auditSeqs) crafted.push(b64url(`a:${seq}`));
            return { values: [...A.cursors, ...crafted], control: null };
        }
        case 'text': return { values: A.usernames, control: null };
        default: throw new Error(`no values for ${place.kind}`);
        }
    }

    const sig = (res) => `${res.status} ${res.json?.error?.code ?? ''} ${res.json?.error?.field ?? ''}`.trim();
    function leaks(res) {
        const found = [...uuids(res.text)].filter((id) => A.all.has(id));
        if (A.qrSecret && res.text.includes(A.qrSecret)) found.push('A\'s QR secret');
        return found;
    }

    function judge(r, caller, label, res, control, place) {
        stats.calls++;
        stats.byStatus[res.status] = (stats.byStatus[res.status] || 0) + 1;
        const where = `${r.method} ${r.path} ${label}`;
        const leaked = leaks(res);
        if (leaked.length) failures.push(`${where}: the answer (${res.status}) holds A's ${leaked.join(', ')}`);
        if (res.status >= 500) failures.push(`${where}: ${sig(res)}`);
        if (control) {
            if (sig(res) !== sig(control)) {
                failures.push(`${where}: ${sig(res)}, but an id that names nothing gets ${sig(control)}`);
            }
            if ([400, 413, 415].includes(control.status)) {
                failures.push(`${where}: the control got ${sig(control)}: this walk fills the call wrong`);
            }
            if (res.status >= 200 && res.status < 300) {
                stats.twoxx++;
                return;
            }
            const ok = r.auth === 'none'
                ? res.status === 404 || res.status === 401
                : res.status === 404 || (res.status === 403 && res.json?.error?.code === 'forbidden');
            if (!ok) failures.push(`${where}: ${sig(res)} is no refusal this walk accepts`);
        } else if (memberRefused(r) && caller === 'member') {
            if (sig(res) !== '403 forbidden') failures.push(`${where}: ${sig(res)} (a member on a route needing ${r.perm}: 403 forbidden)`);
        } else if (res.status >= 200 && res.status < 300) {
            stats.twoxx++;
            seen2xx.add(`${r.method} ${r.path} ${place.name}`);
        } else if (!(res.status === 400 && res.json?.error?.field === place.name)) {
            failures.push(`${where}: ${sig(res)} (wanted a 2xx holding nothing of A's, or 400 naming ${place.name})`);
        }
    }

    const pathWith = (r, vals) => {
        let i = 0;
        return r.path.replace(/\{id\}/g, () => vals[i++]);
    };
    const slotKinds = (r) => [...r.path.matchAll(/([^/]+)\/\{id\}/g)].map((m) => COLLECTION[m[1]]);

    test('3. tenant B calls every id-taking route with each of A\'s ids in each place: the answer is the unknown id\'s, a refusal, with nothing of A\'s', { timeout: 240000 }, async (t) => {
        assert.ok(plan.length > 0, 'step 1 ran');
        const started = Date.now();
        for (const { route: r, input } of plan) {
            if (!r.path.startsWith('/api/') && !r.path.startsWith('/scim/')) continue; // the console's static files
            const places = placesOf(r, input);
            const who = callers(r, input);
            if (places.length === 0) {
                // No id to give: a read must still hold nothing of A's.
                if (r.method !== 'GET') continue;
                for (const caller of who) {
                    const res = await send(r, { caller, path: r.path });
                    stats.reads++;
                    const leaked = leaks(res);
                    if (leaked.length) failures.push(`${r.method} ${r.path} as B ${caller}: holds A's ${leaked.join(', ')}`);
                    if (res.status >= 400 && !(res.status === 403 && caller === 'member')
                        && !(res.status === 403 && r.path.includes('/devices/self/'))) {
                        failures.push(`${r.method} ${r.path} as B ${caller}: ${sig(res)} (a plain read)`);
                    }
                }
                continue;
            }
            stats.routes.add(`${r.method} ${r.path}`);
            const kinds = slotKinds(r);
            const decisions = input.fields.some((f) => f.name === 'decision') ? BODY.decision.values : [undefined];
            for (const place of places) {
                const { values, control } = valuesOf(place);
                // The other {id} slots: A's own partner, then B's own.
                const partners = place.where === 'path' && r.slots > 1
                    ? ['A', ...(kinds.every((k, i) => i === place.slot || B.partner[k]) ? ['B'] : [])] : [null];
                for (const caller of who) {
                    for (const partner of partners) {
                        for (const decision of decisions) {
                            const extra = decision ? { decision } : {};
                            const build = (v) => {
                                const slotVals = [];
                                for (let i = 0; i < r.slots; i++) {
                                    if (place.where === 'path' && place.slot === i) slotVals.push(v);
                                    else if (partner === 'B') slotVals.push(B.partner[kinds[i]]);
                                    // A query or body place: the path names B's own (when B
                                    // has one), so that the walked value is what answers.
                                    else if (!partner && B.partner[kinds[i]]) slotVals.push(B.partner[kinds[i]]);
                                    else slotVals.push(A.ids[kinds[i]][0]);
                                }
                                return {
                                    caller,
                                    path: pathWith(r, slotVals),
                                    query: place.where === 'query' ? { [place.name]: v } : undefined,
                                    body: bodyOf(r, input, place.where === 'body' || place.where === 'nested' ? place : null, v, extra),
                                };
                            };
                            const label = (v) => `as B ${caller}, ${place.where} ${place.name}=${v}${partner ? ` (other slot: ${partner}'s)` : ''}${decision ? ` decision ${decision}` : ''}`;
                            let ctl = null;
                            if (control) {
                                ctl = await send(r, build(control));
                                stats.controls++;
                            }
                            for (const v of values) {
                                const res = await send(r, build(v));
                                judge(r, caller, label(v), res, ctl, place);
                                const k = `${r.method} ${r.path} as ${caller}`;
                                perRoute[k] = perRoute[k] || {};
                                perRoute[k][sig(res)] = (perRoute[k][sig(res)] || 0) + 1;
                            }
                        }
                    }
                }
            }
        }
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        t.diagnostic(`walked ${stats.routes.size} id-taking routes of ${routes.length} in the table: ${stats.calls} calls `
            + `(${stats.controls} controls besides, ${stats.reads} plain reads) in ${secs} s; `
            + `${stats.twoxx} were 2xx holding nothing of A's; statuses ${JSON.stringify(stats.byStatus)}`);
        t.diagnostic(`A's ids by kind: ${Object.entries(A.ids).map(([k, v]) => `${k} ${v.length}`).join(', ')}`);
        for (const [k, v] of Object.entries(perRoute)) t.diagnostic(`${k}: ${JSON.stringify(v)}`);
        // The places without a control must have been exercised for real
        // (a walk where every cursor was refused would prove nothing).
        for (const { route: r, input } of plan) {
            for (const place of placesOf(r, input).filter((p) => p.kind === 'cursor' || p.kind === 'text')) {
                if (!seen2xx.has(`${r.method} ${r.path} ${place.name}`)) {
                    failures.push(`${r.method} ${r.path}: no value of ${place.name} got past the checks (the walk proved nothing there)`);
                }
            }
        }
        assert.deepEqual(failures.slice(0, 40), [], `${failures.length} calls broke DIR-1 (first 40 shown)`);
    });

    // ---- 3. A is as it was ----

    async function snapshot() {
        const get = async (p, tok, dev) => {
            const r = dev ? await dev.request(srv, 'GET', p) : await srv.api('GET', p, { token: A.tokens[tok] });
            expectStatus(r, 200, `A GET ${p}`);
            return r.json;
        };
        const s = {};
        s.users = (await get('/users?limit=200', 'admin')).items;
        s.devices = {};
        for (const u of A.ids.account) s.devices[u] = (await get(`/users/${u}/devices`, 'admin')).items;
        s.blacklist = (await get('/admin/blacklist', 'admin')).items;
        s.settings = await get('/admin/settings', 'admin');
        s.departments = (await get('/directory/departments?q=a&limit=200', 'admin')).items;
        s.roles = (await get('/access/roles', 'admin')).items;
        s.assignments = (await get('/access/assignments?limit=200', 'admin')).items;
        s.employees = (await get('/directory/employees?limit=200', 'admin')).items;
        s.groups = [];
        for (const id of A.ids.group) {
            s.groups.push(await get(`/directory/groups/${id}`, 'admin'), await get(`/directory/groups/${id}/members`, 'admin'));
        }
        s.visibility = [];
        for (const id of A.ids.department) s.visibility.push(await get(`/directory/departments/${id}/visibility`, 'admin'));
        for (const id of A.ids.department) s.departments.push(await get(`/directory/departments/${id}`, 'admin'));
        s.records = {
            customers: (await get('/records/customer?limit=200', 'admin')).items,
            contacts: (await get('/records/contact?limit=200', 'admin')).items,
            bin: (await get('/records/customer/bin?limit=200', 'admin')).items,
        };
        s.imports = [];
        for (const id of A.ids.import) s.imports.push(await get(`/directory/imports/${id}`, 'admin'));
        s.inbox = { admin: (await get('/me/inbox?limit=200', 'admin')), member: (await get('/me/inbox?limit=200', 'member')) };
        s.sessions = {};
        for (const who of ['admin', 'member']) {
            s.sessions[who] = (await get('/me/sessions', who)).items
                .map((x) => ({ id: x.id, device_id: x.device_id, created_at: x.created_at })).sort((a, b) => a.id.localeCompare(b.id));
        }
        s.pushPending = (await get('/devices/self/approvals', null, A.device)).items.some((x) => x.id === A.pushApproval);
        const ev = await listAll(srv, A.tokens.admin, '/audit/events', { limit: 200 });
        s.audit = { count: ev.length, last: ev[0] };
        return s;
    }

    test('4. A is unchanged: users, devices, sessions, inbox and read state, blacklist, settings, approval, audit stream; A\'s tokens work', async () => {
        assert.ok(snapBefore, 'the state before was taken');
        const now = await snapshot();
        assert.deepEqual(now.users, snapBefore.users, 'A\'s users');
        assert.deepEqual(now.devices, snapBefore.devices, 'A\'s devices');
        assert.deepEqual(now.blacklist, snapBefore.blacklist, 'A\'s blacklist');
        assert.deepEqual(now.settings, snapBefore.settings, 'A\'s settings');
        assert.deepEqual(now.departments, snapBefore.departments, 'A\'s departments');
        assert.deepEqual(now.groups, snapBefore.groups, 'A\'s groups and their members');
        assert.deepEqual(now.visibility, snapBefore.visibility, 'A\'s departments\' visibility');
        assert.deepEqual(now.employees, snapBefore.employees, 'A\'s employees');
        assert.deepEqual(now.assignments, snapBefore.assignments, 'A\'s assignments');
        assert.deepEqual(now.imports, snapBefore.imports, 'A\'s import jobs');
        assert.deepEqual(now.records, snapBefore.records, 'A\'s records, their bin');
        assert.deepEqual(now.inbox, snapBefore.inbox, 'A\'s inbox items and read state');
        assert.deepEqual(now.sessions, snapBefore.sessions, 'A\'s sessions');
        assert.equal(now.pushPending, true, 'A\'s pending approval is still pending');
        assert.equal(now.audit.count, snapBefore.audit.count, 'A\'s audit stream: no event added or removed');
        assert.deepEqual(now.audit.last, snapBefore.audit.last, 'A\'s audit stream: the same last event');
        for (const who of ['admin', 'member']) expectStatus(await srv.api('GET', '/me', { token: A.tokens[who] }), 200, `A ${who} token`);
        expectStatus(await A.device.request(srv, 'GET', '/me'), 200, 'A\'s device session');
    });

    test('5. salesvault audit verify passes', async () => {
        const v = await srv.cli(['audit', 'verify']);
        assert.equal(v.code, 0, `audit verify: ${v.stdout}${v.stderr}`);
    });
});
