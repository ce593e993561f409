// The messages between the process-tier supervisor and its workers, and their encoding:
// little-endian, length-prefixed frames over a stream socket. Decoding checks every
// length, because a worker is not trusted to send well-formed replies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
  std::string output;                       // what print() wrote
  std::optional<std::string> result;        // the entry's result as text, unless nil
  std::optional<Trap> trap;                 // top-level code or the entry trapped
  std::optional<std::string> setup_error;   // load or link failure: nothing ran
};

std::vector<uint8_t> EncodeRequest(const ProcessRequest& request);
Result<ProcessRequest, std::string> DecodeRequest(const std::vector<uint8_t>& bytes);
std::vector<uint8_t> EncodeResult(const ProcessResult& result);
Result<ProcessResult, std::string> DecodeResult(const std::vector<uint8_t>& bytes);

// One frame (u32 length + payload) over a blocking descriptor. Reading returns an
// empty error string on a clean end of stream before any byte of a frame.
constexpr uint32_t kMaxFrameBytes = 256u << 20;
enum class FrameWrite { kSendNoSignal, kWrite };
Result<Unit, std::string> WriteFrame(int fd, const std::vector<uint8_t>& payload,
                                     FrameWrite mode = FrameWrite::kSendNoSignal);
Result<std::vector<uint8_t>, std::string> ReadFrame(int fd);

}  // namespace trinity::isolation
