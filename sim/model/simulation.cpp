#include "model/simulation.hpp"

#include <algorithm>
#include <stdexcept>

namespace rapture {

Simulation::Simulation(const System& system, BinSink& sink, ResourceBackend* backend)
    : system_(system),
      meter_(system, sink, clock_),
      protection_(system, clock_),
      flow_(system, clock_, meter_, protection_, backend),
      faults_(system, clock_, meter_, backend, flow_),
      policies_(system, clock_, meter_, protection_, flow_),
      bin_end_(clock_.add_kind<&Simulation::on_bin_end>(this)) {
  if (!backend && (system.any_contended_host() || system.uses_bandwidth())) {
    throw std::logic_error("contended hosts or bandwidth-limited calls need a resource backend");
  }
  flow_.attach(policies_, faults_);
  // The order of these first events is the order of their ties: sources, bins, warm-up, faults.
  flow_.start();
  if (system.bin_width < system.duration) clock_.at(system.bin_width, bin_end_, 0);
  meter_.start();
  faults_.start();
}

Simulation::~Simulation() = default;

bool Simulation::run_until(double until) {
  while (!flow_.stopped() && clock_.next_time() <= until) {
    clock_.step();
    if (clock_.take_activity()) return true;
  }
  return false;
}

void Simulation::on_bin_end(const Event&) {
  const double next = close_bin(clock_.now());
  if (next < system_.duration - 1e-12 && !flow_.stopped()) clock_.at(next, bin_end_, 0);
}

double Simulation::close_bin(double end) {
  policies_.measure_open();
  return meter_.close_bin(end);
}

RunTotals Simulation::finish(double end) {
  clock_.advance_to(std::min(end, system_.duration));
  if (flow_.stopped()) clock_.advance_to(meter_.bin_start());
  close_bin(clock_.now());
  RunTotals out = meter_.totals(clock_.now(), flow_.in_flight());
  out.summary.stopped_early = flow_.stopped();
  out.summary.stop_reason = flow_.stop_reason();
  out.summary.events = clock_.events();
  return out;
}

}  // namespace rapture
