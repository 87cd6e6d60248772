# Ally — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go

.PHONY: run test build vet test-go clean web test-web

run: ## build and run Ally on SQLite in ./data
	$(GO) run ./cmd/ally serve

test: vet test-go test-web ## everything CI runs

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ally ./cmd/ally

# The web app (docs/web.md): `make web` rebuilds web/dist from web/src; commit both.
web:
	cd web && npm ci && npm run build

# Browser tests: web/dist must equal a fresh build of web/, then headless Chromium drives
# the app against a real ally serve (SQLite) and the fake model server.
test-web:
	test -d web/node_modules || (cd web && npm ci)
	cd web && node scripts/check-dist.mjs && npm test

clean:
	rm -rf bin
