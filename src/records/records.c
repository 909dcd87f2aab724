/* CRM records: see records.h and docs/records.md. */
#include "records/records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "access/access.h"
#include "app.h"
#include "audit/audit.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/field.h"
#include "directory/tenant.h"
#include "records/records_quota.h"
#include "records/records_store.h"
#include "records/scope.h"

/* The largest JSON object of one level's values a record seals. */
#define SEALED_MAX SV_RECORDS_SEALED_MAX

static const char *const ACTIVITY_KINDS[] = {"call", "visit", "note"};
static const char *const DEFAULT_STAGES[][2] = {
    {"lead", "Lead"},
    {"qualified", "Qualified"},
    {"proposal", "Proposal"},
    {"negotiation", "Negotiation"},
    {"closed_won", "Closed won"},
    {"closed_lost", "Closed lost"},
};

/* ---- the reader ---- */

/* Who asks, as the rules need it: the account, its grants and the
 * departments it works in (scope.h), what hidden departments keep from
 * it, the tenant (its phone region). */
struct who {
    struct sv_record_viewer v;
    struct sv_veil veil;
    struct sv_tenant t;
};

static void
team_row(void *cls, const char *department_id)
{
    struct who *w = cls;

    (void)sv_record_viewer_add_team(&w->v, department_id);
}

static enum sv_err
who_load(struct sv_dbc *c, const char *tenant_id, const struct sv_actor *actor,
         struct who *w)
{
    enum sv_err rc;

    memset(w, 0, sizeof *w);
    if (actor == NULL || actor->account_id == NULL)
        return SV_E_FORBIDDEN; /* records are an account's */
    w->v.me = actor->account_id;
    rc = sv_access_load_tx(c, tenant_id, w->v.me, &w->v.g);
    if (rc == SV_OK)
        rc = sv_access_veil_tx(c, tenant_id, w->v.me, &w->v.g, &w->veil);
    if (rc == SV_OK)
        rc = sv_tenant_find(c, tenant_id, &w->t);
    if (rc == SV_OK && sv_record_viewer_needs_teams(&w->v))
        rc = sv_qs_ok(records_store_teams(c, tenant_id, w->v.me, team_row, w));
    return rc;
}

static const char *
reach_name(const struct sv_record_reach *r)
{
    return r->all ? "all" : r->n > 0 ? "subtree" : r->own ? "own" : "none";
}

/* ---- schema: built-in and custom fields ---- */

struct schema {
    enum sv_record_type type;
    size_t n;
    struct sv_field_def f[SV_RECORD_FIELDS_MAX];
    bool custom[SV_RECORD_FIELDS_MAX];
    char names[SV_CUSTOM_FIELDS_MAX][SV_FIELD_NAME_MAX + 1];
    char labels[SV_RECORD_FIELDS_MAX][SV_RECORD_LABEL_MAX * 4 + 1];
};

static void
schema_row(void *cls, const struct records_field_row *row)
{
    struct schema *s = cls;
    size_t k = s->n, ci;
    struct sv_field_def d = {0};

    if (k >= SV_RECORD_FIELDS_MAX)
        return;
    ci = 0;
    for (size_t i = 0; i < k; i++)
        ci += s->custom[i];
    if (ci >= SV_CUSTOM_FIELDS_MAX || !sv_ftype_parse(row->ftype, &d.type) ||
        !sv_level_parse(row->level, &d.level))
        return; /* never written so: the CHECKs and the insert's rules */
    snprintf(s->names[ci], sizeof s->names[ci], "%s", row->name);
    d.name = s->names[ci];
    d.flags = (unsigned)row->flags;
    d.max = (size_t)row->max_len;
    s->f[k] = d;
    s->custom[k] = true;
    snprintf(s->labels[k], sizeof s->labels[k], "%s", row->label);
    s->n++;
}

static enum sv_err
schema_load(struct sv_dbc *c, const char *tenant_id, enum sv_record_type type,
            struct schema *s)
{
    size_t n;
    const struct sv_field_def *f = sv_record_fields(type, &n);

    memset(s, 0, sizeof *s);
    s->type = type;
    for (size_t i = 0; i < n; i++)
        s->f[s->n++] = f[i];
    return sv_qs_ok(records_store_fields(
        c, tenant_id, sv_record_type_name(type), schema_row, s));
}

static const struct sv_field_def *
schema_field(const struct schema *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->f[i].name, name) == 0)
            return &s->f[i];
    return NULL;
}

/* The field whose value names a record: its page order. */
static const char *
name_field(enum sv_record_type type)
{
    return type == SV_RTYPE_ACTIVITY ? "subject" : "name";
}

/* The field naming the record a record belongs to. */
static const char *
parent_field(enum sv_record_type type)
{
    switch (type) {
    case SV_RTYPE_CONTACT:
    case SV_RTYPE_OPPORTUNITY:
        return "customer_id";
    case SV_RTYPE_ACTIVITY:
        return "about_id";
    default:
        return NULL;
    }
}

struct stages {
    size_t n;
    char key[SV_PIPELINE_STAGES_MAX][33];
    char label[SV_PIPELINE_STAGES_MAX][SV_RECORD_LABEL_MAX * 4 + 1];
};

static void
stage_row(void *cls, const char *key, const char *label)
{
    struct stages *s = cls;
    if (s->n >= SV_PIPELINE_STAGES_MAX)
        return;
    snprintf(s->key[s->n], sizeof s->key[0], "%s", key);
    snprintf(s->label[s->n], sizeof s->label[0], "%s", label);
    s->n++;
}

static enum sv_err
stages_load(struct sv_dbc *c, const char *tenant_id, struct stages *s)
{
    enum sv_qs qs;

    memset(s, 0, sizeof *s);
    if ((qs = records_store_stages(c, tenant_id, stage_row, s)) < 0)
        return sv_qs_err(qs);
    if (s->n == 0)
        for (size_t i = 0; i < sizeof DEFAULT_STAGES / sizeof *DEFAULT_STAGES;
             i++)
            stage_row(s, DEFAULT_STAGES[i][0], DEFAULT_STAGES[i][1]);
    return SV_OK;
}

/* Whether @p v is a choice the field offers. */
static bool
choice_ok(enum sv_record_type type, const char *field, const struct stages *st,
          const char *v)
{
    if (type == SV_RTYPE_ACTIVITY && strcmp(field, "kind") == 0) {
        for (size_t i = 0; i < sizeof ACTIVITY_KINDS / sizeof *ACTIVITY_KINDS;
             i++)
            if (strcmp(v, ACTIVITY_KINDS[i]) == 0)
                return true;
        return false;
    }
    for (size_t i = 0; st != NULL && i < st->n; i++)
        if (strcmp(v, st->key[i]) == 0)
            return true;
    return false;
}

/* ---- a record in memory ---- */

struct rec {
    char id[37], parent_id[37], owner_id[37], department_id[37];
    enum sv_record_type type;
    bool type_ok;
    int64_t version, created_at, updated_at, deleted_at;
    json_t *plain;           /* the plain values */
    json_t *sealed, *secret; /* the opened ones; NULL until opened */
    uint8_t *sealed_ct, *secret_ct;
    size_t sealed_len, secret_len;
};

static void
rec_free(struct rec *r)
{
    json_decref(r->plain);
    json_decref(r->sealed);
    json_decref(r->secret);
    free(r->sealed_ct);
    free(r->secret_ct);
    memset(r, 0, sizeof *r);
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n > 0 ? n : 1);
    if (q != NULL && n > 0)
        memcpy(q, p, n);
    return q;
}

/* A stored row into @p r (ciphertexts copied, nothing opened). */
static bool
rec_from_row(struct rec *r, const struct records_row *row)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", row->id);
    snprintf(r->parent_id, sizeof r->parent_id, "%s", row->parent_id);
    snprintf(r->owner_id, sizeof r->owner_id, "%s", row->owner_id);
    snprintf(r->department_id, sizeof r->department_id, "%s",
             row->department_id);
    r->type_ok = sv_record_type_parse(row->type, &r->type);
    r->version = row->version;
    r->created_at = row->created_at;
    r->updated_at = row->updated_at;
    r->deleted_at = row->deleted_at;
    r->plain = json_loads(row->plain, JSON_REJECT_DUPLICATES, NULL);
    if (row->sealed != NULL) {
        r->sealed_ct = dup_bytes(row->sealed, row->sealed_len);
        r->sealed_len = row->sealed_len;
    }
    if (row->secret != NULL) {
        r->secret_ct = dup_bytes(row->secret, row->secret_len);
        r->secret_len = row->secret_len;
    }
    return r->type_ok && json_is_object(r->plain) &&
           (row->sealed == NULL || r->sealed_ct != NULL) &&
           (row->secret == NULL || r->secret_ct != NULL);
}

static bool
find_row(void *cls, const struct records_row *row)
{
    return rec_from_row(cls, row);
}

/* Record @p id of @p type, live (or in the bin with @p binned). */
static enum sv_err
rec_find(struct sv_dbc *c, const char *tenant_id, enum sv_record_type type,
         const char *id, bool binned, struct rec *r)
{
    enum sv_qs qs = records_store_find(c, tenant_id, id, find_row, r);

    if (qs < 0) {
        rec_free(r);
        return sv_qs_err(qs);
    }
    if (qs == SV_QS_NONE || r->type != type || (r->deleted_at != 0) != binned) {
        rec_free(r);
        return SV_E_NOT_FOUND;
    }
    return SV_OK;
}

/* Open one level's ciphertext into a JSON object. */
static enum sv_err
open_level(struct sv_dbc *c, const char *tenant_id, const struct rec *r,
           bool secret, json_t **out)
{
    const struct sv_field_desc *d =
        secret ? &records_store_secret_field : &records_store_sealed_field;
    const uint8_t *ct = secret ? r->secret_ct : r->sealed_ct;
    size_t ct_len = secret ? r->secret_len : r->sealed_len, n = 0;
    uint8_t *pt;
    enum sv_err rc;

    *out = NULL;
    if (ct == NULL) {
        *out = json_object();
        return SV_OK;
    }
    if ((pt = malloc(ct_len)) == NULL)
        return SV_E_INTERNAL;
    rc = sv_field_open_tx(c, tenant_id, r->id, d, ct, ct_len, pt, ct_len, &n);
    if (rc == SV_OK) {
        *out = json_loadb((const char *)pt, n, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            rc = SV_E_TAMPERED;
        }
    }
    sodium_memzero(pt, ct_len);
    free(pt);
    return rc;
}

