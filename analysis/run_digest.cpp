#include "analysis/run_digest.hpp"

namespace rapture {

bool RunDigest::operator==(const RunDigest& other) const {
  const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  return bin_width == other.bin_width && duration == other.duration && goodput == other.goodput &&
         offered == other.offered && failures == other.failures && calls == other.calls && attempts == other.attempts &&
         calls_refused == other.calls_refused && same(p99, other.p99) && users == other.users &&
         users_failing == other.users_failing && same(error_rate, other.error_rate) &&
         same(legacy_error_last, other.legacy_error_last) && same(legacy_latency_last, other.legacy_latency_last) &&
         same(legacy_busy, other.legacy_busy) && same(goodput_mean, other.goodput_mean) && requests == other.requests &&
         has_analysis == other.has_analysis && same(trigger_start, other.trigger_start) &&
         same(trigger_end, other.trigger_end) && same(peak_unhealthy_share, other.peak_unhealthy_share) &&
         same(blast_radius_requests, other.blast_radius_requests) &&
         same(blast_radius_types, other.blast_radius_types) && same(recovery_time, other.recovery_time) &&
         recovered == other.recovered && metastable == other.metastable && verdict == other.verdict &&
         sustained_by == other.sustained_by && same(drain_eta, other.drain_eta) && emergent == other.emergent;
}

}  // namespace rapture
