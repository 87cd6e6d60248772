# Ally — the two commands a newcomer needs are `make run` and `make test`.
GO ?= go

.PHONY: run test build vet test-go clean

run: ## build and run Ally on SQLite in ./data
	$(GO) run ./cmd/ally serve

test: vet test-go ## everything CI runs

vet:
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ally ./cmd/ally

clean:
	rm -rf bin
