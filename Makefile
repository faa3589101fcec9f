# Hotline 12345 -- `make test` is the project's one test command (CI runs it via .ci/run).
.PHONY: test test-quick build run bench fmt lint

test:            ## vet, gofmt, staticcheck, private PostgreSQL, Chromium, go test (+ -race)
	bash scripts/test.sh

test-quick:      ## vet, gofmt, go test ./... on SQLite only
	bash scripts/test.sh quick

build:
	go build -o hotline ./cmd/hotline

run:
	go run ./cmd/hotline serve --demo

bench:
	go test -run '^$$' -bench . -benchmem ./...

fmt:
	git ls-files -z --cached --others --exclude-standard -- '*.go' | xargs -0 -r gofmt -w

lint:            ## vet, gofmt, staticcheck
	bash scripts/test.sh lint
