// Runs every tests/conformance/*.tri program on every registered tier and checks its
// stdout, trap and compile errors against the expectations written at the top of the
// file. One parameterised test case per (tier, program): `fast_arith_int_wrap`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "tests/conformance/expectations.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

namespace fs = std::filesystem;

fs::path ConformanceDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return fs::path("tests/conformance");
  return fs::path(srcdir) / workspace / "tests" / "conformance";
}

std::vector<fs::path> ProgramFiles() {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ConformanceDir(), ec)) {
    if (entry.path().extension() == ".tri") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct Case {
  Tier* tier;
  fs::path file;
};

// Without this gtest dumps the struct's bytes in failure summaries.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.tier->Name() << ":" << c.file.filename().string();
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const auto& tier : RegisteredTiers()) {
    for (const fs::path& file : ProgramFiles()) cases.push_back({tier.get(), file});
  }
  return cases;
}

std::string CaseName(const testing::TestParamInfo<Case>& info) {
  std::string name = info.param.tier->Name() + "_" + info.param.file.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Line-numbered rendering makes a one-character difference in long output findable.
std::string ShowOutput(const std::string& text) {
  if (text.empty()) return "    (nothing)\n";
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += "    |" + line + "\n";
  if (text.back() != '\n') out += "    (no final newline)\n";
  return out;
}

std::string ShowErrors(const std::vector<lang::CompileError>& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += "    " + e.file + ":" + std::to_string(e.line) + ":" + std::to_string(e.col) + ": " +
           e.message + "\n";
  }
  return out;
}

class ConformanceTest : public testing::TestWithParam<Case> {};

TEST_P(ConformanceTest, Program) {
  const Case& c = GetParam();
  // The workspace-relative path, so a failure names the file to open.
  const std::string path = "tests/conformance/" + c.file.filename().string();
  const std::string source = ReadFile(c.file);
  auto parsed = ParseExpectations(source);
  ASSERT_TRUE(parsed.ok()) << path << ": bad expectation header: " << parsed.error();
  const Expectations& ex = parsed.value();

  auto compiled = lang::CompileSource(source, c.file.filename().string());
  if (!ex.compile_errors.empty()) {
    ASSERT_FALSE(compiled.ok()) << path << ": expected compile errors, but it compiled";
    const auto& errors = compiled.error();
    for (const auto& want : ex.compile_errors) {
      bool found = std::any_of(errors.begin(), errors.end(), [&](const lang::CompileError& e) {
        return e.line == want.line && e.col == want.col &&
               e.message.find(want.substring) != std::string::npos;
      });
      EXPECT_TRUE(found) << path << ": expected compile error " << want.line << ":" << want.col
                         << ": ..." << want.substring << "...\n  actual errors:\n"
                         << ShowErrors(errors);
    }
    return;
  }
  ASSERT_TRUE(compiled.ok()) << path << ": unexpected compile errors:\n"
                             << ShowErrors(compiled.error());

  Program program;
  program.name = c.file.stem().string();
  program.path = path;
  program.module = WriteModule(compiled.value());
  program.limits = ex.limits;
  Outcome outcome = c.tier->Run(program);
  ASSERT_FALSE(outcome.setup_error.has_value()) << path << ": " << *outcome.setup_error;

  const std::string trap_text = outcome.trap ? outcome.trap->text : std::string("(none)");
  const std::string expected = ex.ExpectedOutput();
  EXPECT_EQ(outcome.output, expected) << path << ": output differs\n  expected:\n"
                                      << ShowOutput(expected) << "  actual:\n"
                                      << ShowOutput(outcome.output) << "  trap: " << trap_text;
  if (!ex.trap_kind) {
    EXPECT_FALSE(outcome.trap.has_value()) << path << ": unexpected trap: " << trap_text;
    return;
  }
  ASSERT_TRUE(outcome.trap.has_value())
      << path << ": expected trap '" << *ex.trap_kind << "', but the program finished";
  EXPECT_EQ(outcome.trap->kind, *ex.trap_kind) << path << ": trap: " << trap_text;
  if (ex.trap_line) {
    EXPECT_EQ(outcome.trap->line, *ex.trap_line) << path << ": trap: " << trap_text;
  }
  if (ex.trap_message) {
    EXPECT_NE(outcome.trap->message.find(*ex.trap_message), std::string::npos)
        << path << ": trap message lacks '" << *ex.trap_message << "': " << trap_text;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiers, ConformanceTest, testing::ValuesIn(AllCases()), CaseName);

// Guards against a silently empty suite (runfiles not found, tier not linked in).
TEST(ConformanceSuite, HasProgramsAndTiers) {
  EXPECT_FALSE(RegisteredTiers().empty()) << "no tier registered (alwayslink missing?)";
  EXPECT_GE(ProgramFiles().size(), 170u) << "conformance dir: " << ConformanceDir();
}

}  // namespace
}  // namespace trinity::conformance
