#include "engine/simgrid_engine.hpp"

#include <chrono>
#include <cmath>
#include <memory>

#include <xbt/log.h>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>
// After an s4u header: version.h uses the macros of xbt/base.h without including it.
#include <simgrid/version.h>

#include "engine/pending_activities.hpp"
#include "model/simulation.hpp"

// Progress and the engine's diagnostics; SimGrid's `--log=rapture.thres:warning` quiets them.
XBT_LOG_NEW_DEFAULT_CATEGORY(rapture, "rapture: a run's progress and the engine's diagnostics");

namespace rapture {

namespace sg4 = simgrid::s4u;

namespace {

/// Contended CPU and bandwidth as SimGrid activities, and the loop that runs the model with them.
///
/// No actor: the activities are started by maestro (this thread), SimGrid reports their
/// completion through its completion signal, and the model's events that fall while
/// activities run ride on one kernel timer. See docs/architecture.md, "The contended path".
class SimGridResources final : public ResourceBackend {
 public:
  SimGridResources(sg4::Engine& engine, std::vector<sg4::Host*> hosts, std::vector<sg4::Link*> links, double bandwidth)
      : engine_(engine), hosts_(std::move(hosts)), links_(std::move(links)), bandwidth_(bandwidth) {
    // Fired by SimGrid for the activities maestro started (ours: the process has no actor).
#if SIMGRID_VERSION >= 33400
    sg4::Exec::on_completion_cb([this](const sg4::Exec& a) { on_completion(a); });
    sg4::Comm::on_completion_cb([this](const sg4::Comm& a) { on_completion(a); });
#else
    sg4::Activity::on_completion_cb([this](const sg4::Activity& a) { on_completion(a); });
#endif
  }

  /// The model to drive. Set once the model exists: it is built with this backend, so the two
  /// cannot be built in one step.
  void attach(Simulation& model) { model_ = &model; }

  void start_exec(uint32_t host, double flops, uint64_t token) override {
    sync_clock();
    // Started outside any actor, the execution belongs to maestro, which SimGrid completes itself.
    sg4::ExecPtr exec = pending_.exec();
    exec->set_flops_amount(flops)->set_host(hosts_[host])->start();
    pending_.add(std::move(exec), token, true);
  }
  void start_transfer(uint32_t from, uint32_t to, double bytes, uint64_t token) override {
    sync_clock();
    pending_.add(sg4::Comm::sendto_async(hosts_[from], hosts_[to], static_cast<uint64_t>(bytes)), token, false);
  }

  void set_link_factor(uint32_t host, double factor) override {
    sync_clock();
    links_[host]->set_bandwidth(bandwidth_ * factor);
  }

  void set_speed_level(uint32_t host, uint32_t level) override {
    sync_clock();
    hosts_[host]->set_pstate(static_cast<unsigned long>(level));
  }

  /// Runs the model, and SimGrid whenever activities are running, up to `end`.
  void run(double end) {
    for (;;) {
      if (model_->stopped()) break;
      if (pending_.empty()) {
        // The model alone, at full speed: SimGrid's clock catches up when an activity starts.
        if (!model_->run_until(end)) break;  // no event left before the end, nothing pending
        continue;
      }
      const double now = sg4::Engine::get_clock();
      if (model_->next_event_time() <= now) {
        catch_up(now);
        continue;
      }
      if (now >= end) break;
      // SimGrid runs the activities up to the model's next event; completions before it are
      // handled as they come (on_completion), events they cause before it on the timer.
      horizon_ = std::min(model_->next_event_time(), end);
      in_engine_ = true;
      engine_.run_until(horizon_);
      in_engine_ = false;
      disarm();
    }
    abandon();
  }

 private:
  /// The model ran ahead of SimGrid's clock while nothing was pending; catch up before starting.
  /// Only from the loop of run(): inside SimGrid's run the model's clock is SimGrid's.
  void sync_clock() {
    const double now = model_->now();
    if (!in_engine_ && pending_.empty() && sg4::Engine::get_clock() < now) engine_.run_until(now);
  }

  /// Runs the model's events due by `now`, SimGrid's clock.
  void catch_up(double now) {
    while (!model_->stopped() && model_->run_until(now)) {}
  }

  /// Cancels the activities still running at the end. Maestro's activities are not cleaned up
  /// with an actor, as an actor's are: SimGrid must see them fail (one more step of its loop,
  /// at the same instant) before the engine is destroyed, or it destroys them after its models.
  void abandon() {
    finished_ = true;
    if (pending_.empty()) return;
    XBT_VERB("%zu activities still running at the end", pending_.size());
    pending_.cancel_all();
    engine_.run_until(sg4::Engine::get_clock());
  }

  /// An activity ended (inside SimGrid's run, at its end time): the model handles it at once.
  void on_completion(const sg4::Activity& activity) {
    if (finished_) return;  // cancelled by abandon()
    const uint64_t token = pending_.complete(activity);
    if (model_->stopped()) return;
    const double now = sg4::Engine::get_clock();
    model_->resume(now, token);
    catch_up(now);
    arm();
  }

  /// The model's timer: its next event has come while activities run.
  void on_timer() {
    timer_ = nullptr;  // SimGrid deletes it once this returns
    timer_at_ = INFINITY;
    if (model_->stopped()) return;
    catch_up(sg4::Engine::get_clock());
    arm();
  }

  /// Makes SimGrid's run stop at the model's next event when it comes before the horizon the
  /// run was started for (a completion scheduled it). One timer at most: it is moved only
  /// earlier, as the model's next event only moves later by being run.
  void arm() {
    if (model_->stopped()) return;
    const double next = model_->next_event_time();
    if (next >= horizon_ || next >= timer_at_) return;
    disarm();
    timer_ = simgrid::kernel::timer::Timer::set(next, [this] { on_timer(); });
    timer_at_ = next;
  }
  void disarm() {
    if (timer_) timer_->remove();
    timer_ = nullptr;
    timer_at_ = INFINITY;
  }

  sg4::Engine& engine_;
  std::vector<sg4::Host*> hosts_;
  std::vector<sg4::Link*> links_;
  double bandwidth_;
  Simulation* model_ = nullptr;
  PendingActivities pending_;
  double horizon_ = 0;      ///< where the current SimGrid run stops
  bool in_engine_ = false;  ///< inside SimGrid's run (callbacks), where its clock is the model's
  bool finished_ = false;   ///< the run is over: completions (of cancelled activities) are ignored
  simgrid::kernel::timer::Timer* timer_ = nullptr;
  double timer_at_ = INFINITY;
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
  zone->seal();

  SimGridResources resources(engine, hosts, links, bandwidth);
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
  resources.run(end);

  RunTotals totals = sim.finish(end);
  totals.summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return totals;
}

}  // namespace rapture
