#include "analysis/policy_ablation.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "common/text.hpp"

namespace rapture {

std::string_view to_string(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::Retries: return "retries";
    case PolicyKind::Backoff: return "backoff";
    case PolicyKind::Timeouts: return "timeouts";
    case PolicyKind::CircuitBreaker: return "circuit_breaker";
    case PolicyKind::RetryBudget: return "retry_budget";
    case PolicyKind::RetryQuota: return "retry_quota";
    case PolicyKind::Fallback: return "fallback";
    case PolicyKind::Bulkhead: return "bulkhead";
    case PolicyKind::Shedding: return "shedding";
  }
  return "?";
}

namespace {

std::string_view backoff_name(Backoff::Kind kind) {
  switch (kind) {
    case Backoff::Kind::None: return "none";
    case Backoff::Kind::Constant: return "constant";
    case Backoff::Kind::Exponential: return "exponential";
    case Backoff::Kind::FullJitter: return "full_jitter";
    case Backoff::Kind::DecorrelatedJitter: return "decorrelated_jitter";
    case Backoff::Kind::ProportionalJitter: return "proportional_jitter";
  }
  return "none";
}

std::string seconds(double s) { return text::number(s) + "s"; }

/// A level of `policies:` or an entry of `protection:`, as a path and as users read it.
struct Level {
  std::string path;   ///< "policies.edges.\"a -> b\""
  std::string label;  ///< "on a -> b"
  std::string slug;   ///< "a-b": for design names
};

/// Names design `base`, made unique among `taken` and the ablations so far.
std::string unique_name(std::string base, const std::vector<std::string>& taken,
                        const std::vector<PolicyAblation>& out) {
  const auto used = [&](const std::string& n) {
    return std::find(taken.begin(), taken.end(), n) != taken.end() ||
           std::any_of(out.begin(), out.end(), [&](const PolicyAblation& a) { return a.design.name == n; });
  };
  std::string name = base;
  for (int i = 2; used(name); ++i) name = base + "-" + std::to_string(i);
  return name;
}

void add(std::vector<PolicyAblation>& out, const std::vector<std::string>& taken, PolicyKind kind, const Level& level,
         std::vector<std::string> sets) {
  PolicyAblation a;
  a.kind = kind;
  a.place = level.path;
  a.design.name = unique_name(fmt::format("without-{}-{}", name_part(to_string(kind)), level.slug), taken, out);
  a.design.description =
      fmt::format("the scenario without its {} {}", text::lower(std::string(to_string(kind))), level.label);
  std::replace(a.design.description.begin(), a.design.description.end(), '_', ' ');
  a.design.set = std::move(sets);
  out.push_back(std::move(a));
}

/// The ablations of one `policies:` level.
void ablate_level(const PolicySpec& p, const Level& level, const std::vector<std::string>& taken,
                  std::vector<PolicyAblation>& out) {
  if (p.retry && p.retry->max_attempts > 1) {
    RetryPolicy once = *p.retry;
    once.max_attempts = 1;
    add(out, taken, PolicyKind::Retries, level, {level.path + ".retry=" + retry_policy_yaml(once)});
    if (p.retry->backoff.kind != Backoff::Kind::None) {
      RetryPolicy at_once = *p.retry;
      at_once.backoff.kind = Backoff::Kind::None;
      add(out, taken, PolicyKind::Backoff, level, {level.path + ".retry=" + retry_policy_yaml(at_once)});
    }
  }
  // Timeouts come from `timeout:` and from a retry preset (Envoy's route timeout): both go.
  const bool preset_timeouts = p.retry && (p.retry->per_try_timeout > 0 || p.retry->deadline > 0);
  const bool own_timeouts = (p.per_try_timeout && *p.per_try_timeout > 0) || (p.deadline && *p.deadline > 0);
  if (preset_timeouts || own_timeouts) {
    std::vector<std::string> sets;
    if (preset_timeouts) {
      RetryPolicy untimed = *p.retry;
      untimed.per_try_timeout = 0;
      untimed.deadline = 0;
      sets.push_back(level.path + ".retry=" + retry_policy_yaml(untimed));
    }
    if (own_timeouts) {
      sets.push_back(level.path + ".timeout.per_try=0s");
      sets.push_back(level.path + ".timeout.deadline=0s");
    }
    add(out, taken, PolicyKind::Timeouts, level, std::move(sets));
  }
  if (p.circuit_breaker) add(out, taken, PolicyKind::CircuitBreaker, level, {level.path + ".circuit_breaker=none"});
  if (p.budget) add(out, taken, PolicyKind::RetryBudget, level, {level.path + ".budget=none"});
  if (p.retry_quota) add(out, taken, PolicyKind::RetryQuota, level, {level.path + ".retry_quota=none"});
  if (p.fallback && *p.fallback) add(out, taken, PolicyKind::Fallback, level, {level.path + ".fallback=false"});
  if (p.bulkhead && *p.bulkhead > 0) add(out, taken, PolicyKind::Bulkhead, level, {level.path + ".bulkhead=0"});
}

}  // namespace

std::string name_part(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string set_key(std::string_view key) {
  const bool plain = !key.empty() && key.find_first_of(".[]\"' ->") == std::string_view::npos;
  return plain ? std::string(key) : "\"" + std::string(key) + "\"";
}

std::string retry_policy_yaml(const RetryPolicy& p) {
  std::vector<std::string> on;
  if (p.retry_on.timeout) on.emplace_back("timeout");
  if (p.retry_on.error) on.emplace_back("error");
  if (p.retry_on.overflow) on.emplace_back("overflow");
  if (p.retry_on.circuit_open) on.emplace_back("circuit_open");
  const Backoff& b = p.backoff;
  return fmt::format(
      "{{max_attempts: {}, retry_on: [{}], backoff: {{kind: {}, base: {}, multiplier: {}, cap: {}, jitter: {}}}, "
      "per_try_timeout: {}, deadline: {}, propagate_deadline: {}, cancel_on_timeout: {}}}",
      p.max_attempts, fmt::join(on, ", "), backoff_name(b.kind), seconds(b.base), text::number(b.multiplier),
      seconds(b.cap), text::number(b.jitter), seconds(p.per_try_timeout), seconds(p.deadline),
      p.propagate_deadline ? "true" : "false", p.cancel_on_timeout ? "true" : "false");
}

std::vector<PolicyAblation> policy_ablations(const Scenario& s, const std::vector<std::string>& taken) {
  std::vector<PolicyAblation> out;
  ablate_level(s.policy_all, {"policies.defaults", "on every call", "defaults"}, taken, out);
  for (int k = 0; k < kServiceKinds; ++k) {
    const std::string kind(to_string(static_cast<ServiceKind>(k)));
    ablate_level(s.policy_by_kind[static_cast<size_t>(k)],
                 {"policies.by_kind." + kind, "on calls to " + kind + " services", kind}, taken, out);
  }
  for (const auto& [edge, policy] : s.policy_edges) {
    const std::string name = text::edge_name(edge.first, edge.second);
    ablate_level(policy, {"policies.edges." + set_key(name), "on " + name, name_part(name)}, taken, out);
  }
  for (const auto& p : s.protections) {
    if (p.shedding == ProtectionSpec::Shedding::None) continue;
    const Level level{"protection." + set_key(p.service), "at " + p.service, name_part(p.service)};
    add(out, taken, PolicyKind::Shedding, level, {level.path + ".shedding=none"});
  }
  return out;
}

}  // namespace rapture