/* Seal one level's values (NULL ciphertext when there are none). */
static enum sv_err
seal_level(struct sv_dbc *c, const char *tenant_id, const char *id,
           const json_t *obj, bool secret, uint8_t **ct, size_t *ct_len)
{
    const struct sv_field_desc *d =
        secret ? &records_store_secret_field : &records_store_sealed_field;
    size_t n, cap;
    char *pt;
    enum sv_err rc;

    *ct = NULL;
    *ct_len = 0;
    if (obj == NULL || json_object_size(obj) == 0)
        return SV_OK;
    n = json_dumpb(obj, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
    if (n == 0)
        return SV_E_INTERNAL;
    if (n > SEALED_MAX)
        return SV_E_FIELD_INVALID;
    if ((pt = malloc(n)) == NULL)
        return SV_E_INTERNAL;
    json_dumpb(obj, pt, n, JSON_COMPACT | JSON_SORT_KEYS);
    cap = sv_field_sealed_len(n);
    if ((*ct = malloc(cap)) == NULL) {
        rc = SV_E_INTERNAL;
    } else {
        rc = sv_field_seal_tx(c, tenant_id, id, d, (const uint8_t *)pt, n, *ct,
                              cap, ct_len);
    }
    sodium_memzero(pt, n);
    free(pt);
    if (rc != SV_OK) {
        free(*ct);
        *ct = NULL;
    }
    return rc;
}

/* The object a field's value lives in. */
static json_t *
level_obj(const struct rec *r, const struct sv_field_def *f)
{
    if (!sv_level_policy(f->level)->sealed)
        return r->plain;
    return f->level == SV_LEVEL_SECRET ? r->secret : r->sealed;
}

/* ---- the answer: a record for its reader ---- */

struct view_opts {
    enum sv_where where;
    bool may_unmask, may_secret;
    const char *const *asked; /* confidential fields asked for in clear */
    size_t n_asked;
};

static bool
was_asked(const struct view_opts *o, const char *name)
{
    for (size_t i = 0; i < o->n_asked; i++)
        if (strcmp(o->asked[i], name) == 0)
            return true;
    return false;
}

/* The record as its reader sees it; each value it shows that the policy
 * audits is appended to @p reveals (field names). */
static json_t *
view(const struct rec *r, const struct schema *s, const struct view_opts *o,
     json_t *reveals)
{
    json_t *fields = json_object(), *masked = json_array();

    for (size_t i = 0; i < s->n; i++) {
        const struct sv_field_def *f = &s->f[i];
        const struct sv_level_policy *p = sv_level_policy(f->level);
        json_t *obj = level_obj(r, f);
        const char *v = obj != NULL
                            ? json_string_value(json_object_get(obj, f->name))
                            : NULL;
        bool may_reveal = p->reveal == SV_REVEAL_NONE ||
                          (p->reveal == SV_REVEAL_UNMASK && o->may_unmask) ||
                          (p->reveal == SV_REVEAL_READ_SECRET && o->may_secret);
        enum sv_show show;
        char mask[128];

        if (v == NULL) {
            /* Not set; or sealed and not opened for this reader: a secret
             * value is then left out, a confidential one cannot be: the
             * caller opens every level it may show. */
            continue;
        }
        show = sv_field_show(f->level, o->where, may_reveal,
                             was_asked(o, f->name));
        if (show == SV_SHOW_OMITTED)
            continue;
        if (show == SV_SHOW_MASKED) {
            sv_value_mask(f->type, v, mask, sizeof mask);
            json_object_set_new(fields, f->name, json_string(mask));
            json_array_append_new(masked, json_string(f->name));
        } else {
            json_object_set_new(fields, f->name, json_string(v));
        }
        /* A value shown that must be audited and cannot be: no answer. */
        if (reveals != NULL && sv_field_audit(f->level, show) &&
            json_array_append_new(reveals, json_string(f->name)) != 0) {
            json_decref(fields);
            json_decref(masked);
            return NULL;
        }
    }
    return json_pack(
        "{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", r->id,
        "type", sv_record_type_name(r->type), "version", (json_int_t)r->version,
        "owner_id", r->owner_id, "department_id", r->department_id, "parent_id",
        sv_json_str_or_null(r->parent_id), "fields", fields, "masked", masked,
        "created_at", sv_json_time(r->created_at), "updated_at",
        sv_json_time(r->updated_at), "deleted_at",
        r->deleted_at != 0 ? sv_json_time(r->deleted_at) : json_null());
}

/* ---- values in ---- */

static const char *
name_field_err(struct sv_record_outcome *o, const char *name)
{
    snprintf(o->buf, sizeof o->buf, "fields.%s", name);
    o->field = o->buf;
    return o->field;
}

/*
 * Apply @p fields (a JSON object of name: string or null) to @p r: every
 * name a field of the schema, every value in its canonical form, choices
 * offered, nulls clearing (on a change; never a required field). On
 * create, every required field must be set.
 */
static enum sv_err
apply_fields(struct rec *r, const struct schema *s, const struct stages *st,
             const struct who *w, const json_t *fields, bool create,
             struct sv_record_outcome *o)
{
    const char *name;
    json_t *v;
    char *canon = malloc(SV_VALUE_MAX + 1);
    enum sv_err rc = SV_OK;

    if (canon == NULL)
        return SV_E_INTERNAL;
    if (fields != NULL && !json_is_object(fields)) {
        o->field = "fields";
        rc = SV_E_FIELD_INVALID;
    }
    if (rc == SV_OK && fields != NULL && json_object_size(fields) > s->n) {
        o->field = "fields";
        rc = SV_E_FIELD_INVALID;
    }
    json_object_foreach((json_t *)fields, name, v)
    {
        const struct sv_field_def *f;
        const char *rule;
        json_t *obj;

        if (rc != SV_OK)
            break;
        if ((f = schema_field(s, name)) == NULL) {
            if (strlen(name) > SV_FIELD_NAME_MAX)
                o->field = "fields";
            else
                name_field_err(o, name);
            rc = SV_E_FIELD_UNKNOWN;
            break;
        }
        obj = level_obj(r, f);
        if (json_is_null(v)) {
            if (create || (f->flags & SV_FIELD_REQ)) {
                name_field_err(o, name);
                rc = SV_E_FIELD_INVALID; /* a value, never null */
                break;
            }
            json_object_del(obj, f->name);
            continue;
        }
        if (!json_is_string(v)) {
            name_field_err(o, name);
            rc = SV_E_FIELD_INVALID;
            break;
        }
        rule = sv_value_canon(f->type, f->max, json_string_value(v),
                              w->t.phone_region, canon, SV_VALUE_MAX + 1);
        if (rule == NULL && f->type == SV_FTYPE_CHOICE &&
            !choice_ok(s->type, f->name, st, canon))
            rule = "choice";
        if (rule != NULL) {
            name_field_err(o, name);
            rc = SV_E_FIELD_INVALID;
            break;
        }
        json_object_set_new(obj, f->name, json_string(canon));
    }
    for (size_t i = 0; rc == SV_OK && i < s->n; i++) {
        const struct sv_field_def *f = &s->f[i];
        if ((f->flags & SV_FIELD_REQ) &&
            json_object_get(level_obj(r, f), f->name) == NULL) {
            name_field_err(o, f->name);
            rc = SV_E_FIELD_MISSING;
        }
    }
    sodium_memzero(canon, SV_VALUE_MAX + 1);
    free(canon);
    return rc;
}

/* The exact-match term of canonical value @p v of field @p f: a plain
 * value folded (text) or as it is; a sealed one's blind index, in hex. */
static enum sv_err
term_of(struct sv_dbc *c, const char *tenant_id, enum sv_record_type type,
        const struct sv_field_def *f, const char *v, char *out, size_t cap)
{
    if (!sv_level_policy(f->level)->sealed) {
        if (strlen(v) + 1 > cap)
            return SV_E_FIELD_INVALID;
        if (f->type == SV_FTYPE_TEXT || f->type == SV_FTYPE_LONG_TEXT)
            sv_ascii_lower(v, out); /* out holds strlen(v) + 1 */
        else
            snprintf(out, cap, "%s", v);
        return SV_OK;
    }
    char label[96];
    uint8_t bidx[SV_BLIND_INDEX_LEN];
    struct sv_field_desc d = {"records", f->name, label,
                              NULL,      0,       SV_FIELD_PT_MAX};
    enum sv_err rc;

    snprintf(label, sizeof label, "records.%s.%s", sv_record_type_name(type),
             f->name);
    if (cap < 2 * SV_BLIND_INDEX_LEN + 1)
        return SV_E_INTERNAL;
    rc = sv_field_blind_index_tx(c, tenant_id, &d, v, bidx);
    if (rc == SV_OK)
        sv_hex(bidx, sizeof bidx, out);
    sodium_memzero(bidx, sizeof bidx);
    return rc;
}

#define TERM_MAX (SV_VALUE_MAX + 1)

/* Write @p r's terms again (every indexed field that has a value). */
static enum sv_err
write_terms(struct sv_dbc *c, const char *tenant_id, const struct rec *r,
            const struct schema *s)
{
    char *term = malloc(TERM_MAX);
    enum sv_err rc = sv_qs_ok(records_store_terms_clear(c, tenant_id, r->id));

    if (term == NULL)
        return SV_E_INTERNAL;
    for (size_t i = 0; rc == SV_OK && i < s->n; i++) {
        const struct sv_field_def *f = &s->f[i];
        const char *v;
        if (!(f->flags & SV_FIELD_IDX))
            continue;
        v = json_string_value(json_object_get(level_obj(r, f), f->name));
        if (v == NULL)
            continue;
        rc = term_of(c, tenant_id, r->type, f, v, term, TERM_MAX);
        if (rc == SV_OK)
            rc = sv_qs_ok(records_store_term_add(c, tenant_id,
                                                 sv_record_type_name(r->type),
                                                 f->name, term, r->id));
    }
    sodium_memzero(term, TERM_MAX);
    free(term);
    return rc;
}

/* Write @p r (insert, or update from @p old_version), sealed and indexed. */
static enum sv_err
rec_write(struct sv_dbc *c, const char *tenant_id, const struct rec *r,
          const struct schema *s, int64_t old_version)
{
    const char *nv =
        json_string_value(json_object_get(r->plain, name_field(r->type)));
    char *key = NULL, *plain = NULL;
    uint8_t *sealed = NULL, *secret = NULL;
    size_t sealed_len = 0, secret_len = 0;
    enum sv_err rc;
    enum sv_qs qs;

    rc =
        seal_level(c, tenant_id, r->id, r->sealed, false, &sealed, &sealed_len);
    if (rc == SV_OK)
        rc = seal_level(c, tenant_id, r->id, r->secret, true, &secret,
                        &secret_len);
    if (rc == SV_OK) {
        key = strdup(nv != NULL ? nv : "");
        plain = json_dumps(r->plain, JSON_COMPACT | JSON_SORT_KEYS);
        if (key == NULL || plain == NULL)
            rc = SV_E_INTERNAL;
        else
            sv_ascii_lower(key, key);
    }
    if (rc == SV_OK) {
        struct records_put p = {r->id,
                                sv_record_type_name(r->type),
                                r->parent_id,
                                r->owner_id,
                                r->department_id,
                                r->version,
                                key,
                                plain,
                                sealed,
                                secret,
                                sealed_len,
                                secret_len,
                                r->created_at,
                                r->updated_at};
        qs = old_version == 0
                 ? records_store_insert(c, tenant_id, &p)
                 : records_store_update(c, tenant_id, &p, old_version);
        if (qs == SV_QS_NONE)
            rc = SV_E_VERSION_CONFLICT; /* a change came first */
        else if (qs < 0)
            rc = sv_qs_err(qs);
    }
    if (rc == SV_OK)
        rc = write_terms(c, tenant_id, r, s);
    free(key);
    free(plain); /* plain values: public or internal */
    free(sealed);
    free(secret);
    return rc;
}

/* ---- checks shared by the changes ---- */

static void
deny(struct sv_access_denial *d, enum sv_perm p, const char *id)
{
    d->perm = p;
    d->object_type = "record";
    snprintf(d->object_id, sizeof d->object_id, "%s", id != NULL ? id : "");
}

/* The record @p r belongs to (its parent field), live and readable. */
static enum sv_err
check_parent(struct sv_dbc *c, const char *tenant_id, const struct who *w,
             struct rec *r, struct sv_record_outcome *o)
{
    const char *pf = parent_field(r->type);
    const char *pid =
        pf != NULL ? json_string_value(json_object_get(r->plain, pf)) : NULL;
    struct rec p;
    struct sv_department_place pl;
    enum sv_err rc;
    enum sv_record_type want = SV_RTYPE_CUSTOMER;

    r->parent_id[0] = '\0';
    if (pid == NULL)
        return SV_OK;
    memset(&p, 0, sizeof p);
    if (r->type == SV_RTYPE_ACTIVITY) {
        /* About a record of any other type. */
        rc = sv_qs_found(records_store_find(c, tenant_id, pid, find_row, &p));
        if (rc == SV_OK && (p.type == SV_RTYPE_ACTIVITY || p.deleted_at != 0))
            rc = SV_E_NOT_FOUND;
        if (rc != SV_OK)
            rec_free(&p);
    } else {
        rc = rec_find(c, tenant_id, want, pid, false, &p);
    }
    if (rc == SV_OK)
        rc = sv_department_place_tx(c, tenant_id, p.department_id, &pl);
    if (rc == SV_OK && (sv_veil_hides(&w->veil, &pl.place) ||
                        !sv_record_may(&w->v, p.type, SV_RACT_READ, p.owner_id,
                                       p.department_id, &pl.place)))
        rc = SV_E_NOT_FOUND;
    if (rc == SV_OK) {
        /* Held live until this change commits: a delete of it meanwhile
         * waits, then sees the record under it (409). */
        enum sv_qs qs = records_store_hold_live(c, tenant_id, pid);
        if (qs == SV_QS_NONE)
            rc = SV_E_NOT_FOUND;
        else if (qs < 0)
            rc = sv_qs_err(qs);
    }
    if (rc == SV_E_NOT_FOUND)
        name_field_err(o, pf);
    if (rc == SV_OK)
        snprintf(r->parent_id, sizeof r->parent_id, "%s", pid);
    rec_free(&p);
    return rc;
}

/*
 * The owner and department a change asks for (NULL: keep), then whether
 * the caller may write a record so placed: SV_E_NOT_FOUND for an owner
 * or department that does not exist, SV_E_FORBIDDEN (naming it) for one
 * outside the caller's write reach.
 */
static enum sv_err
place_record(struct sv_dbc *c, const char *tenant_id, const struct who *w,
             struct rec *r, const char *owner, const char *dept,
             struct sv_record_outcome *o, struct sv_access_denial *denied)
{
    struct sv_department_place pl;
    enum sv_qs qs;
    enum sv_err rc;

    if (owner != NULL) {
        if ((qs = records_store_account_enabled(c, tenant_id, owner)) < 0)
            return sv_qs_err(qs);
        if (qs == SV_QS_NONE) {
            o->field = "owner_id";
            return SV_E_NOT_FOUND;
        }
        snprintf(r->owner_id, sizeof r->owner_id, "%s", owner);
    }
    if (dept != NULL) {
        if ((qs = records_store_department(c, tenant_id, dept)) < 0)
            return sv_qs_err(qs);
        if (qs == SV_QS_NONE) {
            o->field = "department_id";
            return SV_E_NOT_FOUND;
        }
        snprintf(r->department_id, sizeof r->department_id, "%s", dept);
    }
    if (r->department_id[0] == '\0') {
        /* The owner's primary department. */
        qs = records_store_primary_department(c, tenant_id, r->owner_id,
                                              r->department_id);
        if (qs < 0)
            return sv_qs_err(qs);
        if (qs == SV_QS_NONE) {
            o->field = "department_id";
            return SV_E_FIELD_MISSING;
        }
    }
    rc = sv_department_place_tx(c, tenant_id, r->department_id, &pl);
    if (rc != SV_OK)
        return rc;
    if (sv_veil_hides(&w->veil, &pl.place)) {
        o->field = "department_id";
        return SV_E_NOT_FOUND;
    }
    /* Through the write permission over the place, or team_write in a
     * department the caller works in; or a record the caller owns, in a
     * department the caller works in (own records stay where their owner
     * is: own is not a way into another department). */
    bool ok = sv_record_may_place(&w->v, r->type, r->department_id, &pl.place);
    if (!ok &&
        sv_record_may(&w->v, r->type, SV_RACT_WRITE, r->owner_id, NULL, NULL)) {
        qs = records_store_member_of(c, tenant_id, w->v.me, r->department_id);
        if (qs < 0)
            return sv_qs_err(qs);
        ok = qs == SV_QS_ONE;
    }
    if (!ok) {
        /* Held somewhere: the department is outside it; held nowhere (own
         * records only): the owner is not the caller. */
        o->field =
            sv_access_holds(&w->v.g, sv_record_perm(r->type, SV_RACT_WRITE)) ||
                    sv_access_holds(&w->v.g,
                                    sv_record_perm(r->type, SV_RACT_TEAM_WRITE))
                ? "department_id"
                : "owner_id";
        deny(denied, sv_record_perm(r->type, SV_RACT_WRITE), r->id);
        return SV_E_FORBIDDEN;
    }
    return SV_OK;
}

/* Find a live record the caller may read (else SV_E_NOT_FOUND), with its
 * place. */
static enum sv_err
find_visible(struct sv_dbc *c, const char *tenant_id, const struct who *w,
             enum sv_record_type type, const char *id, bool binned,
             enum sv_record_act a, struct rec *r,
             struct sv_department_place *pl)
{
    enum sv_err rc = rec_find(c, tenant_id, type, id, binned, r);

    if (rc != SV_OK)
        return rc;
    rc = sv_department_place_tx(c, tenant_id, r->department_id, pl);
    if (rc == SV_OK && (sv_veil_hides(&w->veil, &pl->place) ||
                        !sv_record_may(&w->v, type, a, r->owner_id,
                                       r->department_id, &pl->place)))
        rc = SV_E_NOT_FOUND;
    if (rc != SV_OK)
        rec_free(r);
    return rc;
}

static enum sv_err
audit_record(struct sv_dbc *c, const char *tenant_id,
             const struct sv_actor *actor, enum sv_audit_action action,
             const struct rec *r, json_t *details)
{
    json_object_set_new(details, "type",
                        json_string(sv_record_type_name(r->type)));
    return sv_audit_json(c, tenant_id, actor, action, "record", r->id, NULL,
                         details);
}

/* The answer after a change: as a page shows it, nothing revealed. */
static json_t *
changed_view(const struct rec *r, const struct schema *s)
{
    struct view_opts vo = {SV_WHERE_PAGE, false, false, NULL, 0};
    return view(r, s, &vo, NULL);
}

/* ---- create, change ---- */

struct op {
    const char *tenant_id;
    enum sv_record_type type;
    const char *id;
    const void *in; /* the operation's input struct */
    const struct sv_actor *actor;
    json_t *out;
    struct sv_record_outcome *o;
    struct sv_access_denial denied;
};

/* Run change @p fn in a transaction of its own: its answer into @p out, or
 * a refusal recorded (access.denied) once it has rolled back. */
static enum sv_err
run_change(struct sv_db *db, const char *name, sv_tx_fn fn, struct op *x,
           json_t **out)
{
    enum sv_err rc = sv_db_run_tenant_tx(db, name, x->tenant_id, fn, x);

    *out = NULL;
    if (rc != SV_OK) {
        json_decref(x->out);
        return sv_access_denied_after(db, x->tenant_id, x->actor, rc,
                                      &x->denied);
    }
    *out = x->out;
    return SV_OK;
}

static enum sv_err
create_tx(struct sv_dbc *c, void *cls)
{
    struct op *x = cls;
    const struct sv_record_input *in = x->in;
    const json_t *fields = in->fields;
    const char *owner = in->owner_id, *dept = in->department_id;
    struct who *w = malloc(sizeof *w);
    struct schema *s = malloc(sizeof *s);
    struct stages *st = malloc(sizeof *st);
    struct rec r;
    enum sv_err rc = SV_OK;

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    memset(&r, 0, sizeof r);
    x->o->field = NULL;
    if (w == NULL || s == NULL || st == NULL)
        rc = SV_E_INTERNAL;
    if (rc == SV_OK)
        rc = who_load(c, x->tenant_id, x->actor, w);
    if (rc == SV_OK)
        rc = schema_load(c, x->tenant_id, x->type, s);
    if (rc == SV_OK)
        rc = stages_load(c, x->tenant_id, st);
    if (rc == SV_OK) {
        sv_uuid7(r.id);
        r.type = x->type;
        r.version = 1;
        r.created_at = r.updated_at = sv_now_ms();
        r.plain = json_object();
        r.sealed = json_object();
        r.secret = json_object();
        snprintf(r.owner_id, sizeof r.owner_id, "%s", w->v.me);
        rc = apply_fields(&r, s, st, w, fields, true, x->o);
    }
    if (rc == SV_OK)
        rc = check_parent(c, x->tenant_id, w, &r, x->o);
    if (rc == SV_OK)
        rc =
            place_record(c, x->tenant_id, w, &r, owner, dept, x->o, &x->denied);
    if (rc == SV_OK)
        rc = rec_write(c, x->tenant_id, &r, s, 0);
    if (rc == SV_E_FIELD_INVALID && x->o->field == NULL)
        x->o->field = "fields"; /* one level's values past SEALED_MAX */
    if (rc == SV_OK) {
        json_t *names = json_array();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)fields, k, v)
            json_array_append_new(names, json_string(k));
        rc = audit_record(c, x->tenant_id, x->actor, SV_AUDIT_RECORD_CREATE, &r,
                          json_pack("{s:o, s:s, s:s}", "fields", names,
                                    "owner_id", r.owner_id, "department_id",
                                    r.department_id));
    }
    if (rc == SV_OK)
        x->out = changed_view(&r, s);
    rec_free(&r);
    free(w);
    free(s);
    free(st);
    return rc;
}

