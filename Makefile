# cidproxy — see README.md. Every target works from a clean clone.
GO       ?= go
BIN      ?= bin/cidproxy
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.Version=$(VERSION)
PKGS     := ./...
# make install: PREFIX for the binary, man pages and completion; DESTDIR for packaging.
PREFIX   ?= /usr/local
DESTDIR  ?=
# Fuzz time per target in `make fuzz`, and in `make test` (a short run of
# every target past its seed corpus).
FUZZTIME ?= 30s
FUZZSMOKE ?= 2s

.PHONY: all build run test unit e2e bench bench-go bench-load bench-sql bench-crm bench-popup bench-soak lint fuzz deps clean man install

all: build

## build: compile the daemon into bin/cidproxy
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/cidproxy

## run: run the daemon on its embedded default configuration
run: build
	./$(BIN) serve

## man: write the man pages (one per command) into docs/man
man:
	$(GO) run ./cmd/cidproxy man docs/man

## install: binary, man pages, bash/zsh/fish completion, systemd unit and (if none) /etc/cidproxy/cidproxy.yaml
install: build man
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/cidproxy
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	./$(BIN) completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/cidproxy
	./$(BIN) completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_cidproxy
	./$(BIN) completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/cidproxy.fish
	install -d $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/cidproxy
	sed 's|/usr/local/bin/cidproxy|$(PREFIX)/bin/cidproxy|g' deploy/systemd/cidproxy.service > $(DESTDIR)/etc/systemd/system/cidproxy.service
	test -e $(DESTDIR)/etc/cidproxy/cidproxy.yaml || \
	  ./$(BIN) config default | sed 's|^  dir: ./data|  dir: /var/lib/cidproxy/data|' > $(DESTDIR)/etc/cidproxy/cidproxy.yaml
	./$(BIN) config check $(DESTDIR)/etc/cidproxy/cidproxy.yaml
	@echo "installed; now: systemctl daemon-reload && systemctl enable --now cidproxy"

## deps: install the external test peers (SIPp, Kamailio) when missing
deps:
	bash scripts/install-deps.sh
	bash scripts/start-services.sh

## test: the whole suite — vet, unit tests with the race detector, SIPp end-to-end tests
test: deps
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -race -timeout 8m $$($(GO) list ./... | grep -v /e2e)
	$(GO) test -count=1 -timeout 8m ./e2e/...
	GO=$(GO) FUZZ_SKIP="FuzzNormalize" bash scripts/fuzz.sh $(FUZZSMOKE)

## bench: Go benchmarks, the SIPp load comparison (direct / cidproxy / Kamailio), the CRM-in-the-call load, the SQL sync and the soak
bench: deps bench-go bench-load bench-crm bench-sql bench-popup bench-soak

bench-go:
	bash bench/go-bench.sh

bench-load: build
	bash bench/sipp-load.sh

## bench-sql: 500,000 rows from PostgreSQL through the daemon's SQL sync (ROWS=...)
bench-sql: build
	bash bench/sql-sync.sh

bench-crm:
	bash bench/crm-load.sh

## bench-soak: 10 min at 80 % of the max rate, 5 % malformed SIP, a flapping callee (DURATION, RATE, FLAP_EVERY, FLAP_FOR)
bench-soak: build
	bash bench/soak.sh

## bench-popup: 100 popup event streams on 100 extensions at 200 calls/s (RATE, SECS, CLIENTS)
bench-popup:
	bash bench/popup-load.sh

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	GO=$(GO) bash scripts/fuzz.sh $(FUZZTIME)

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

clean:
	rm -rf bin
