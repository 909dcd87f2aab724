/* Error catalogue: see errors.def. */
#ifndef SV_CORE_ERRORS_H
#define SV_CORE_ERRORS_H

#define SV_MUST_CHECK __attribute__((warn_unused_result))

enum sv_err {
#define SV_ERR(name, status, code, msg) SV_E_##name,
#include "core/errors.def"
#undef SV_ERR
    SV_E__COUNT
};
#define SV_OK SV_E_OK

/** HTTP status for @p e (500 for out-of-range values). */
unsigned sv_err_status(enum sv_err e);
/** Stable code string for @p e, e.g. "field_invalid". */
const char *sv_err_code(enum sv_err e);
/** Human message for @p e; never contains request data. */
const char *sv_err_message(enum sv_err e);

/** Abort on internal API misuse (a bug, not an error). */
#define sv_assert(x) ((x) ? (void)0 : sv_abort_at(__FILE__, __LINE__, #x))
/** A check that should never fire: asserts in debug, evaluates in release. */
#ifdef NDEBUG
#define SV_NEVER(x) (x)
#else
#define SV_NEVER(x) ((x) ? (sv_abort_at(__FILE__, __LINE__, #x), 1) : 0)
#endif
__attribute__((noreturn)) void sv_abort_at(const char *file, int line,
                                           const char *what);

#endif