enum sv_err
sv_records_create(struct sv_db *db, const char *tenant_id,
                  enum sv_record_type type, const struct sv_record_input *in,
                  const struct sv_actor *actor, json_t **out,
                  struct sv_record_outcome *o)
{
    struct op x = {tenant_id, type, NULL, in, actor, NULL, o, {0}};

    return run_change(db, "record_create", create_tx, &x, out);
}

static enum sv_err
update_tx(struct sv_dbc *c, void *cls)
{
    struct op *x = cls;
    const struct sv_record_input *in = x->in;
    const json_t *fields = in->fields;
    const char *owner = in->owner_id, *dept = in->department_id;
    int64_t version = in->version;
    struct who *w = malloc(sizeof *w);
    struct schema *s = malloc(sizeof *s);
    struct stages *st = malloc(sizeof *st);
    struct sv_department_place pl;
    struct rec r;
    char before_owner[37], before_dept[37], before_parent[37];
    enum sv_err rc = SV_OK;

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    memset(&r, 0, sizeof r);
    x->o->field = NULL;
    if (w == NULL || s == NULL || st == NULL)
        rc = SV_E_INTERNAL;
    if (rc == SV_OK)
        rc = who_load(c, x->tenant_id, x->actor, w);
    if (rc == SV_OK)
        rc = find_visible(c, x->tenant_id, w, x->type, x->id, false,
                          SV_RACT_READ, &r, &pl);
    if (rc == SV_OK && r.version != version) {
        x->o->field = "version";
        x->o->current_version = r.version;
        rc = SV_E_VERSION_CONFLICT;
    }
    if (rc == SV_OK && !sv_record_may(&w->v, x->type, SV_RACT_WRITE, r.owner_id,
                                      r.department_id, &pl.place)) {
        deny(&x->denied, sv_record_perm(x->type, SV_RACT_WRITE), r.id);
        rc = SV_E_FORBIDDEN;
    }
    if (rc == SV_OK)
        rc = schema_load(c, x->tenant_id, x->type, s);
    if (rc == SV_OK)
        rc = stages_load(c, x->tenant_id, st);
    if (rc == SV_OK)
        rc = open_level(c, x->tenant_id, &r, false, &r.sealed);
    if (rc == SV_OK)
        rc = open_level(c, x->tenant_id, &r, true, &r.secret);
    if (rc == SV_OK) {
        snprintf(before_owner, sizeof before_owner, "%s", r.owner_id);
        snprintf(before_dept, sizeof before_dept, "%s", r.department_id);
        snprintf(before_parent, sizeof before_parent, "%s", r.parent_id);
        rc = apply_fields(&r, s, st, w, fields, false, x->o);
    }
    /* What it belongs to, when the change names it again. */
    if (rc == SV_OK && parent_field(x->type) != NULL && fields != NULL &&
        json_object_get(fields, parent_field(x->type)) != NULL)
        rc = check_parent(c, x->tenant_id, w, &r, x->o);
    if (rc == SV_OK && (owner != NULL || dept != NULL))
        rc =
            place_record(c, x->tenant_id, w, &r, owner, dept, x->o, &x->denied);
    if (rc == SV_OK) {
        r.version++;
        r.updated_at = sv_now_ms();
        rc = rec_write(c, x->tenant_id, &r, s, version);
        if (rc == SV_E_FIELD_INVALID && x->o->field == NULL)
            x->o->field = "fields";
        if (rc == SV_E_VERSION_CONFLICT) {
            x->o->field = "version";
            x->o->current_version = version + 1; /* at least */
        }
    }
    if (rc == SV_OK) {
        json_t *names = json_array();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)fields, k, v)
            json_array_append_new(names, json_string(k));
        if (strcmp(before_owner, r.owner_id) != 0)
            json_array_append_new(names, json_string("owner_id"));
        if (strcmp(before_dept, r.department_id) != 0)
            json_array_append_new(names, json_string("department_id"));
        (void)before_parent;
        rc = audit_record(c, x->tenant_id, x->actor, SV_AUDIT_RECORD_UPDATE, &r,
                          json_pack("{s:o, s:I}", "changed", names, "version",
                                    (json_int_t)r.version));
    }
    if (rc == SV_OK)
        x->out = changed_view(&r, s);
    rec_free(&r);
    free(w);
    free(s);
    free(st);
    return rc;
}

