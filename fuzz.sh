#!/usr/bin/env bash
# Fuzzing (never run by the tests or CI): the cargo-fuzz targets in fuzz/ feed arbitrary input to
# the parsers of what a release repository holds — blobs.yml (parse, then write and read back),
# package specs and spec.lock, spec globs, go.mod (strict and lax), versions and constraints,
# final.yml/private.yml. Each target runs for FUZZ_SECONDS (default 60), one after the other,
# seeded from the fixtures under tests/ and examples/ (copied into a temporary corpus, nothing
# kept) and a dictionary from fuzz/dicts/.
#
# `./fuzz.sh` runs them all; `./fuzz.sh go_mod version` the ones named (the script cannot be
# called `./fuzz`: that is cargo-fuzz's directory). Needs the nightly toolchain;
# installs cargo-fuzz if missing. Exits 1 if any target crashed (panic, overflow, out of memory,
# an input slower than FUZZ_TIMEOUT seconds), naming each crash file under fuzz/artifacts/: replay
# one with `cargo +nightly fuzz run TARGET FILE`, then add it to tests/fuzz_regressions/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"

all=(blobs_yml spec glob go_mod version release_config)
seconds=${FUZZ_SECONDS:-60}
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
max_len=${FUZZ_MAX_LEN:-4096}

targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=("${all[@]}")
fi
for t in "${targets[@]}"; do
  if [[ " ${all[*]} " != *" $t "* ]]; then
    echo "fuzz: unknown target $t (targets: ${all[*]})" >&2
    exit 2
  fi
done

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/currency-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Copy each file into the corpus `$1` under its content hash (duplicates collapse).
seed() {
  local dir=$1 f
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    [[ -f $f ]] && cp "$f" "$dir/$(sha1sum <"$f" | cut -c1-40)"
  done
  return 0
}

# Write stdin as one seed of corpus `$1`.
seed_text() {
  local dir=$1 tmp
  mkdir -p "$dir"
  tmp=$(mktemp "$dir/.seed.XXXXXX")
  cat >"$tmp"
  mv "$tmp" "$dir/$(sha1sum <"$tmp" | cut -c1-40)"
}

# Nesting deeper than yaml_serde's limit of 128 levels. (Far deeper flow nesting is refused as
# well, but libyaml's scanner takes time quadratic in it: seeds this deep keep the runs fast.)
seed_deep_yaml() {
  local dir=$1 depth=300
  printf '%*s' "$depth" '' | tr ' ' '[' | seed_text "$dir"
  printf '%*s' "$depth" '' | tr ' ' '{' | seed_text "$dir"
  { printf 'a: '; printf '%*s' "$depth" '' | tr ' ' '['; } | seed_text "$dir"
  for ((i = 0; i < 200; i++)); do printf '%*s- \n' "$((i * 2))" ''; done | seed_text "$dir"
}

fixtures() {
  find tests examples -path tests/output -prune -o -type f -name "$1" -print 2>/dev/null
}

seeds() {
  local t=$1 dir=$2
  case $t in
    blobs_yml)
      mapfile -t files < <(fixtures blobs.yml)
      seed "$dir" "${files[@]}"
      seed_deep_yaml "$dir"
      ;;
    spec)
      mapfile -t files < <(fixtures spec; fixtures spec.lock)
      seed "$dir" "${files[@]}"
      seed_deep_yaml "$dir"
      ;;
    glob)
      printf 'code.example.org/**/*_test.go\ncode.example.org/a/b/c_test.go' | seed_text "$dir"
      printf 'src/{a,b}/*.[ch]\nsrc/b/x.h' | seed_text "$dir"
      printf 'vendor/**\nvendor/x/y' | seed_text "$dir"
      printf 'a/[^a-c\\]]?\\*\na/d]x*' | seed_text "$dir"
      ;;
    go_mod)
      mapfile -t files < <(fixtures go.mod)
      seed "$dir" "${files[@]}"
      ;;
    version)
      printf '~1.23\n1.23.4\ngo1.24rc1\n1.23' | seed_text "$dir"
      printf '>=2.10, <2.11\nv2.10.22\nv2.11.0-rc.1+build.5' | seed_text "$dir"
      printf '^3\n3.5.17\nv2.0.0+incompatible\n1.18beta2' | seed_text "$dir"
      ;;
    release_config)
      mapfile -t files < <(fixtures final.yml; fixtures private.yml)
      seed "$dir" "${files[@]}"
      seed_deep_yaml "$dir"
      ;;
  esac
}

dictionary() {
  local t=$1 out=$2
  case $t in
    blobs_yml | spec | release_config) cat fuzz/dicts/yaml.dict "fuzz/dicts/$t.dict" >"$out" ;;
    *) cat "fuzz/dicts/$t.dict" >"$out" ;;
  esac
}

failed=()
for t in "${targets[@]}"; do
  corpus="$work/corpus/$t"
  seeds "$t" "$corpus"
  dictionary "$t" "$work/$t.dict"
  echo "== $t: ${seconds}s, $(find "$corpus" -type f | wc -l) seeds" >&2
  status=0
  cargo +nightly fuzz run "$t" "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout" \
    -max_len="$max_len" -dict="$work/$t.dict" -print_final_stats=1 \
    2>&1 | tee "$work/$t.log" >&2 || status=$?
  if ((status != 0)); then
    failed+=("$t")
  fi
done

echo >&2
for t in "${targets[@]}"; do
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t.log" | tail -n1 || true)
  printf '%-15s %s\n' "$t" "${done_line:-no DONE line (crashed or did not start)}" >&2
done
if ((${#failed[@]} > 0)); then
  echo >&2
  for t in "${failed[@]}"; do
    echo "fuzz: $t failed; crash input:" >&2
    grep -hoE 'Test unit written to [^[:space:]]+' "$work/$t.log" |
      sed 's/^/  /' >&2 || echo "  (none written; see the log above)" >&2
  done
  exit 1
fi
