# Every target first applies our RustPython patch (scripts/patch-deps.sh):
# the workspace cannot build without it.
CARGO ?= cargo
CARGO_FLAGS := --ignore-rust-version
RELEASE := --release

.PHONY: setup demo test build lint fmt bench clean

setup:
	@./scripts/patch-deps.sh

## Run the example token contract through `pvm run` (the main job).
demo: setup
	$(CARGO) run $(CARGO_FLAGS) $(RELEASE) -q -p pvm-plugin --bin pvm -- \
		run integration/contracts/token.py --input "transfer 00ff 250" --sender 0a0b

## Build everything once in release and run every test, doctest and lint.
test: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy $(CARGO_FLAGS) $(RELEASE) --workspace --all-targets -- -D warnings
	$(CARGO) test $(CARGO_FLAGS) $(RELEASE) --workspace

build: setup
	$(CARGO) build $(CARGO_FLAGS) $(RELEASE) --workspace

lint: setup
	$(CARGO) clippy $(CARGO_FLAGS) $(RELEASE) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

bench: setup
	$(CARGO) bench $(CARGO_FLAGS) --workspace

clean:
	rm -rf target .patched
