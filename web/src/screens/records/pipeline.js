// The pipeline (issue 12, part 6; DATA-1): the tenant's opportunity stages
// (GET /records/pipeline) as columns, each with the opportunities at that
// stage that the caller may read (the list filtered by where=stage:KEY), and
// for a holder of records.configure the stages' editor (PUT
// /records/pipeline: the whole list at once; a stage a live opportunity is
// at cannot be left out, which the API refuses with 409 on "stages").
import { useState } from 'preact/hooks';

import { get, put } from '../../api.js';
import { t } from '../../i18n.js';
import { may } from '../../routes.js';
import { useMe } from '../../session.js';
import { html, Empty, ErrorBox, Field, Form, Notice, Page, useAction, useLoad } from '../../ui.js';
import { Value, api, listHref, recode, recordHref, titleOf } from './common.js';

const CARDS = 50; // cards per column at most

/** The opportunities at each stage: {key: {items, more}}. */
async function loadBoard(stages) {
    const cols = await Promise.all(stages.map((s) => get(api('opportunity'), {
        query: { where: `stage:${s.key}`, sort: 'name', limit: CARDS },
    })));
    const out = {};
    stages.forEach((s, i) => { out[s.key] = { items: cols[i].items || [], more: !!cols[i].next_cursor }; });
    return out;
}

function Board({ stages, schema }) {
    const board = useLoad(() => loadBoard(stages), [JSON.stringify(stages)]);
    const amount = (schema.fields || []).find((f) => f.name === 'amount');
    const currency = (schema.fields || []).find((f) => f.name === 'currency');
    return html`<${ErrorBox} error=${board.error} testid="pipe-error" />
        ${!board.data ? html`<${Empty} loading=${board.loading} text="" />`
        : html`<div class="pipeline" data-testid="pipe-board">${stages.map((s) => {
            const col = board.data[s.key] || { items: [], more: false };
            return html`<section class="pipe-col" data-testid="pipe-col" data-stage=${s.key}
                aria-labelledby=${`pipe-col-${s.key}`}>
                <h2 id=${`pipe-col-${s.key}`}>${s.label} <span class="muted" data-testid="pipe-count">
                    (${col.more ? t('records.n_more', { n: col.items.length }) : col.items.length})</span></h2>
                ${col.items.length === 0 ? html`<p class="muted">${t('records.stage_empty')}</p>`
                : html`<ul class="pipe-cards">${col.items.map((r) => html`<li class="pipe-card" data-testid="pipe-card"
                    data-id=${r.id} data-name=${titleOf(r)}>
                    <a href=${recordHref('opportunity', r.id)}>${titleOf(r)}</a>
                    ${amount && r.fields.amount !== undefined && html`<div class="hint">
                        <${Value} f=${amount} rec=${r} />${currency && r.fields.currency ? ` ${r.fields.currency}` : ''}</div>`}
                </li>`)}</ul>`}
                ${col.more && html`<p><a href=${listHref('opportunity')}>${t('records.all_opportunities')}</a></p>`}
            </section>`;
        })}</div>`}`;
}

/** The stages' editor: a row per stage (key, label), moved, removed, added; saved at once. */
function StageEditor({ stages, onSaved }) {
    const [rows, setRows] = useState(() => stages.map((s) => ({ ...s, fresh: false })));
    const [run, busy, error] = useAction();
    const [note, setNote] = useState('');
    const set = (i, k) => (x) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, [k]: x } : r)));
    const move = (i, d) => setRows((rs) => {
        const out = [...rs];
        const [r] = out.splice(i, 1);
        out.splice(i + d, 0, r);
        return out;
    });
    const save = () => run(async () => {
        setNote('');
        let ans;
        try {
            ans = await put('/records/pipeline', {
                stages: rows.map((r) => ({ key: r.key.trim(), label: r.label.trim() || r.key.trim() })),
            });
        } catch (e) {
            throw e.code === 'conflict' ? recode(e, 'records_stage_in_use') : e;
        }
        setRows(ans.stages.map((x) => ({ ...x, fresh: false })));
        setNote(t('records.stages_saved'));
        onSaved(ans.stages);
    });
    const labels = { stages: t('records.stages') };
    return html`<section class="panel" aria-labelledby="pipe-edit-title" data-testid="pipe-editor">
        <h2 id="pipe-edit-title">${t('records.stages_edit')}</h2>
        <p class="hint">${t('records.stages_hint')}</p>
        <${Notice} text=${note} testid="pipe-saved" />
        <${ErrorBox} error=${error} labels=${labels} testid="pipe-edit-error" />
        <${Form} onSubmit=${save} busy=${busy} testid="pipe-edit-form" label=${t('records.stages_edit')} class="wide">
            <ol class="stage-rows">${rows.map((r, i) => html`<li data-testid="pipe-stage" data-key=${r.key}>
                <fieldset class="choice"><legend>${t('records.stage_n', { n: i + 1 })}</legend>
                    <div class="filters">
                        <${Field} id=${`pipe-key-${i}`} label=${t('records.stage_key')} value=${r.key}
                            onInput=${set(i, 'key')} autocomplete="off" spellcheck="false" readOnly=${!r.fresh}
                            hint=${r.fresh ? t('records.stage_key_hint') : undefined} />
                        <${Field} id=${`pipe-label-${i}`} label=${t('records.stage_label')} value=${r.label}
                            onInput=${set(i, 'label')} autocomplete="off" />
                    </div>
                    <p class="row">
                        <button type="button" class="secondary small" data-testid=${`pipe-up-${i}`} disabled=${i === 0}
                            aria-label=${t('records.stage_up', { name: r.label || r.key })} onClick=${() => move(i, -1)}>
                            ${t('records.up')}</button>
                        <button type="button" class="secondary small" data-testid=${`pipe-down-${i}`}
                            disabled=${i === rows.length - 1} aria-label=${t('records.stage_down', { name: r.label || r.key })}
                            onClick=${() => move(i, 1)}>${t('records.down')}</button>
                        <button type="button" class="danger small" data-testid=${`pipe-remove-${i}`}
                            aria-label=${t('records.stage_remove', { name: r.label || r.key })}
                            onClick=${() => setRows((rs) => rs.filter((_, j) => j !== i))}>${t('records.remove')}</button>
                    </p>
                </fieldset>
            </li>`)}</ol>
            <p class="row">
                <button type="button" class="secondary" data-testid="pipe-add"
                    onClick=${() => setRows((rs) => [...rs, { key: '', label: '', fresh: true }])}>${t('records.stage_add')}</button>
                <button type="submit" class="primary" data-testid="pipe-save">${t('records.stages_save')}</button>
            </p>
        <//>
    </section>`;
}

export function Pipeline() {
    const { me } = useMe();
    const pipe = useLoad(() => get('/records/pipeline'), []);
    const schema = useLoad(() => get(`${api('opportunity')}/schema`), []);
    const [stages, setStages] = useState(null);
    const now = stages || (pipe.data && pipe.data.stages);
    return html`<${Page} title=${t('nav.records_pipeline')} testid="page-pipeline">
        <p class="hint">${t('records.pipeline_intro')}</p>
        <${ErrorBox} error=${pipe.error || schema.error} testid="pipe-load-error" />
        ${(!now || !schema.data) && !pipe.error && !schema.error && html`<${Empty} loading=${true} />`}
        ${now && schema.data && html`<${Board} stages=${now} schema=${schema.data} />`}
        ${now && may(me, 'records.configure') && html`<${StageEditor} stages=${now}
            onSaved=${setStages} />`}
    <//>`;
}
