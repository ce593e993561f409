// io_uring plugin I/O on the real kernel: granted files are read, written and appended
// through the restricted ring; ungranted names, unregistered descriptors and other
// opcodes fail; after lock-down a new ring cannot be set up, while the old one still works.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>

#include "isolation/seccomp_filter.h"
#include "isolation/uring_io.h"
#include "tests/isolation/sandbox_test_support.h"

namespace trinity::isolation {
namespace {

namespace fs = std::filesystem;

std::string TmpDir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(t ? t : "/tmp") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fixture {
  std::string dir, input, data_dir, output, log;
  std::shared_ptr<UringIo> io;
};

Fixture MakeFixture(const std::string& name) {
  Fixture f;
  f.dir = TmpDir(name);
  f.input = f.dir + "/input.txt";
  f.data_dir = f.dir + "/data";
  f.output = f.dir + "/out.txt";
  f.log = f.dir + "/log.txt";
  WriteText(f.input, "hello from a granted file\n");
  fs::create_directories(f.data_dir);
  WriteText(f.data_dir + "/a.txt", "A");
  WriteText(f.data_dir + "/b.txt", std::string(200000, 'b'));  // several ring reads
  WriteText(f.log, "old line\n");
  WriteText(f.dir + "/secret.txt", "not granted");
  Capabilities caps;
  EXPECT_TRUE(caps.AllowRead(f.input).ok());
  EXPECT_TRUE(caps.AllowRead(f.data_dir).ok());
  EXPECT_TRUE(caps.AllowWrite(f.output).ok());
  EXPECT_TRUE(caps.AllowAppend(f.log).ok());
  auto io = UringIo::Create(std::move(caps));
  EXPECT_TRUE(io.ok()) << (io.ok() ? "" : io.error());
  if (io.ok()) f.io = std::move(io.value());
  return f;
}

// Runs `source`'s main() with the ring's host functions; the result or the trap as text.
std::string RunPlugin(const std::shared_ptr<UringIo>& io, const std::string& source,
                      std::vector<HostValue> args = {}) {
  HostFunctions host;
  RegisterUringHostFunctions(io, host);
  auto module = testing::Compile(source);
  if (!module) return "compile failed";
  auto instance = Instance::Create(module, host);
  if (!instance.ok()) return "link: " + instance.error();
  auto r = instance.value()->Call("main", args);
  if (!r.ok()) return "trap: " + r.error().ToString();
  return r.value().ToString();
}

TEST(UringIo, ReadsWritesAndAppendsGrantedFiles) {
  Fixture f = MakeFixture("rw");
  ASSERT_TRUE(f.io);
  std::string source = R"(
import fn read_file(name)
import fn write_file(name, data)
import fn append_file(name, data)
export fn main(input, dir, out, log) {
  let text = read_file(input)
  let a = read_file(dir + "/a.txt")
  let b = read_file(dir + "/b.txt")
  write_file(out, "first ")
  write_file(out, "second")
  append_file(log, "new line\n")
  return [text, a, len(b)]
})";
  std::string result = RunPlugin(
      f.io, source,
      {HostValue::String(f.input), HostValue::String(f.data_dir), HostValue::String(f.output),
       HostValue::String(f.log)});
  // HostValue::ToString quotes strings inside containers as str() does.
  EXPECT_EQ(result, "[\"hello from a granted file\\n\", \"A\", 200000]");
  EXPECT_EQ(ReadText(f.output), "first second");
  EXPECT_EQ(ReadText(f.log), "old line\nnew line\n");
}

TEST(UringIo, UngrantedNamesAndWrongAccessTrapWithAClearMessage) {
  Fixture f = MakeFixture("refuse");
  ASSERT_TRUE(f.io);
  std::string read = R"(
import fn read_file(name)
export fn main(name) { return read_file(name) })";
  std::string secret = RunPlugin(f.io, read, {HostValue::String(f.dir + "/secret.txt")});
  EXPECT_NE(secret.find("host error"), std::string::npos) << secret;
  EXPECT_NE(secret.find("is not granted to this plugin"), std::string::npos) << secret;
  EXPECT_NE(secret.find("--allow-read"), std::string::npos) << secret;
  std::string passwd = RunPlugin(f.io, read, {HostValue::String("/etc/passwd")});
  EXPECT_NE(passwd.find("not granted"), std::string::npos) << passwd;
  // A file created in a granted directory after start-up is not reachable.
  WriteText(f.data_dir + "/late.txt", "late");
  std::string late = RunPlugin(f.io, read, {HostValue::String(f.data_dir + "/late.txt")});
  EXPECT_NE(late.find("not granted"), std::string::npos) << late;

