// API tokens and SCIM 2.0 provisioning (issue 11, part 7): a tenant admin
// makes a token (shown once, stored hashed, audited) and revokes it; SCIM
// Users and Groups over /scim/v2 with the token: create, get, filter,
// pages, PATCH (paths as Azure sends them, and value objects as Okta
// does), PUT, DELETE; active=false offboards; SCIM error bodies and media
// type; the maker's permissions bound the token; offboarding the maker
// revokes its tokens; tenant B's token reaches none of A's resources.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
    PASSWORDS, UUID_RE, expectError, expectStatus, startServer,
} from './lib/server.mjs';

const UNKNOWN = '01900000-0000-7000-8000-000000000000';
const U = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const G = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ERR = 'urn:ietf:params:scim:api:messages:2.0:Error';

describe('SCIM 2.0 provisioning with API tokens', () => {
    let srv;
    const tok = {};
    const d = {};
    const u = {};
    const grp = {};
    let scim; // A's token text
    let tokenId;

    before(async () => {
        srv = await startServer({
            name: 'scim',
            tenants: [
                { slug: 'acme', name: 'Acme Corp', admin: 'boss', users: [{ username: 'mia' }] },
                { slug: 'beta', name: 'Beta Ltd', admin: 'olga' },
            ],
        });
        tok.boss = (await srv.activate('acme', 'boss', srv.tenants.acme.admin.temporary_password, PASSWORDS.admin)).token;
        tok.mia = (await srv.activate('acme', 'mia', srv.tenants.acme.users.mia.temporary_password, PASSWORDS.p1)).token;
        tok.olga = (await srv.activate('beta', 'olga', srv.tenants.beta.admin.temporary_password, PASSWORDS.admin2)).token;
        for (const [k, name, parent] of [['sales', 'Sales'], ['east', 'East', 'sales'], ['it', 'IT']]) {
            const r = await srv.api('POST', '/directory/departments', {
                token: tok.boss, body: parent ? { name, parent_id: d[parent] } : { name },
            });
            expectStatus(r, 201, name);
            d[k] = r.json.id;
        }
    });
    after(async () => { await srv?.cleanup(); });

    const sc = (method, p, body, token = scim, headers = {}) => srv.api(method, `/scim/v2${p}`, {
        token, body, headers: body !== undefined ? { 'content-type': 'application/scim+json', ...headers } : headers,
    });
    const scimError = (r, status, scimType, label = '') => {
        assert.equal(r.status, status, `${label} status; ${r.text}`);
        assert.match(r.headers.get('content-type'), /^application\/scim\+json/, `${label} type`);
        assert.deepEqual(r.json.schemas, [ERR], `${label} schemas`);
        assert.equal(r.json.status, String(status), `${label} status string`);
        assert.equal(typeof r.json.detail, 'string');
        if (scimType) assert.equal(r.json.scimType, scimType, `${label} scimType; ${r.text}`);
    };
    const events = async (action) => {
        const r = await srv.api('GET', `/audit/events?action=${action}&limit=200`, { token: tok.boss });
        expectStatus(r, 200);
        return r.json.items;
    };

    test('1. API tokens: made (shown once), listed without their text, refused by field, audited', async () => {
        let r = await srv.api('POST', '/access/tokens', { token: tok.boss, body: { name: 'Okta', scope: 'scim', expires_in_days: 90 } });
        expectStatus(r, 201);
        assert.match(r.json.token, /^svt_[A-Za-z0-9_-]{43}$/);
        assert.match(r.json.id, UUID_RE);
        assert.equal(r.json.created_by_username, 'boss');
        assert.ok(r.json.expires_at);
        scim = r.json.token;
        tokenId = r.json.id;
        r = await srv.api('GET', '/access/tokens', { token: tok.boss });
        expectStatus(r, 200);
        assert.equal(r.json.items.length, 1);
        assert.ok(!r.text.includes(scim), 'the text is never shown again');
        assert.equal(r.json.items[0].last_used_at, null);
        expectError(await srv.api('POST', '/access/tokens', { token: tok.boss, body: { name: 'okta', scope: 'scim' } }),
            409, 'conflict', 'name');
        expectError(await srv.api('POST', '/access/tokens', { token: tok.boss, body: { name: '', scope: 'scim' } }),
            400, 'field_invalid', 'name');
        expectError(await srv.api('POST', '/access/tokens', { token: tok.boss, body: { name: 'X', scope: 'admin' } }),
            400, 'field_invalid', 'scope');
        expectError(await srv.api('POST', '/access/tokens', { token: tok.boss, body: { name: 'X', scope: 'scim', expires_in_days: 0 } }),
            400, 'field_invalid', 'expires_in_days');
        expectError(await srv.api('POST', '/access/tokens', { token: tok.mia, body: { name: 'Mine', scope: 'scim' } }),
            403, 'forbidden');
        const ev = await events('api_token.create');
        assert.equal(ev.length, 1);
        assert.equal(ev[0].details.name, 'Okta');
        assert.ok(!JSON.stringify(ev).includes(scim), 'no token text in the log');
    });

    test('2. SCIM authentication: a live token of scope scim, nothing else; SCIM errors', async () => {
        scimError(await sc('GET', '/Users', undefined, null), 401, null, 'no token');
        scimError(await sc('GET', '/Users', undefined, tok.boss), 401, null, 'a session token');
        scimError(await sc('GET', '/Users', undefined, `svt_${'A'.repeat(43)}`), 401, null, 'unknown');
        scimError(await sc('GET', '/Nothing'), 404, null, 'unknown path');
        // The session routes take no API token either.
        expectError(await srv.api('GET', '/me', { token: scim }), 401, 'unauthenticated');
        const r = await sc('GET', '/ServiceProviderConfig');
        expectStatus(r, 200);
        assert.match(r.headers.get('content-type'), /^application\/scim\+json/);
        assert.equal(r.json.patch.supported, true);
        assert.equal(r.json.filter.supported, true);
        const rt = await sc('GET', '/ResourceTypes');
        assert.deepEqual(rt.json.Resources.map((x) => x.name), ['User', 'Group']);
        // Discovery is behind the token too, and takes no query.
        scimError(await sc('GET', '/ServiceProviderConfig', undefined, null), 401, null, 'discovery without a token');
        scimError(await sc('GET', '/ResourceTypes?bogus=1'), 400, 'invalidValue', 'an unknown parameter');
        // Used: last_used_at set.
        const t = await srv.api('GET', '/access/tokens', { token: tok.boss });
        assert.ok(t.json.items[0].last_used_at);
    });

    test('3. Users: create with the enterprise extension, get, filter, pages', async () => {
        let r = await sc('POST', '/Users', {
            schemas: [U, ENT], userName: 'Ann.Lee', externalId: 'okta-0001',
            name: { givenName: 'Ann', familyName: 'Lee' }, title: 'Buyer',
            emails: [{ value: 'Ann.Lee@Acme.test', primary: true, type: 'work' }],
            phoneNumbers: [{ value: '13800138001', type: 'work' }],
            [ENT]: { employeeNumber: 'E-7', department: 'Sales/East' },
            locale: 'en-US', // not kept: left alone
        });
        expectStatus(r, 201);
        assert.match(r.headers.get('content-type'), /^application\/scim\+json/);
        assert.equal(r.json.userName, 'ann.lee');
        assert.equal(r.json.displayName, 'Ann Lee');
        assert.equal(r.json.externalId, 'okta-0001');
        assert.equal(r.json.active, true);
        assert.deepEqual(r.json.emails, [{ value: 'ann.lee@acme.test', type: 'work', primary: true }]);
        assert.equal(r.json.phoneNumbers, undefined, 'DIR-5: never read back');
        assert.equal(r.json[ENT].department, 'Sales/East', 'the path it was written as');
        assert.equal(r.json[ENT].employeeNumber, 'E-7');
        assert.equal(r.json.meta.location, `/scim/v2/Users/${r.json.id}`);
        u.ann = r.json.id;
        // The employee in the directory, made by the token's maker.
        const e = await srv.api('GET', `/directory/employees/${u.ann}`, { token: tok.boss });
        expectStatus(e, 200);
        assert.equal(e.json.department.id, d.east);
        const ev = (await events('employee.create')).find((x) => x.target_id === u.ann);
        assert.equal(ev.actor, 'token:Okta');
        // Nobody knows its password: it signs in only after a reset.
        const login = await srv.login('acme', 'ann.lee', 'anything-at-all-1A!');
        assert.equal(login.status, 401);
        // A second, with a manager; then the filters.
        r = await sc('POST', '/Users', {
            schemas: [U], userName: 'bo.d', displayName: 'Bo', externalId: 'okta-0002',
            [ENT]: { department: 'it', manager: { value: u.ann } },
        });
        expectStatus(r, 201);
        assert.equal(r.json[ENT].manager.value, u.ann);
        u.bo = r.json.id;
        r = await sc('GET', `/Users?filter=${encodeURIComponent('userName eq "ANN.LEE"')}`);
        expectStatus(r, 200);
        assert.equal(r.json.totalResults, 1);
        assert.equal(r.json.Resources[0].id, u.ann);
        r = await sc('GET', `/Users?filter=${encodeURIComponent('externalId eq "okta-0002"')}`);
        assert.deepEqual(r.json.Resources.map((x) => x.id), [u.bo]);
        r = await sc('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody"')}`);
        assert.equal(r.json.totalResults, 0);
        assert.deepEqual(r.json.Resources, []);
        // Pages: mia (no employee) is no User; two Users.
        r = await sc('GET', '/Users?startIndex=1&count=1');
        assert.equal(r.json.totalResults, 2);
        assert.equal(r.json.itemsPerPage, 1);
        const second = await sc('GET', '/Users?startIndex=2&count=1');
        assert.notEqual(second.json.Resources[0].id, r.json.Resources[0].id);
        r = await sc('GET', `/Users/${u.bo}`);
        expectStatus(r, 200);
        scimError(await sc('GET', `/Users/${UNKNOWN}`), 404, null);
    });

    test('4. Users: every bad input refused with its scimType, nothing written', async () => {
        const before = (await sc('GET', '/Users')).json.totalResults;
        const base = { schemas: [U], [ENT]: { department: 'Sales' } };
        scimError(await sc('POST', '/Users', { ...base, userName: 'ann.lee' }), 409, 'uniqueness', 'taken');
        scimError(await sc('POST', '/Users', { ...base, userName: 'x y' }), 400, 'invalidValue', 'userName');
        scimError(await sc('POST', '/Users', { schemas: [U], userName: 'nodept' }), 400, 'invalidValue', 'department');
        scimError(await sc('POST', '/Users', { schemas: [U], userName: 'baddept', [ENT]: { department: 'Sales/West' } }),
            400, 'invalidValue', 'department path');
        scimError(await sc('POST', '/Users', { ...base, userName: 'pw', password: 'S3cret!pass' }), 400, 'invalidValue', 'password');
        scimError(await sc('POST', '/Users', { ...base, userName: 'ph', phoneNumbers: [{ value: '12' }] }), 400, 'invalidValue', 'phone');
        scimError(await sc('POST', '/Users', { ...base, userName: 'exx', externalId: 'okta-0001' }), 409, 'uniqueness', 'externalId');
        scimError(await sc('POST', '/Users', { ...base, displayName: 'No name' }), 400, 'invalidValue', 'no userName');
        scimError(await sc('GET', `/Users?filter=${encodeURIComponent('userName co "a"')}`), 400, 'invalidFilter', 'co');
        scimError(await sc('GET', `/Users?filter=${encodeURIComponent('title eq "a"')}`), 400, 'invalidFilter', 'title');
        // Media types: SCIM's or JSON; anything else 415.
        const r = await srv.api('POST', '/scim/v2/Users', {
            token: scim, raw: JSON.stringify({ ...base, userName: 'tx' }), headers: { 'content-type': 'text/plain' },
        });
        scimError(r, 415, null, 'text/plain');
        const malformed = await srv.api('POST', '/scim/v2/Users', {
            token: scim, raw: '{"userName":', headers: { 'content-type': 'application/scim+json' },
        });
        scimError(malformed, 400, 'invalidSyntax', 'malformed');
        assert.equal((await sc('GET', '/Users')).json.totalResults, before, 'nothing written');
        assert.equal((await events('employee.create')).length, 2);
    });

    test('5. PATCH as Azure and Okta send it; PUT replaces; userName and e-mail do not change', async () => {
        let r = await sc('PATCH', `/Users/${u.bo}`, {
            schemas: [PATCH],
            Operations: [
                { op: 'Replace', path: 'title', value: 'Engineer' },
                { op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '+1 202 555 0143' },
                { op: 'Add', path: `${ENT}:employeeNumber`, value: 'E-9' },
                { op: 'Replace', path: 'name.formatted', value: 'Bo Diddley' },
            ],
        });
        expectStatus(r, 200);
        assert.equal(r.json.title, 'Engineer');
        assert.equal(r.json.displayName, 'Bo Diddley');
        assert.equal(r.json[ENT].employeeNumber, 'E-9');
        r = await sc('PATCH', `/Users/${u.bo}`, {
            schemas: [PATCH], Operations: [{ op: 'replace', value: { title: 'Lead', [`${ENT}:department`]: 'Sales' } }],
        });
        expectStatus(r, 200);
        assert.equal(r.json.title, 'Lead');
        assert.equal(r.json[ENT].department, 'Sales');
        // Name parts in operations of their own make one name; attributes
        // this server does not keep change nothing (as Entra ID sends them).
        r = await sc('PATCH', `/Users/${u.bo}`, {
            schemas: [PATCH], Operations: [
                { op: 'replace', path: 'name.givenName', value: 'Bo' },
                { op: 'replace', path: 'name.familyName', value: 'Diddley' },
                { op: 'replace', path: 'preferredLanguage', value: 'en-US' },
                { op: 'add', path: 'addresses[type eq "work"].locality', value: 'Shanghai' },
            ],
        });
        expectStatus(r, 200);
        assert.equal(r.json.displayName, 'Bo Diddley');
        r = await sc('PATCH', `/Users/${u.bo}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'title' }] });
        expectStatus(r, 200);
        assert.equal(r.json.title, undefined);
        scimError(await sc('PATCH', `/Users/${u.bo}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'bob' }] }),
            400, 'mutability');
        scimError(await sc('PATCH', `/Users/${u.bo}`, {
            schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'x@y.test' }],
        }), 400, 'mutability');
        scimError(await sc('PATCH', `/Users/${u.bo}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'shoeSize', value: 'x' }] }),
            400, 'invalidPath');
        scimError(await sc('PATCH', `/Users/${u.bo}`, { schemas: [PATCH], Operations: [{ op: 'move', path: 'title', value: 'x' }] }),
            400, 'invalidSyntax');
        scimError(await sc('PATCH', `/Users/${u.bo}`, { schemas: [PATCH], Operations: [] }), 400, 'invalidSyntax');
        // PUT: what it leaves out of what is kept is cleared.
        r = await sc('PUT', `/Users/${u.bo}`, {
            schemas: [U], userName: 'bo.d', displayName: 'Bo D', title: 'Tester', [ENT]: { department: 'IT' },
        });
        expectStatus(r, 200);
        assert.equal(r.json.displayName, 'Bo D');
        assert.equal(r.json.title, 'Tester');
        assert.equal(r.json.externalId, undefined, 'cleared');
        assert.equal(r.json[ENT].manager, undefined, 'cleared');
        assert.equal(r.json[ENT].employeeNumber, undefined, 'cleared');
        scimError(await sc('PUT', `/Users/${UNKNOWN}`, { schemas: [U], userName: 'zzz' }), 404, null);
    });

    test('6. Groups: create with members, filter, PATCH add and remove, PUT, DELETE', async () => {
        let r = await sc('POST', '/Groups', { schemas: [G], displayName: 'Buyers', externalId: 'g-1', members: [{ value: u.ann }] });
        expectStatus(r, 201);
        assert.equal(r.json.displayName, 'Buyers');
        assert.deepEqual(r.json.members.map((x) => [x.value, x.type]), [[u.ann, 'User']]);
        grp.buyers = r.json.id;
        r = await sc('POST', '/Groups', { schemas: [G], displayName: 'All staff', members: [{ value: grp.buyers }] });
        expectStatus(r, 201);
        assert.deepEqual(r.json.members.map((x) => x.type), ['Group']);
        grp.all = r.json.id;
        r = await sc('GET', `/Groups?filter=${encodeURIComponent('displayName eq "buyers"')}`);
        assert.deepEqual(r.json.Resources.map((x) => x.id), [grp.buyers]);
        r = await sc('GET', `/Groups?filter=${encodeURIComponent('externalId eq "g-1"')}`);
        assert.equal(r.json.totalResults, 1);
        scimError(await sc('GET', `/Groups?filter=${encodeURIComponent('userName eq "ann.lee"')}`), 400, 'invalidFilter',
            'a Users attribute on Groups');
        // Azure's add and remove.
        r = await sc('PATCH', `/Groups/${grp.buyers}`, {
            schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: u.bo }] }],
        });
        expectStatus(r, 200);
        assert.deepEqual(r.json.members.map((x) => x.value).sort(), [u.ann, u.bo].sort());
        r = await sc('PATCH', `/Groups/${grp.buyers}`, {
            schemas: [PATCH], Operations: [{ op: 'Remove', path: `members[value eq "${u.ann}"]` }],
        });
        expectStatus(r, 200);
        assert.deepEqual(r.json.members.map((x) => x.value), [u.bo]);
        // Everything of one PATCH in one transaction: a bad member, nothing.
        scimError(await sc('PATCH', `/Groups/${grp.buyers}`, {
            schemas: [PATCH], Operations: [
                { op: 'replace', path: 'displayName', value: 'Renamed' },
                { op: 'add', path: 'members', value: [{ value: UNKNOWN }] },
            ],
        }), 404, 'invalidValue');
        assert.equal((await sc('GET', `/Groups/${grp.buyers}`)).json.displayName, 'Buyers', 'not renamed');
        scimError(await sc('PATCH', `/Groups/${grp.buyers}`, {
            schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: grp.all }] }],
        }), 409, null, 'a cycle');
        // PUT: exactly these members.
        r = await sc('PUT', `/Groups/${grp.buyers}`, { schemas: [G], displayName: 'Purchasing', members: [{ value: u.ann }] });
        expectStatus(r, 200);
        assert.equal(r.json.displayName, 'Purchasing');
        assert.deepEqual(r.json.members.map((x) => x.value), [u.ann]);
        assert.equal(r.json.externalId, undefined);
        scimError(await sc('POST', '/Groups', { schemas: [G], displayName: 'purchasing' }), 409, 'uniqueness');
        scimError(await sc('POST', '/Groups', { schemas: [G] }), 400, 'invalidValue');
        // Entra ID looks groups up without their members.
        r = await sc('GET', `/Groups?filter=${encodeURIComponent('displayName eq "All staff"')}&excludedAttributes=members`);
        expectStatus(r, 200);
        assert.equal(r.json.Resources[0].members, undefined);
        r = await sc('GET', `/Groups/${grp.all}?attributes=displayName`);
        assert.equal(r.json.members, undefined);
        assert.equal(r.json.displayName, 'All staff');
        r = await sc('GET', `/Groups/${grp.all}?excludedAttributes=externalId`);
        assert.equal(r.json.members.length, 1);
        r = await sc('DELETE', `/Groups/${grp.all}`);
        assert.equal(r.status, 204);
        scimError(await sc('GET', `/Groups/${grp.all}`), 404, null);
        const ev = await events('group.member.add');
        assert.ok(ev.every((x) => x.actor === 'token:Okta'));
    });

    test('7. active=false offboards (the manager succeeds); true rehires; DELETE offboards', async () => {
        // bo had ann as manager until PUT cleared it: give it back.
        let r = await sc('PATCH', `/Users/${u.bo}`, {
            schemas: [PATCH], Operations: [{ op: 'add', path: `${ENT}:manager`, value: u.ann }],
        });
        expectStatus(r, 200);
        r = await sc('PATCH', `/Users/${u.bo}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
        expectStatus(r, 200);
        assert.equal(r.json.active, false);
        const e = await srv.api('GET', `/directory/employees/${u.bo}`, { token: tok.boss });
        assert.equal(e.json.state, 'offboarded');
        const off = (await events('employee.offboard')).find((x) => x.target_id === u.bo);
        assert.equal(off.details.successor_id, u.ann);
        r = await sc('PATCH', `/Users/${u.bo}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
        expectStatus(r, 200);
        assert.equal(r.json.active, true);
        // ann has no manager and the token's maker is no employee: no successor,
        // and nothing of the request is changed (Entra ID's string boolean too).
        scimError(await sc('DELETE', `/Users/${u.ann}`), 409, null, 'no successor');
        scimError(await sc('PATCH', `/Users/${u.ann}`, {
            schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'Gone' },
                { op: 'replace', path: 'active', value: 'False' }],
        }), 409, null, 'no successor, nothing changed');
        assert.equal((await sc('GET', `/Users/${u.ann}`)).json.title, 'Buyer');
        r = await sc('DELETE', `/Users/${u.bo}`);
        assert.equal(r.status, 204);
        assert.equal((await sc('GET', `/Users/${u.bo}`)).json.active, false);
    });

    test('8. the maker bounds the token; revoked and offboarded makers\' tokens stop at once', async () => {
        // mia, made tenant admin, makes a token; losing the role, the token loses it.
        const me = await srv.api('GET', '/me', { token: tok.mia });
        const grant = await srv.api('POST', '/access/assignments', {
            token: tok.boss, body: { role: 'tenant_admin', account_id: me.json.id, scope: 'tenant' },
        });
        expectStatus(grant, 201);
        const t = await srv.api('POST', '/access/tokens', { token: tok.mia, body: { name: 'Mia sync', scope: 'scim' } });
        expectStatus(t, 201);
        expectStatus(await sc('GET', '/Users', undefined, t.json.token), 200);
        expectStatus(await srv.api('DELETE', `/access/assignments/${grant.json.id}`, { token: tok.boss }), 204);
        scimError(await sc('GET', '/Users', undefined, t.json.token), 403, null, 'maker lost users.manage');
        // Offboarding the maker revokes its tokens (the api_tokens hook).
        await srv.api('POST', '/access/assignments', {
            token: tok.boss, body: { role: 'tenant_admin', account_id: me.json.id, scope: 'tenant' },
        });
        expectStatus(await sc('GET', '/Users', undefined, t.json.token), 200);
        const hire = await srv.api('POST', '/directory/employees', {
            token: tok.boss, body: { account_id: me.json.id, display_name: 'Mia', department_id: d.it },
        });
        expectStatus(hire, 201);
        const off = await srv.api('POST', `/directory/employees/${me.json.id}/offboard`, {
            token: tok.boss, body: { successor_id: u.ann },
        });
        expectStatus(off, 200);
        assert.deepEqual(off.json.offboarding.hooks.api_tokens, { revoked: 1 });
        scimError(await sc('GET', '/Users', undefined, t.json.token), 401, null, 'revoked by the offboarding');
        // An admin revokes a token: refused at once.
        expectStatus(await srv.api('DELETE', `/access/tokens/${tokenId}`, { token: tok.boss }), 204);
        scimError(await sc('GET', '/Users'), 401, null, 'revoked');
        expectError(await srv.api('DELETE', `/access/tokens/${tokenId}`, { token: tok.boss }), 404, 'not_found');
        const ev = await events('api_token.revoke');
        assert.equal(ev.length, 2);
        assert.ok(ev.some((x) => x.details.via === 'offboarding'));
    });

    test('9. tenant B\'s token reaches none of A\'s Users or Groups', async () => {
        const t = await srv.api('POST', '/access/tokens', { token: tok.olga, body: { name: 'Beta IdP', scope: 'scim' } });
        expectStatus(t, 201);
        const b = t.json.token;
        for (const [m, p, body] of [
            ['GET', `/Users/${u.ann}`], ['PUT', `/Users/${u.ann}`, { schemas: [U], userName: 'ann.lee' }],
            ['PATCH', `/Users/${u.ann}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'title', value: 'x' }] }],
            ['DELETE', `/Users/${u.ann}`], ['GET', `/Groups/${grp.buyers}`],
            ['PATCH', `/Groups/${grp.buyers}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [] }] }],
            ['PUT', `/Groups/${grp.buyers}`, { schemas: [G], displayName: 'Mine' }], ['DELETE', `/Groups/${grp.buyers}`],
        ]) scimError(await sc(m, p, body, b), 404, null, `${m} ${p}`);
        const r = await sc('GET', `/Users?filter=${encodeURIComponent('userName eq "ann.lee"')}`, undefined, b);
        assert.equal(r.json.totalResults, 0);
        scimError(await sc('POST', '/Groups', { schemas: [G], displayName: 'X', members: [{ value: u.ann }] }, b), 404, 'invalidValue');
        // A's token list is A's.
        const list = await srv.api('GET', '/access/tokens', { token: tok.olga });
        assert.deepEqual(list.json.items.map((x) => x.name), ['Beta IdP']);
        expectError(await srv.api('DELETE', `/access/tokens/${tokenId}`, { token: tok.olga }), 404, 'not_found');
    });

    test('10. every answer kept the generic rules (SCIM\'s in its own media type and error shape); no token in the log', () => {
        srv.checkResponses();
        srv.checkLogsClean();
    });
});