enum sv_err
sv_records_update(struct sv_db *db, const char *tenant_id,
                  enum sv_record_type type, const char *id,
                  const struct sv_record_input *in,
                  const struct sv_actor *actor, json_t **out,
                  struct sv_record_outcome *o)
{
    struct op x = {tenant_id, type, id, in, actor, NULL, o, {0}};

    return run_change(db, "record_update", update_tx, &x, out);
}

/* ---- the recycle bin ---- */

enum bin_op { BIN_DELETE, BIN_RESTORE, BIN_PURGE };

struct bin_ctx {
    struct op x;
    enum bin_op what;
};

static enum sv_err
bin_tx(struct sv_dbc *c, void *cls)
{
    struct bin_ctx *b = cls;
    struct op *x = &b->x;
    struct who *w = malloc(sizeof *w);
    struct schema *s = NULL;
    struct sv_department_place pl;
    struct rec r;
    enum sv_err rc = w != NULL ? SV_OK : SV_E_INTERNAL;
    enum sv_qs qs;
    enum sv_audit_action action = SV_AUDIT_RECORD_DELETE;

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    memset(&r, 0, sizeof r);
    if (rc == SV_OK)
        rc = who_load(c, x->tenant_id, x->actor, w);
    /* A live record: readable, or it does not exist; then writable. In the
     * bin: only for those who may write it. */
    if (rc == SV_OK)
        rc = find_visible(
            c, x->tenant_id, w, x->type, x->id, b->what != BIN_DELETE,
            b->what == BIN_DELETE ? SV_RACT_READ : SV_RACT_WRITE, &r, &pl);
    if (rc == SV_OK && !sv_record_may(&w->v, x->type, SV_RACT_WRITE, r.owner_id,
                                      r.department_id, &pl.place)) {
        deny(&x->denied, sv_record_perm(x->type, SV_RACT_WRITE), r.id);
        rc = SV_E_FORBIDDEN;
    }
    if (rc == SV_OK) {
        switch (b->what) {
        case BIN_DELETE:
            /* The record first (its row held), then what is under it: a
             * record put under it meanwhile is either seen now or, when
             * it comes after, finds it in the bin (hold_live). */
            qs = records_store_bin_put(c, x->tenant_id, r.id, r.version,
                                       sv_now_ms());
            if (qs == SV_QS_NONE)
                rc = SV_E_CONFLICT; /* a change came first: read it again */
            else if (qs < 0)
                rc = sv_qs_err(qs);
            if (rc == SV_OK) {
                qs = records_store_has_children(c, x->tenant_id, r.id, true);
                if (qs == SV_QS_ONE)
                    rc = SV_E_CONFLICT;
                else if (qs < 0)
                    rc = sv_qs_err(qs);
            }
            break;
        case BIN_RESTORE:
            action = SV_AUDIT_RECORD_RESTORE;
            if (r.parent_id[0] != '\0') {
                /* Its customer (or what it is about) live, and held so. */
                qs = records_store_hold_live(c, x->tenant_id, r.parent_id);
                if (qs == SV_QS_NONE)
                    rc = SV_E_CONFLICT; /* that one first */
                else if (qs < 0)
                    rc = sv_qs_err(qs);
            }
            if (rc == SV_OK) {
                qs = records_store_bin_take(c, x->tenant_id, r.id, r.version);
                if (qs == SV_QS_NONE)
                    rc = SV_E_NOT_FOUND; /* purged or restored meanwhile */
                else if (qs < 0)
                    rc = sv_qs_err(qs);
            }
            r.deleted_at = 0;
            r.version++;
            break;
        case BIN_PURGE:
            action = SV_AUDIT_RECORD_PURGE;
            qs = records_store_has_children(c, x->tenant_id, r.id, false);
            if (qs == SV_QS_ONE)
                rc = SV_E_CONFLICT;
            else if (qs < 0)
                rc = sv_qs_err(qs);
            if (rc == SV_OK)
                rc = sv_qs_ok(records_store_terms_clear(c, x->tenant_id, r.id));
            if (rc == SV_OK) {
                qs = records_store_purge(c, x->tenant_id, r.id);
                if (qs == SV_QS_NONE)
                    rc = SV_E_NOT_FOUND;
                else if (qs < 0)
                    rc = sv_qs_err(qs);
            }
            break;
        }
    }
    if (rc == SV_OK)
        rc = audit_record(c, x->tenant_id, x->actor, action, &r, json_object());
    if (rc == SV_OK && b->what == BIN_RESTORE) {
        if ((s = malloc(sizeof *s)) == NULL)
            rc = SV_E_INTERNAL;
        if (rc == SV_OK)
            rc = schema_load(c, x->tenant_id, x->type, s);
        if (rc == SV_OK)
            rc = open_level(c, x->tenant_id, &r, false, &r.sealed);
        if (rc == SV_OK)
            x->out = changed_view(&r, s);
    }
    rec_free(&r);
    free(w);
    free(s);
    return rc;
}

static enum sv_err
bin_op(struct sv_db *db, const char *tenant_id, enum sv_record_type type,
       const char *id, const struct sv_actor *actor, enum bin_op what,
       json_t **out)
{
    struct sv_record_outcome o = {0};
    struct bin_ctx b = {{tenant_id, type, id, NULL, actor, NULL, &o, {0}},
                        what};
    static const char *const names[] = {"record_delete", "record_restore",
                                        "record_purge"};
    enum sv_err rc =
        sv_db_run_tenant_tx(db, names[what], tenant_id, bin_tx, &b);

    if (out != NULL)
        *out = NULL;
    if (rc != SV_OK) {
        json_decref(b.x.out);
        return sv_access_denied_after(db, tenant_id, actor, rc, &b.x.denied);
    }
    if (out != NULL)
        *out = b.x.out;
    else
        json_decref(b.x.out);
    return SV_OK;
}

