// isolation/trinity_isolation_c.h: MpkDomain, the MPK probe and InstallSeccompPolicy
// behind C signatures, building the C API's instance handle (runtime/trinity_c_bridge.h)
// with its domain as the owner that outlives the instance.
#include "isolation/trinity_isolation_c.h"

#include <new>

#include "isolation/mpk_isolation.h"
#include "isolation/mpk_support.h"
#include "isolation/seccomp_filter.h"
#include "isolation/seccomp_policy.h"
#include "runtime/trinity_c_bridge.h"

namespace {

using trinity::c_api::Fail;
namespace iso = trinity::isolation;

}  // namespace

extern "C" {

int trinity_mpk_available(const char** reason) {
  const iso::MpkSupport& support = iso::ProbeMpkSupport();
  if (!support.available && reason != nullptr) *reason = support.reason.c_str();
  return support.available;
}

trinity_status_t trinity_mpk_init(trinity_error_t** error) {
  if (!iso::MpkAvailable()) return Fail(error, TRINITY_UNAVAILABLE, iso::MpkUnavailableReason());
  auto r = iso::InitializeMpk();
  if (!r) return Fail(error, TRINITY_RESOURCE_ERROR, r.error());
  return TRINITY_OK;
}

trinity_status_t trinity_instance_new_isolated(const trinity_module_t* module,
                                               const trinity_host_t* host,
                                               const trinity_instance_config_t* config,
                                               trinity_isolation_t isolation,
                                               trinity_instance_t** out,
                                               trinity_error_t** error) {
  if (isolation == TRINITY_ISOLATION_NONE ||
      (isolation == TRINITY_ISOLATION_DEFAULT && !iso::MpkAvailable())) {
    return trinity_instance_new(module, host, config, out, error);
  }
  if (isolation != TRINITY_ISOLATION_MPK && isolation != TRINITY_ISOLATION_DEFAULT) {
    return Fail(error, TRINITY_INVALID_ARGUMENT, "unknown isolation mode");
  }
  if (module == nullptr || host == nullptr || out == nullptr) {
    return Fail(error, TRINITY_INVALID_ARGUMENT,
                "trinity_instance_new_isolated: no module, host or result");
  }
  if (!iso::MpkAvailable()) {
    return Fail(error, TRINITY_UNAVAILABLE,
                "MPK isolation required but unavailable: " + iso::MpkUnavailableReason());
  }
  try {
    trinity::InstanceOptions options = trinity::c_api::OptionsFrom(config);
    auto domain = iso::MpkDomain::Create(iso::IsolationPolicy::kRequired, options.limits);
    if (!domain) return Fail(error, TRINITY_RESOURCE_ERROR, domain.error());
    domain.value()->Configure(options);
    auto created = trinity::Instance::Create(module->module, host->functions, std::move(options));
    if (!created) {
      trinity_status_t code = created.error().rfind("unresolved import", 0) == 0
                                  ? TRINITY_LINK_ERROR
                                  : TRINITY_RESOURCE_ERROR;
      return Fail(error, code, created.error());
    }
    auto* instance = new trinity_instance;
    instance->owner = std::shared_ptr<iso::MpkDomain>(std::move(domain.value()));
    instance->instance = std::move(created.value());
    instance->isolated = true;
    *out = instance;
  } catch (const std::bad_alloc&) {
    return Fail(error, TRINITY_RESOURCE_ERROR, "out of memory creating an isolated instance");
  }
  return TRINITY_OK;
}

trinity_status_t trinity_seccomp_check(const char* policy, trinity_error_t** error) {
  if (policy == nullptr) return Fail(error, TRINITY_INVALID_ARGUMENT, "no policy name");
  if (iso::FindPolicy(policy) == nullptr) {
    return Fail(error, TRINITY_INVALID_ARGUMENT,
                std::string("no seccomp policy '") + policy + "' (see trinity policy list)");
  }
  return TRINITY_OK;
}

trinity_status_t trinity_seccomp_install(const char* policy, trinity_error_t** error) {
  if (trinity_status_t s = trinity_seccomp_check(policy, error); s != TRINITY_OK) return s;
  const iso::SeccompPolicy* p = iso::FindPolicy(policy);
  try {
    auto installed = iso::InstallSeccompPolicy(*p, iso::ViolationResponse::kTrap,
                                               iso::WithoutLandlock::kRefuse);
    if (!installed) return Fail(error, TRINITY_UNAVAILABLE, installed.error());
  } catch (const std::bad_alloc&) {
    return Fail(error, TRINITY_RESOURCE_ERROR, "out of memory installing a seccomp policy");
  }
  return TRINITY_OK;
}

}  // extern "C"
