// One record (issue 12, part 6; DATA-1, DATA-3, DATA-6): its values as the
// API answers them (confidential ones masked, secret ones only for a holder
// of read_secret), a "Reveal" per masked value for a caller who holds the
// type's unmask (GET …?unmask=field: each value shown is an audited
// record.reveal event, and the screen says so), its change with the
// version it was read at (a stale one, 409 version_conflict, shows the
// version it has now and offers to reload it), its owner and department by
// name (GET /directory/employees/{id}, /directory/departments/{id}), handed
// to another owner or moved to another department (PATCH with the version:
// a target outside the caller's write reach is 403 naming owner_id or
// department_id, shown on that field), and its delete to the recycle bin
// (with an undo: restore). The controls that change the record are offered
// to a caller who may write it as far as the console can tell (GET /me's
// grants, the type's access, the record's owner and department); the
// server decides every request.
import { useState } from 'preact/hooks';

import { ApiError, call, del, get, patch, seg } from '../../api.js';
import { fmtNumber, t } from '../../i18n.js';
import { SearchPick, deptWhere, findDepartments, findEmployees } from '../../pick.js';
import { href } from '../../router.js';
import { mayIn } from '../../routes.js';
import { useMe } from '../../session.js';
import {
    html, ConfirmButton, Empty, ErrorBox, Form, Notice, Page, Time, fieldError, useAction, useLoad,
} from '../../ui.js';
import {
    FieldInput, None, Value, api, fieldLabel, formFields, hiddenIn, labelsOf, listHref, pathOf, recode, titleOf,
    useSchema, valuesOf, wire,
} from './common.js';

/** A masked value and its reveal (the type's unmask held somewhere: the server decides this record). */
function Masked({ f, rec, mayReveal }) {
    const [clear, setClear] = useState(null);
    const [run, busy, error] = useAction();
    const reveal = () => run(async () => {
        const ans = await get(`${api(rec.type)}/${seg(rec.id)}`, { query: { unmask: f.name } });
        const v = ans && ans.fields ? ans.fields[f.name] : undefined;
        setClear(v === undefined || v === null ? '' : String(v));
    });
    if (clear !== null) {
        const shown = { ...rec, fields: { ...rec.fields, [f.name]: clear }, masked: [] };
        return html`<span data-testid=${`rec-clear-${f.name}`}><${Value} f=${f} rec=${shown} /></span>
            <p class="hint" role="status" data-testid=${`rec-revealed-${f.name}`}>${t('records.revealed')}</p>`;
    }
    const hint = `rec-reveal-hint-${f.name}`;
    return html`<${Value} f=${f} rec=${rec} />
        ${mayReveal && html` <button type="button" class="secondary small" data-testid=${`rec-reveal-${f.name}`}
            disabled=${busy} aria-label=${t('records.reveal_named', { field: fieldLabel(f) })} aria-describedby=${hint}
            onClick=${reveal}>${t('records.reveal')}</button>
            <p id=${hint} class="hint">${t('records.reveal_hint')}</p>`}
        <${ErrorBox} error=${error} labels=${{ unmask: fieldLabel(f) }} testid=${`rec-reveal-error-${f.name}`} />`;
}

/** An employee's profile: the directory's page. */
const employeeHref = (id) => href(`/directory/employees/${seg(id)}`);
/** A department in the directory's tree. */
const departmentHref = (id) => href('/directory', { dept: id });

/** One answer of the directory, or {error} (a hidden department, an employee one may not see: 404). */
const lookUp = (path) => get(path).catch((e) => {
    if (e && e.name === 'AbortError') throw e;
    return { error: e };
});

/** The record's owner and department as the directory shows them: {owner, department} (each an answer or {error}). */
const usePlace = (rec) => useLoad(async () => {
    if (!rec) return null;
    const [owner, department] = await Promise.all([
        rec.owner_id ? lookUp(`/directory/employees/${seg(rec.owner_id)}`) : null,
        rec.department_id ? lookUp(`/directory/departments/${seg(rec.department_id)}`) : null,
    ]);
    return { owner, department };
}, [rec ? rec.owner_id : '', rec ? rec.department_id : '']);

/**
 * Whether @p me may change @p rec, as far as the console can tell: the
 * type's write scope (GET …/schema), the owner (own), a write grant over
 * the record's department or one above it, or team_write (the server
 * knows the departments one works in). The server decides.
 */
function mayWrite(me, schema, rec, department) {
    const w = schema.access.write;
    if (!me || !rec || w === 'none') return false;
    if (w === 'all') return true;
    if (rec.owner_id && rec.owner_id === me.id) return true;
    if (w === 'own') return false;
    const up = department && !department.error && Array.isArray(department.path) ? department.path.map((d) => d.id) : [];
    if (mayIn(me, `records.${rec.type}.write`, [rec.department_id, ...up])) return true;
    return Boolean(me.access && me.access.permissions.includes(`records.${rec.type}.team_write`));
}

