// Shared steps of the employee and access suites: the API's view of things
// (every page of a list, departments and employees made over the API) and
// the console's search-and-choose fields (web/src/pick.js) driven as a
// person would: type part of a name, Enter, choose the result.
import assert from 'node:assert/strict';

import { auth } from './accounts.mjs';

/** Every item of a cursor-paged list as session @p s sees it. */
export async function apiAll(srv, s, path, query = {}) {
    const items = [];
    let cursor = null;
    for (let i = 0; i < 100; i++) {
        const qs = new URLSearchParams({ limit: '200', ...query, ...(cursor ? { cursor } : {}) });
        const r = await srv.api('GET', `${path}?${qs}`, auth(s));
        assert.equal(r.status, 200, `GET ${path}?${qs}: ${r.text}`);
        items.push(...r.json.items);
        cursor = r.json.next_cursor;
        if (!cursor) return items;
    }
    throw new Error(`GET ${path}: too many pages`);
}

/** A department made over the API; resolves its id. */
export async function mkDept(srv, s, name, parent = null) {
    const r = await srv.api('POST', '/directory/departments', {
        ...auth(s), body: parent ? { name, parent_id: parent } : { name },
    });
    assert.equal(r.status, 201, `department ${name}: ${r.text}`);
    return r.json.id;
}

/** An employee hired over the API (a new account); resolves the answer. */
export async function hireApi(srv, s, body) {
    const r = await srv.api('POST', '/directory/employees', { ...auth(s), body });
    assert.equal(r.status, 201, `hire ${body.username || body.account_id}: ${r.text}`);
    if (r.json.temporary_password) srv.secrets.add(r.json.temporary_password);
    return r.json;
}

/**
 * Choose @p name in the search-and-choose field @p testid: part of it typed
 * (@p typed), Enter, the result clicked; waits until it is the choice.
 */
export async function pick(page, testid, typed, name) {
    const q = page.getByTestId(`${testid}-q`);
    await q.fill(typed);
    await q.press('Enter');
    const option = page.locator(`[data-testid="${testid}-option"][data-name="${name}"]`);
    await option.waitFor();
    await option.click();
    await page.locator(`[data-testid="${testid}-chosen"]`, { hasText: name }).first().waitFor();
}

/** Wait until the list @p rowTestid of a loaded table (@p tableTestid) holds @p want (data-name values, in order). */
export async function expectRows(page, tableTestid, rowTestid, want, attr = 'name') {
    const w = JSON.stringify(want);
    try {
        await page.waitForFunction(([tt, rt, a, x]) => {
            const table = document.querySelector(`[data-testid="${tt}"]`);
            if (!table) {
                const e = document.querySelector('[data-testid="empty"]');
                return x === '[]' && !!e && !/…/.test(e.textContent);
            }
            if (table.getAttribute('aria-busy') === 'true') return false;
            return JSON.stringify([...table.querySelectorAll(`[data-testid="${rt}"]`)].map((r) => r.dataset[a])) === x;
        }, [tableTestid, rowTestid, attr, w], { timeout: 10000 });
    } catch {
        const got = await page.locator(`[data-testid="${rowTestid}"]`).evaluateAll((rs, a) => rs.map((r) => r.dataset[a]), attr);
        throw new Error(`${tableTestid}: rows ${JSON.stringify(got)}, expected ${w}`);
    }
}
