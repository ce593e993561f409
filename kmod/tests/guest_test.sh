#!/bin/busybox sh
# The QEMU guest's side of kmod/test_in_qemu.sh (it runs as the guest's init, busybox
# only): loads trinity.ko, checks its device and tracepoints, runs the ioctl checks, a
# Trinity run and the client tests against it, fuzzes the ioctls, unloads it and checks
# the kernel log. Prints PASS/FAIL lines and "kmod-guest: N passed, N failed" last.
PATH=/bin
T=/sys/kernel/tracing
passed=0
failed=0
# Each line carries the guest's uptime, so slow steps show.
pass() { passed=$((passed + 1)); echo "PASS $1 (at $(cut -d' ' -f1 /proc/uptime) s)"; }
fail() { failed=$((failed + 1)); echo "FAIL $1 (at $(cut -d' ' -f1 /proc/uptime) s)"; }
check() { name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# fact NAME: a value ioctl_check printed as "fact NAME=VALUE".
fact() { sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^fact $1=\([^ ]*\).*/\1/p" /tmp/check.out | head -1; }
# in_trace EVENT WORDS...: some EVENT line of the trace holds every word.
in_trace() {
  event=$1; shift
  grep " $event: " /tmp/trace.out > /tmp/lines || return 1
  for w in "$@"; do grep -F -- "$w" /tmp/lines > /tmp/lines.next || return 1; mv /tmp/lines.next /tmp/lines; done
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tracefs tracefs $T
export LD_LIBRARY_PATH=/lib TEST_TMPDIR=/tmp
read -r fuzz_seconds < /fuzz_seconds
dmesg -c > /dev/null

# --- load: the device and the four events, with the fields tools will read
check insmod insmod /trinity.ko
check device_node test -c /dev/trinity
for e in attest attest_range jit_code pku_fault; do
  check "event_$e" test -f $T/events/trinity/$e/format
done
check format_attest grep -q 'field:u32 pkru;' $T/events/trinity/attest/format
check format_jit_name grep -q '__data_loc char\[\] name;' $T/events/trinity/jit_code/format
echo 1 > $T/events/trinity/enable
echo > $T/trace

# --- the ioctls on memory whose truth ioctl_check arranged
/bin/ioctl_check > /tmp/check.out 2>&1
status=$?
cat /tmp/check.out
check ioctl_check test $status -eq 0
cat $T/trace > /tmp/trace.out
tgid=$(fact tgid)
check trace_attest_pkru in_trace attest "tgid=$tgid pkru=$(fact attest_pkru) pkru_valid=1"
check trace_rwx_reported in_trace attest "tgid=$tgid" "wx_mappings=1 wx_start=$(fact wx_start)"
check trace_range_pkey in_trace attest_range "start=$(fact range_start)" "prot=rw- pkey=$(fact range_pkey) flags=0x0 vmas=1"
check trace_jit_accepted in_trace jit_code "addr=$(fact jit_addr)" "prot=r-x pkey=0 err=0 name=trace_loop_1"
check trace_jit_refused in_trace jit_code "err=-13 name=trace_alias"
check trace_seccomp in_trace attest "tgid=$(fact seccomp_tgid)" "seccomp_mode=2 seccomp_filters=2"
check trace_pku_fault in_trace pku_fault "tgid=$(fact fault_tgid)" "addr=$(fact fault_addr) pkey=$(fact fault_pkey)"

# --- a Trinity run under MPK and the strict sandbox attests at instance creation and lock-down
echo > $T/trace
sh -c 'echo $$ > /tmp/run.pid; exec /bin/trinity run --isolate=mpk --sandbox=strict /fib20.tri' > /tmp/run.out 2>&1
status=$?
cat /tmp/run.out
cat $T/trace > /tmp/trace.out
run=$(cat /tmp/run.pid)
check trinity_run test $status -eq 0
check trinity_run_output grep -q 'fib(20) = 6765' /tmp/run.out
check trace_run_created in_trace attest "tgid=$run" "seccomp_mode=0" "wx_mappings=0"
check trace_run_domain_keyed grep -q "attest_range: tgid=$run .* prot=--- pkey=[1-9]" /tmp/trace.out
check trace_run_locked_down in_trace attest "tgid=$run" "seccomp_mode=2 seccomp_filters=1" "wx_mappings=0"

# --- a JIT run: every trace's code is registered, read+execute only, under the host key
echo > $T/trace
sh -c 'echo $$ > /tmp/run.pid; exec /bin/trinity run --jit=on --isolate=mpk --sandbox=strict /loop_jit.tri' > /tmp/run.out 2>&1
status=$?
cat /tmp/run.out
cat $T/trace > /tmp/trace.out
run=$(cat /tmp/run.pid)
check trinity_jit_run test $status -eq 0
check trinity_jit_run_output grep -q '^499500$' /tmp/run.out
check trace_jit_registered grep -qE "jit_code: tgid=$run .*prot=r-x pkey=[0-9]+ err=0 name=trinity:trace1:main:5" /tmp/trace.out

# --- the operator's view, and the user-space client's own tests
/bin/trinity attest --sandbox=strict > /tmp/attest.out 2>&1
status=$?
cat /tmp/attest.out
check trinity_attest test $status -eq 0
check trinity_attest_agrees grep -q '^verdict: kernel and runtime agree' /tmp/attest.out
# Every case must run here: this guest has the module and protection keys.
for t in kernel_attestation_test kernel_checks_test; do
  /bin/$t > /tmp/$t.out 2>&1
  status=$?
  grep -E '^\[  (PASSED|FAILED|SKIPPED) |Failure|Expected|Which is' /tmp/$t.out
  check "$t" test $status -eq 0
  check "${t}_not_skipped" sh -c "! grep -q SKIPPED /tmp/$t.out"
done

# --- random arguments for a bounded time, with memory changing under the walks
/bin/ioctl_fuzz "$fuzz_seconds"
check ioctl_fuzz test $? -eq 0

# --- unload, then nothing of the module may be left and the log must be clean
echo 0 > $T/events/trinity/enable
check rmmod rmmod trinity
check device_gone test ! -e /dev/trinity
check events_gone test ! -e $T/events/trinity
dmesg > /tmp/dmesg.out
grep -v -e 'loading out-of-tree module taints kernel' \
        -e 'module verification failed: signature and/or required key missing' /tmp/dmesg.out
check dmesg_clean sh -c "! grep -qE 'WARNING:|BUG:|Oops|Call Trace|RIP:|corruption|refcount_t|sleeping function|general protection|Tainted: .*[DW]' /tmp/dmesg.out"

echo "kmod-guest: $passed passed, $failed failed"
poweroff -f
