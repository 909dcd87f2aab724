/* libFuzzer entry point shared by the fuzz targets and the replay driver. */
#ifndef SV_TESTS_FUZZ_H
#define SV_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs above this are skipped: parsers sit behind body limits anyway. */
#define FUZZ_MAX_INPUT (64 * 1024)

#endif
