# Ally — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go

.PHONY: run test build vet test-go clean web test-web bench bench-smoke soak fuzz image

# `go build` into bin/, then run the binary: when no code changed, bin/ally is up to date and
# neither rebuilt nor relinked (without a VCS stamp, a commit alone does not relink it), and
# bin/ally is at hand for `bin/ally mail list`.
run: ## build and run Ally on SQLite in ./data
	$(GO) build -buildvcs=false -o bin/ally ./cmd/ally
	./bin/ally serve

test: vet test-go test-web ## everything CI runs

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ally ./cmd/ally

# The load benchmark (docs/benchmarks.md): fake model server + ally serve + load generator,
# on SQLite and PostgreSQL, then the Go micro-benchmarks. Results go to bench/results/.
BENCH_PG ?= $(or $(ALLY_TEST_POSTGRES_URL),postgres://postgres@127.0.0.1:5432/test?sslmode=disable)

bench:
	$(GO) run ./cmd/allybench -db sqlite,postgres -levels 1,100,1000 -turns 3 -repetitions 2 -idle 30s -profile -profile-at 100 -postgres '$(BENCH_PG)' -out bench/results
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./internal/llm/... ./internal/chat/... ./internal/privacy/... ./internal/db/... | tee bench/results/go-bench.txt
	ALLY_TEST_POSTGRES_URL='$(BENCH_PG)' $(GO) test -run '^$$' -bench BenchmarkNight -benchtime 1x -timeout 60m ./internal/insights/ | tee bench/results/nightly.txt
	ALLY_TEST_POSTGRES_URL='$(BENCH_PG)' $(GO) test -run '^$$' -bench BenchmarkDispatch -benchtime 1x -timeout 60m ./internal/tasks/ | tee bench/results/tasks-dispatch.txt
	ALLY_TEST_POSTGRES_URL='$(BENCH_PG)' $(GO) test -run '^$$' -bench BenchmarkWebhook1000Chats -benchtime 1x -timeout 30m ./internal/telegram/ | tee bench/results/telegram-webhook.txt
	ALLY_TEST_POSTGRES_URL='$(BENCH_PG)' ALLY_BENCH_RESULTS=$(CURDIR)/bench/results $(GO) test -run '^$$' -bench BenchmarkCostPerTurn -benchtime 1x -timeout 30m ./internal/bench/costbench/ | tee bench/results/cost-per-turn.txt

# The same harness with small numbers, in well under a minute.
bench-smoke:
	$(GO) run ./cmd/allybench -db sqlite,postgres -levels 1,10 -turns 2 -first-token 50ms -tokens-per-second 200 -reply-words 20 -histories 10,200 -growth-turns 5 -repetitions 1 -idle 5s -postgres '$(BENCH_PG)' -out bench/results/smoke

# The fault soak (docs/benchmarks.md), not part of `make test`: SOAK_USERS users chat for
# SOAK_DURATION through the fake model server with SOAK_FAULT_RATE of its replies broken,
# one kill -9 and restart mid-run; SQLite (one instance), then PostgreSQL (two behind a
# round-robin proxy). It prints the invariants it checked and fails if one does not hold.
SOAK_USERS ?= 20
SOAK_DURATION ?= 2m
SOAK_FAULT_RATE ?= 0.2
SOAK_DB ?= sqlite,postgres

soak:
	$(GO) run ./cmd/allysoak -db $(SOAK_DB) -users $(SOAK_USERS) -duration $(SOAK_DURATION) -fault-rate $(SOAK_FAULT_RATE) -postgres '$(BENCH_PG)' -out bench/results

# Fuzzing (docs/development.md): every Fuzz target runs for FUZZTIME; `make test` runs their
# seed corpora (f.Add and testdata/fuzz) as ordinary tests.
FUZZTIME ?= 30s

fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' internal cmd | xargs -n1 dirname | sort -u); do \
	  for target in $$(grep -h -o '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //'); do \
	    echo "== $$target ./$$dir ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) ./$$dir; \
	  done; \
	done

# The web app (docs/web.md): `make web` rebuilds web/dist from web/src; commit both.
web:
	cd web && npm ci && npm run build

# Browser tests: web/dist must equal a fresh build of web/, then headless Chromium drives
# the app against a real ally serve (SQLite) and the fake model server.
test-web:
	test -d web/node_modules || (cd web && npm ci)
	cd web && node scripts/check-dist.mjs && npm test

# The container image (docs/deployment.md), without a Docker daemon or network: the static
# binary on a scratch base with CA certificates and a non-root user, as a tarball for
# `docker load` / `podman load` / `crane push`. CI builds it through go test ./cmd/allyimage.
IMAGE_TAG ?= ally:dev
image: build
	$(GO) run ./cmd/allyimage -binary bin/ally -out bin/ally-image.tar -tag '$(IMAGE_TAG)' -version "$$(git describe --always --dirty 2>/dev/null || echo dev)"

clean:
	rm -rf bin