enum sv_err
sv_records_delete(struct sv_db *db, const char *tenant_id,
                  enum sv_record_type type, const char *id,
                  const struct sv_actor *actor)
{
    return bin_op(db, tenant_id, type, id, actor, BIN_DELETE, NULL);
}

enum sv_err
sv_records_restore(struct sv_db *db, const char *tenant_id,
                   enum sv_record_type type, const char *id,
                   const struct sv_actor *actor, json_t **out)
{
    return bin_op(db, tenant_id, type, id, actor, BIN_RESTORE, out);
}

enum sv_err
sv_records_purge(struct sv_db *db, const char *tenant_id,
                 enum sv_record_type type, const char *id,
                 const struct sv_actor *actor)
{
    return bin_op(db, tenant_id, type, id, actor, BIN_PURGE, NULL);
}

/* ---- one record ---- */

struct get_ctx {
    struct op x;
    const char *unmask;
    json_t *reveals;
};

/* Split "a,b" into @p names (at most SV_RECORD_UNMASK_MAX), each a
 * confidential field of @p s. */
static bool
parse_unmask(const char *list, const struct schema *s, char *buf, size_t cap,
             const char **names, size_t *n)
{
    char *save = NULL, *tok;

    *n = 0;
    if (list == NULL)
        return true;
    if (strlen(list) + 1 > cap || list[0] == '\0')
        return false;
    memcpy(buf, list, strlen(list) + 1);
    for (tok = strtok_r(buf, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        const struct sv_field_def *f = schema_field(s, tok);
        if (f == NULL || sv_level_policy(f->level)->page != SV_SHOW_MASKED ||
            *n >= SV_RECORD_UNMASK_MAX)
            return false;
        names[(*n)++] = tok;
    }
    return *n > 0;
}

static enum sv_err
get_tx(struct sv_dbc *c, void *cls)
{
    struct get_ctx *g = cls;
    struct op *x = &g->x;
    struct who *w = malloc(sizeof *w);
    struct schema *s = malloc(sizeof *s);
    struct sv_department_place pl;
    struct rec r;
    char buf[SV_RECORD_UNMASK_MAX * (SV_FIELD_NAME_MAX + 1) + 1];
    const char *asked[SV_RECORD_UNMASK_MAX];
    struct view_opts vo = {SV_WHERE_PAGE, false, false, asked, 0};
    enum sv_err rc = w != NULL && s != NULL ? SV_OK : SV_E_INTERNAL;

    /* An attempt retried starts over. */
    json_decref(x->out);
    x->out = NULL;
    if (g->reveals == NULL || json_array_clear(g->reveals) != 0)
        rc = SV_E_INTERNAL;
    memset(&r, 0, sizeof r);
    x->o->field = NULL;
    if (rc == SV_OK)
        rc = who_load(c, x->tenant_id, x->actor, w);
    if (rc == SV_OK)
        rc = rquota_reads_tx(c, x->tenant_id, w->v.me, x->o);
    if (rc == SV_OK)
        rc = find_visible(c, x->tenant_id, w, x->type, x->id, false,
                          SV_RACT_READ, &r, &pl);
    if (rc == SV_OK)
        rc = schema_load(c, x->tenant_id, x->type, s);
    if (rc == SV_OK &&
        !parse_unmask(g->unmask, s, buf, sizeof buf, asked, &vo.n_asked)) {
        x->o->field = "unmask";
        rc = SV_E_FIELD_INVALID;
    }
    if (rc == SV_OK) {
        vo.may_unmask = sv_record_may(&w->v, x->type, SV_RACT_UNMASK, NULL,
                                      NULL, &pl.place);
        vo.may_secret = sv_record_may(&w->v, x->type, SV_RACT_SECRET, NULL,
                                      NULL, &pl.place);
        if (vo.n_asked > 0 && !vo.may_unmask) {
            x->o->field = "unmask";
            deny(&x->denied, sv_record_perm(x->type, SV_RACT_UNMASK), r.id);
            rc = SV_E_FORBIDDEN;
        }
    }
    if (rc == SV_OK)
        rc = open_level(c, x->tenant_id, &r, false, &r.sealed);
    if (rc == SV_OK && vo.may_secret)
        rc = open_level(c, x->tenant_id, &r, true, &r.secret);
    if (rc == SV_OK && (x->out = view(&r, s, &vo, g->reveals)) == NULL)
        rc = SV_E_INTERNAL;
    rec_free(&r);
    free(w);
    free(s);
    return rc;
}

/* DATA-3: one sensitive-data access event per value shown in clear. */
static enum sv_err
reveal_tx(struct sv_dbc *c, void *cls)
{
    struct get_ctx *g = cls;
    size_t i;
    json_t *f;
    enum sv_err rc = rquota_take_tx(
        c, g->x.tenant_id, g->x.actor->account_id, SV_QUOTA_UNMASKS_DAY,
        (int64_t)json_array_size(g->reveals), g->x.o);

    json_array_foreach(g->reveals, i, f)
    {
        if (rc != SV_OK)
            break;
        rc = sv_audit_json(c, g->x.tenant_id, g->x.actor,
                           SV_AUDIT_RECORD_REVEAL, "record", g->x.id, NULL,
                           json_pack("{s:s, s:O}", "type",
                                     sv_record_type_name(g->x.type), "field",
                                     f));
    }
    return rc;
}

enum sv_err
sv_records_get(struct sv_db *db, const char *tenant_id,
               enum sv_record_type type, const char *id, const char *unmask,
               const struct sv_actor *actor, json_t **out,
               struct sv_record_outcome *o)
{
    struct get_ctx g = {
        {tenant_id, type, id, NULL, actor, NULL, o, {0}}, unmask, json_array()};
    /* DATA-4: an account over its read quota costs no database work. */
    enum sv_err rc =
        rquota_reads_early(tenant_id, actor ? actor->account_id : NULL, o);

    *out = NULL;
    if (rc == SV_OK)
        rc = sv_db_run_tenant_ro(db, tenant_id, get_tx, &g);
    /* Nothing is shown that is not recorded first. */
    if (rc == SV_OK && json_array_size(g.reveals) > 0)
        rc = sv_db_run_tenant_tx(db, "record_reveal", tenant_id, reveal_tx, &g);
    json_decref(g.reveals);
    if (rc != SV_OK) {
        json_decref(g.x.out);
        rc = rquota_after(db, tenant_id, actor, rc, o);
        return sv_access_denied_after(db, tenant_id, actor, rc, &g.x.denied);
    }
    rquota_reads_count(tenant_id, actor->account_id, 1);
    *out = g.x.out;
    return SV_OK;
}

/* ---- pages ---- */

#define CURSOR_NAME "rn"
#define CURSOR_RECENT "rr"
#define CURSOR_BIN "rb"

struct list_ctx {
    struct sv_dbc *c;
    const char *tenant_id;
    const struct schema *s;
    json_t *items;
    int limit, n;
    bool more;
    enum sv_err rc;
    char last_id[37];
    char *last_key;
    int64_t last_time;
    bool bin;
    enum sv_where where; /* a list, or an export */
    size_t bytes;        /* stored bytes of the rows taken */
};

/* A page carries at most this many stored bytes (past one row): a page
 * of 200 records with every field at its longest would be tens of MiB. */
#define PAGE_BYTES_MAX (4u * 1024 * 1024)

static bool
list_row(void *cls, const struct records_row *row)
{
    struct list_ctx *l = cls;
    struct view_opts vo = {l->where, false, false, NULL, 0};
    struct rec r;

    if (l->n >= l->limit || l->more) {
        l->more = true;
        return true;
    }
    l->bytes += strlen(row->plain) + row->sealed_len;
    if (l->n > 0 && l->bytes > PAGE_BYTES_MAX) {
        l->more = true; /* the next page starts here */
        return true;
    }
    if (!rec_from_row(&r, row)) {
        rec_free(&r);
        l->rc = SV_E_INTERNAL;
        return false;
    }
    /* A list masks every confidential value: it is opened for its mask. */
    l->rc = open_level(l->c, l->tenant_id, &r, false, &r.sealed);
    if (l->rc == SV_OK) {
        if (json_array_append_new(l->items, view(&r, l->s, &vo, NULL)) != 0)
            l->rc = SV_E_INTERNAL;
        l->n++;
        snprintf(l->last_id, sizeof l->last_id, "%s", r.id);
        free(l->last_key);
        l->last_key = strdup(row->name_key);
        l->last_time = l->bin ? r.deleted_at : r.updated_at;
    }
    rec_free(&r);
    return l->rc == SV_OK && l->last_key != NULL;
}

/* The name_key range of the names starting with @p q (folded as name_key
 * is): [q, q + U+10FFFF). */
static bool
prefix_range(const char *q, char **low, char **high)
{
    size_t n = strlen(q);

    *low = strdup(q);
    *high = malloc(n + 5);
    if (*low == NULL || *high == NULL)
        return false;
    sv_ascii_lower(*low, *low);
    memcpy(*high, *low, n);
    memcpy(*high + n, "\xf4\x8f\xbf\xbf", 5);
    return true;
}

/*
 * An exact match on a sealed field answers "is this the value?" for every
 * record it reaches: only where the caller may see the value itself. The
 * page's reach becomes its read reach narrowed to where it holds the
 * field level's reveal permission; none: 403 naming "where".
 */
static enum sv_err
narrow_reach(struct sv_dbc *c, const char *tenant_id, const struct who *w,
             enum sv_record_type type, enum sv_level level,
             struct sv_record_reach *rd)
{
    enum sv_record_act a =
        level == SV_LEVEL_SECRET ? SV_RACT_SECRET : SV_RACT_UNMASK;
    struct sv_record_reach *rv = malloc(sizeof *rv);
    char *save = NULL, *tok, *list;
    char teams[sizeof rv->list];
    size_t off = 1;
    enum sv_err rc = SV_OK;

    if (rv == NULL)
        return SV_E_INTERNAL;
    sv_record_reach_of(&w->v, type, a, rv);
    if (!rv->all && rv->n == 0) {
        free(rv);
        return SV_E_FORBIDDEN;
    }
    rd->own = false;
    if (rv->all) {
        free(rv); /* the read reach as it is, but own records */
        return SV_OK;
    }
    if (rd->all) {
        rd->all = false;
        memcpy(rd->list, rv->list, sizeof rd->list);
        rd->n = rv->n;
        free(rv);
        return SV_OK;
    }
    /* Both by departments: the reveal's subtrees inside the read's
     * subtrees, then the read's departments alone (team_read) that the
     * reveal covers. */
    memcpy(teams, rd->list, sizeof teams);
    list = rv->list;
    rd->n = 0;
    memset(rd->list, 0, sizeof rd->list);
    rd->list[0] = ',';
    for (tok = strtok_r(list, ",", &save); rc == SV_OK && tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        struct sv_department_place pl;
        rc = sv_department_place_tx(c, tenant_id, tok, &pl);
        if (rc == SV_OK &&
            sv_access_allows(&w->v.g, sv_record_perm(type, SV_RACT_READ),
                             &pl.place)) {
            off += (size_t)snprintf(rd->list + off, sizeof rd->list - off,
                                    "%s,", tok);
            rd->n++;
        } else if (rc == SV_E_NOT_FOUND) {
            rc = SV_OK; /* deleted meanwhile: reaches nothing */
        }
    }
    for (tok = strtok_r(teams, ",", &save); rc == SV_OK && tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        struct sv_department_place pl;
        if (tok[0] != '=')
            continue;
        rc = sv_department_place_tx(c, tenant_id, tok + 1, &pl);
        if (rc == SV_OK &&
            sv_access_allows(&w->v.g, sv_record_perm(type, a), &pl.place)) {
            off += (size_t)snprintf(rd->list + off, sizeof rd->list - off,
                                    "%s,", tok);
            rd->n++;
        } else if (rc == SV_E_NOT_FOUND) {
            rc = SV_OK;
        }
    }
    free(rv);
    return rc;
}

struct page_ctx {
    struct op x;
    const struct sv_record_page_query *q;
    struct sv_arena *a;
    enum sv_where where; /* SV_WHERE_LIST, or an export's */
    int64_t count_max;   /* > 0: count the matches (up to this), no page */
    int64_t count;
    bool metered; /* a read the caller's read quota counts */
};

static enum sv_err
page_tx(struct sv_dbc *c, void *cls)
{
    struct page_ctx *p = cls;
    struct op *x = &p->x;
    const struct sv_record_page_query *q = p->q;
    const char *kind =
        q->bin ? CURSOR_BIN
        : (q->sort != NULL && strcmp(q->sort, "-updated_at") == 0)
            ? CURSOR_RECENT
            : CURSOR_NAME;
    struct who *w = malloc(sizeof *w);
    struct schema *s = malloc(sizeof *s);
    struct sv_record_reach *reach = malloc(sizeof *reach);
    char *term = malloc(TERM_MAX), *canon = malloc(SV_VALUE_MAX + 1);
    char *low = NULL, *high = NULL, *where_field = NULL;
    struct records_query rq = {0};
    struct list_ctx l = {0};
    enum sv_err rc = w && s && reach && term && canon ? SV_OK : SV_E_INTERNAL;
    enum sv_qs qs;

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    x->o->field = NULL;
    if (rc == SV_OK && q->sort != NULL && strcmp(q->sort, "name") != 0 &&
        strcmp(q->sort, "-updated_at") != 0) {
        x->o->field = "sort";
        rc = SV_E_FIELD_INVALID;
    }
    if (rc == SV_OK)
        rc = who_load(c, x->tenant_id, x->actor, w);
    if (rc == SV_OK && p->metered)
        rc = rquota_reads_tx(c, x->tenant_id, w->v.me, x->o);
    if (rc == SV_OK)
        rc = schema_load(c, x->tenant_id, x->type, s);
    if (rc == SV_OK) {
        sv_record_reach_of(&w->v, x->type,
                           q->bin ? SV_RACT_WRITE : SV_RACT_READ, reach);
        rq.type = sv_record_type_name(x->type);
        rq.me = reach->own ? w->v.me : "";
        rq.all = reach->all;
        rq.roots = reach->n > 0 ? reach->list : NULL;
        rq.veil = sv_veil_param(&w->veil);
        rq.parent_id = q->parent_id;
        rq.owner_id = q->owner_id;
        rq.department_id = q->department_id;
        rq.recent = strcmp(kind, CURSOR_RECENT) == 0;
        rq.own_only = !reach->all && reach->n == 0;
        rq.limit = q->limit + 1;
    }
    if (rc == SV_OK && q->q != NULL) {
        if (!prefix_range(q->q, &low, &high))
            rc = SV_E_INTERNAL;
        rq.prefix_low = low;
        rq.prefix_high = high;
    }
    if (rc == SV_OK && q->where != NULL) {
        const char *colon = strchr(q->where, ':');
        const struct sv_field_def *f = NULL;
        if (colon != NULL && (size_t)(colon - q->where) <= SV_FIELD_NAME_MAX &&
            (where_field = strndup(q->where, (size_t)(colon - q->where))) !=
                NULL)
            f = schema_field(s, where_field);
        if (f == NULL || !(f->flags & SV_FIELD_IDX) ||
            sv_value_canon(f->type, f->max, colon + 1, w->t.phone_region, canon,
                           SV_VALUE_MAX + 1) != NULL ||
            term_of(c, x->tenant_id, x->type, f, canon, term, TERM_MAX) !=
                SV_OK) {
            x->o->field = "where";
            rc = SV_E_FIELD_INVALID;
        } else {
            rq.term_field = f->name;
            rq.term = term;
            if (sv_level_policy(f->level)->sealed) {
                rc = narrow_reach(c, x->tenant_id, w, x->type, f->level, reach);
                if (rc == SV_E_FORBIDDEN) {
                    x->o->field = "where";
                    deny(&x->denied,
                         sv_record_perm(x->type, f->level == SV_LEVEL_SECRET
                                                     ? SV_RACT_SECRET
                                                     : SV_RACT_UNMASK),
                         NULL);
                }
                rq.me = "";
                rq.all = reach->all;
                rq.roots = reach->n > 0 ? reach->list : NULL;
                rq.own_only = false;
            }
        }
    }
    if (rc == SV_OK && q->cursor != NULL) {
        const char *id = NULL, *key = NULL;
        if (!sv_cursor_key_decode(p->a, kind, q->cursor, SV_VALUE_MAX, &id,
                                  &key)) {
            x->o->field = "cursor";
            rc = SV_E_FIELD_INVALID;
        } else {
            char *end = NULL;
            rq.after_id = id;
            rq.after_key = key;
            if (strcmp(kind, CURSOR_NAME) != 0) {
                rq.after_time = strtoll(key, &end, 10);
                if (end == key || *end != '\0') {
                    x->o->field = "cursor";
                    rc = SV_E_FIELD_INVALID;
                }
            }
        }
    }
    if (rc == SV_OK && q->bin)
        rq.own_only = false;
    if (rc == SV_OK && !reach->all && reach->n == 0 && !reach->own) {
        /* Reaches nothing: an empty page, not an error. */
        p->count = 0;
        x->out = json_pack("{s:[], s:n}", "items", "next_cursor");
    } else if (rc == SV_OK && p->count_max > 0) {
        rq.limit = p->count_max > INT32_MAX ? INT32_MAX : (int)p->count_max;
        rc = sv_qs_ok(records_store_count(c, x->tenant_id, &rq, &p->count));
        if (rc == SV_OK && (x->out = json_object()) == NULL)
            rc = SV_E_INTERNAL;
    } else if (rc == SV_OK) {
        l.c = c;
        l.tenant_id = x->tenant_id;
        l.s = s;
        l.items = json_array();
        l.limit = q->limit;
        l.bin = q->bin;
        l.where = p->where;
        qs = q->bin ? records_store_bin(c, x->tenant_id, &rq, list_row, &l)
                    : records_store_list(c, x->tenant_id, &rq, list_row, &l);
        if (l.rc != SV_OK)
            rc = l.rc;
        else if (qs < 0)
            rc = sv_qs_err(qs);
        if (rc == SV_OK) {
            const char *next = NULL;
            if (l.more && l.n > 0) {
                char t[24];
                snprintf(t, sizeof t, "%lld", (long long)l.last_time);
                next = sv_cursor_key_encode(
                    p->a, kind, l.last_id,
                    strcmp(kind, CURSOR_NAME) == 0 ? l.last_key : t);
            }
            x->out = json_pack("{s:O, s:o}", "items", l.items, "next_cursor",
                               next != NULL ? json_string(next) : json_null());
        }
        json_decref(l.items);
        free(l.last_key);
    }
    if (term != NULL)
        sodium_memzero(term, TERM_MAX);
    if (canon != NULL)
        sodium_memzero(canon, SV_VALUE_MAX + 1);
    free(term);
    free(canon);
    free(low);
    free(high);
    free(where_field);
    free(w);
    free(s);
    free(reach);
    return rc;
}

enum sv_err
sv_records_list(struct sv_db *db, const char *tenant_id,
                enum sv_record_type type, const struct sv_record_page_query *q,
                const struct sv_actor *actor, json_t **page,
                struct sv_record_outcome *o)
{
    struct page_ctx p = {{tenant_id, type, NULL, NULL, actor, NULL, o, {0}},
                         q,
                         sv_arena_new(),
                         SV_WHERE_LIST,
                         0,
                         0,
                         true};
    /* DATA-4: an account over its read quota costs no database work. */
    enum sv_err rc =
        rquota_reads_early(tenant_id, actor ? actor->account_id : NULL, o);

    *page = NULL;
    if (rc == SV_OK)
        rc = p.a != NULL ? sv_db_run_tenant_ro(db, tenant_id, page_tx, &p)
                         : SV_E_INTERNAL;
    sv_arena_free(p.a);
    if (rc != SV_OK) {
        json_decref(p.x.out);
        rc = rquota_after(db, tenant_id, actor, rc, o);
        return sv_access_denied_after(db, tenant_id, actor, rc, &p.x.denied);
    }
    rquota_reads_count(
        tenant_id, actor->account_id,
        (int64_t)json_array_size(json_object_get(p.x.out, "items")));
    *page = p.x.out;
    return SV_OK;
}

/* ---- exports (DATA-4) ---- */

struct export_ctx {
    struct op x;
    const struct sv_record_page_query *q;
    int64_t rows;
    json_t *columns;
};

/* The columns; then, for rows to export, the rows taken from the quota and
 * recorded: one transaction. */
static enum sv_err
export_begin_tx(struct sv_dbc *c, void *cls)
{
    struct export_ctx *e = cls;
    const struct sv_record_page_query *q = e->q;
    struct schema *s = malloc(sizeof *s);
    const char *colon = q->where != NULL ? strchr(q->where, ':') : NULL;
    json_t *filters = json_object();
    enum sv_err rc = s != NULL && filters != NULL ? SV_OK : SV_E_INTERNAL;

    json_array_clear(e->columns); /* an attempt retried starts over */
    if (rc == SV_OK)
        rc = schema_load(c, e->x.tenant_id, e->x.type, s);
    for (size_t i = 0; rc == SV_OK && i < s->n; i++)
        if (sv_field_show(s->f[i].level, SV_WHERE_EXPORT, false, false) !=
                SV_SHOW_OMITTED &&
            json_array_append_new(e->columns, json_string(s->f[i].name)) != 0)
            rc = SV_E_INTERNAL;
    if (rc == SV_OK && e->rows > 0)
        rc = rquota_take_tx(c, e->x.tenant_id, e->x.actor->account_id,
                            SV_QUOTA_EXPORT_ROWS_DAY, e->rows, e->x.o);
    if (rc == SV_OK && e->rows > 0) {
        /* The filters as given; an exact match by its field only (its
         * value may be sealed). */
        if (q->q != NULL)
            json_object_set_new(filters, "q", json_string(q->q));
        if (colon != NULL)
            json_object_set_new(
                filters, "where_field",
                json_stringn(q->where, (size_t)(colon - q->where)));
        if (q->owner_id != NULL)
            json_object_set_new(filters, "owner_id", json_string(q->owner_id));
        if (q->department_id != NULL)
            json_object_set_new(filters, "department_id",
                                json_string(q->department_id));
        if (q->parent_id != NULL)
            json_object_set_new(filters, "parent_id",
                                json_string(q->parent_id));
        rc = sv_audit_json(
            c, e->x.tenant_id, e->x.actor, SV_AUDIT_RECORD_EXPORT,
            "record_type", sv_record_type_name(e->x.type), NULL,
            json_pack("{s:s, s:I, s:O}", "type", sv_record_type_name(e->x.type),
                      "rows", (json_int_t)e->rows, "filters", filters));
    }
    json_decref(filters);
    free(s);
    return rc;
}

static enum sv_err
limits_ro(struct sv_dbc *c, void *cls)
{
    struct export_ctx *e = cls;
    struct sv_quota_limits lim;
    enum sv_err rc = rquota_limits_tx(c, e->x.tenant_id, &lim);

    e->rows = lim.v[SV_QUOTA_EXPORT_ROWS_DAY];
    return rc;
}

enum sv_err
sv_records_export_begin(struct sv_db *db, const char *tenant_id,
                        enum sv_record_type type,
                        const struct sv_record_page_query *q,
                        const struct sv_actor *actor, int64_t *rows,
                        json_t **columns, struct sv_record_outcome *o)
{
    struct page_ctx p = {{tenant_id, type, NULL, NULL, actor, NULL, o, {0}},
                         q,
                         sv_arena_new(),
                         SV_WHERE_EXPORT,
                         0,
                         0,
                         false};
    struct export_ctx e = {
        {tenant_id, type, NULL, NULL, actor, NULL, o, {0}}, q, 0, json_array()};
    enum sv_err rc = p.a != NULL && e.columns != NULL && actor != NULL &&
                             actor->account_id != NULL
                         ? SV_OK
                         : SV_E_INTERNAL;

    *rows = 0;
    *columns = NULL;
    /* Counted up to the day's whole quota and one: past that it is refused
     * without reading further. */
    if (rc == SV_OK)
        rc = sv_db_run_tenant_ro(db, tenant_id, limits_ro, &e);
    p.count_max = e.rows + 1;
    if (rc == SV_OK)
        rc = sv_db_run_tenant_ro(db, tenant_id, page_tx, &p);
    json_decref(p.x.out);
    sv_arena_free(p.a);
    e.rows = p.count;
    if (rc == SV_OK)
        rc = e.rows > 0
                 ? sv_db_run_tenant_tx(db, "record_export", tenant_id,
                                       export_begin_tx, &e)
                 : sv_db_run_tenant_ro(db, tenant_id, export_begin_tx, &e);
    if (rc != SV_OK) {
        json_decref(e.columns);
        rc = rquota_after(db, tenant_id, actor, rc, o);
        return sv_access_denied_after(db, tenant_id, actor, rc, &p.x.denied);
    }
    *rows = e.rows;
    *columns = e.columns;
    return SV_OK;
}

enum sv_err
sv_records_export_page(struct sv_db *db, const char *tenant_id,
                       enum sv_record_type type,
                       const struct sv_record_page_query *q,
                       const struct sv_actor *actor, json_t **page)
{
    struct sv_record_outcome o = {0};
    struct page_ctx p = {{tenant_id, type, NULL, NULL, actor, NULL, &o, {0}},
                         q,
                         sv_arena_new(),
                         SV_WHERE_EXPORT,
                         0,
                         0,
                         false};
    enum sv_err rc = p.a != NULL
                         ? sv_db_run_tenant_ro(db, tenant_id, page_tx, &p)
                         : SV_E_INTERNAL;

    sv_arena_free(p.a);
    *page = rc == SV_OK ? p.x.out : NULL;
    if (rc != SV_OK)
        json_decref(p.x.out);
    return rc;
}

/* ---- the schema, custom fields, the pipeline ---- */

struct schema_ctx {
    const char *tenant_id;
    enum sv_record_type type;
    const char *viewer;
    json_t *out;
};

static json_t *
field_json(const struct schema *s, size_t i, const struct stages *st)
{
    const struct sv_field_def *f = &s->f[i];
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:b, s:b, s:I, s:s, s:b}", "name", f->name, "type",
        sv_ftype_name(f->type), "level", sv_level_name(f->level), "required",
        (f->flags & SV_FIELD_REQ) != 0, "indexed",
        (f->flags & SV_FIELD_IDX) != 0, "max", (json_int_t)f->max, "label",
        s->custom[i] ? s->labels[i] : f->name, "built_in", !s->custom[i]);

    if (f->type == SV_FTYPE_CHOICE) {
        json_t *ch = json_array();
        if (s->type == SV_RTYPE_ACTIVITY) {
            for (size_t k = 0;
                 k < sizeof ACTIVITY_KINDS / sizeof *ACTIVITY_KINDS; k++)
                json_array_append_new(ch, json_pack("{s:s, s:s}", "key",
                                                    ACTIVITY_KINDS[k], "label",
                                                    ACTIVITY_KINDS[k]));
        } else {
            for (size_t k = 0; k < st->n; k++)
                json_array_append_new(ch,
                                      json_pack("{s:s, s:s}", "key", st->key[k],
                                                "label", st->label[k]));
        }
        json_object_set_new(o, "choices", ch);
    }
    return o;
}

