#include "engine/simgrid_engine.hpp"

#include <chrono>
#include <memory>
#include <optional>

#include <xbt/log.h>
#include <simgrid/s4u.hpp>

#include "engine/pending_activities.hpp"
#include "model/simulation.hpp"

// Progress and the engine's diagnostics; SimGrid's `--log=rapture.thres:warning` quiets them.
XBT_LOG_NEW_DEFAULT_CATEGORY(rapture, "rapture: a run's progress and the engine's diagnostics");

namespace rapture {

namespace sg4 = simgrid::s4u;

namespace {

/// Contended CPU and bandwidth as SimGrid activities; the driver hands completions back to the model.
class SimGridResources final : public ResourceBackend {
 public:
  SimGridResources(std::vector<sg4::Host*> hosts, std::vector<sg4::Link*> links, double bandwidth)
      : hosts_(std::move(hosts)), links_(std::move(links)), bandwidth_(bandwidth) {}

  /// The model whose clock activities start at. Set once the model exists: it is built with
  /// this backend, so the two cannot be built in one step.
  void attach(const Simulation& model) { model_ = &model; }

  void start_exec(uint32_t host, double flops, uint64_t token) override {
    sync_clock();
    // Host::exec_async would run on the calling actor's host (the driver's): set the host explicitly.
    pending_.add(sg4::Exec::init()->set_flops_amount(flops)->set_host(hosts_[host])->start(), token);
  }
  void start_transfer(uint32_t from, uint32_t to, double bytes, uint64_t token) override {
    sync_clock();
    pending_.add(sg4::Comm::sendto_async(hosts_[from], hosts_[to], static_cast<uint64_t>(bytes)), token);
  }

  void set_link_factor(uint32_t host, double factor) override {
    sync_clock();
    links_[host]->set_bandwidth(bandwidth_ * factor);
  }

  void set_speed_level(uint32_t host, uint32_t level) override {
    sync_clock();
    hosts_[host]->set_pstate(static_cast<unsigned long>(level));
  }

  [[nodiscard]] bool idle() const { return pending_.empty(); }
  [[nodiscard]] size_t running() const { return pending_.size(); }

  /// Waits until the first pending activity completes (returns its token) or `until` is reached.
  std::optional<uint64_t> wait_until(double until) { return pending_.wait_until(until); }

 private:
  /// The model ran ahead of SimGrid's clock while nothing was pending; catch up before starting.
  void sync_clock() {
    const double now = model_->now();
    if (pending_.empty() && sg4::Engine::get_clock() < now) sg4::this_actor::sleep_until(now);
  }

  std::vector<sg4::Host*> hosts_;
  std::vector<sg4::Link*> links_;
  double bandwidth_;
  const Simulation* model_ = nullptr;
  PendingActivities pending_;
};

}  // namespace

RunTotals run_on_simgrid(const System& system, BinSink& sink, const EngineOptions& options) {
  // SimGrid's own messages only from warnings up; rapture's from info up, printed as
  // "rapture: <message>". The caller's --log=... come after, so they override these.
  std::vector<std::string> args{"rapture", "--log=root.thresh:warning", "--log=rapture.thresh:info",
                                "--log=rapture.fmt:rapture:%e%m%n", "--cfg=network/model:CM02"};
  args.insert(args.end(), options.simgrid_args.begin(), options.simgrid_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  sg4::Engine engine(&argc, argv.data());

  // Platform: a star zone, each host on its own link (half the hop latency each way, so a
  // hop between two hosts costs the scenario's hop latency).
  auto* zone = sg4::create_star_zone("rapture");
  const double bandwidth = system.bandwidth > 0 ? system.bandwidth : 1e15;
  std::vector<sg4::Host*> hosts;
  std::vector<sg4::Link*> links;
  hosts.reserve(system.hosts.size());
  for (const auto& h : system.hosts) {
    // One pstate per speed the faults need: a slowdown is a pstate change, which SimGrid
    // applies to the executions already running.
    std::vector<double> speeds;
    for (double level : h.speed_levels) speeds.push_back(h.speed * level);
    auto* host =
        zone->create_host(h.name, speeds)->set_core_count(static_cast<int>(std::min<int64_t>(h.cores, 1 << 30)));
    host->seal();
    auto* link = zone->create_link(h.name + "-link", bandwidth)->set_latency(system.hop_latency / 2)->seal();
    zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr, {sg4::LinkInRoute(link)}, true);
    hosts.push_back(host);
    links.push_back(link);
  }
  auto* driver_host = zone->create_host("rapture-driver", 1e9)->seal();
  zone->seal();

  SimGridResources resources(hosts, links, bandwidth);
  const bool needs_backend = system.any_contended_host() || system.uses_bandwidth();
  Simulation sim(system, sink, needs_backend ? &resources : nullptr);
  resources.attach(sim);
  XBT_VERB("%zu hosts, %s", hosts.size(), needs_backend ? "contended activities on SimGrid" : "no contended resource");

  const auto wall_start = std::chrono::steady_clock::now();
  auto last_report = wall_start;
  if (options.progress) {
    sim.on_progress([&](double now) {
      const auto t = std::chrono::steady_clock::now();
      if (t - wall_start > std::chrono::seconds(3) && t - last_report > std::chrono::seconds(3)) {
        last_report = t;
        XBT_INFO("simulated %.1f of %.1f s (%.0f%%)", now, system.duration, 100.0 * now / system.duration);
      }
    });
  }

  const double end = system.duration;
  sg4::Actor::create("driver", driver_host, [&] {
    for (;;) {
      if (sim.stopped()) break;
      if (resources.idle()) {
        if (!sim.run_until(end)) break;  // no event left before the end, nothing pending
        continue;
      }
      const double next = std::min(sim.next_event_time(), end);
      if (const std::optional<uint64_t> token = resources.wait_until(next)) {
        sim.resume(sg4::Engine::get_clock(), *token);
        continue;
      }
      if (sim.next_event_time() > end) {  // the end came with activities still running
        XBT_VERB("%zu activities still running at the end", resources.running());
        break;
      }
      sim.step();
    }
    // Executions still running at the end are abandoned with the engine.
    sg4::this_actor::exit();
  });
  engine.run_until(end + 1.0);

  RunTotals totals = sim.finish(end);
  totals.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return totals;
}

}  // namespace rapture
