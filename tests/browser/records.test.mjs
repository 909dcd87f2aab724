// The console's CRM records screens (issue 12, part 6; DATA-1, DATA-3,
// DATA-4, DATA-6) in a real browser against a real server, driven by a
// tenant administrator and by a member: a type's list (two cursor pages,
// the cursor in the URL, a name search, masked values, no secret column),
// a record's page (masked values, a reveal that is audited, none offered to
// a member without unmask), a change with its version (a stale one shows
// the version now and reloads), a new record, its delete, restore and
// purge through the recycle bin, the pipeline (cards in their stages'
// columns; the stages edited, a stage in use refused), custom fields (one
// added, shown in the form; a bad name refused on its field), and the
// export (the progress bar reaches the rows the server announced, the file
// holds them and no secret field; a quota refusal says when to try again),
// a record's owner and department by name (moved, handed over with the
// version; a member's move out of her departments refused on its field; a
// reader who may not write offered nothing), and the quotas screen (the
// limits and one's use today; a limit changed, a bad value on its field;
// a member sees no form). Every answer shown is compared with the API's.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { PASSWORDS, closeDown, startServer } from '../api/lib/server.mjs';
import { activate, auth } from './lib/accounts.mjs';
import { axeViolations } from './lib/axe.mjs';
import { checkClean, expectScreen, launch, openPage, signIn } from './lib/browser.mjs';
import { apiAll, expectRows, hireApi, mkDept, pick } from './lib/people.mjs';
import { shot } from './lib/shots.mjs';

const SLOW = { timeout: 90000 };
const HOOK = { timeout: 180000 };
const CUSTOMERS = '/records/customers';
const ACME_PHONE = '+8613800138000';
const ACME_EMAIL = 'li.wei@acme.example';
const MALLORY_PHONE = '+8613900139000';

let browser;

before(async () => { browser = await launch(); }, HOOK);
after(async () => { await browser?.close(); }, HOOK);

/** The screen as it is: no serious axe finding, nothing unclean. */
async function checkScreen(p) {
    assert.deepEqual(await axeViolations(p.page), [], 'axe: serious or critical violations');
    await checkClean(p);
}

