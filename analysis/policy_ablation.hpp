#pragma once
/// What can we stop doing? For each tolerance policy a scenario configures (per edge, per callee
/// kind or for every call; shedding per service), the scenario without it, as a design of `set`
/// overrides: `rapture suggest` runs each against the scenario as written, and a policy whose
/// removal does not make user harm worse is one that does not earn its keep. No SimGrid, no HDF5.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/design/design_spec.hpp"
#include "model/policy/retry_policy.hpp"
#include "model/scenario.hpp"

namespace rapture {

/// The kinds of local tolerance an ablation removes.
enum class PolicyKind : uint8_t {
  Retries,
  Backoff,
  Timeouts,
  CircuitBreaker,
  RetryBudget,
  RetryQuota,
  Fallback,
  Bulkhead,
  Shedding
};
std::string_view to_string(PolicyKind kind);

/// One policy removed.
struct PolicyAblation {
  PolicyKind kind = PolicyKind::Retries;
  std::string place;  ///< where it is configured: "policies.defaults", "policies.edges.\"a -> b\"", "protection.db"
  DesignSpec design;  ///< the scenario without it: a name, a description and `set` overrides only
};

/// Every policy `scenario` configures, each removed on its own, at the level it is written: a
/// `retry` with more than one attempt (retries; its back-off, when it has one, separately), its
/// timeouts, breaker, retry budget, retry quota, fallback, bulkhead, and each service's shedding.
/// Design names start with "without-" and avoid `taken`.
std::vector<PolicyAblation> policy_ablations(const Scenario& scenario, const std::vector<std::string>& taken = {});

/// `policy` as the scenario's `retry:` map that reads back to it (every field written out, so that
/// it does not depend on a preset's defaults).
std::string retry_policy_yaml(const RetryPolicy& policy);

/// `s` as a part of a design name: letters, digits and `_` kept, every other run of characters
/// one `-` ("checkout -> reco" gives "checkout-reco").
std::string name_part(std::string_view s);

/// `key` quoted for a `--set` path when it holds what a path step cannot (`"a -> b"`).
std::string set_key(std::string_view key);

}  // namespace rapture
