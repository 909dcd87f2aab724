/* Numbered schema migrations, embedded from src/db/migrations/NNN_name.sql. */
#ifndef SV_DB_MIGRATE_H
#define SV_DB_MIGRATE_H

#include <stddef.h>

#include "core/errors.h"

struct sv_dbc;

struct sv_migration {
    int number;
    const char *name;
    const char *sql_sqlite;   /* the same text as sql_postgres unless the */
    const char *sql_postgres; /* migration has one file per engine */
};

extern const struct sv_migration sv_migrations[];
extern const size_t sv_migrations_len;

/** Apply every migration not yet recorded in schema_migrations, in order. */
SV_MUST_CHECK enum sv_err sv_migrate(struct sv_dbc *c, char *err,
                                     size_t err_len);

#endif
