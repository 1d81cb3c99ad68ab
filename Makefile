# Shortcuts for the scripts (see README).
.PHONY: build test bench example

build:
	swift build

test:
	scripts/test.sh

bench:
	scripts/bench.sh

example:
	scripts/run-example.sh
