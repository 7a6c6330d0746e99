# Every target first applies our RustPython patch (scripts/patch-deps.sh):
# the workspace cannot build without it.
CARGO ?= cargo
CARGO_FLAGS := --ignore-rust-version
RELEASE := --release

.PHONY: setup demo test build lint fmt bench fuzz clean

setup:
	@./scripts/patch-deps.sh

## Deploy the token example and run 10,000 signed transfers through a node (the main job).
demo: setup
	$(CARGO) run $(CARGO_FLAGS) $(RELEASE) -q -p pvm-cli --bin pvm -- demo

## Run every test, doctest and lint in release; then every test again with
## overflow checks and debug assertions on (profile `checked`), and the
## runtime's tests with coarse metering (the build without the opcode hook).
test: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(CARGO_FLAGS) $(RELEASE) --workspace --all-targets -- -D warnings
	$(CARGO) test $(CARGO_FLAGS) $(RELEASE) --workspace
	$(CARGO) test $(CARGO_FLAGS) --profile checked --workspace
	$(CARGO) test $(CARGO_FLAGS) --profile checked -p pvm-runtime --no-default-features

build: setup
	$(CARGO) build $(CARGO_FLAGS) $(RELEASE) --workspace

lint: setup
	$(CARGO) clippy $(CARGO_FLAGS) $(RELEASE) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## Every benchmark whose numbers BENCHMARKS.md records (slow: builds twice).
bench: setup
	$(CARGO) bench $(CARGO_FLAGS) --workspace
	./scripts/bench-metering.sh

## Coverage-guided fuzzing: each target for FUZZ_SECONDS (default 60); needs nightly and cargo-fuzz.
fuzz: setup
	./scripts/fuzz.sh

clean:
	rm -rf target .patched
