// The worker's output channel (isolation/worker_output.h): print() text is buffered in
// shared memory and sent in frames that carry their stream offset; after a worker dies,
// the supervisor takes exactly the bytes that never arrived in a frame, and nothing from
// a buffer that does not add up.
#include "isolation/worker_output.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "isolation/process_wire.h"

namespace trinity::isolation {
namespace {

struct Channel {
  Channel() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    shared = MapSharedOutput();
  }
  ~Channel() {
    close(fds[0]);
    close(fds[1]);
    UnmapSharedOutput(shared);
  }
  // The next output frame the "worker" end sent.
  Reply Next() {
    auto frame = ReadFrame(fds[0]);
    EXPECT_TRUE(frame.ok());
    auto reply = DecodeReply(frame.value());
    EXPECT_TRUE(reply.ok());
    return reply.value();
  }
  int fds[2];
  SharedOutput* shared;
};

TEST(WorkerOutput, BuffersSendsInOrderAndLeavesNothingBehind) {
  Channel c;
  ASSERT_NE(c.shared, nullptr);
  WorkerOutput out(c.fds[1], c.shared);
  out.StartRequest();
  out.Print("one\n");
  out.Print("two\n");
  // Still in the buffer: a supervisor that lost the worker now would recover it.
  EXPECT_EQ(UnsentOutput(*c.shared, 0), "one\ntwo\n");
  out.Flush();
  Reply r = c.Next();
  EXPECT_EQ(r.kind, ReplyKind::kOutput);
  EXPECT_EQ(r.offset, 0u);
  EXPECT_EQ(r.output, "one\ntwo\n");
  EXPECT_EQ(UnsentOutput(*c.shared, 8), "");
  // A text longer than the buffer goes straight out, after what was pending.
  out.Print("x");
  std::string big(SharedOutput::kCapacity + 10, 'y');
  out.Print(big);
  Reply pending = c.Next();
  EXPECT_EQ(pending.offset, 8u);
  EXPECT_EQ(pending.output, "x");
  Reply direct = c.Next();
  EXPECT_EQ(direct.offset, 9u);
  EXPECT_EQ(direct.output, big);
}

TEST(WorkerOutput, RecoveryNeitherDuplicatesNorTrustsABrokenBuffer) {
  SharedOutput* shared = MapSharedOutput();
  ASSERT_NE(shared, nullptr);
  std::memcpy(shared->data, "abcdef", 6);
  shared->base = 100;
  shared->produced = 106;
  EXPECT_EQ(UnsentOutput(*shared, 100), "abcdef");
  // Killed after the frame with these bytes went out but before the buffer was reset:
  // the supervisor already has them.
  EXPECT_EQ(UnsentOutput(*shared, 106), "");
  EXPECT_EQ(UnsentOutput(*shared, 103), "def");
  // Offsets a well-behaved worker never leaves: nothing is taken.
  EXPECT_EQ(UnsentOutput(*shared, 99), "");
  EXPECT_EQ(UnsentOutput(*shared, 107), "");
  shared->produced = 100 + SharedOutput::kCapacity + 1;
  EXPECT_EQ(UnsentOutput(*shared, 100), "");
  shared->produced = 50;
  EXPECT_EQ(UnsentOutput(*shared, 100), "");
  UnmapSharedOutput(shared);
}

}  // namespace
}  // namespace trinity::isolation