static enum sv_err
schema_tx(struct sv_dbc *c, void *cls)
{
    struct schema_ctx *x = cls;
    struct sv_actor actor = {x->viewer, NULL, NULL, NULL};
    struct who *w = malloc(sizeof *w);
    struct schema *s = malloc(sizeof *s);
    struct stages *st = malloc(sizeof *st);
    struct sv_record_reach rr, rw;
    enum sv_err rc = w && s && st ? SV_OK : SV_E_INTERNAL;
    enum sv_record_type parent;

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    if (rc == SV_OK)
        rc = who_load(c, x->tenant_id, &actor, w);
    if (rc == SV_OK)
        rc = schema_load(c, x->tenant_id, x->type, s);
    if (rc == SV_OK)
        rc = stages_load(c, x->tenant_id, st);
    if (rc == SV_OK) {
        json_t *fields = json_array();
        for (size_t i = 0; i < s->n; i++)
            json_array_append_new(fields, field_json(s, i, st));
        sv_record_reach_of(&w->v, x->type, SV_RACT_READ, &rr);
        sv_record_reach_of(&w->v, x->type, SV_RACT_WRITE, &rw);
        parent = sv_record_type_parent(x->type);
        x->out = json_pack(
            "{s:s, s:o, s:o, s:{s:s, s:s, s:b, s:b}}", "type",
            sv_record_type_name(x->type), "parent_type",
            parent != SV_RTYPE_NONE ? json_string(sv_record_type_name(parent))
                                    : json_null(),
            "fields", fields, "access", "read", reach_name(&rr), "write",
            reach_name(&rw), "unmask",
            (sv_access_any_perms(&w->v.g) &
             SV_PERM_BIT(sv_record_perm(x->type, SV_RACT_UNMASK))) != 0,
            "read_secret",
            (sv_access_any_perms(&w->v.g) &
             SV_PERM_BIT(sv_record_perm(x->type, SV_RACT_SECRET))) != 0);
    }
    free(w);
    free(s);
    free(st);
    return rc;
}

