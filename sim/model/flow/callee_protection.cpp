#include "model/flow/callee_protection.hpp"

#include <algorithm>

namespace rapture {

CalleeProtection::CalleeProtection(const System& system, Scheduler& clock) : clock_(clock) {
  services_.resize(system.services.size());
  for (size_t s = 0; s < system.services.size(); ++s) {
    const auto& cfg = system.services[s];
    const auto& prot = cfg.protection;
    auto& st = services_[s];
    st.first_replica = static_cast<uint32_t>(queues_.size());
    if (prot.outlier_ejection) st.outlier.emplace(*prot.outlier_ejection, static_cast<uint32_t>(cfg.replicas));
    if (prot.admission) st.admission.emplace(*prot.admission);
    for (int64_t r = 0; r < cfg.replicas; ++r) {
      auto& q = queues_.emplace_back();
      q.service = static_cast<uint32_t>(s);
      if (prot.shedding == ProtectionSpec::Shedding::CoDel) q.codel.emplace();
      if (prot.shedding == ProtectionSpec::Shedding::AdaptiveLifo) q.adaptive_lifo.emplace();
    }
  }
  outlier_timer_ = clock.add_kind<&CalleeProtection::on_outlier_timer>(this);
}

void CalleeProtection::record(uint32_t replica, bool server_error) {
  const uint32_t service = queues_[replica].service;
  auto& s = services_[service];
  s.outlier->on_result(replica - s.first_replica, server_error, clock_.now());
  s.outlier_timer.set(clock_, s.outlier->next_timer(), outlier_timer_, service);
}

void CalleeProtection::on_outlier_timer(const Event& e) {
  auto& s = services_[e.id];
  if (!s.outlier_timer.fire(e.gen)) return;
  s.outlier->on_timer(clock_.now());
  s.outlier_timer.set(clock_, s.outlier->next_timer(), outlier_timer_, e.id);
}

}  // namespace rapture
