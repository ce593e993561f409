# Sourced by the fuzz scripts: the harness list and which dictionary each one takes, kept in
# one place so run_ci.sh, campaign.sh and coverage.sh cannot disagree about them.
TARGETS=(fuzz_load fuzz_run fuzz_generated fuzz_compile fuzz_compile_run fuzz_tiers fuzz_jit fuzz_json fuzz_regex)

# libFuzzer flags naming the dictionary for target $1 (none for the generator, whose bytes
# are choices, not tokens).
dict_flags() {
  case "$1" in
    fuzz_load | fuzz_run) echo "-dict=fuzz/dicts/bytecode.dict" ;;
    fuzz_compile | fuzz_compile_run | fuzz_tiers | fuzz_jit) echo "-dict=fuzz/dicts/trinity.dict" ;;
    fuzz_json) echo "-dict=fuzz/dicts/json.dict" ;;
    fuzz_regex) echo "-dict=fuzz/dicts/regex.dict" ;;
    *) ;;
  esac
}

# Every sanitizer finding stops the run with a stack trace, so it becomes a saved crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1}