enum sv_err
sv_records_schema(struct sv_db *db, const char *tenant_id,
                  enum sv_record_type type, const char *viewer, json_t **out)
{
    struct schema_ctx x = {tenant_id, type, viewer, NULL};
    enum sv_err rc = sv_db_run_tenant_ro(db, tenant_id, schema_tx, &x);

    *out = NULL;
    if (rc != SV_OK) {
        json_decref(x.out);
        return rc;
    }
    *out = x.out;
    return SV_OK;
}

static bool
check_label(const char *s, size_t len)
{
    return sv_check_plain_text(s, len, 1, SV_RECORD_LABEL_MAX);
}

static enum sv_err
field_create_tx(struct sv_dbc *c, void *cls)
{
    struct op *x = cls;
    const struct sv_custom_field_input *in = x->in;
    const char *name = in->name, *label = in->label;
    bool required = in->required, indexed = in->indexed;
    struct schema *s = malloc(sizeof *s);
    struct sv_field_def d = {0};
    size_t customs = 0;
    const char *bad;
    enum sv_err rc = s != NULL ? SV_OK : SV_E_INTERNAL;

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    x->o->field = NULL;
    if (rc == SV_OK && !sv_ftype_parse(in->type, &d.type)) {
        x->o->field = "type";
        rc = SV_E_FIELD_INVALID;
    }
    if (rc == SV_OK && (label != NULL && !check_label(label, strlen(label)))) {
        x->o->field = "label";
        rc = SV_E_FIELD_INVALID;
    }
    if (rc == SV_OK && !sv_level_parse(in->level, &d.level)) {
        x->o->field = "level";
        rc = SV_E_FIELD_INVALID;
    }
    if (rc == SV_OK) {
        d.name = name;
        d.flags = (required ? SV_FIELD_REQ : 0) | (indexed ? SV_FIELD_IDX : 0);
        d.max = in->max > 0 ? (size_t)in->max : 0;
        /* An indexed text without a max takes the longest an index reads. */
        if (indexed && d.type == SV_FTYPE_TEXT && d.max == 0)
            d.max = SV_INDEXED_TEXT_MAX;
        if ((bad = sv_custom_field_check(x->type, &d)) != NULL) {
            x->o->field = bad;
            rc = SV_E_FIELD_INVALID;
        }
    }
    if (rc == SV_OK) /* the cap below holds against a field made meanwhile */
        rc = sv_qs_ok(records_store_config_lock(c, x->tenant_id));
    if (rc == SV_OK)
        rc = schema_load(c, x->tenant_id, x->type, s);
    if (rc == SV_OK) {
        for (size_t i = 0; i < s->n; i++)
            customs += s->custom[i];
        if (schema_field(s, name) != NULL) {
            x->o->field = "name";
            rc = SV_E_EXISTS;
        } else if (customs >= SV_CUSTOM_FIELDS_MAX) {
            rc = SV_E_CONFLICT;
        }
    }
    if (rc == SV_OK) {
        struct records_field_row row = {name,
                                        sv_ftype_name(d.type),
                                        sv_level_name(d.level),
                                        label != NULL ? label : name,
                                        (int64_t)d.flags,
                                        (int64_t)d.max};
        rc = sv_qs_ok(records_store_field_insert(
            c, x->tenant_id, sv_record_type_name(x->type), &row, sv_now_ms()));
    }
    if (rc == SV_OK)
        rc = sv_audit_json(
            c, x->tenant_id, x->actor, SV_AUDIT_RECORD_FIELD_CREATE,
            "record_type", sv_record_type_name(x->type), NULL,
            json_pack("{s:s, s:s, s:s, s:b, s:b}", "name", name, "type",
                      sv_ftype_name(d.type), "level", sv_level_name(d.level),
                      "required", required, "indexed", indexed));
    if (rc == SV_OK)
        rc = schema_load(c, x->tenant_id, x->type, s);
    if (rc == SV_OK) {
        const struct sv_field_def *f = schema_field(s, name);
        x->out = f != NULL ? field_json(s, (size_t)(f - s->f), NULL) : NULL;
        if (x->out == NULL)
            rc = SV_E_INTERNAL;
    }
    free(s);
    return rc;
}

