// The /dev/trinity client: a KernelAttestor backed by the trinity kernel module's ioctls
// (kmod/trinity_uapi.h). It checks the module's API version when opened, as the ABI asks.
#pragma once

#include <memory>
#include <string>

#include "isolation/kernel_attestor.h"

namespace trinity::isolation {

class TrinityDevice final : public KernelAttestor {
 public:
  // Opens the device and checks its major API version; the error says whether it is
  // absent (ENOENT: the module is not loaded) or unusable.
  static Result<std::unique_ptr<TrinityDevice>, std::string> Open(const std::string& path);
  ~TrinityDevice() override;
  TrinityDevice(const TrinityDevice&) = delete;
  TrinityDevice& operator=(const TrinityDevice&) = delete;

  std::string source() const override;
  Result<KernelView, std::string> Attest(std::span<const MemoryRange> ranges) override;
  Result<int, std::string> RegisterJitCode(const void* code, size_t size,
                                           std::string_view name) override;

  uint64_t features() const { return features_; }  // TRINITY_FEATURE_* bits

 private:
  TrinityDevice(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
  uint32_t minor_ = 0;
  uint64_t features_ = 0;
};

}  // namespace trinity::isolation
