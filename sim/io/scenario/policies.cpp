// Tolerance policies: `policies:` (the caller's, per call) and `protection:` (the callee's, per service).

#include <cmath>

#include "io/scenario/sections.hpp"

namespace rapture::scenario_reader {

namespace {

const text::KeywordTable<bool RetryOn::*> kRetryConditions{{"timeout", &RetryOn::timeout},
                                                           {"error", &RetryOn::error},
                                                           {"overflow", &RetryOn::overflow},
                                                           {"circuit_open", &RetryOn::circuit_open}};

const text::KeywordTable<Backoff::Kind> kBackoffs{{"none", Backoff::Kind::None},
                                                  {"constant", Backoff::Kind::Constant},
                                                  {"exponential", Backoff::Kind::Exponential},
                                                  {"full_jitter", Backoff::Kind::FullJitter},
                                                  {"decorrelated_jitter", Backoff::Kind::DecorrelatedJitter},
                                                  {"proportional_jitter", Backoff::Kind::ProportionalJitter}};

const text::KeywordTable<CircuitBreakerConfig (*)()> kBreakerPresets{
    {"resilience4j", &CircuitBreakerConfig::resilience4j}, {"hystrix", &CircuitBreakerConfig::hystrix}};

// "count" and "time" are accepted aliases, left out of messages.
const text::KeywordTable<CircuitBreakerConfig::Window> kBreakerWindows{
    {"count_based", CircuitBreakerConfig::Window::CountBased},
    {"time_based", CircuitBreakerConfig::Window::TimeBased},
    {"count", CircuitBreakerConfig::Window::CountBased},
    {"time", CircuitBreakerConfig::Window::TimeBased}};

const text::KeywordTable<OutlierConfig (*)()> kOutlierPresets{{"envoy", &OutlierConfig::envoy}};

const text::KeywordTable<ProtectionSpec::Shedding> kSheddings{
    {"none", ProtectionSpec::Shedding::None},
    {"codel", ProtectionSpec::Shedding::CoDel},
    {"adaptive_lifo", ProtectionSpec::Shedding::AdaptiveLifo}};

/// A preset given as `name` or as a map whose optional `preset` key names it.
std::optional<std::string> preset_name(const Item& item) {
  if (item.node.IsScalar()) return item.node.Scalar();
  if (item.node.IsMap() && item.node["preset"]) return item.node["preset"].Scalar();
  return std::nullopt;
}

/// The preset the model's `make` returns for the name `item` gives (`fallback` when it gives none).
template <typename Config>
Config model_preset(const Reader& r, const Item& item, const char* fallback, Config (*make)(std::string_view)) {
  try {
    return make(preset_name(item).value_or(fallback));
  } catch (const std::invalid_argument& e) {
    r.fail(item, e.what());
  }
}

/// The preset `table` names for `item` (`fallback` when it names none).
template <typename Config>
Config preset(const Reader& r, const Item& item, std::string_view what, const std::string& fallback,
              const text::KeywordTable<Config (*)()>& table) {
  const std::string name = preset_name(item).value_or(fallback);
  const auto make = table.find(name);
  if (!make) {
    r.fail(item, "unknown " + std::string(what) + " preset '" + name + "' (expected " + table.expected() + ")");
  }
  return (*make)();
}

RetryPolicy read_retry(const Reader& r, const Item& item) {
  RetryPolicy p = model_preset(r, item, "none", &RetryPolicy::preset);
  if (item.node.IsMap()) {
    const MapView m(r, item);
    m.allow({"preset", "max_attempts", "retry_on", "backoff", "per_try_timeout", "deadline", "propagate_deadline",
             "cancel_on_timeout"});
    if (auto v = m.get("max_attempts")) p.max_attempts = r.integer(*v, 1, 100);
    if (auto v = m.get("retry_on")) {
      p.retry_on = RetryOn{false, false, false, false};
      for (const auto& el : r.list(*v, "conditions: " + kRetryConditions.expected())) {
        const auto condition = r.keyword(el, "retry condition", kRetryConditions);
        p.retry_on.*condition = true;
      }
    }
    if (auto v = m.get("backoff")) {
      const MapView b(r, *v);
      b.allow({"kind", "base", "multiplier", "cap", "jitter"});
      if (auto k = b.get("kind")) p.backoff.kind = r.keyword(*k, "backoff", kBackoffs);
      if (auto x = b.get("base")) p.backoff.base = r.duration(*x);
      if (auto x = b.get("multiplier")) p.backoff.multiplier = r.number(*x);
      if (auto x = b.get("cap")) p.backoff.cap = r.duration(*x);
      if (auto x = b.get("jitter")) p.backoff.jitter = r.share(*x);
    }
    if (auto v = m.get("per_try_timeout")) p.per_try_timeout = r.duration(*v);
    if (auto v = m.get("deadline")) p.deadline = r.duration(*v);
    if (auto v = m.get("propagate_deadline")) p.propagate_deadline = r.boolean(*v);
    if (auto v = m.get("cancel_on_timeout")) p.cancel_on_timeout = r.boolean(*v);
  } else if (!item.node.IsScalar()) {
    r.fail(item, "expected a preset name or a map");
  }
  // gRPC lowers maxAttempts above 5 rather than refuse it; RetryPolicy::note() keeps what was written.
  p.limit_attempts();
  r.validated(item, p);
  return p;
}

RetryBudget read_budget(const Reader& r, const Item& item) {
  RetryBudgetConfig c = model_preset(r, item, "none", &RetryBudgetConfig::preset);
  if (item.node.IsMap()) {
    const MapView m(r, item);
    m.allow({"preset", "budget_percent", "min_retry_concurrency", "retry_ratio", "min_retries_per_second", "ttl",
             "max_tokens", "token_ratio"});
    if (auto v = m.get("budget_percent")) c.budget_percent = r.percent(*v);
    if (auto v = m.get("min_retry_concurrency")) {
      c.min_retry_concurrency = static_cast<uint32_t>(r.integer(*v, 0, 1'000'000));
    }
    if (auto v = m.get("retry_ratio")) c.retry_ratio = r.number(*v);
    if (auto v = m.get("min_retries_per_second")) {
      c.min_retries_per_second = static_cast<uint32_t>(r.integer(*v, 0, 1'000'000));
    }
    if (auto v = m.get("ttl")) c.ttl = r.duration(*v);
    if (auto v = m.get("max_tokens")) c.max_tokens = static_cast<uint32_t>(r.integer(*v, 1, 1000));
    if (auto v = m.get("token_ratio")) c.token_ratio = r.number(*v);
  } else if (!item.node.IsScalar()) {
    r.fail(item, "expected a preset name or a map");
  }
  r.validated(item, c);
  return RetryBudget(c);
}

RetryQuotaConfig read_retry_quota(const Reader& r, const Item& item) {
  RetryQuotaConfig c = model_preset(r, item, "aws", &RetryQuotaConfig::preset);
  if (item.node.IsMap()) {
    const MapView m(r, item);
    m.allow({"preset", "capacity", "retry_cost", "timeout_cost", "success_refill"});
    if (auto v = m.get("capacity")) c.capacity = r.integer(*v, 1, 1'000'000'000);
    if (auto v = m.get("retry_cost")) c.retry_cost = r.integer(*v, 0, 1'000'000'000);
    if (auto v = m.get("timeout_cost")) c.timeout_cost = r.integer(*v, 0, 1'000'000'000);
    if (auto v = m.get("success_refill")) c.success_refill = r.integer(*v, 0, 1'000'000'000);
  } else if (!item.node.IsScalar()) {
    r.fail(item, "expected a preset name or a map");
  }
  r.validated(item, c);
  return c;
}

CircuitBreakerConfig read_breaker(const Reader& r, const Item& item) {
  CircuitBreakerConfig c = preset(r, item, "circuit breaker", "resilience4j", kBreakerPresets);
  if (item.node.IsMap()) {
    const MapView m(r, item);
    m.allow({"preset", "window", "window_size", "minimum_calls", "failure_rate_threshold", "slow_call_duration",
             "slow_call_rate_threshold", "wait_in_open", "wait_multiplier", "max_wait_in_open", "automatic_half_open",
             "permitted_in_half_open", "max_wait_in_half_open"});
    if (auto v = m.get("window")) c.window = r.keyword(*v, "window", kBreakerWindows);
    if (auto v = m.get("window_size")) {
      c.window_size = c.window == CircuitBreakerConfig::Window::TimeBased
                          ? static_cast<int64_t>(std::llround(r.duration(*v)))
                          : r.integer(*v, 0, 1'000'000);
    }
    if (auto v = m.get("minimum_calls")) c.minimum_calls = r.integer(*v, 0, 1'000'000);
    if (auto v = m.get("failure_rate_threshold")) c.failure_rate_threshold = r.percent(*v);
    if (auto v = m.get("slow_call_duration")) c.slow_call_duration = r.duration(*v);
    if (auto v = m.get("slow_call_rate_threshold")) c.slow_call_rate_threshold = r.percent(*v);
    if (auto v = m.get("wait_in_open")) c.wait_in_open = r.duration(*v);
    if (auto v = m.get("wait_multiplier")) c.wait_multiplier = r.number(*v);
    if (auto v = m.get("max_wait_in_open")) c.max_wait_in_open = r.duration(*v);
    if (auto v = m.get("automatic_half_open")) c.automatic_half_open = r.boolean(*v);
    if (auto v = m.get("permitted_in_half_open")) c.permitted_in_half_open = r.integer(*v, 0, 1'000'000);
    if (auto v = m.get("max_wait_in_half_open")) c.max_wait_in_half_open = r.duration(*v);
  } else if (!item.node.IsScalar()) {
    r.fail(item, "expected a preset name or a map");
  }
  r.validated(item, c);
  return c;
}

OutlierConfig read_outlier(const Reader& r, const Item& item) {
  OutlierConfig c = preset(r, item, "outlier ejection", "envoy", kOutlierPresets);
  if (item.node.IsMap()) {
    const MapView m(r, item);
    m.allow(
        {"preset", "consecutive_5xx", "interval", "base_ejection_time", "max_ejection_percent", "max_ejection_time"});
    if (auto v = m.get("consecutive_5xx")) c.consecutive_5xx = r.integer(*v, 0, 1'000'000);
    if (auto v = m.get("interval")) c.interval = r.duration(*v);
    if (auto v = m.get("base_ejection_time")) c.base_ejection_time = r.duration(*v);
    if (auto v = m.get("max_ejection_percent")) c.max_ejection_percent = r.percent(*v);
    if (auto v = m.get("max_ejection_time")) c.max_ejection_time = r.duration(*v);
  }
  r.validated(item, c);
  return c;
}

AdmissionConfig read_admission(const Reader& r, const Item& item) {
  AdmissionConfig c;
  const MapView m(r, item);
  m.allow({"max_concurrent", "rate", "burst"});
  if (auto v = m.get("max_concurrent")) c.max_concurrent = static_cast<uint32_t>(r.integer(*v, 0, 1'000'000'000));
  if (auto v = m.get("rate")) c.rate = r.rate(*v);
  if (auto v = m.get("burst")) c.burst = r.number(*v);
  r.validated(item, c);
  return c;
}

/// One `policies` entry; what the user should know about it (a lowered max_attempts) goes to `notes`.
PolicySpec read_policy(const Reader& r, const Item& item, SourceLocation where, std::vector<ScenarioNote>& notes) {
  PolicySpec p;
  p.where = std::move(where);
  const MapView m(r, item);
  m.allow({"timeout", "retry", "budget", "retry_quota", "circuit_breaker", "fallback", "bulkhead"});
  if (auto v = m.get("retry")) {
    p.retry = read_retry(r, *v);
    if (auto note = p.retry->note(); !note.empty()) notes.push_back({r.where(*v), std::move(note)});
  }
  if (auto v = m.get("timeout")) {
    const MapView t(r, *v);
    t.allow({"per_try", "deadline", "propagate", "cancel"});
    if (auto x = t.get("per_try")) p.per_try_timeout = r.duration(*x);
    if (auto x = t.get("deadline")) p.deadline = r.duration(*x);
    if (auto x = t.get("propagate")) p.propagate_deadline = r.boolean(*x);
    if (auto x = t.get("cancel")) p.cancel_on_timeout = r.boolean(*x);
    if (p.per_try_timeout && p.deadline && *p.deadline > 0 && *p.per_try_timeout > *p.deadline) {
      r.fail(*v, "the per-try timeout (" + t.get("per_try")->node.Scalar() + ") is longer than the deadline (" +
                     t.get("deadline")->node.Scalar() + ")");
    }
  }
  if (auto v = m.get("budget")) p.budget = read_budget(r, *v);
  // `none` switches the policy off for these calls, where leaving the key out inherits it.
  const auto is_none = [](const Item& v) { return v.node.IsScalar() && v.node.Scalar() == "none"; };
  if (auto v = m.get("retry_quota")) {
    p.no_retry_quota = is_none(*v);
    if (!p.no_retry_quota) p.retry_quota = read_retry_quota(r, *v);
  }
  if (auto v = m.get("circuit_breaker")) {
    p.no_circuit_breaker = is_none(*v);
    if (!p.no_circuit_breaker) p.circuit_breaker = read_breaker(r, *v);
  }
  if (auto v = m.get("fallback")) p.fallback = r.boolean(*v);
  if (auto v = m.get("bulkhead")) p.bulkhead = r.integer(*v, 0, 1'000'000'000);
  return p;
}

}  // namespace

void read_policies(const Reader& r, const MapView& top, Scenario& s) {
  if (auto policies = top.get("policies")) {
    const MapView m(r, *policies);
    m.allow({"defaults", "by_kind", "edges"});
    if (auto v = m.get("defaults")) s.policy_all = read_policy(r, *v, r.where_key(*v, "policies.defaults"), s.notes);
    if (auto v = m.get("by_kind")) {
      const MapView k(r, *v);
      k.allow(service_kind_names());
      for (const auto& e : k.entries()) {
        s.policy_by_kind[static_cast<size_t>(parse_service_kind(e.name))] =
            read_policy(r, e.item, r.where_key(e.item, "policies.by_kind." + e.name), s.notes);
      }
    }
    if (auto v = m.get("edges")) {
      const MapView edges(r, *v);
      for (const auto& e : edges.entries()) {
        const auto key = r.edge(Item{e.item.key, YAML::Node(), e.item.path, ""}, e.name);
        s.policy_edges.emplace_back(
            key,
            read_policy(r, e.item, r.where_key(e.item, "edge " + text::edge_name(key.first, key.second)), s.notes));
      }
    }
  }
  if (auto protection = top.get("protection")) {
    const MapView m(r, *protection);
    for (const auto& e : m.entries()) {
      ProtectionSpec p;
      p.service = e.name;
      p.where = r.where_key(e.item, "service '" + e.name + "'");
      const MapView o(r, e.item);
      o.allow({"outlier_ejection", "admission", "shedding"});
      if (auto v = o.get("outlier_ejection")) p.outlier_ejection = read_outlier(r, *v);
      if (auto v = o.get("admission")) p.admission = read_admission(r, *v);
      if (auto v = o.get("shedding")) p.shedding = r.keyword(*v, "shedding", kSheddings);
      s.protections.push_back(std::move(p));
    }
  }
}

}  // namespace rapture::scenario_reader