  std::string write = R"(
import fn write_file(name, data)
export fn main(name) { return write_file(name, "x") })";
  std::string wrong = RunPlugin(f.io, write, {HostValue::String(f.input)});
  EXPECT_NE(wrong.find("granted for read, not write"), std::string::npos) << wrong;
  EXPECT_EQ(ReadText(f.input), "hello from a granted file\n");
}

TEST(UringIo, RingRefusesUnregisteredDescriptorsAndOtherOpcodes) {
  Fixture f = MakeFixture("raw");
  ASSERT_TRUE(f.io);
  int raw = open(f.input.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  char buf[64];

  io_uring_sqe sqe{};
  io_uring_prep_read(&sqe, raw, buf, sizeof buf, 0);  // a plain descriptor number
  EXPECT_EQ(f.io->Execute(sqe), -EACCES);

  sqe = {};
  io_uring_prep_read(&sqe, 1000, buf, sizeof buf, 0);  // no such fixed file
  sqe.flags |= IOSQE_FIXED_FILE;
  EXPECT_EQ(f.io->Execute(sqe), -EBADF);

  sqe = {};
  io_uring_prep_openat(&sqe, AT_FDCWD, "/proc/self/mem", O_RDWR, 0);
  EXPECT_EQ(f.io->Execute(sqe), -EACCES);
  sqe.flags |= IOSQE_FIXED_FILE;
  EXPECT_EQ(f.io->Execute(sqe), -EACCES);

  sqe = {};
  io_uring_prep_readv(&sqe, 0, nullptr, 0, 0);  // allowed flags, opcode not on the list
  sqe.flags |= IOSQE_FIXED_FILE;
  EXPECT_EQ(f.io->Execute(sqe), -EACCES);

  // The kernel enforces the grant's access too: index 0 is the read-only input.
  sqe = {};
  io_uring_prep_write(&sqe, 0, "x", 1, 0);
  sqe.flags |= IOSQE_FIXED_FILE;
  EXPECT_EQ(f.io->Execute(sqe), -EBADF);

  sqe = {};
  io_uring_prep_read(&sqe, 0, buf, sizeof buf, 0);
  sqe.flags |= IOSQE_FIXED_FILE;
  EXPECT_EQ(f.io->Execute(sqe), 26);
  close(raw);
}

TEST(UringIo, AfterLockDownTheRingWorksButNoNewRingCanBeSetUp) {
  auto outcome = testing::RunInChild([]() -> std::string {
    Fixture f = MakeFixture("lockdown");
    if (!f.io) return "no ring";
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    if (!installed) return "install: " + installed.error();
    std::string fails;
    auto text = f.io->ReadFile(f.input);
    if (!text.ok() || text.value() != "hello from a granted file\n") fails += "read after lock-down; ";
    auto fault = RunContained([] {
      io_uring ring;
      io_uring_queue_init(8, &ring, 0);
    });
    if (!fault) {
      fails += "io_uring_setup was allowed; ";
    } else {
      Trap trap = TrapFromFault(*fault);
      if (trap.kind != TrapKind::kForbiddenSyscall || trap.message.find("io_uring_setup") == std::string::npos) {
        fails += "unexpected trap: " + trap.ToString() + "; ";
      }
    }
    return fails;
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

// A receive that waits for data must not hold up a file read from another thread.
TEST(UringIo, OneCallersPendingIoDoesNotBlockAnother) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  std::string dir = TmpDir("concurrent");
  WriteText(dir + "/f", "file");
  Capabilities caps;
  ASSERT_TRUE(caps.AllowSocket("peer", sv[0]).ok());
  ASSERT_TRUE(caps.AllowRead(dir + "/f").ok());
  auto created = UringIo::Create(std::move(caps));
  ASSERT_TRUE(created.ok()) << created.error();
  std::shared_ptr<UringIo> io = std::move(created.value());

  auto pending = std::async(std::launch::async, [io] { return io->Recv("peer", 16); });
  EXPECT_EQ(pending.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  auto start = std::chrono::steady_clock::now();
  auto text = io->ReadFile(dir + "/f");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(text.value(), "file");
  EXPECT_LT(took, std::chrono::milliseconds(500));
  ASSERT_EQ(write(sv[1], "ping", 4), 4);
  auto got = pending.get();
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got.value(), "ping");
  auto sent = io->Send("peer", "pong");
  ASSERT_TRUE(sent.ok()) << sent.error();
  char buf[8] = {};
  EXPECT_EQ(read(sv[1], buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "pong");
  close(sv[1]);
}

}  // namespace
}  // namespace trinity::isolation
