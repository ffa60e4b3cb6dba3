#!/usr/bin/env bash
# Fuzz smoke run for CI: builds every target as a plain libFuzzer binary with cargo-fuzz's
# coverage flags on stable rustc (no sanitizer, so neither nightly nor a cargo-fuzz install is
# needed), in its own target dir (fuzz/target, or FUZZ_TARGET_DIR), then runs each for
# FUZZ_SECONDS (default 10) from the committed seeds plus what earlier runs kept in
# fuzz/corpus/. A crash, hang (-timeout) or memory blow-up (-rss_limit_mb) fails the run and
# leaves its input in fuzz/artifacts/. See fuzz/README.md for longer runs.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-10}"
# `smoke` (unoptimised, quick to build) by default; `release` (opt-level 2) for long runs.
profile="${FUZZ_PROFILE:-smoke}"
target="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$PWD/target}"
# `cargo fuzz build -O -s none` without its nightly-only flags; `--target` keeps build scripts
# and proc macros uninstrumented, as cargo-fuzz does.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cllvm-args=-simplifycfg-branch-fold-threshold=0"
cargo build --locked --manifest-path "$PWD/Cargo.toml" --target "$target" --profile "$profile" --bins
targets=(workspace_loader stock_code export_csv export_xlsx cw_conditions at_query saved_plan)
mkdir -p artifacts
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "fuzz: $t for ${seconds}s"
  "$CARGO_TARGET_DIR/$target/$profile/$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="artifacts/$t-" -print_final_stats=1 "corpus/$t" "seeds/$t" 2>&1 \
    | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|thread)' || true
  # libFuzzer exits non-zero on a crash; pipefail is lost in the filter, so check artifacts.
  if compgen -G "artifacts/$t-*" > /dev/null; then
    echo "fuzz: $t found a crash: $(ls artifacts/$t-*)" >&2
    exit 1
  fi
done
echo "fuzz: ${#targets[@]} passed, 0 failed"
