// Process-wide list of conformance tiers. A function-local static avoids depending on
// static initialisation order between the tier files and this one.
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {
std::vector<std::unique_ptr<Tier>>& Registry() {
  static auto* tiers = new std::vector<std::unique_ptr<Tier>>();
  return *tiers;
}
}  // namespace

void RegisterTier(std::unique_ptr<Tier> tier) { Registry().push_back(std::move(tier)); }

const std::vector<std::unique_ptr<Tier>>& RegisteredTiers() { return Registry(); }

}  // namespace trinity::conformance
