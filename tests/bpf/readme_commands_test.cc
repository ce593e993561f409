// The auditor's session in README.md, run for real: every `$ command` between the
// auditor-commands markers is executed in order (`trinity` is this build's binary, the pin
// root is the test's own instead of /sys/fs/bpf/trinity), and every word of the output the
// README shows must appear in what the command printed. Words with digits (ids, times,
// counts), paths and `...` lines are what legitimately differ between runs.
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/bpf/bpf_test_support.h"

namespace trinity::bpf {
namespace {

using testing::Background;
using testing::CommandOutput;

struct Step {
  std::string command;
  std::vector<std::string> shown;  // the output lines the README shows
};

std::vector<Step> ReadmeSession() {
  std::string readme = testing::Slurp("README.md");
  size_t begin = readme.find("<!-- auditor-commands:begin -->");
  size_t end = readme.find("<!-- auditor-commands:end -->");
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  std::vector<Step> steps;
  for (const std::string& line : testing::Lines(readme.substr(begin, end - begin))) {
    if (line.rfind("$ ", 0) == 0) {
      steps.push_back(Step{line.substr(2), {}});
    } else if (!steps.empty() && line != "```" && line != "...") {
      steps.back().shown.push_back(line);
    }
  }
  return steps;
}

// The words of a shown line that must be printed as they are.
std::vector<std::string> StableWords(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) {
    if (w.find_first_of("0123456789/") != std::string::npos) continue;
    while (!w.empty() && (w.back() == ',' || w.back() == ';')) w.pop_back();
    if (!w.empty()) words.push_back(w);
  }
  return words;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string ReadSysctl() {
  std::string v = testing::Slurp("/proc/sys/kernel/bpf_stats_enabled");
  return v.empty() ? "0" : v.substr(0, 1);
}

TEST(ReadmeAuditorCommands, PrintWhatTheReadmeShows) {
  SKIP_WITHOUT_BPF();
  const std::vector<Step> steps = ReadmeSession();
  ASSERT_GE(steps.size(), 10u);
  const std::string root = testing::TestPinRoot("readme");
  char buf[PATH_MAX];
  const std::string trinity = realpath("tools/trinity", buf) ? buf : "tools/trinity";
  const std::string stats_before = ReadSysctl();
  std::unique_ptr<Background> audit;
  for (const Step& step : steps) {
    SCOPED_TRACE(step.command);
    std::string command = Replace(step.command, "/sys/fs/bpf/trinity", root);
    if (command.rfind("trinity ", 0) == 0) command = trinity + command.substr(7);
    std::string printed;
    if (command.ends_with(" &")) {
      command.resize(command.size() - 2);
      std::vector<std::string> argv;
      std::istringstream words(command);
      for (std::string w; words >> w;) argv.push_back(w);
      argv.insert(argv.end(), {"--pin-root", root});
      audit = std::make_unique<Background>(argv);
      ASSERT_TRUE(audit->WaitForErr("): attached")) << audit->err();
      printed = audit->err();
    } else if (command == "kill -INT %1") {
      ASSERT_NE(audit, nullptr);
      EXPECT_EQ(audit->Stop(SIGINT), 0);
      printed = audit->err();
      EXPECT_EQ(access((root + "/procs").c_str(), F_OK), 0) << "--pin left no maps";
    } else {
      if (command.find(" audit --unpin") != std::string::npos) command += " --pin-root " + root;
      CommandOutput o = testing::Shell(command);
      printed = o.out + o.err;
      if (command.rfind("grep -ls", 0) != 0) {
        EXPECT_EQ(o.status, 0) << o.err;
      } else {
        // grep exits 2 when a process vanished while it read /proc; what it found counts.
        // The programs' holder is the audit process. `head -1` picks one observer's program:
        // when another observer is loaded on this machine (exclusive only holds within one
        // bazel run), ask for every call_entry program.
        const std::string ours = "/proc/" + std::to_string(audit->pid()) + "/fdinfo/";
        if (printed.find(ours) == std::string::npos) {
          printed += testing::Shell(
                         "for id in $(bpftool prog show name call_entry | grep -o '^[0-9]*'); do "
                         "grep -ls \"^prog_id:\\s*$id$\" /proc/[0-9]*/fdinfo/*; done").out;
        }
        EXPECT_NE(printed.find(ours), std::string::npos) << printed;
      }
    }
    for (const std::string& line : step.shown) {
      for (const std::string& word : StableWords(line)) {
        EXPECT_NE(printed.find(word), std::string::npos) << "README shows '" << word << "' in\n  " << line
                                                         << "\nbut the command printed:\n" << printed;
      }
    }
  }
  EXPECT_NE(access(root.c_str(), F_OK), 0) << "--unpin left " << root;
  testing::Shell("sysctl -qw kernel.bpf_stats_enabled=" + stats_before);
}

}  // namespace
}  // namespace trinity::bpf
