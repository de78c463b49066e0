#!/usr/bin/env bash
# Regenerates the contracts' generated code from Shared/Proto/*.proto.
#
#   Shared/Proto/generate.sh write   # replace the committed files (make proto)
#   Shared/Proto/generate.sh check   # fail when the committed files are stale (make proto-check)
#
# Generated, committed files:
#   Shared/ContractsC/*.pb-c.c, Shared/ContractsC/include/*.pb-c.h   protoc-c
#   Shared/ContractsC/contracts_descriptors.c, include/contracts_descriptors.h   smarterchat-protogen
#   Shared/Contracts/Generated/*.pb.swift                           smarterchat-protogen
#   Tests/ContractsTests/Generated/*.pb.swift (package smarterchat.testing)   smarterchat-protogen
#   bench/contracts-fuzz/ContractsFuzz/Generated/*.pb.swift (the same fixture, for make fuzz-contracts:
#       SwiftPM does not let two targets share a source file)   smarterchat-protogen
#   Shared/ProtoGenC/*.pb-c.[ch] (google/protobuf/descriptor.proto, the generator's own input format)   protoc-c
set -euo pipefail
mode=${1:?usage: generate.sh write|check}
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
SCRATCH=${PROTOGEN_SCRATCH:-.build-contracts}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
mkdir -p "$out/Shared/ContractsC/include" "$out/Shared/Contracts/Generated" \
    "$out/Tests/ContractsTests/Generated" "$out/Shared/ProtoGenC/include/google/protobuf" "$tmp/c"

protos=(Shared/Proto/*.proto)
protoc-c --c_out="$tmp/c" -I Shared/Proto "${protos[@]}"
mv "$tmp"/c/*.pb-c.c "$out/Shared/ContractsC/"
mv "$tmp"/c/*.pb-c.h "$out/Shared/ContractsC/include/"

protoc-c --c_out="$tmp/c" -I /usr/include google/protobuf/descriptor.proto
mv "$tmp/c/google/protobuf/descriptor.pb-c.c" "$out/Shared/ProtoGenC/"
mv "$tmp/c/google/protobuf/descriptor.pb-c.h" "$out/Shared/ProtoGenC/include/google/protobuf/"

# The generator is built from the repository's copy of these; bootstrap it when missing.
if [[ $mode == write && ! -f Shared/ProtoGenC/descriptor.pb-c.c ]]; then
    cp -R "$out/Shared/ProtoGenC/." Shared/ProtoGenC/
fi

protoc --include_source_info --descriptor_set_out="$tmp/contracts.desc" -I Shared/Proto "${protos[@]}"
"$SWIFT" build --scratch-path "$SCRATCH" --product smarterchat-protogen >"$tmp/build.log" 2>&1 \
    || { cat "$tmp/build.log"; exit 1; }
"$SCRATCH/debug/smarterchat-protogen" "$tmp/contracts.desc" \
    --swift-out "$out/Shared/Contracts/Generated" --c-out "$out/Shared/ContractsC" \
    --package-out "smarterchat.testing=$out/Tests/ContractsTests/Generated"
mkdir -p "$out/bench/contracts-fuzz/ContractsFuzz/Generated"
cp "$out"/Tests/ContractsTests/Generated/*.pb.swift "$out/bench/contracts-fuzz/ContractsFuzz/Generated/"

# The generated files as they are in the repository, for comparison and replacement.
committed() {
    ls Shared/ContractsC/*.pb-c.c Shared/ContractsC/include/*.pb-c.h \
        Shared/ContractsC/contracts_descriptors.c Shared/ContractsC/include/contracts_descriptors.h \
        Shared/Contracts/Generated/*.pb.swift Tests/ContractsTests/Generated/*.pb.swift \
        bench/contracts-fuzz/ContractsFuzz/Generated/*.pb.swift \
        Shared/ProtoGenC/descriptor.pb-c.c Shared/ProtoGenC/include/google/protobuf/descriptor.pb-c.h \
        2>/dev/null | sort || true
}
fresh() { (cd "$out" && find . -type f | sed 's|^\./||' | sort); }

case $mode in
write)
    committed | xargs -r rm -f
    cp -R "$out/." .
    echo "generated $(fresh | wc -l) files"
    ;;
check)
    stale=0
    if ! diff <(committed) <(fresh) >"$tmp/list.diff"; then
        echo "proto-check: the set of generated files differs (< committed, > fresh):"
        cat "$tmp/list.diff"
        stale=1
    fi
    while read -r f; do
        if [[ -f $f ]] && ! cmp -s "$f" "$out/$f"; then
            echo "proto-check: stale $f"
            diff -u "$f" "$out/$f" | head -20 || true
            stale=1
        fi
    done < <(fresh)
    if ((stale)); then
        echo "proto-check: generated contract code is stale; run 'make proto' and commit the result" >&2
        exit 1
    fi
    echo "proto-check: generated contract code is up to date ($(fresh | wc -l) files)"
    ;;
*) echo "usage: generate.sh write|check" >&2; exit 2 ;;
esac
