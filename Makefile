# wasmtee: a containerd shim that runs WebAssembly modules in protected processes.

SHELL    := /bin/bash
GO       ?= go
PREFIX   ?= /usr/local
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/wasmtee/wasmtee/shim.Version=$(VERSION) -X github.com/wasmtee/wasmtee/cli.Version=$(VERSION)
GOFILES  := $(shell find . -name '*.go' -not -path './.cache/*')
# Fuzz inputs per target: a count, not a duration: a duration can end while a
# worker runs a slow input, which go test reports as a failure ("context
# deadline exceeded").
FUZZTIME ?= 3000x

.PHONY: all deps test unit e2e lint fuzz demo bench stress install uninstall clean

all: bin/containerd-shim-wasmtee-v1 bin/wasmtee-shim bin/wasmtee-module-host bin/wasmtee

# The shim and the CLI are static Go binaries; only the module host links
# wasmtime (cgo), so a shim starts without loading it. The shim is two
# binaries: the small entry binary containerd runs for every container
# (start, delete) and the serving one it starts. The module host is linked
# statically too (glibc included; netgo and osusergo keep Go's resolver and
# user lookups out of libc): it starts with no dynamic loader, about 0.5 ms
# of CPU and 90 page faults less per container (docs/performance.md), and
# runs on nodes whatever their glibc. The linker's warnings about
# getaddrinfo, getpwuid_r and dlopen concern wasmtime code wasmtee does not
# call (WASI sockets, wasmtime's own cache configuration, VTune) and are
# filtered out. It is not a PIE (Go's default): static-pie costs about 190
# page faults more per start (relocations); the libraries it includes are at
# fixed addresses, like the Go and wasmtime code always were. Under an SGX
# enclave its libc calls are raw system calls that Gramine traps, where a
# dynamically linked host would use Gramine's patched glibc: not measured
# here (no SGX machine); `make HOST_LINK=dynamic` builds a dynamically
# linked host, and the enclave manifest follows the binary
# (sgx.HostLibraries).
HOST_LINK    ?= static
HOST_LDFLAGS := $(LDFLAGS) $(if $(filter static,$(HOST_LINK)),-linkmode external -extldflags -static)

bin/containerd-shim-wasmtee-v1: $(GOFILES) go.mod go.sum
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/containerd-shim-wasmtee-v1

bin/wasmtee-shim: $(GOFILES) go.mod go.sum
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/wasmtee-shim

bin/wasmtee-module-host: $(GOFILES) go.mod go.sum
	$(GO) build -trimpath -tags netgo,osusergo -ldflags '$(HOST_LDFLAGS)' -o $@ ./cmd/wasmtee-module-host 2> >(grep -v -E -e "warning: Using '(getpwuid_r|getaddrinfo|dlopen)' in statically linked applications" -e 'libwasmtime\.a\([^)]*\): in function' -e '^# github.com/wasmtee/wasmtee/cmd/wasmtee-module-host$$' >&2)

bin/wasmtee: $(GOFILES) go.mod go.sum
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/wasmtee

deps:
	scripts/deps.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/

# Unit tests skip test/e2e (build tag e2e) and the wasip1-only guest.
unit:
	$(GO) test -count=1 ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./oci/
	$(GO) test -run '^$$' -fuzz '^FuzzOpen$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./oci/image/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./enclave/evidence/
	$(GO) test -run '^$$' -fuzz '^FuzzPolicy$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./enclave/verify/
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyEvidence$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./enclave/verify/
	$(GO) test -run '^$$' -fuzz '^FuzzCheckHeader$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./wasm/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeOptions$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./shim/
	$(GO) test -run '^$$' -fuzz '^FuzzUnmarshal$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./shim/taskapi/
	$(GO) test -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./shim/ttrpc/
	$(GO) test -run '^$$' -fuzz '^FuzzParseResponse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./shim/ttrpc/

e2e: all
	$(GO) test -tags e2e -count=1 -timeout 40m -v ./test/e2e/

# The README's test command: installs what is missing, then lint, unit
# tests, a short fuzz run and the end-to-end tests against containerd 1.6
# and 2.4.2.
test: deps all lint unit fuzz e2e

demo: deps all
	scripts/demo.sh

bench: deps all
	scripts/bench.sh

stress: all
	scripts/stress.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 bin/containerd-shim-wasmtee-v1 bin/wasmtee-shim bin/wasmtee-module-host bin/wasmtee $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/containerd-shim-wasmtee-v1 $(DESTDIR)$(PREFIX)/bin/wasmtee-shim $(DESTDIR)$(PREFIX)/bin/wasmtee-module-host $(DESTDIR)$(PREFIX)/bin/wasmtee

clean:
	rm -rf bin
