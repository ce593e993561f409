// WorkerOutput and the supervisor's recovery of unsent output (worker_output.h). A frame
// carries the stream offset of its first byte, so after a kill the supervisor can tell
// whether the buffer's bytes already arrived in a frame written just before the kill.
#include "isolation/worker_output.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "isolation/process_wire.h"

namespace trinity::isolation {
namespace {

// Output waiting longer than this goes out at the next print(), so a plugin that prints
// now and then is seen live rather than at the end.
constexpr auto kMaxPendingTime = std::chrono::milliseconds(50);

}  // namespace

SharedOutput* MapSharedOutput() {
  void* p = mmap(nullptr, sizeof(SharedOutput), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  auto* shared = static_cast<SharedOutput*>(p);
  shared->base = shared->produced = 0;
  return shared;
}

void UnmapSharedOutput(SharedOutput* shared) {
  if (shared != nullptr) munmap(shared, sizeof(SharedOutput));
}

void WorkerOutput::StartRequest() { shared_->base = shared_->produced = 0; }

void WorkerOutput::SendFrame(uint64_t offset, std::string_view text) {
  if (!WriteOutputFrame(fd_, offset, text)) _exit(0);
}

void WorkerOutput::Flush() {
  uint64_t pending = shared_->produced - shared_->base;
  if (pending == 0) return;
  SendFrame(shared_->base, std::string_view(shared_->data, pending));
  // Only now is the frame out: a kill before this line leaves the bytes in the buffer too,
  // and the supervisor skips them by offset.
  shared_->base = shared_->produced;
}

void WorkerOutput::Print(std::string_view text) {
  auto now = std::chrono::steady_clock::now();
  uint64_t pending = shared_->produced - shared_->base;
  if (pending > 0 && (pending + text.size() > SharedOutput::kCapacity || now - first_pending_ > kMaxPendingTime)) {
    Flush();
    pending = 0;
  }
  if (text.size() > SharedOutput::kCapacity) {
    // Too long to buffer: straight out in frames.
    while (!text.empty()) {
      std::string_view piece = text.substr(0, kMaxOutputChunk);
      SendFrame(shared_->produced, piece);
      shared_->produced += piece.size();
      shared_->base = shared_->produced;
      text.remove_prefix(piece.size());
    }
    return;
  }
  if (pending == 0) first_pending_ = now;
  std::memcpy(shared_->data + pending, text.data(), text.size());
  shared_->produced += text.size();
}

std::string_view UnsentOutput(const SharedOutput& shared, uint64_t received) {
  uint64_t base = shared.base, produced = shared.produced;
  if (base > produced || produced - base > SharedOutput::kCapacity) return {};
  if (received < base || received > produced) return {};
  return std::string_view(shared.data + (received - base), produced - received);
}

}  // namespace trinity::isolation
