# Build targets for AWS SAM: template.yaml builds RoomhookFunction (and PurgeFunction) with
# "BuildMethod: makefile", so `sam build` copies the repository to a scratch directory and runs
# there
#
#   make build-RoomhookFunction ARTIFACTS_DIR=<where SAM collects the function>
#
# The go build flags are those of every roomhook binary (scripts/localinvoke, buildFlags), and
# GOARCH is template.yaml's Architectures; scripts/deploycheck checks both stay equal.
# scripts/build.sh lambda writes the same bootstrap into dist/lambda-arm64.zip.

GO ?= go

.PHONY: build-RoomhookFunction
build-RoomhookFunction:
	$(if $(ARTIFACTS_DIR),,$(error ARTIFACTS_DIR is not set: sam build sets it, or run make build-RoomhookFunction ARTIFACTS_DIR=DIR))
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -buildvcs=false -tags lambda.norpc -ldflags "-s -w -buildid=" -o $(ARTIFACTS_DIR)/bootstrap ./functions/lambda

# PurgeFunction (template.yaml, when ArchiveRetention is set) is the same bootstrap, invoked by a
# schedule: its target builds exactly RoomhookFunction's, into the ARTIFACTS_DIR SAM gives it.
.PHONY: build-PurgeFunction
build-PurgeFunction: build-RoomhookFunction
