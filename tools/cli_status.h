// Exit statuses of the `trinity` command and the failure value its stages return.
// The numbers follow sysexits(3) where one fits, so scripts can tell a bad plugin (65)
// from a missing file (66) or a bad command line (2).
#pragma once

#include <string>

namespace trinity::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitTrap = 1;          // the plugin trapped
inline constexpr int kExitUsage = 2;         // bad command line
inline constexpr int kExitInvalidInput = 65; // compile/assemble error, rejected module
inline constexpr int kExitNoInput = 66;      // input file cannot be read
inline constexpr int kExitCantCreate = 73;   // output file cannot be written
inline constexpr int kExitUnavailable = 69;  // attest: no /dev/trinity; audit: the observer cannot run
inline constexpr int kExitSoftware = 70;    // an internal invariant failed (the kernel refused JIT code)

// A stage that cannot go on: what to print on stderr and how to exit.
struct Failure {
  int status = kExitInvalidInput;
  std::string message;  // complete text, ends with a newline
};

}  // namespace trinity::cli
