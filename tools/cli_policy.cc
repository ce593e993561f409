// `trinity policy list` and `trinity policy show NAME`: the seccomp policies --sandbox
// chooses from, printed from the same tables the filter is built from.
#include <cstdio>
#include <string>

#include "isolation/seccomp_policy.h"
#include "tools/cli_commands.h"

namespace trinity::cli {

int PolicyCommand(const CliArgs& args) {
  std::string out;
  if (args.policy_action == "list") {
    for (const isolation::SeccompPolicy* p : isolation::AllPolicies()) {
      out += std::string(p->name) + "\t" + std::string(p->summary) + "\n";
    }
    out += "none\tno seccomp filter\n";
  } else {
    const isolation::SeccompPolicy* p = isolation::FindPolicy(args.policy_name);
    if (p == nullptr) {
      if (args.policy_name == "none") {
        out = "policy none: no seccomp filter; the process keeps every system call\n";
      } else {
        return Report(Failure{kExitUsage, "trinity: no policy '" + args.policy_name +
                                              "' (see trinity policy list)\n"});
      }
    } else {
      out = isolation::FormatPolicy(*p);
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace trinity::cli
