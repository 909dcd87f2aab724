# Salesvault: the two commands a user needs are `make run` and `make test`.
# Both install what is missing (Debian packages through apt) and are safe to
# run twice.

BUILD      ?= build
ASAN_BUILD ?= build-asan
DATA       ?= var
LISTEN     ?= 127.0.0.1:8443

.PHONY: all deps build build-asan run test unit api fuzz bench clean format

all: build

deps:
	@bash scripts/deps.sh build
	@bash scripts/npm-ci.sh web

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Dwerror=true \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dtest_hooks=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The test build has the test hooks (the CAPTCHA answer in a header); an
# older build dir gets the option added.
build-asan: deps $(ASAN_BUILD)/build.ninja
	@grep -q SV_TEST_HOOKS $(ASAN_BUILD)/build.ninja || \
	    meson configure $(ASAN_BUILD) -Dtest_hooks=true
	ninja -C $(ASAN_BUILD)

run: build
	@bash scripts/run.sh "$(BUILD)/salesvault" "$(DATA)" "$(LISTEN)"

test:
	@bash scripts/deps.sh test
	@$(MAKE) --no-print-directory build build-asan
	@bash scripts/test.sh "$(BUILD)" "$(ASAN_BUILD)"

unit: build-asan
	meson test -C $(ASAN_BUILD) --print-errorlogs

api: build-asan
	SALESVAULT_BIN=$(CURDIR)/$(ASAN_BUILD)/salesvault bash tests/api/run.sh

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

# libFuzzer (clang, and clang++ for src/directory/phone.cc) over every
# parser (the CSV import's too), FUZZ_SECONDS each, from the corpora.
fuzz:
	@test -f $(FUZZ_BUILD)/build.ninja || CC=clang CXX=clang++ \
	    meson setup $(FUZZ_BUILD) -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug
	ninja -C $(FUZZ_BUILD)
	@for t in json config text phone import; do \
	    mkdir -p $(FUZZ_BUILD)/corpus-$$t && \
	    $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=4096 $(FUZZ_BUILD)/corpus-$$t tests/fuzz/corpus/$$t \
	        || exit 1; \
	done

bench:
	@bash scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	SALESVAULT_BIN=$(CURDIR)/$(BUILD)/salesvault bash bench/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.cc' 'src/*.h' 'tests/*.c' \
	    'bench/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