/** The records of a CSV text (RFC 4180: quoted fields may hold line breaks and doubled quotes). */
function parseCsv(text) {
    const rows = [];
    let row = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (q) {
            if (c === '"' && text[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
        } else if (c === '"') q = true;
        else if (c === ',') { row.push(cur); cur = ''; } else if (c === '\n') { row.push(cur.replace(/\r$/, '')); rows.push(row); row = []; cur = ''; } else cur += c;
    }
    if (cur !== '' || row.length) { row.push(cur); rows.push(row); }
    return rows;
}

describe('console: CRM records', () => {
    let srv;
    let A; // root's API session (acme admin)
    let M; // mallory's (a member)
    let admin; // root's browser page
    let member; // mallory's
    const d = {};
    const id = {}; // record key → id

    before(async () => {
        srv = await startServer({
            name: 'browser-records',
            tenants: [{ slug: 'acme', name: 'Acme Records', admin: 'root', users: [{ username: 'mallory' }] }],
        });
        for (const p of Object.values(PASSWORDS)) srv.secrets.add(p);
        for (const s of [ACME_PHONE, ACME_EMAIL, MALLORY_PHONE, '13800138000', '13900139000']) srv.secrets.add(s);
        const acme = srv.tenants.acme;
        A = await activate(srv, 'acme', 'root', acme.admin.temporary_password, PASSWORDS.admin);
        M = await activate(srv, 'acme', 'mallory', acme.users.mallory.temporary_password, PASSWORDS.p1);
        d.Company = await mkDept(srv, A, 'Company');
        d.Sales = await mkDept(srv, A, 'Sales', d.Company);
        await hireApi(srv, A, { account_id: acme.admin.id, display_name: 'Root', department_id: d.Company });
        await hireApi(srv, A, { account_id: acme.users.mallory.id, display_name: 'Mallory', department_id: d.Sales });
        // The suite reads far more than a person would in a minute.
        const q = await api('PUT', '/records/quotas', A, { body: { reads_per_minute: 100000, reads_per_day: 1000000 } });
        assert.equal(q.status, 200, q.text);
        // A long-text field: a value with line breaks, quoted in the CSV.
        const nf = await api('POST', '/records/customer/fields', A, {
            body: { name: 'notes', type: 'long_text', level: 'internal', label: 'Notes' },
        });
        assert.equal(nf.status, 201, nf.text);
        id.acme = (await mk('customer', {
            name: 'Acme Ltd', industry: 'Retail', phone: '138 0013 8000', email: 'Li.Wei@Acme.example',
            tax_id: '91310000MA1K', credit_limit: '5000000', notes: 'line one\nline "two", three',
        })).id;
        id.beta = (await mk('customer', { name: 'Beta Trading', industry: 'Wholesale' })).id;
        for (let i = 1; i <= 53; i++) await mk('customer', { name: `Customer ${String(i).padStart(2, '0')}` });
        id.mallory = (await mk('customer', { name: 'Mallory Co', phone: '139 0013 9000' }, M)).id;
        admin = await openPage(browser, srv.base);
        await admin.page.goto('/');
        await signIn(admin.page, 'acme', 'root', PASSWORDS.admin);
        await expectScreen(admin.page, 'signedin');
    }, HOOK);

    after(async () => {
        await admin?.close();
        await member?.close();
        await closeDown(srv);
    }, HOOK);

    function api(method, path, s = A, opts = {}) {
        return srv.api(method, path, { ...auth(s), ...opts });
    }
    async function mk(type, fields, s = A) {
        const r = await api('POST', `/records/${type}`, s, { body: { fields } });
        assert.equal(r.status, 201, `create ${type}: ${r.text}`);
        return r.json;
    }
    const names = async (s, type, query = {}) => (await apiAll(srv, s, `/records/${type}`, { sort: 'name', ...query }))
        .map((x) => x.fields[type === 'activity' ? 'subject' : 'name']);
    const open = async (page, hash, testid) => {
        await page.goto(`/#${hash}`);
        await page.getByTestId(testid).waitFor();
    };
    const shown = (page, want, table = 'rec-table') => expectRows(page, table, 'rec-row', want);
    const text = async (loc) => ((await loc.textContent()) || '').replace(/\s+/g, ' ').trim();

    test('1. a list: two cursor pages equal to the API\'s, the cursor in the URL, a search, masked values, no secret column', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-records-customers').click();
        await page.getByTestId('page-records').waitFor();
        assert.equal(await page.getByTestId('nav-records-customers').getAttribute('aria-current'), 'page');
        const all = await names(A, 'customer');
        assert.equal(all.length, 56, 'the admin reads every customer, the member\'s too');
        await shown(page, all.slice(0, 50));
        const heads = await page.locator('[data-testid="rec-table"] thead th').allTextContents();
        assert.deepEqual(heads.slice(0, 3), ['Name', 'Industry', 'Website']);
        assert.ok(heads.includes('Phone') && heads.includes('Tax ID'), `confidential columns: ${heads}`);
        assert.ok(!heads.includes('Credit limit'), 'no secret column in a list');
        assert.ok(!heads.includes('Notes'), 'long text is for the record page');
        const acme = page.locator(`[data-testid="rec-row"][data-id="${id.acme}"]`);
        assert.equal(await text(acme.locator('td[data-field="phone"]')), '138****8000');
        assert.equal(await acme.locator('[data-testid="rec-value-phone"]').getAttribute('data-masked'), 'true');
        assert.equal(await text(acme.locator('td[data-field="email"]')), 'l***@acme.example');
        assert.equal(await text(acme.locator('td[data-field="industry"]')), 'Retail');
        assert.ok(!(await page.locator('[data-testid="rec-table"]').textContent()).includes('5000000'));
        assert.equal(await page.getByTestId('rec-pager-prev').isDisabled(), true);
        await checkScreen(admin);
        await shot(page, 'records-customers');

        // Page 2: its cursor in the URL; a reload keeps it; Previous goes back.
        await page.getByTestId('rec-pager-next').click();
        await shown(page, all.slice(50));
        assert.match(new URL(page.url()).hash, /^#\/records\/customers\?cursor=./);
        assert.equal(await text(page.getByTestId('rec-pager-n')), 'Page 2');
        await page.reload();
        await expectScreen(page, 'signedin');
        await shown(page, all.slice(50));
        assert.equal(await page.getByTestId('rec-pager-next').isDisabled(), true);
        await page.getByTestId('rec-pager-prev').click();
        await shown(page, all.slice(0, 50));
        assert.equal(new URL(page.url()).hash, `#${CUSTOMERS}`);

        // A name search (a prefix, in the URL), then the newest first.
        await page.getByTestId('rec-q').fill('Customer 1');
        await page.getByTestId('rec-q').press('Enter');
        const found = await names(A, 'customer', { q: 'Customer 1' });
        assert.equal(found.length, 10);
        await shown(page, found);
        assert.equal(new URL(page.url()).hash, `#${CUSTOMERS}?q=Customer+1`);
        await page.getByTestId('rec-sort').selectOption('-updated_at');
        const newest = (await apiAll(srv, A, '/records/customer', { q: 'Customer 1', sort: '-updated_at' }))
            .map((x) => x.fields.name);
        assert.deepEqual(newest, [...found].reverse(), 'made in order: the newest is the last');
        await shown(page, newest);
        assert.match(new URL(page.url()).hash, /sort=-updated_at/);
        await page.getByTestId('rec-clear').click();
        await shown(page, all.slice(0, 50));
    });

    test('2. a record: masked values, an audited reveal, the secret value for its holder; a member sees no Reveal', SLOW, async () => {
        const { page } = admin;
        await open(page, CUSTOMERS, 'page-records');
        await page.locator(`[data-testid="rec-row"][data-id="${id.acme}"] [data-testid="rec-link"]`).click();
        await page.getByTestId('rec-props').waitFor();
        assert.equal(new URL(page.url()).hash, `#${CUSTOMERS}/${id.acme}`);
        assert.equal(await text(page.locator('#page-title')), 'Acme Ltd');
        assert.equal(await text(page.getByTestId('rec-prop-industry')), 'Retail');
        assert.equal(await text(page.getByTestId('rec-value-phone')), '138****8000');
        assert.equal(await text(page.getByTestId('rec-value-email')), 'l***@acme.example');
        assert.equal(await text(page.getByTestId('rec-value-tax_id')), '9***');
        // The admin holds read_secret: the page shows the secret value (audited by the API).
        assert.equal(await text(page.getByTestId('rec-value-credit_limit')), '50,000.00');
        assert.equal(await text(page.getByTestId('rec-value-notes')), 'line one line "two", three');
        assert.equal(await page.getByTestId('rec-props').getAttribute('data-may-unmask'), 'true');
        assert.equal(await page.getByTestId('rec-reveal-phone').count(), 1);
        assert.equal(await page.getByTestId('rec-reveal-industry').count(), 0, 'a clear value has no Reveal');
        assert.match(await text(page.locator('#rec-reveal-hint-phone')), /recorded in the audit log/);
        await checkScreen(admin);

        // The events of the phone's reveals (the secret value the page shows is one too).
        const phoneReveals = async () => (await apiAll(srv, A, '/audit/events', { action: 'record.reveal' }))
            .filter((e) => e.target_id === id.acme && JSON.stringify(e.details ?? {}).includes('"phone"'));
        const before = (await phoneReveals()).length;
        await page.getByTestId('rec-reveal-phone').click();
        assert.equal(await text(page.getByTestId('rec-clear-phone')), ACME_PHONE);
        assert.match(await text(page.getByTestId('rec-revealed-phone')), /recorded in the audit log/);
        assert.equal(await text(page.getByTestId('rec-value-email')), 'l***@acme.example', 'one value at a time');
        const ev = await phoneReveals();
        assert.equal(ev.length, before + 1, 'one record.reveal event for the phone shown');
        assert.equal(before, 0, 'no reveal of the phone before the click');
        assert.ok(!JSON.stringify(ev).includes(ACME_PHONE), 'never the value');
        assert.equal(ev[0].result, 'success');
        await page.evaluate(() => window.scrollTo(0, 0));
        await shot(page, 'record-customer');
        assert.deepEqual([ev[0].actor, ev[0].actor_id], ['root', srv.tenants.acme.admin.id]);
        await checkScreen(admin);

        // A member: only her own customer, masked, and no Reveal.
        member = await openPage(browser, srv.base);
        const mp = member.page;
        await mp.goto('/');
        await signIn(mp, 'acme', 'mallory', PASSWORDS.p1);
        await expectScreen(mp, 'signedin');
        await mp.getByTestId('nav-records-customers').click();
        await shown(mp, ['Mallory Co']);
        assert.deepEqual(await names(M, 'customer'), ['Mallory Co']);
        await mp.getByTestId('rec-link').click();
        await mp.getByTestId('rec-props').waitFor();
        assert.equal(await text(mp.getByTestId('rec-value-phone')), '139****9000');
        assert.equal(await mp.getByTestId('rec-props').getAttribute('data-may-unmask'), 'false');
        assert.equal(await mp.locator('[data-testid^="rec-reveal-"]').count(), 0, 'no Reveal without unmask');
        assert.equal(await mp.getByTestId('rec-prop-credit_limit').count(), 0, 'no secret field without read_secret');
        // Someone else's record does not exist for her.
        await open(mp, `${CUSTOMERS}/${id.acme}`, 'page-record');
        await mp.locator('[data-testid="rec-error"][data-code="not_found"]').waitFor();
        await checkScreen(member);
    });

    test('3. a change with its version; a stale one shows the version now and reloads', SLOW, async () => {
        const { page } = admin;
        await open(page, `${CUSTOMERS}/${id.beta}`, 'page-record');
        assert.equal(await page.getByTestId('rec-props').getAttribute('data-version'), '1');
        assert.equal(await page.getByTestId('rec-f-industry').inputValue(), 'Wholesale');
        assert.equal(await page.getByTestId('rec-f-phone').inputValue(), '');
        await page.getByTestId('rec-f-industry').fill('Logistics');
        // Someone else changes it meanwhile.
        const other = await api('PATCH', `/records/customer/${id.beta}`, A, { body: { version: 1, fields: { website: 'beta.example' } } });
        assert.equal(other.status, 200, other.text);
        await page.getByTestId('rec-edit-submit').click();
        const stale = page.getByTestId('rec-stale');
        await stale.waitFor();
        assert.equal(await stale.getAttribute('data-current'), '2');
        assert.match(await text(stale), /you changed version 1, it is now at version 2/);
        let now = await api('GET', `/records/customer/${id.beta}`);
        assert.equal(now.json.fields.industry, 'Wholesale', 'nothing saved');
        await checkScreen(admin);
        await page.getByTestId('rec-stale-reload').click();
        await page.locator('[data-testid="rec-props"][data-version="2"]').waitFor();
        assert.equal(await text(page.getByTestId('rec-prop-website')), 'beta.example');
        await page.getByTestId('rec-f-industry').fill('Logistics');
        await page.getByTestId('rec-f-phone').fill('021 6000 1234');
        srv.secrets.add('+862160001234');
        await page.getByTestId('rec-edit-submit').click();
        await page.locator('[data-testid="rec-props"][data-version="3"]').waitFor();
        assert.match(await text(page.getByTestId('rec-saved')), /version 3/);
        now = await api('GET', `/records/customer/${id.beta}`);
        assert.equal(now.json.version, 3);
        assert.equal(now.json.fields.industry, 'Logistics');
        assert.match(now.json.fields.phone, /^\d+\*+1234$/, 'masked as the directory masks a phone');
        assert.deepEqual(now.json.masked, ['phone']);
        assert.equal(await text(page.getByTestId('rec-value-phone')), now.json.fields.phone);
        // A bad value is refused on its field.
        await page.getByTestId('rec-f-email').fill('not an email');
        await page.getByTestId('rec-edit-submit').click();
        await page.locator('[data-testid="rec-edit-error"][data-code="field_invalid"]').waitFor();
        assert.equal(await text(page.getByTestId('rec-f-email-error')),
            '“E-mail” is not valid (wrong format or too long). Check it and try again.');
        assert.equal(await page.getByTestId('rec-f-email').getAttribute('aria-invalid'), 'true');
    });

    test('4. a new contact for a customer chosen by name; delete, the bin, restore, purge', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-records-contacts').click();
        await page.getByTestId('page-records').waitFor();
        await page.getByTestId('rec-tab-new').click();
        await page.getByTestId('rec-new-form').waitFor();
        assert.equal(await page.getByTestId('rec-f-id_number').count(), 1, 'the admin may set a secret field');
        // Required fields missing: named by the API.
        await page.getByTestId('rec-new-submit').click();
        await page.locator('[data-testid="rec-new-error"][data-code="field_missing"]').waitFor();
        await pick(page, 'rec-f-customer_id', 'Acm', 'Acme Ltd');
        await page.getByTestId('rec-f-name').fill('Li Wei');
        await page.getByTestId('rec-f-title').fill('Buyer');
        await page.getByTestId('rec-f-email').fill(ACME_EMAIL);
        await pick(page, 'rec-department', 'Sal', 'Sales');
        await checkScreen(admin);
        await page.getByTestId('rec-new-submit').click();
        await page.getByTestId('page-record').waitFor();
        const cid = await page.getByTestId('rec-props').getAttribute('data-id');
        const c = await api('GET', `/records/contact/${cid}`);
        assert.equal(c.status, 200, c.text);
        assert.equal(c.json.parent_id, id.acme);
        assert.equal(c.json.department_id, d.Sales);
        assert.deepEqual([c.json.fields.name, c.json.fields.title, c.json.fields.email], ['Li Wei', 'Buyer', 'l***@acme.example']);
        assert.equal(await page.getByTestId('rec-value-customer_id').getAttribute('data-id'), id.acme);

        // The customer cannot go while its contact lives.
        await open(page, `${CUSTOMERS}/${id.acme}`, 'page-record');
        await page.getByTestId('rec-delete').click();
        await page.getByTestId('rec-delete-yes').click();
        await page.locator('[data-testid="rec-delete-error"][data-code="records_has_children"]').waitFor();

        // The contact to the bin, back, to the bin again, then for good.
        await open(page, `/records/contacts/${cid}`, 'page-record');
        await page.getByTestId('rec-delete').click();
        await page.getByTestId('rec-delete-yes').click();
        await page.getByTestId('rec-deleted').waitFor();
        assert.equal((await api('GET', `/records/contact/${cid}`)).status, 404);
        await page.getByTestId('rec-bin-link').click();
        await page.getByTestId('page-records-bin').waitFor();
        await shown(page, ['Li Wei'], 'rec-bin-table');
        await checkScreen(admin);
        await page.getByTestId('rec-restore').click();
        await page.locator('[data-testid="rec-bin-notice"]', { hasText: 'Li Wei is back.' }).waitFor();
        await shown(page, [], 'rec-bin-table');
        assert.equal((await api('GET', `/records/contact/${cid}`)).status, 200);
        assert.equal((await api('DELETE', `/records/contact/${cid}`)).status, 204);
        await page.reload();
        await expectScreen(page, 'signedin');
        await shown(page, ['Li Wei'], 'rec-bin-table');
        await page.getByTestId('rec-purge').click();
        await page.getByTestId('rec-purge-yes').click();
        await page.locator('[data-testid="rec-bin-notice"]', { hasText: 'Li Wei was deleted for good.' }).waitFor();
        await shown(page, [], 'rec-bin-table');
        const binNow = await api('GET', '/records/contact/bin');
        assert.deepEqual(binNow.json.items, []);
        assert.equal((await api('POST', `/records/contact/${cid}/restore`)).status, 404, 'gone for good');
    });

    test('5. the pipeline: cards in their stages\' columns; the stages edited; a stage in use kept', SLOW, async () => {
        const { page } = admin;
        const opp = async (name, stage, amount) => (await mk('opportunity', {
            customer_id: id.beta, name, currency: 'CNY', stage, amount,
        })).id;
        await opp('Deal A', 'lead', '100000');
        await opp('Deal B', 'lead', '250000');
        await opp('Deal C', 'proposal', '990000');
        await page.getByTestId('nav-records-pipeline').click();
        await page.getByTestId('pipe-board').waitFor();
        const cols = await page.getByTestId('pipe-col').evaluateAll((cs) => cs.map((c) => [c.dataset.stage,
            [...c.querySelectorAll('[data-testid="pipe-card"]')].map((x) => x.dataset.name)]));
        const stages = (await api('GET', '/records/pipeline')).json.stages.map((s) => s.key);
        assert.deepEqual(cols.map((c) => c[0]), stages, 'a column per stage, in order');
        const want = {};
        for (const s of stages) want[s] = await names(A, 'opportunity', { where: `stage:${s}` });
        assert.deepEqual(Object.fromEntries(cols), want);
        assert.deepEqual(want.lead, ['Deal A', 'Deal B']);
        assert.deepEqual(want.proposal, ['Deal C']);
        await shot(page, 'records-pipeline');
        const card = page.locator('[data-testid="pipe-card"][data-name="Deal C"]');
        assert.match(await text(card), /^Deal C\s*\*\*\* CNY$/, 'the amount masked as a list shows it');
        await checkScreen(admin);

        // A stage added and moved up to the second place.
        await page.getByTestId('pipe-add').click();
        const n = stages.length;
        await page.locator(`#pipe-key-${n}`).fill('demo');
        await page.locator(`#pipe-label-${n}`).fill('Demo done');
        for (let i = n; i > 1; i--) await page.getByTestId(`pipe-up-${i}`).click();
        await page.getByTestId('pipe-save').click();
        await page.locator('[data-testid="pipe-saved"]:not([hidden])').waitFor();
        const saved = (await api('GET', '/records/pipeline')).json.stages;
        assert.deepEqual(saved.map((s) => s.key), [stages[0], 'demo', ...stages.slice(1)]);
        assert.equal(saved[1].label, 'Demo done');
        await page.locator('[data-testid="pipe-col"][data-stage="demo"]').waitFor();
        assert.deepEqual(await page.getByTestId('pipe-col').evaluateAll((cs) => cs.map((c) => c.dataset.stage)),
            saved.map((s) => s.key));
        // "lead" is in use: refused, nothing changes.
        await page.getByTestId('pipe-remove-0').click();
        await page.getByTestId('pipe-save').click();
        await page.locator('[data-testid="pipe-edit-error"][data-code="records_stage_in_use"]').waitFor();
        assert.match(await text(page.getByTestId('pipe-edit-error')), /still the stage of an opportunity/);
        assert.deepEqual((await api('GET', '/records/pipeline')).json.stages, saved);
        await checkScreen(admin);
        // The member sees the board (her own opportunities: none) without the editor.
        await open(member.page, '/records/pipeline', 'page-pipeline');
        await member.page.getByTestId('pipe-board').waitFor();
        assert.equal(await member.page.getByTestId('pipe-card').count(), 0);
        assert.equal(await member.page.getByTestId('pipe-editor').count(), 0);
    });

    test('6. custom fields: a bad name on its field; a field added, listed with its level, in the form', SLOW, async () => {
        const { page } = admin;
        await page.getByTestId('nav-records-fields').click();
        await page.getByTestId('cf-table').waitFor();
        const schema = (await api('GET', '/records/customer/schema')).json;
        const rows = await page.getByTestId('cf-row').evaluateAll((rs) => rs.map((r) => [r.dataset.name, r.dataset.level]));
        assert.deepEqual(rows, schema.fields.map((f) => [f.name, f.level]));
        await page.getByTestId('cf-name').fill('Bad Name');
        await page.getByTestId('cf-submit').click();
        await page.locator('[data-testid="cf-error"][data-code="field_invalid"]').waitFor();
        assert.equal(await page.getByTestId('cf-name').getAttribute('aria-invalid'), 'true');
        assert.match(await text(page.getByTestId('cf-name-error')), /“Name” is not valid/);
        await page.getByTestId('cf-name').fill('vip_since');
        await page.getByTestId('cf-label').fill('VIP since');
        await page.getByTestId('cf-type').selectOption('date');
        await page.getByTestId('cf-level').selectOption('confidential');
        await page.getByTestId('cf-indexed').check();
        await checkScreen(admin);
        await shot(page, 'records-fields');
        await page.getByTestId('cf-submit').click();
        await page.locator('[data-testid="cf-row"][data-name="vip_since"]').waitFor();
        const f = (await api('GET', '/records/customer/schema')).json.fields.find((x) => x.name === 'vip_since');
        assert.deepEqual([f.type, f.level, f.indexed, f.label, f.built_in], ['date', 'confidential', true, 'VIP since', false]);
        assert.equal(await text(page.locator('[data-testid="cf-row"][data-name="vip_since"] [data-testid="cf-row-level"]')),
            'Confidential');
        // The same name again: taken.
        await page.getByTestId('cf-name').fill('vip_since');
        await page.getByTestId('cf-submit').click();
        await page.locator('[data-testid="cf-error"][data-code="records_field_taken"]').waitFor();
        // In the new customer's form, and stored by it.
        await open(page, `${CUSTOMERS}/new`, 'page-record-new');
        assert.equal(await text(page.locator('label[for="rec-f-vip_since"]')), 'VIP since');
        await page.getByTestId('rec-f-name').fill('Gamma VIP');
        await page.getByTestId('rec-f-vip_since').fill('2024-05-01');
        await page.getByTestId('rec-new-submit').click();
        await page.getByTestId('page-record').waitFor();
        assert.equal(await text(page.getByTestId('rec-value-vip_since')), '***');
        await page.getByTestId('rec-reveal-vip_since').click();
        assert.equal(await text(page.getByTestId('rec-clear-vip_since')), '2024-05-01');
        // A member sees the fields but may not add one.
        await open(member.page, '/records/fields', 'page-record-fields');
        await member.page.locator('[data-testid="cf-row"][data-name="vip_since"]').waitFor();
        assert.equal(await member.page.getByTestId('cf-new').count(), 0);
    });

    test('7. export: the progress bar reaches the rows announced, the file holds them and no secret; a quota says when', SLOW, async () => {
        const { page } = admin;
        await open(page, CUSTOMERS, 'page-records');
        // Every customer the admin reads, the notes' line breaks quoted.
        const all = await names(A, 'customer');
        await shown(page, all.slice(0, 50));
        await page.getByTestId('rec-export-start').click();
        const bar = page.getByTestId('rec-export-progress');
        await page.locator('[data-testid="rec-export-progress"][data-phase="done"]').waitFor();
        assert.equal(await bar.getAttribute('data-max'), String(all.length), 'Salesvault-Export-Rows');
        assert.equal(await bar.getAttribute('data-rows'), String(all.length), 'the bar reaches its max');
        const prog = page.getByTestId('rec-export-bar');
        assert.equal(await prog.evaluate((p) => [p.value, p.max].join('/')), `${all.length}/${all.length}`);
        assert.match(await text(bar), new RegExp(`Export finished: ${all.length} records`));
        await checkScreen(admin);
        await page.getByTestId('rec-export').scrollIntoViewIfNeeded();
        await shot(page, 'records-export');
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('rec-export-file').click()]);
        assert.match(dl.suggestedFilename(), /^customer-\d{4}-\d{2}-\d{2}\.csv$/);
        const csv = parseCsv(await readFile(await dl.path(), 'utf8'));
        const head = csv[0];
        assert.deepEqual(head.slice(0, 6), ['id', 'owner_id', 'department_id', 'parent_id', 'created_at', 'updated_at']);
        assert.ok(head.includes('phone') && head.includes('notes'), `columns: ${head}`);
        assert.ok(!head.includes('credit_limit'), 'no secret column');
        assert.equal(csv.length - 1, all.length, 'a row per record');
        assert.deepEqual(csv.slice(1).map((r) => r[head.indexOf('name')]), all, 'in name order');
        const acme = csv.find((r) => r[0] === id.acme);
        assert.equal(acme[head.indexOf('phone')], '138****8000');
        assert.equal(acme[head.indexOf('notes')], 'line one\nline "two", three');
        assert.ok(!csv.flat().includes('5000000'));

        // A search's export: its rows only.
        await page.getByTestId('rec-q').fill('Customer 5');
        await page.getByTestId('rec-q').press('Enter');
        await shown(page, ['Customer 50', 'Customer 51', 'Customer 52', 'Customer 53']);
        await page.getByTestId('rec-export-start').click();
        await page.locator('[data-testid="rec-export-progress"][data-phase="done"][data-rows="4"][data-max="4"]').waitFor();

        // Over the day's export allowance: refused, with when to try again.
        const q = await api('PUT', '/records/quotas', A, { body: { export_rows_per_day: 1 } });
        assert.equal(q.status, 200, q.text);
        await page.getByTestId('rec-export-start').click();
        const err = page.locator('[data-testid="rec-export-error"][data-code="records_quota_exceeded"]');
        await err.waitFor();
        assert.equal(await err.getAttribute('data-field'), 'export_rows_per_day');
        assert.match(await text(err), /^You have reached your daily export allowance\. Try again in \d+ (hours?|minutes?|seconds?) \(at .+\)\.$/);
        assert.equal(await page.getByTestId('rec-export-progress').count(), 0);
        await checkScreen(admin);
    });

    test('8. in Chinese: the navigation, a list and a record page', SLOW, async () => {
        const { page } = admin;
        await open(page, `${CUSTOMERS}/${id.acme}`, 'page-record');
        await page.getByTestId('lang-select').selectOption('zh-CN');
        await page.locator('[data-testid="nav-records-customers"]', { hasText: '客户' }).waitFor();
        await page.getByTestId('page-record').waitFor();
        assert.equal(await text(page.getByTestId('rec-reveal-email')), '显示完整内容');
        assert.match(await text(page.locator('#rec-reveal-hint-email')), /审计日志/);
        await open(page, CUSTOMERS, 'page-records');
        assert.equal(await text(page.locator('#page-title')), '客户');
        assert.equal(await text(page.getByTestId('rec-export-start')), '导出为 CSV');
        await checkScreen(admin);
        await page.getByTestId('lang-select').selectOption('en');
    });

    test('9. owner and department by name; a move and a new owner sent with the version; out of reach on its field; no controls for a reader', SLOW, async () => {
        const { page } = admin;
        const acme = srv.tenants.acme;
        const rid = (await mk('customer', { name: 'Delta Corp', industry: 'Energy' })).id;
        let now = (await api('GET', `/records/customer/${rid}`)).json;
        assert.deepEqual([now.owner_id, now.department_id], [acme.admin.id, d.Company], 'the caller, in its main department');
        await open(page, `${CUSTOMERS}/${rid}`, 'page-record');
        await page.getByTestId('rec-owner-link').waitFor();
        assert.equal(await text(page.getByTestId('rec-owner-link')), 'Root');
        assert.equal(await page.getByTestId('rec-owner-link').getAttribute('href'), `#/directory/employees/${acme.admin.id}`);
        assert.equal(await text(page.getByTestId('rec-owner')), 'Root (you)');
        assert.equal(await text(page.getByTestId('rec-department-link')), 'Company');
        assert.equal(await page.getByTestId('rec-department-link').getAttribute('href'), `#/directory?dept=${d.Company}`);
        assert.equal(await page.getByTestId('rec-props').getAttribute('data-may-write'), 'true');
        await checkScreen(admin);

        // To Sales: the department chosen by name, sent with version 1.
        await pick(page, 'rec-new-department', 'Sal', 'Sales');
        await page.getByTestId('rec-move-submit').click();
        await page.locator(`[data-testid="rec-props"][data-version="2"][data-department="${d.Sales}"]`).waitFor();
        assert.equal(await text(page.getByTestId('rec-saved')), 'The record is now in Sales.');
        await page.locator('[data-testid="rec-department-link"]', { hasText: 'Sales' }).waitFor();
        assert.match(await text(page.getByTestId('rec-department')), /^Sales in Company$/);
        now = (await api('GET', `/records/customer/${rid}`)).json;
        assert.deepEqual([now.version, now.department_id, now.owner_id], [2, d.Sales, acme.admin.id], 'moved, same owner');

        // A new owner, but someone changed the record meanwhile: the version now, nothing saved; then again.
        const other = await api('PATCH', `/records/customer/${rid}`, A, { body: { version: 2, fields: { website: 'delta.example' } } });
        assert.equal(other.status, 200, other.text);
        await pick(page, 'rec-new-owner', 'Mal', 'Mallory');
        await page.getByTestId('rec-owner-submit').click();
        await page.locator('[data-testid="rec-place-stale"][data-current="3"]').waitFor();
        assert.equal((await api('GET', `/records/customer/${rid}`)).json.owner_id, acme.admin.id, 'nothing saved');
        await page.getByTestId('rec-place-stale-reload').click();
        await page.locator('[data-testid="rec-props"][data-version="3"]').waitFor();
        await pick(page, 'rec-new-owner', 'Mal', 'Mallory');
        await checkScreen(admin);
        await page.getByTestId('rec-owner-submit').click();
        await page.locator(`[data-testid="rec-props"][data-version="4"][data-owner="${acme.users.mallory.id}"]`).waitFor();
        assert.equal(await text(page.getByTestId('rec-saved')), 'Mallory is now the owner.');
        await page.locator('[data-testid="rec-owner-link"]', { hasText: 'Mallory' }).waitFor();
        assert.equal(await page.getByTestId('rec-owner-link').getAttribute('href'), `#/directory/employees/${acme.users.mallory.id}`);
        now = (await api('GET', `/records/customer/${rid}`)).json;
        assert.deepEqual([now.version, now.owner_id, now.department_id], [4, acme.users.mallory.id, d.Sales]);
        await page.getByTestId('rec-props').scrollIntoViewIfNeeded();
        await shot(page, 'record-placement');

        // Mallory (her own records only) may move hers but not out of her departments, and may not give it away.
        const mp = member.page;
        await open(mp, `${CUSTOMERS}/${rid}`, 'page-record');
        await mp.locator('[data-testid="rec-owner-link"]', { hasText: 'Mallory' }).waitFor();
        assert.equal(await text(mp.getByTestId('rec-department-link')), 'Sales');
        assert.equal(await mp.getByTestId('rec-props').getAttribute('data-may-write'), 'true');
        await mp.getByTestId('rec-move-form').waitFor();
        assert.equal(await mp.getByTestId('rec-owner-form').count(), 0, 'no owner change for her own records only');
        await pick(mp, 'rec-new-department', 'Comp', 'Company');
        await mp.getByTestId('rec-move-submit').click();
        await mp.locator('[data-testid="rec-place-error"][data-code="records_department_out_of_reach"]').waitFor();
        assert.equal(await text(mp.getByTestId('rec-new-department-error')),
            'You may not place records of this type in this department.');
        assert.equal(await mp.getByTestId('rec-new-department-q').getAttribute('aria-invalid'), 'true');
        assert.equal((await api('GET', `/records/customer/${rid}`)).json.department_id, d.Sales, 'not moved');
        await checkScreen(member);

        // A reader who may not write (the team's customers, read only): names, no controls.
        const role = await api('POST', '/access/roles', A, {
            body: { name: 'Customer readers', permissions: ['records.customer.team_read'] },
        });
        assert.equal(role.status, 201, role.text);
        const g = await api('POST', '/access/assignments', A, {
            body: { role: role.json.id, account_id: acme.users.mallory.id, scope: 'tenant' },
        });
        assert.equal(g.status, 201, g.text);
        const eps = (await api('POST', '/records/customer', A, {
            body: { fields: { name: 'Epsilon Ltd' }, department_id: d.Sales },
        })).json.id;
        assert.equal((await api('GET', `/records/customer/${eps}`, M)).status, 200, 'she reads it');
        const refused = await api('PATCH', `/records/customer/${eps}`, M, { body: { version: 1, department_id: d.Sales } });
        assert.equal(refused.status, 403, 'she may not change it');
        await mp.reload();
        await expectScreen(mp, 'signedin');
        await open(mp, `${CUSTOMERS}/${eps}`, 'page-record');
        await mp.getByTestId('rec-owner-link').waitFor();
        assert.equal(await text(mp.getByTestId('rec-owner-link')), 'Root');
        assert.equal(await text(mp.getByTestId('rec-department-link')), 'Sales');
        assert.equal(await mp.getByTestId('rec-props').getAttribute('data-may-write'), 'false');
        for (const tid of ['rec-place', 'rec-owner-form', 'rec-move-form', 'rec-edit-form', 'rec-delete']) {
            assert.equal(await mp.getByTestId(tid).count(), 0, `no ${tid}`);
        }
        await checkScreen(member);
    });

    test('10. quotas: the limits and one\'s use today; a limit changed, a bad value on its field; a member sees no form', SLOW, async () => {
        const { page } = admin;
        const quotas = async (s = A) => {
            const r = await api('GET', '/records/quotas', s);
            assert.equal(r.status, 200, r.text);
            return r.json;
        };
        const n = (x) => x.toLocaleString('en-US');
        /** The screen's rows against the API's answers before (q0) and after (q1) it loaded: reads lag, the rest are exact. */
        const expectUsage = async (p, q0, q1) => {
            const rows = await p.getByTestId('quota-row').evaluateAll((rs) => rs.map((r) => [r.dataset.key, r.dataset.limit, r.dataset.used]));
            assert.deepEqual(rows.map((r) => r[0]), ['reads_per_minute', 'reads_per_day', 'unmasks_per_day', 'export_rows_per_day']);
            for (const [key, limit, used] of rows) {
                assert.equal(Number(limit), q1.limits[key], key);
                assert.equal(await text(p.getByTestId(`quota-limit-${key}`)), q1.limits[key] === 0 ? 'None allowed' : n(q1.limits[key]));
            }
            const used = Object.fromEntries(rows.map((r) => [r[0], r[2]]));
            assert.equal(used.reads_per_minute, '', 'no use per minute is reported');
            assert.equal(Number(used.unmasks_per_day), q1.used.unmasks_today);
            assert.equal(Number(used.export_rows_per_day), q1.used.export_rows_today);
            const reads = Number(used.reads_per_day);
            assert.ok(q0.used.reads_today <= reads && reads <= q1.used.reads_today, `reads ${q0.used.reads_today} ≤ ${reads} ≤ ${q1.used.reads_today}`);
            assert.equal(await text(p.getByTestId('quota-used-unmasks_per_day')), n(q1.used.unmasks_today));
            const bar = p.getByTestId('quota-bar-unmasks_per_day');
            assert.deepEqual(await bar.evaluate((b) => [b.value, b.max]),
                [Math.min(q1.used.unmasks_today, q1.limits.unmasks_per_day), q1.limits.unmasks_per_day]);
            const ends = Number(await p.getByTestId('quota-day-ends').getAttribute('data-seconds'));
            assert.ok(Math.abs(ends - q1.day_ends_in) <= 5 && ends > 0, `day ends in ${ends}, API ${q1.day_ends_in}`);
            return used;
        };

        const q0 = await quotas();
        assert.equal(q0.limits.unmasks_per_day, 200, 'the default');
        assert.deepEqual([q0.limits.reads_per_minute, q0.limits.reads_per_day, q0.limits.export_rows_per_day], [100000, 1000000, 1],
            'as this suite set them');
        assert.ok(q0.used.unmasks_today >= 2 && q0.used.export_rows_today >= 61, JSON.stringify(q0.used));
        await page.getByTestId('nav-records-quotas').click();
        await page.getByTestId('quota-table').waitFor();
        assert.equal(await page.getByTestId('nav-records-quotas').getAttribute('aria-current'), 'page');
        await expectUsage(page, q0, await quotas());
        assert.equal(await text(page.getByTestId('quota-limit-unmasks_per_day')), '200');
        assert.match(await text(page.getByTestId('quota-day-ends')),
            /^The daily counts start over in \d+ (hours?|minutes?|seconds?) \(at .+\)\.$/);
        assert.equal(await page.getByTestId('quota-f-unmasks_per_day').inputValue(), '200');
        await checkScreen(admin);
        await shot(page, 'records-quotas');

        // Out of its bounds: refused on its field, nothing changed.
        const updates = async () => (await apiAll(srv, A, '/audit/events', { action: 'record.quota.update' })).length;
        const events = await updates();
        await page.getByTestId('quota-f-reads_per_minute').fill('0');
        await page.getByTestId('quota-f-unmasks_per_day').fill('150');
        await page.getByTestId('quota-save').click();
        await page.locator('[data-testid="quota-edit-error"][data-code="field_invalid"]').waitFor();
        assert.equal(await text(page.getByTestId('quota-f-reads_per_minute-error')),
            '“Records read per minute” is not valid (wrong format or too long). Check it and try again.');
        assert.equal(await page.getByTestId('quota-f-reads_per_minute').getAttribute('aria-invalid'), 'true');
        assert.equal(await page.getByTestId('quota-f-unmasks_per_day').getAttribute('aria-invalid'), null);
        assert.deepEqual((await quotas()).limits, q0.limits, 'nothing changed');
        await checkScreen(admin);

        // One limit changed (separators allowed): saved, shown, and the API answers it.
        await page.getByTestId('quota-f-reads_per_minute').fill('100,000');
        await page.getByTestId('quota-save').click();
        await page.locator('[data-testid="quota-saved"]:not([hidden])').waitFor();
        assert.equal(await text(page.getByTestId('quota-saved')), 'The limits are saved.');
        const q1 = await quotas();
        assert.deepEqual(q1.limits, { ...q0.limits, unmasks_per_day: 150 });
        assert.equal(await text(page.getByTestId('quota-limit-unmasks_per_day')), '150');
        assert.equal(await page.getByTestId('quota-f-unmasks_per_day').inputValue(), '150');
        assert.equal(await updates(), events + 1, 'one record.quota.update event');

        // A member: the same limits, her own use, no form.
        const mp = member.page;
        const m0 = await quotas(M);
        assert.ok(m0.used.reads_today > 0, 'she has read records today');
        await open(mp, '/records/quotas', 'page-record-quotas');
        await mp.getByTestId('quota-table').waitFor();
        const used = await expectUsage(mp, m0, await quotas(M));
        assert.deepEqual([used.unmasks_per_day, used.export_rows_per_day], ['0', '0']);
        assert.equal(await text(mp.getByTestId('quota-limit-unmasks_per_day')), '150');
        assert.equal(await mp.getByTestId('quota-editor').count(), 0);
        assert.equal(await mp.getByTestId('quota-form').count(), 0);
        await checkScreen(member);
        await mp.getByTestId('lang-select').selectOption('zh-CN');
        await mp.locator('#page-title', { hasText: '使用限额' }).waitFor();
        assert.match(await text(mp.getByTestId('quota-day-ends')), /^每日计数将在.+重新开始。$/);
        await checkScreen(member);
        await mp.getByTestId('lang-select').selectOption('en');
    });
});
