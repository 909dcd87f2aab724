/*
 * hashcost: time one Argon2id password hash (libsodium crypto_pwhash_str)
 * at the given cost, the work every successful or failed login pays.
 *
 * usage: hashcost OPSLIMIT MEMLIMIT_KIB [RUNS]
 * prints: ms_per_hash=<median> min=<ms> max=<ms> runs=<n> opslimit=<n>
 * memlimit_kib=<n>
 *
 * Built on the fly by bench/run.sh: cc -O2 -o hashcost hashcost.c -lsodium
 */
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_RUNS = 50 };

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static int
parse_ull(const char *s, unsigned long long *out)
{
    char *end = NULL;
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    *out = strtoull(s, &end, 10);
    return (end != NULL && *end == '\0') ? 0 : -1;
}

int
main(int argc, char **argv)
{
    unsigned long long ops, mem_kib, runs = 5;
    if (argc < 3 || parse_ull(argv[1], &ops) != 0 ||
        parse_ull(argv[2], &mem_kib) != 0 ||
        (argc > 3 && parse_ull(argv[3], &runs) != 0)) {
        fprintf(stderr, "usage: %s OPSLIMIT MEMLIMIT_KIB [RUNS]\n", argv[0]);
        return 2;
    }
    if (runs < 1)
        runs = 1;
    if (runs > MAX_RUNS)
        runs = MAX_RUNS;
    if (sodium_init() < 0) {
        fprintf(stderr, "hashcost: sodium_init failed\n");
        return 1;
    }
    size_t memlimit = (size_t)mem_kib * 1024u;
    if (ops < crypto_pwhash_OPSLIMIT_MIN ||
        memlimit < crypto_pwhash_MEMLIMIT_MIN) {
        fprintf(stderr,
                "hashcost: opslimit/memlimit below libsodium minimum\n");
        return 2;
    }

    /* A password of the usual length; the cost does not depend on it. */
    static const char pw[] = "correct-Horse-battery-9-staple";
    char out[crypto_pwhash_STRBYTES];
    double t[MAX_RUNS];

    /* One untimed warm-up: page in the memory arena once. */
    if (crypto_pwhash_str(out, pw, sizeof pw - 1, ops, memlimit) != 0) {
        fprintf(stderr,
                "hashcost: crypto_pwhash_str failed (out of memory?)\n");
        return 1;
    }
    for (unsigned long long i = 0; i < runs; i++) {
        double t0 = now_ms();
        if (crypto_pwhash_str(out, pw, sizeof pw - 1, ops, memlimit) != 0) {
            fprintf(stderr, "hashcost: crypto_pwhash_str failed\n");
            return 1;
        }
        t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    double median =
        (runs % 2) ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2.0;
    printf("ms_per_hash=%.2f min=%.2f max=%.2f runs=%llu opslimit=%llu "
           "memlimit_kib=%llu\n",
           median, t[0], t[runs - 1], runs, ops, mem_kib);
    return 0;
}