/** The owner's name (a link to the profile), or why it is not shown. */
function OwnerName({ rec, place, me }) {
    if (!rec.owner_id) return html`<${None} />`;
    if (!place) return html`<span class="muted">${t('common.loading')}</span>`;
    const o = place.owner;
    if (!o || o.error) return html`<span class="muted" data-testid="rec-owner-hidden">${t('records.not_visible')}</span>`;
    return html`<a href=${employeeHref(o.id)} data-testid="rec-owner-link" data-id=${o.id}>${o.display_name}</a>${
        me && me.id === o.id ? html` <span class="hint">${t('records.you')}</span>` : ''}`;
}

/** The department's name (a link into the directory) and where it is. */
function DepartmentName({ rec, place }) {
    if (!rec.department_id) return html`<${None} />`;
    if (!place) return html`<span class="muted">${t('common.loading')}</span>`;
    const d = place.department;
    if (!d || d.error) return html`<span class="muted" data-testid="rec-department-hidden">${t('records.not_visible')}</span>`;
    return html`<a href=${departmentHref(d.id)} data-testid="rec-department-link" data-id=${d.id}>${d.name}</a>${' '}<span
        class="hint">${deptWhere(d.path)}</span>`;
}

/** The record's values, one row per field of the schema. */
function Values({ schema, rec, place, me }) {
    const shown = (schema.fields || []).filter((f) => f.level !== 'secret' || (rec.fields && f.name in rec.fields));
    return html`<dl class="props" data-testid="rec-values">
        ${shown.map((f) => html`<dt>${fieldLabel(f)}
                ${f.level === 'confidential' || f.level === 'secret' ? html` <span class="tag"
                    data-testid=${`rec-level-${f.name}`}>${t(`records.level_${f.level}`)}</span>` : ''}</dt>
            <dd data-testid=${`rec-prop-${f.name}`} data-field=${f.name}>
                ${(rec.masked || []).includes(f.name)
                ? html`<${Masked} key=${`${rec.id}-${rec.version}-${f.name}`} f=${f} rec=${rec} mayReveal=${schema.access.unmask} />`
                : html`<${Value} f=${f} rec=${rec} />`}</dd>`)}
        <dt>${t('records.owner')}</dt><dd data-testid="rec-owner" data-id=${rec.owner_id || ''}>
            <${OwnerName} rec=${rec} place=${place} me=${me} /></dd>
        <dt>${t('records.department')}</dt><dd data-testid="rec-department" data-id=${rec.department_id || ''}>
            <${DepartmentName} rec=${rec} place=${place} /></dd>
        <dt>${t('records.version')}</dt><dd data-testid="rec-version">${fmtNumber(rec.version)}</dd>
        <dt>${t('records.created')}</dt><dd><${Time} value=${rec.created_at} /></dd>
        <dt>${t('records.updated')}</dt><dd><${Time} value=${rec.updated_at} /></dd>
    </dl>`;
}

/** Links to the records under this one. */
function Related({ rec }) {
    const links = [];
    if (rec.type === 'customer') {
        for (const ty of ['contact', 'opportunity']) {
            links.push(html`<li><a href=${listHref(ty, { parent_id: rec.id })} data-testid=${`rec-related-${ty}`}>
                ${t(`records.type_${ty}_many`)}</a></li>`);
        }
    }
    if (rec.type !== 'activity') {
        links.push(html`<li><a href=${listHref('activity', { parent_id: rec.id })} data-testid="rec-related-activity">
            ${t('records.type_activity_many')}</a></li>`);
    }
    if (!links.length) return null;
    return html`<p class="below"><span class="muted">${t('records.related')}</span></p><ul class="inline">${links}</ul>`;
}

/** The body of a change: only what differs (an emptied value is cleared; a hidden one left empty is kept). */
function changes(schema, rec, v) {
    const out = {};
    for (const f of formFields(schema)) {
        const now = wire(f, v[f.name]);
        const hidden = hiddenIn(schema, f, rec);
        if (hidden) {
            if (now !== '') out[f.name] = now;
            continue;
        }
        const was = rec.fields ? rec.fields[f.name] : undefined;
        if (now === '' && was !== undefined) out[f.name] = null;
        else if (now !== '' && now !== was) out[f.name] = now;
    }
    return out;
}

const isStale = (error) => error instanceof ApiError && error.code === 'version_conflict';

