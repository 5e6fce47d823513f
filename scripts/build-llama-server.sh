#!/usr/bin/env bash
# Builds llama.cpp's own llama-server, offline, from the llama.cpp source node-llama-cpp ships (its git bundle), so
# that bench:engine can measure the embedded engine against llama.cpp's server on the same code (issues #17, #21).
#
#   scripts/build-llama-server.sh          prints the binary's path on its last line; ~8 min on 2 cores, then instant
#   scripts/build-llama-server.sh --path   prints where the binary is (or will be); exits 1 if it is not built yet
#   scripts/build-llama-server.sh --test   the test build instead (with --path too): OPTIMISATION (-O0) and no debug
#                                          information, into <commit>-test/; what the tests need (.ci/run), far cheaper
#                                          to compile than Release and far slower to decode: never for the bench
#
# Idempotent: the binary lands in $LLAMA_SERVER_CACHE (default node_modules/.cache/llama-server)/<commit>/, keyed by the
# bundle's commit, so a node-llama-cpp upgrade builds anew and a finished build is never redone. The build runs under
# `nice` with at most LLAMA_SERVER_JOBS (2) jobs, because the machines it runs on are shared; it is never part of
# `npm install` or `npm test` (too slow). Needs git, cmake and a C++ compiler (Debian: apt-get install cmake g++).
# GGML_NATIVE=OFF keeps the binary portable (AVX2/FMA/F16C, the x86-64 default of ggml); LLAMA_SERVER_CMAKE_ARGS adds
# cmake options (e.g. -DGGML_NATIVE=ON).
set -euo pipefail

test_build=false
path_only=false
for argument in "$@"; do
  case "$argument" in
    --test) test_build=true ;;
    --path) path_only=true ;;
    *) echo "usage: $0 [--test] [--path]" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_dir="$root/node_modules/node-llama-cpp/llama"
bundle="$source_dir/gitRelease.bundle"
[ -f "$bundle" ] || { echo "no llama.cpp bundle at $bundle: run npm install first" >&2; exit 1; }
for tool in git cmake c++; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install git cmake g++)" >&2; exit 1; }
done

commit="$(git bundle list-heads "$bundle" | awk '$2 == "HEAD" { print $1 }')"
[ -n "$commit" ] || { echo "no HEAD in $bundle" >&2; exit 1; }
cache="${LLAMA_SERVER_CACHE:-$root/node_modules/.cache/llama-server}"
target="$cache/${commit:0:12}"
build_type=(-DCMAKE_BUILD_TYPE=Release)
if [ "$test_build" = true ]; then
  target="$target-test"
  optimisation="${LLAMA_SERVER_TEST_OPTIMISATION:--O0}"
  build_type+=("-DCMAKE_C_FLAGS_RELEASE=$optimisation -g0 -DNDEBUG" "-DCMAKE_CXX_FLAGS_RELEASE=$optimisation -g0 -DNDEBUG")
fi
binary="$target/llama-server"
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi
if [ "$path_only" = true ]; then echo "$binary"; exit 1; fi

mkdir -p "$target"
# One build at a time: a second caller waits for the first and then finds the binary.
exec 9>"$target/.lock"
flock 9
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi

work="$target/work"
rm -rf "$work"
git -c advice.detachedHead=false clone --quiet "$bundle" "$work/src"
git -C "$work/src" -c advice.detachedHead=false checkout --quiet "$commit"
# node-llama-cpp applies these to its own build; the same source for both sides of the benchmark.
for patch in "$source_dir"/patches/*.diff; do
  [ -e "$patch" ] || continue
  git -C "$work/src" apply "$patch" || echo "warning: $(basename "$patch") did not apply; building without it" >&2
done

# shellcheck disable=SC2086 # LLAMA_SERVER_CMAKE_ARGS is a list of options
cmake -S "$work/src" -B "$work/build" "${build_type[@]}" -DLLAMA_BUILD_SERVER=ON -DGGML_NATIVE=OFF \
  -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF ${LLAMA_SERVER_CMAKE_ARGS:-} >"$target/cmake.log"
nice -n 19 cmake --build "$work/build" --target llama-server -j "${LLAMA_SERVER_JOBS:-2}" >>"$target/cmake.log"

cp "$work/build/bin/llama-server" "$binary.partial"
mv "$binary.partial" "$binary"
rm -rf "$work"
echo "$binary"
