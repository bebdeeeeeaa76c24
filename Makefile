# The two commands a newcomer needs: `make run` and `make test`.
# Every target installs what it needs first (`make deps`).

SHELL := /bin/bash
GO ?= go
# Lambda runs arm64; the local stack overrides GOARCH to the host's.
GOARCH ?= arm64
FUNCTIONS := imports-api preview confirm mailer users-api indexer sweeper console cognito-client
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags "-s -w"
LOCAL := .local
VERSITYGW := $(LOCAL)/bin/versitygw
NODE_MODULES := infra/local/node_modules/.package-lock.json

.PHONY: all build run test test-short bench deps deploy clean token \
	build-ImportsApiFunction build-PreviewFunction build-ConfirmFunction build-MailerFunction build-UsersApiFunction build-IndexerFunction build-SweeperFunction build-ConsoleFunction console \
	build-CognitoClientFunction

all: build

## build: every function as an arm64 `bootstrap` under build/<function>/
build: console
	@for f in $(FUNCTIONS); do \
	  echo "build $$f"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build $(GOFLAGS_LAMBDA) -o build/$$f/bootstrap ./functions/$$f || exit 1; \
	done

# Targets SAM's makefile build method calls (`sam build`), one per function
# logical id; SAM sets ARTIFACTS_DIR. The local stack calls them too.
define lambda_target
build-$(1):
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) $(GO) build $(GOFLAGS_LAMBDA) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(2)
endef
$(eval $(call lambda_target,ImportsApiFunction,imports-api))
$(eval $(call lambda_target,PreviewFunction,preview))
$(eval $(call lambda_target,ConfirmFunction,confirm))
$(eval $(call lambda_target,MailerFunction,mailer))
$(eval $(call lambda_target,UsersApiFunction,users-api))
$(eval $(call lambda_target,IndexerFunction,indexer))
$(eval $(call lambda_target,SweeperFunction,sweeper))
$(eval $(call lambda_target,ConsoleFunction,console))
# The custom resource that sets the console's Cognito app client's OAuth settings.
$(eval $(call lambda_target,CognitoClientFunction,cognito-client))
build-ConsoleFunction: console

# The console (console/, TypeScript and Vite) is built into console/dist,
# which the console function embeds; rebuilt only when its sources change.
CONSOLE_MODULES := console/node_modules/.package-lock.json
CONSOLE_SRC := $(shell find console/src console/public -type f 2>/dev/null) console/index.html console/package.json console/vite.config.ts console/tsconfig.json api/openapi.yaml
CONSOLE_BUILD := console/dist/index.html

## console: the admin console's build (npm ci, then vite build)
console: $(CONSOLE_BUILD)

$(CONSOLE_MODULES): console/package.json console/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (Node 20+): apt-get install nodejs npm" >&2; exit 1; }
	cd console && npm ci --no-audit --no-fund
	@touch $@

$(CONSOLE_BUILD): $(CONSOLE_MODULES) $(CONSOLE_SRC)
	cd console && rm -rf dist/assets dist/index.html && npm run build

## deps: the emulators (npm packages, the S3 gateway) and Go modules
deps: $(NODE_MODULES) $(VERSITYGW)
	@$(GO) mod download

$(NODE_MODULES): infra/local/package.json infra/local/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (Node 20+): apt-get install nodejs npm" >&2; exit 1; }
	cd infra/local && npm ci --no-audit --no-fund
	@touch $@

$(VERSITYGW): infra/local/tools/go.mod infra/local/tools/go.sum
	@mkdir -p $(dir $@)
	$(GO) build -C infra/local/tools -o $(abspath $@) github.com/versity/versitygw/cmd/versitygw

## run: the whole service on 127.0.0.1 with a demo school (Ctrl-C stops everything)
run: deps
	$(GO) run ./infra/local/cmd/stack run

## token: a bearer token for EMAIL against a running `make run`
token:
	@$(GO) run ./infra/local/cmd/stack token $(EMAIL)

## test: every test: unit, adapter (real emulators), function, system, template
test: deps console
	@[ -x /usr/bin/chromium ] || { echo "Debian's Chromium is required for the console's browser tests: sudo apt-get install chromium" >&2; exit 1; }
	$(GO) vet ./...
	cd console && npm test
	$(GO) test -count=1 -timeout 30m ./...

## bench: the benchmarks
bench: deps
	$(GO) test -run '^$$' -bench . -skip 'TermStart|Preview500k' -benchmem -timeout 90m ./...
	@echo "BenchmarkTermStart (up to an hour) and BenchmarkPreview500k (minutes) are left out: run them on their own (docs/testing.md)."

## deploy: build with SAM and deploy with the default profile of samconfig.toml
deploy:
	sam build
	sam deploy

clean:
	rm -rf build .aws-sam $(LOCAL)/build $(LOCAL)/logs
