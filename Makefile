# Chameleon: two commands do all set-up on a fresh Debian machine.
#   make run    start the whole stack and print where to open it
#   make test   run every test
# Both install what is missing first, and both can be run again at any time.

.PHONY: run test lint fmt bench

test:
	@deploy/scripts/test.sh

lint:
	@deploy/scripts/setup.sh lint
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
	cargo fmt --all

run:
	@deploy/scripts/run.sh

# Benchmarks (not part of `make test`): BENCH_QUICK=1 for a smoke run.
bench:
	@deploy/scripts/bench.sh
