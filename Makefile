# Pickwave: `make run` starts the demo warehouse, `make test` runs every test.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN      := bin/pickwave
ADDR     ?= 127.0.0.1:8080
DATA     ?= ./data
FUZZTIME ?= 10s
CONTRACT_LOG := bin/contract.log

.PHONY: run build test test-etcd test-deps bench lint fuzz clean

## run: build and serve the demo warehouse, its live floor running, on $(ADDR) with data in $(DATA)
run: build
	./$(BIN) serve --addr $(ADDR) --data $(DATA) --demo --demo-floor

## build: compile the pickwave binary into bin/
build:
	go build -o $(BIN) ./cmd/pickwave

## test: install what tests need, then run every test with the race detector;
## every HTTP exchange the tests make is checked against docs/openapi.yaml,
## and the count is printed at the end
test: test-deps lint
	@mkdir -p bin && : > $(CONTRACT_LOG)
	PICKWAVE_CONTRACT_LOG=$(CURDIR)/$(CONTRACT_LOG) go test -race -count=1 -p 3 -timeout 25m ./...
	@awk '{ n++; if ($$2 != "(unknown)") ops[$$1 " " $$2] = 1 } \
	  END { printf "contract: %d exchanges checked against docs/openapi.yaml, on %d of its operations\n", n, length(ops) }' $(CONTRACT_LOG)

## test-deps: fetch Go modules and install Debian's chromium for the browser tests
test-deps:
	go mod download
	@if [ -z "$$PICKWAVE_CHROME" ] && ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-liberation >/dev/null; \
	fi

## test-etcd: every store test again, on the etcd engine (docs/ha.md), and package ha's,
## with the race detector (about 5½ minutes; make test runs package ha's and the fault test)
test-etcd:
	PICKWAVE_TEST_ENGINE=etcd go test -race -count=1 -timeout 40m ./store/ ./ha/

## bench: run every benchmark once (figures for the notes)
bench:
	go test -run '^$$' -bench . -benchmem -count 1 ./...

## lint: gofmt, go vet and staticcheck (pinned in go.mod as a tool) must be clean
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	go tool staticcheck ./...

## fuzz: run each fuzz target for $(FUZZTIME)
fuzz:
	@set -e; for pkg in $$(go list ./...); do \
	  for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

clean:
	rm -rf bin