enum sv_err
sv_records_field_create(struct sv_db *db, const char *tenant_id,
                        enum sv_record_type type,
                        const struct sv_custom_field_input *in,
                        const struct sv_actor *actor, json_t **out,
                        struct sv_record_outcome *o)
{
    struct op x = {tenant_id, type, NULL, in, actor, NULL, o, {0}};

    return run_change(db, "record_field_create", field_create_tx, &x, out);
}

static json_t *
stages_json(const struct stages *st)
{
    json_t *a = json_array();
    for (size_t i = 0; i < st->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "key", st->key[i],
                                           "label", st->label[i]));
    return json_pack("{s:o}", "stages", a);
}

static enum sv_err
pipeline_tx(struct sv_dbc *c, void *cls)
{
    struct op *x = cls;
    struct stages st;
    enum sv_err rc = stages_load(c, x->tenant_id, &st);

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    if (rc == SV_OK)
        x->out = stages_json(&st);
    return rc;
}

enum sv_err
sv_records_pipeline(struct sv_db *db, const char *tenant_id, json_t **out)
{
    struct op x = {
        tenant_id, SV_RTYPE_OPPORTUNITY, NULL, NULL, NULL, NULL, NULL, {0}};
    enum sv_err rc = sv_db_run_tenant_ro(db, tenant_id, pipeline_tx, &x);

    *out = rc == SV_OK ? x.out : NULL;
    if (rc != SV_OK)
        json_decref(x.out);
    return rc;
}

struct pipeline_in {
    const struct sv_stage_input *stages;
    size_t n;
};

static enum sv_err
pipeline_set_tx(struct sv_dbc *c, void *cls)
{
    struct op *x = cls;
    const struct pipeline_in *in = x->in;
    struct stages *old = malloc(sizeof *old), *neu = malloc(sizeof *neu);
    json_t *keys;
    size_t i;
    enum sv_err rc = old && neu ? SV_OK : SV_E_INTERNAL;
    enum sv_qs qs;

    json_decref(x->out); /* an attempt retried starts over */
    x->out = NULL;
    x->o->field = "stages";
    if (rc == SV_OK && (in->n < 1 || in->n > SV_PIPELINE_STAGES_MAX))
        rc = SV_E_FIELD_INVALID;
    if (rc == SV_OK) {
        memset(neu, 0, sizeof *neu);
        for (i = 0; i < in->n; i++) {
            const char *key = in->stages[i].key, *label = in->stages[i].label;
            char canon[40];
            if (sv_value_canon(SV_FTYPE_CHOICE, 32, key, NULL, canon,
                               sizeof canon) != NULL ||
                !check_label(label, strlen(label)) ||
                choice_ok(SV_RTYPE_OPPORTUNITY, "stage", neu, key)) {
                rc = SV_E_FIELD_INVALID;
                break;
            }
            stage_row(neu, key, label);
        }
    }
    if (rc == SV_OK) /* one change of the pipeline at a time */
        rc = sv_qs_ok(records_store_config_lock(c, x->tenant_id));
    if (rc == SV_OK)
        rc = stages_load(c, x->tenant_id, old);
    /* A stage an opportunity is at, live or in the bin (a restore brings
     * it back at its stage), stays. An opportunity written meanwhile at a
     * stage this removes is not seen on PostgreSQL (docs/records.md). */
    for (i = 0; rc == SV_OK && i < old->n; i++) {
        if (choice_ok(SV_RTYPE_OPPORTUNITY, "stage", neu, old->key[i]))
            continue;
        if ((qs = records_store_stage_used(c, x->tenant_id, old->key[i])) < 0)
            rc = sv_qs_err(qs);
        else if (qs == SV_QS_ONE)
            rc = SV_E_CONFLICT;
    }
    if (rc == SV_OK)
        rc = sv_qs_ok(records_store_stages_clear(c, x->tenant_id));
    for (i = 0; rc == SV_OK && i < neu->n; i++)
        rc = sv_qs_ok(records_store_stage_add(c, x->tenant_id, neu->key[i],
                                              neu->label[i], (int64_t)i));
    if (rc == SV_OK) {
        keys = json_array();
        for (i = 0; i < neu->n; i++)
            json_array_append_new(keys, json_string(neu->key[i]));
        rc = sv_audit_json(c, x->tenant_id, x->actor,
                           SV_AUDIT_RECORD_PIPELINE_UPDATE, "pipeline", NULL,
                           NULL, json_pack("{s:o}", "stages", keys));
    }
    if (rc == SV_OK) {
        x->o->field = NULL;
        x->out = stages_json(neu);
    }
    free(old);
    free(neu);
    return rc;
}

enum sv_err
sv_records_pipeline_set(struct sv_db *db, const char *tenant_id,
                        const struct sv_stage_input *stages, size_t n,
                        const struct sv_actor *actor, json_t **out,
                        struct sv_record_outcome *o)
{
    struct pipeline_in in = {stages, n};
    struct op x = {tenant_id, SV_RTYPE_OPPORTUNITY, NULL, &in, actor, NULL, o,
                   {0}};

    return run_change(db, "record_pipeline_set", pipeline_set_tx, &x, out);
}

/* ---- offboarding, the bin's sweep ---- */

enum sv_err
sv_records_offboard_tx(struct sv_dbc *c, const char *tenant_id,
                       const char *account_id, const char *successor_id,
                       int64_t *n)
{
    return sv_qs_ok(records_store_hand_over(c, tenant_id, account_id,
                                            successor_id, sv_now_ms(), n));
}

struct sweep_ctx {
    const char *tenant_id;
    size_t n;
    char ids[100][37];
    char types[100][16];
};

static bool
sweep_row(void *cls, const struct records_row *row)
{
    struct sweep_ctx *s = cls;
    if (s->n < 100) {
        snprintf(s->ids[s->n], sizeof s->ids[0], "%s", row->id);
        snprintf(s->types[s->n], sizeof s->types[0], "%s", row->type);
        s->n++;
    }
    return true;
}

/* The oldest expired records of the tenant (a read: most sweeps find
 * none and write nothing). */
static enum sv_err
sweep_probe_tx(struct sv_dbc *c, void *cls)
{
    struct sweep_ctx *s = cls;
    int64_t before = sv_now_ms() - (int64_t)SV_RECORD_BIN_DAYS * 86400000;

    s->n = 0;
    return sv_qs_ok(
        records_store_expired(c, s->tenant_id, before, 100, sweep_row, s));
}

/* Purge what the probe found (each still in the bin: a restore meanwhile
 * keeps it). */
static enum sv_err
sweep_tx(struct sv_dbc *c, void *cls)
{
    struct sweep_ctx *s = cls;
    enum sv_err rc = SV_OK;
    enum sv_qs qs;

    for (size_t i = 0; rc == SV_OK && i < s->n; i++) {
        qs = records_store_has_children(c, s->tenant_id, s->ids[i], false);
        if (qs != SV_QS_NONE) {
            rc = qs < 0 ? sv_qs_err(qs) : SV_OK; /* its own later */
            continue;
        }
        rc = sv_qs_ok(records_store_terms_clear(c, s->tenant_id, s->ids[i]));
        if (rc == SV_OK) {
            qs = records_store_purge(c, s->tenant_id, s->ids[i]);
            if (qs < 0)
                rc = sv_qs_err(qs);
            else if (qs == SV_QS_NONE)
                continue; /* restored meanwhile */
        }
        if (rc == SV_OK)
            rc = sv_audit_json(c, s->tenant_id, NULL, SV_AUDIT_RECORD_PURGE,
                               "record", s->ids[i], "bin_expired",
                               json_pack("{s:s}", "type", s->types[i]));
    }
    return rc;
}

/* DATA-4: the quotas' counts of the days before yesterday. */
static enum sv_err
usage_prune_tx(struct sv_dbc *c, void *cls)
{
    const char *tenant_id = cls;
    return sv_qs_ok(
        records_store_usage_prune(c, tenant_id, sv_quota_day(sv_now_ms()) - 1));
}

void
sv_records_sweep(struct sv_app *app)
{
    struct sv_tenant_ids ts = {0};
    struct sweep_ctx *s = malloc(sizeof *s);

    if (s != NULL && sv_tenant_ids(app->db, &ts) == SV_OK) {
        /* At most 10 batches of 100 per tenant and sweep: a bin filled
         * faster than that empties over the next sweeps, never in one
         * long hold of the writer. */
        for (size_t i = 0; i < ts.n; i++) {
            if (sv_db_run_tenant_tx(app->db, "record_usage_prune", ts.ids[i],
                                    usage_prune_tx, ts.ids[i]) != SV_OK)
                sv_log(SV_LOG_WARN, "records usage prune failed", "%s",
                       "next time");
            s->tenant_id = ts.ids[i];
            for (int batch = 0; batch < 10; batch++) {
                if (sv_db_run_tenant_ro(app->db, ts.ids[i], sweep_probe_tx,
                                        s) != SV_OK ||
                    s->n == 0)
                    break;
                if (sv_db_run_tenant_tx(app->db, "record_bin_sweep", ts.ids[i],
                                        sweep_tx, s) != SV_OK) {
                    sv_log(SV_LOG_WARN, "recycle bin sweep failed", "%s",
                           "next time");
                    break;
                }
                if (s->n < 100)
                    break;
            }
        }
    }
    free(ts.ids);
    free(s);
}
