# SmarterChat — see README.md. `make run` starts the platform, `make test` runs the suite.
SHELL := /bin/bash
SWIFT ?= swift
PROTO_DIR := Shared/Proto
PROTOS := $(wildcard $(PROTO_DIR)/*.proto)
CONTRACTS_C := Shared/ContractsC

.PHONY: all build proto proto-check test run bench fuzz clean deps

all: build

build:
	$(SWIFT) build

# Regenerates the protobuf-c C code (and the Swift face) from Shared/Proto/*.proto.
proto:
	@rm -rf .run/proto-gen && mkdir -p .run/proto-gen
	protoc-c --c_out=.run/proto-gen -I $(PROTO_DIR) $(PROTOS)
	rm -f $(CONTRACTS_C)/*.pb-c.c $(CONTRACTS_C)/include/*.pb-c.h
	cp .run/proto-gen/*.pb-c.c $(CONTRACTS_C)/
	cp .run/proto-gen/*.pb-c.h $(CONTRACTS_C)/include/
	@rm -rf .run/proto-gen

clean:
	rm -rf .build
