/*
 * Personal data as the directory stores it (DIR-4): the canonical form of
 * each value before it is sealed and blind-indexed, so that an exact-match
 * search finds "ALICE@example.com " under "alice@example.com", and the
 * rules a value must meet. Pure functions over text: no database, no keys.
 */
#ifndef SV_DIRECTORY_PERSONAL_H
#define SV_DIRECTORY_PERSONAL_H

#include <stdbool.h>
#include <stddef.h>

/** Length of a mainland China resident identity number (GB 11643-1999). */
#define SV_RESIDENT_ID_LEN 18
/** Longest e-mail address (RFC 5321: 64 + "@" + 255, capped at 254). */
#define SV_PERSONAL_EMAIL_MAX 254

/**
 * Canonical e-mail address: surrounding white space removed, ASCII lower
 * case; exactly one "@" with a non-empty local part and domain, no white
 * space or control character inside, at most SV_PERSONAL_EMAIL_MAX bytes.
 * Writes @p out (SV_PERSONAL_EMAIL_MAX + 1 bytes) and returns true, or
 * returns false and leaves @p out empty.
 */
bool sv_email_normalise(const char *in, char out[SV_PERSONAL_EMAIL_MAX + 1]);

/**
 * Canonical mainland resident identity number: surrounding white space
 * removed, a final "x" upper-cased; then 17 digits and a check character,
 * a province code that exists (11-15, 21-23, 31-37, 41-46, 50-54, 61-65,
 * 71, 81-83), a birth date that is a real calendar day from 1900 on, and
 * the ISO 7064 MOD 11-2 check character (GB 11643-1999). Writes @p out and
 * returns true, or returns false and leaves @p out empty.
 */
bool sv_resident_id_normalise(const char *in, char out[SV_RESIDENT_ID_LEN + 1]);

/** The check character of the first 17 digits of @p id17 ('0'-'9' or 'X'). */
char sv_resident_id_check_char(const char *id17);

#endif
