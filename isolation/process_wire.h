// The messages between the process-tier supervisor and its workers, and their encoding:
// little-endian, length-prefixed frames over a stream socket. Decoding checks every
// length, because a worker is not trusted to send well-formed replies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.h"
#include "runtime/trinity.h"

namespace trinity::isolation {

struct ProcessRequest {
  std::vector<uint8_t> module;     // wire-format bytecode; verified by the worker
  std::string entry;               // export to call after top-level code; "" = none
  std::vector<std::string> args;   // passed as string arguments
  Limits limits;
};

struct ProcessResult {
  // What print() wrote, when the caller gave Run no output sink (ProcessSupervisor).
  std::string output;
  std::optional<std::string> result;        // the entry's result as text, unless nil
  std::optional<Trap> trap;                 // top-level code or the entry trapped
  std::optional<std::string> setup_error;   // load or link failure: nothing ran
};

std::vector<uint8_t> EncodeRequest(const ProcessRequest& request);
Result<ProcessRequest, std::string> DecodeRequest(const std::vector<uint8_t>& bytes);

// A worker answers a request with any number of output frames, in the order print()
// produced the text, then one result frame (whose `output` is empty): output streams to
// the supervisor while the plugin runs instead of piling up in either process.
enum class ReplyKind : uint8_t { kOutput = 1, kResult = 2 };
inline constexpr size_t kMaxOutputChunk = size_t{1} << 20;  // bytes per output frame
struct Reply {
  ReplyKind kind = ReplyKind::kResult;
  uint64_t offset = 0;   // kOutput: where `output` starts in the request's output
  std::string output;    // kOutput
  ProcessResult result;  // kResult
};
// At most kMaxOutputChunk bytes of text.
std::vector<uint8_t> EncodeOutput(uint64_t offset, std::string_view text);
// The frame of EncodeOutput(offset, text), written with one writev and no copy of `text`.
Result<Unit, std::string> WriteOutputFrame(int fd, uint64_t offset, std::string_view text);
std::vector<uint8_t> EncodeResult(const ProcessResult& result);
Result<Reply, std::string> DecodeReply(const std::vector<uint8_t>& bytes);

// One frame (u32 length + payload) over a blocking descriptor. Reading returns an
// empty error string on a clean end of stream before any byte of a frame.
constexpr uint32_t kMaxFrameBytes = 256u << 20;
enum class FrameWrite { kSendNoSignal, kWrite };
Result<Unit, std::string> WriteFrame(int fd, const std::vector<uint8_t>& payload,
                                     FrameWrite mode = FrameWrite::kSendNoSignal);
Result<std::vector<uint8_t>, std::string> ReadFrame(int fd);

}  // namespace trinity::isolation