/** A change refused because the record changed since it was read (409 version_conflict): the version now, a reload. */
function Stale({ error, rec, onReload, testid }) {
    const current = error.details ? error.details.current_version : null;
    return html`<div class="msg msg-error" role="alert" data-testid=${testid} data-code="version_conflict"
        data-current=${current ?? ''}>
        <p>${Number.isInteger(current) ? t('records.stale', { mine: fmtNumber(rec.version), now: fmtNumber(current) })
            : t('errors.version_conflict')}</p>
        <button type="button" class="secondary" data-testid=${`${testid}-reload`} onClick=${onReload}>
            ${t('records.reload')}</button>
    </div>`;
}

/**
 * The record handed to another owner or moved to another department, each
 * chosen by name and sent alone with the version the page shows. A target
 * the caller may not place records at is 403 naming the field: shown there.
 * mayOwner: the caller's write scope goes beyond its own records (one who
 * writes only its own may not give them away).
 */
function Placement({ rec, schema, mayOwner, onSaved, onReload }) {
    const [owner, setOwner] = useState(null);
    const [dept, setDept] = useState(null);
    const [run, busy, error] = useAction();
    const labels = labelsOf(schema);
    const send = (field, choice, done) => run(async () => {
        if (!choice) throw new ApiError(0, 'field_missing', '', field);
        let now;
        try {
            now = await patch(`${api(rec.type)}/${seg(rec.id)}`, { version: rec.version, [field]: choice.id });
        } catch (e) {
            // Only this one field was sent, so a refusal of the placement is about it: the API names owner_id for
            // a caller who writes only its own records, whatever was asked (docs/records.md, "Data permissions").
            if (e instanceof ApiError && e.code === 'forbidden' && (e.field === 'owner_id' || e.field === 'department_id')) {
                throw Object.assign(new ApiError(e.status, field === 'owner_id' ? 'records_owner_out_of_reach'
                    : 'records_department_out_of_reach', e.message, field, e.retryAt), { details: e.details });
            }
            throw e;
        }
        onSaved(now, done);
    });
    const fe = (name) => fieldError(error, name, labels);
    return html`<section class="panel" aria-labelledby="rec-place-title" data-testid="rec-place">
        <h2 id="rec-place-title">${t('records.place_title')}</h2>
        <p class="hint">${t('records.place_hint')}</p>
        ${isStale(error) ? html`<${Stale} error=${error} rec=${rec} onReload=${onReload} testid="rec-place-stale" />`
        : html`<${ErrorBox} error=${error} labels=${labels} testid="rec-place-error" />`}
        ${mayOwner && html`<${Form} onSubmit=${() => send('owner_id', owner, t('records.owner_changed', { name: owner ? owner.name : '' }))}
            busy=${busy} testid="rec-owner-form" label=${t('records.change_owner')}>
            <${SearchPick} id="rec-new-owner" testid="rec-new-owner" label=${t('records.new_owner')}
                hint=${t('records.new_owner_hint')} error=${fe('owner_id')} chosen=${owner ? [owner] : []}
                exclude=${rec.owner_id ? [rec.owner_id] : []} search=${findEmployees}
                onChoose=${setOwner} onRemove=${() => setOwner(null)} />
            <button type="submit" class="primary" data-testid="rec-owner-submit">${t('records.change_owner')}</button>
        <//>`}
        <${Form} onSubmit=${() => send('department_id', dept, t('records.moved', { name: dept ? dept.name : '' }))}
            busy=${busy} testid="rec-move-form" label=${t('records.move')}>
            <${SearchPick} id="rec-new-department" testid="rec-new-department" label=${t('records.new_department')}
                hint=${t('records.new_department_hint')} error=${fe('department_id')} chosen=${dept ? [dept] : []}
                exclude=${rec.department_id ? [rec.department_id] : []} search=${findDepartments}
                onChoose=${setDept} onRemove=${() => setDept(null)} />
            <button type="submit" class="primary" data-testid="rec-move-submit">${t('records.move')}</button>
        <//>
    </section>`;
}

function EditForm({ schema, rec, onSaved, onReload }) {
    const [v, setV] = useState(() => valuesOf(schema, rec));
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const labels = labelsOf(schema);
    const save = () => run(async () => {
        setNote('');
        const fields = changes(schema, rec, v);
        if (Object.keys(fields).length === 0) {
            setNote(t('records.unchanged'));
            return;
        }
        const now = await patch(`${api(rec.type)}/${seg(rec.id)}`, { version: rec.version, fields });
        onSaved(now);
    });
    return html`<section class="panel" aria-labelledby="rec-edit-title">
        <h2 id="rec-edit-title">${t('records.edit')}</h2>
        <p class="hint">${t('records.edit_version', { n: fmtNumber(rec.version) })}</p>
        <${Notice} text=${note} testid="rec-edit-notice" />
        ${isStale(error) ? html`<${Stale} error=${error} rec=${rec} onReload=${onReload} testid="rec-stale" />`
        : html`<${ErrorBox} error=${error} labels=${labels} testid="rec-edit-error" />`}
        <${Form} onSubmit=${save} busy=${busy} testid="rec-edit-form" label=${t('records.edit')}>
            ${formFields(schema).map((f) => html`<${FieldInput} key=${f.name} f=${f} v=${v[f.name]} labels=${labels}
                error=${error} hidden=${hiddenIn(schema, f, rec)} set=${(x) => setV((o) => ({ ...o, [f.name]: x }))} />`)}
            <button type="submit" class="primary" data-testid="rec-edit-submit">${t('common.save')}</button>
        <//>
    </section>`;
}

/** The delete, and once deleted its undo. */
function Delete({ rec, onDeleted, deleted, onRestored }) {
    const [run, busy, error] = useAction();
    const name = titleOf(rec);
    const remove = () => run(async () => {
        try {
            await del(`${api(rec.type)}/${seg(rec.id)}`);
        } catch (e) {
            throw e.code === 'conflict' ? recode(e, 'records_has_children') : e;
        }
        onDeleted();
    });
    const restore = () => run(async () => {
        try {
            onRestored(await call('POST', `${api(rec.type)}/${seg(rec.id)}/restore`));
        } catch (e) {
            throw e.code === 'conflict' ? recode(e, 'records_restore_conflict') : e;
        }
    });
    return html`<section class="panel" aria-labelledby="rec-delete-title">
        <h2 id="rec-delete-title">${t('records.delete_title')}</h2>
        <${ErrorBox} error=${error} testid="rec-delete-error" />
        ${deleted ? html`<p role="status" data-testid="rec-deleted">${t('records.deleted_note', { name })}</p>
            <p class="row"><button type="button" class="secondary" data-testid="rec-undo" disabled=${busy}
                onClick=${restore}>${t('records.restore')}</button>
                <a href=${href(`${pathOf(rec.type)}/bin`)} data-testid="rec-bin-link">${t('records.bin')}</a></p>`
        : html`<p class="hint">${t('records.delete_hint')}</p>
            <${ConfirmButton} label=${t('records.delete')} question=${t('records.delete_q', { name })} name=${name}
                testid="rec-delete" busy=${busy} onConfirm=${remove} />`}
    </section>`;
}

export function RecordPage({ type, params }) {
    const { me } = useMe();
    const id = params.id;
    const schema = useSchema(type);
    const rec = useLoad(() => get(`${api(type)}/${seg(id)}`), [type, id]);
    const [saved, setSaved] = useState(null); // the record as a change answered it
    const [deleted, setDeleted] = useState(false);
    const [note, setNote] = useState('');
    const r = saved || rec.data;
    const s = schema.data;
    const place = usePlace(r);
    const title = r ? titleOf(r) : rec.error ? t(`records.type_${type}`) : t('common.loading');
    const reload = async () => {
        setNote('');
        setSaved(null);
        await rec.reload();
    };
    const writes = Boolean(r && s && mayWrite(me, s, r, place.data && place.data.department));
    return html`<${Page} title=${title} testid="page-record"
        actions=${html`<a href=${listHref(type)} data-testid="rec-back">${t(`records.type_${type}_many`)}</a>`}>
        <${ErrorBox} error=${rec.error || schema.error} testid="rec-error" />
        ${(!r || !s) && !rec.error && !schema.error && html`<${Empty} loading=${true} />`}
        <${Notice} text=${note} testid="rec-saved" />
        ${r && s && html`<section class="panel" aria-labelledby="rec-values-title" data-testid="rec-props" data-id=${r.id}
            data-version=${r.version} data-may-unmask=${s.access.unmask ? 'true' : 'false'}
            data-may-write=${writes ? 'true' : 'false'} data-owner=${r.owner_id || ''} data-department=${r.department_id || ''}>
            <h2 id="rec-values-title">${t(`records.type_${type}`)}</h2>
            <${Values} key=${`${r.id}-${r.version}`} schema=${s} rec=${r} place=${place.data} me=${me} />
            <${Related} rec=${r} />
        </section>
        ${writes && !deleted && html`<${EditForm} key=${`${r.id}-${r.version}`} schema=${s} rec=${r}
            onReload=${reload}
            onSaved=${(now) => { setSaved(now); setNote(t('records.saved', { n: fmtNumber(now.version) })); }} />`}
        ${writes && !deleted && html`<${Placement} key=${`place-${r.id}-${r.version}`} schema=${s} rec=${r}
            mayOwner=${s.access.write === 'all' || s.access.write === 'subtree'} onReload=${reload}
            onSaved=${(now, text) => { setSaved(now); setNote(text); }} />`}
        ${writes && html`<${Delete} rec=${r} deleted=${deleted} onDeleted=${() => setDeleted(true)}
            onRestored=${(now) => { setDeleted(false); setSaved(now); setNote(t('records.restored', { name: titleOf(now) })); }} />`}`}
    <//>`;
}
