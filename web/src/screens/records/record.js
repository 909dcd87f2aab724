// One record (issue 12, part 6; DATA-1, DATA-3, DATA-6): its values as the
// API answers them (confidential ones masked, secret ones only for a holder
// of read_secret), a "Reveal" per masked value for a caller who holds the
// type's unmask (GET …?unmask=field: each value shown is an audited
// record.reveal event, and the screen says so), its change with the
// version it was read at (a stale one, 409 version_conflict, shows the
// version it has now and offers to reload it), and its delete to the
// recycle bin (with an undo: restore).
import { useState } from 'preact/hooks';

import { ApiError, call, del, get, patch, seg } from '../../api.js';
import { fmtNumber, t } from '../../i18n.js';
import { href } from '../../router.js';
import { html, ConfirmButton, Empty, ErrorBox, Form, Notice, Page, Time, useAction, useLoad } from '../../ui.js';
import {
    FieldInput, Value, api, fieldLabel, formFields, hiddenIn, labelsOf, listHref, pathOf, recode, titleOf,
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

/** The record's values, one row per field of the schema. */
function Values({ schema, rec }) {
    const shown = (schema.fields || []).filter((f) => f.level !== 'secret' || (rec.fields && f.name in rec.fields));
    return html`<dl class="props" data-testid="rec-values">
        ${shown.map((f) => html`<dt>${fieldLabel(f)}
                ${f.level === 'confidential' || f.level === 'secret' ? html` <span class="tag"
                    data-testid=${`rec-level-${f.name}`}>${t(`records.level_${f.level}`)}</span>` : ''}</dt>
            <dd data-testid=${`rec-prop-${f.name}`} data-field=${f.name}>
                ${(rec.masked || []).includes(f.name)
                ? html`<${Masked} key=${`${rec.id}-${rec.version}-${f.name}`} f=${f} rec=${rec} mayReveal=${schema.access.unmask} />`
                : html`<${Value} f=${f} rec=${rec} />`}</dd>`)}
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
    const stale = error instanceof ApiError && error.code === 'version_conflict';
    const current = stale && error.details ? error.details.current_version : null;
    return html`<section class="panel" aria-labelledby="rec-edit-title">
        <h2 id="rec-edit-title">${t('records.edit')}</h2>
        <p class="hint">${t('records.edit_version', { n: fmtNumber(rec.version) })}</p>
        <${Notice} text=${note} testid="rec-edit-notice" />
        ${stale ? html`<div class="msg msg-error" role="alert" data-testid="rec-stale" data-code="version_conflict"
            data-current=${current ?? ''}>
            <p>${Number.isInteger(current) ? t('records.stale', { mine: fmtNumber(rec.version), now: fmtNumber(current) })
                : t('errors.version_conflict')}</p>
            <button type="button" class="secondary" data-testid="rec-stale-reload" onClick=${onReload}>
                ${t('records.reload')}</button>
        </div>` : html`<${ErrorBox} error=${error} labels=${labels} testid="rec-edit-error" />`}
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
    const id = params.id;
    const schema = useSchema(type);
    const rec = useLoad(() => get(`${api(type)}/${seg(id)}`), [type, id]);
    const [saved, setSaved] = useState(null); // the record as a change answered it
    const [deleted, setDeleted] = useState(false);
    const [note, setNote] = useState('');
    const r = saved || rec.data;
    const s = schema.data;
    const title = r ? titleOf(r) : rec.error ? t(`records.type_${type}`) : t('common.loading');
    const reload = async () => {
        setNote('');
        setSaved(null);
        await rec.reload();
    };
    return html`<${Page} title=${title} testid="page-record"
        actions=${html`<a href=${listHref(type)} data-testid="rec-back">${t(`records.type_${type}_many`)}</a>`}>
        <${ErrorBox} error=${rec.error || schema.error} testid="rec-error" />
        ${(!r || !s) && !rec.error && !schema.error && html`<${Empty} loading=${true} />`}
        <${Notice} text=${note} testid="rec-saved" />
        ${r && s && html`<section class="panel" aria-labelledby="rec-values-title" data-testid="rec-props" data-id=${r.id}
            data-version=${r.version} data-may-unmask=${s.access.unmask ? 'true' : 'false'}>
            <h2 id="rec-values-title">${t(`records.type_${type}`)}</h2>
            <${Values} key=${`${r.id}-${r.version}`} schema=${s} rec=${r} />
            <${Related} rec=${r} />
        </section>
        ${s.access.write !== 'none' && !deleted && html`<${EditForm} key=${`${r.id}-${r.version}`} schema=${s} rec=${r}
            onReload=${reload}
            onSaved=${(now) => { setSaved(now); setNote(t('records.saved', { n: fmtNumber(now.version) })); }} />`}
        ${s.access.write !== 'none' && html`<${Delete} rec=${r} deleted=${deleted} onDeleted=${() => setDeleted(true)}
            onRestored=${(now) => { setDeleted(false); setSaved(now); setNote(t('records.restored', { name: titleOf(now) })); }} />`}`}
    <//>`;
}
