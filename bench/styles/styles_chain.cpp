// styles_chain: the chain benchmark (bench/README.md) written in two of SimGrid's own
// modelling styles, to measure what each costs per service call against the style rapture
// uses (the model's own event loop, SimGrid only for contended activities).
//
//   styles_chain semaphores [options]   an actor per worker; a FIFO queue and a semaphore
//                                       per service; service time and hops are sleep_for
//   styles_chain mailboxes [options]    an actor per worker on its service's host; calls and
//                                       replies are mailbox messages over CM02 links whose
//                                       latency is the hop; service time is an execute() of
//                                       the host's flops
//
// Same semantics as bench/chain/heap_chain.cpp, chain.yaml and simpy_chain.py: open-loop
// Poisson arrivals at service 1; each service one replica with `workers` workers and an
// unbounded FIFO queue; a visit takes a worker, computes an exponential service time, then
// (services 1..4) calls the next service synchronously, one hop there, the worker held
// until the reply is back one hop later; latency from the arrival at service 1 to the
// completion there; requests still in flight at the end are not counted. Options as
// heap_chain's; prints the same JSON line.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <simgrid/s4u.hpp>

#include "chain_common.hpp"

namespace sg4 = simgrid::s4u;

namespace {

/// A request in flight; `callers[s]` is how service s's worker gets its reply to service s-1.
template <typename ReplyTo>
struct Request {
  double start = 0;
  std::vector<ReplyTo> callers;
};

/// Requests are reused: the styles are compared on their event handling, not on `new`.
template <typename ReplyTo>
class RequestPool {
 public:
  explicit RequestPool(uint32_t services) : services_(services) {}
  Request<ReplyTo>* take(double start) {
    if (free_.empty()) {
      all_.push_back(std::make_unique<Request<ReplyTo>>());
      all_.back()->callers.resize(services_);
      free_.push_back(all_.back().get());
    }
    Request<ReplyTo>* r = free_.back();
    free_.pop_back();
    r->start = start;
    return r;
  }
  void give_back(Request<ReplyTo>* r) { free_.push_back(r); }

 private:
  uint32_t services_;
  std::vector<std::unique_ptr<Request<ReplyTo>>> all_;
  std::vector<Request<ReplyTo>*> free_;
};

/// What both styles share: the options, the random streams, arrivals and latencies.
struct Run {
  explicit Run(const chain::Options& o) : opt(o), arrivals(chain::arrival_seed(o.seed)) {
    for (uint32_t s = 0; s < o.services; ++s) service_rng.emplace_back(chain::service_seed(o.seed, s));
  }
  chain::Options opt;
  chain::Rng arrivals;
  std::vector<chain::Rng> service_rng;
  uint64_t arrived = 0;
  chain::Latencies latencies;

  double service_time(uint32_t s) { return service_rng[s].exponential(opt.service_time); }
  double next_arrival() { return arrivals.exponential(1.0 / opt.rate); }
};

// ---- Style 1: actors, semaphores and sleep_for ------------------------------------------

/// A service: its FIFO of waiting requests and a semaphore counting them.
struct QueueService {
  using Req = Request<sg4::Semaphore*>;
  std::deque<Req*> queue;
  sg4::SemaphorePtr waiting = sg4::Semaphore::create(0);

  void enqueue(Req* r) {
    queue.push_back(r);
    waiting->release();
  }
};

void run_semaphores(Run& run) {
  using Req = QueueService::Req;
  const chain::Options& opt = run.opt;
  auto* zone = sg4::create_full_zone("chain");
  // Time passes only in sleep_for: every actor can share one host.
  auto* host = zone->create_host("node", 1e9)->seal();
  zone->seal();

  static std::vector<QueueService> services;  // static: the actors outlive run_until
  static RequestPool<sg4::Semaphore*> pool(opt.services);
  services.resize(opt.services);
  const uint32_t last = opt.services - 1;

  sg4::Actor::create("source", host, [&run] {
    for (;;) {
      sg4::this_actor::sleep_for(run.next_arrival());
      ++run.arrived;
      services[0].enqueue(pool.take(sg4::Engine::get_clock()));
    }
  });
  for (uint32_t s = 0; s < opt.services; ++s) {
    for (uint32_t w = 0; w < opt.workers; ++w) {
      sg4::Actor::create("s" + std::to_string(s) + "-" + std::to_string(w), host, [&run, s, last] {
        const sg4::SemaphorePtr reply = sg4::Semaphore::create(0);
        QueueService& here = services[s];
        for (;;) {
          here.waiting->acquire();
          Req* r = here.queue.front();
          here.queue.pop_front();
          sg4::this_actor::sleep_for(run.service_time(s));
          if (s < last) {  // synchronous call: travel, wait for the reply, travel back
            sg4::this_actor::sleep_for(run.opt.hop);
            r->callers[s + 1] = reply.get();
            services[s + 1].enqueue(r);
            reply->acquire();
            sg4::this_actor::sleep_for(run.opt.hop);
          }
          if (s > 0) {
            r->callers[s]->release();  // the worker is free as its reply leaves
          } else {
            run.latencies.record(sg4::Engine::get_clock() - r->start);
            pool.give_back(r);
          }
        }
      });
    }
  }
}

// ---- Style 2: actors, mailboxes, execute() and CM02 links -------------------------------

void run_mailboxes(Run& run) {
  using Req = Request<sg4::Mailbox*>;
  const chain::Options& opt = run.opt;
  constexpr double kSpeed = 1e9;       // flops per second of a core
  constexpr double kBandwidth = 1e15;  // as rapture's platform without a bandwidth: latency only
  constexpr uint64_t kMessageBytes = 1;

  // A host per service (a core per worker), a client host for the arrivals; a link of the hop
  // latency between successive services, a latency-free one from the client to service 1.
  auto* zone = sg4::create_full_zone("chain");
  auto* client = zone->create_host("client", kSpeed)->seal();
  std::vector<sg4::Host*> hosts;
  for (uint32_t s = 0; s < opt.services; ++s)
    hosts.push_back(
        zone->create_host("s" + std::to_string(s), kSpeed)->set_core_count(static_cast<int>(opt.workers))->seal());
  auto* entry = zone->create_link("entry", kBandwidth)->set_latency(0)->seal();
  zone->add_route(client->get_netpoint(), hosts[0]->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(entry)}, true);
  for (uint32_t s = 0; s + 1 < opt.services; ++s) {
    auto* hop = zone->create_link("hop" + std::to_string(s), kBandwidth)->set_latency(opt.hop)->seal();
    zone->add_route(hosts[s]->get_netpoint(), hosts[s + 1]->get_netpoint(), nullptr, nullptr, {sg4::LinkInRoute(hop)},
                    true);
  }
  zone->seal();

  static RequestPool<sg4::Mailbox*> pool(opt.services);
  std::vector<sg4::Mailbox*> inbox;
  for (uint32_t s = 0; s < opt.services; ++s) inbox.push_back(sg4::Mailbox::by_name("s" + std::to_string(s)));
  const uint32_t last = opt.services - 1;

  sg4::Actor::create("source", client, [&run, first = inbox[0]] {
    for (;;) {
      sg4::this_actor::sleep_for(run.next_arrival());
      ++run.arrived;
      first->put_init(pool.take(sg4::Engine::get_clock()), kMessageBytes)->detach();
    }
  });
  for (uint32_t s = 0; s < opt.services; ++s) {
    for (uint32_t w = 0; w < opt.workers; ++w) {
      const std::string name = "s" + std::to_string(s) + "-" + std::to_string(w);
      sg4::Mailbox* reply = sg4::Mailbox::by_name(name + "-reply");
      sg4::Mailbox* here = inbox[s];
      sg4::Mailbox* next = s < last ? inbox[s + 1] : nullptr;
      auto actor = sg4::Actor::create(name, hosts[s], [&run, here, next, reply, s] {
        for (;;) {
          auto* r = here->get<Req>();
          sg4::this_actor::execute(run.service_time(s) * kSpeed);
          if (next != nullptr) {  // synchronous call: the message travels the hop both ways
            r->callers[s + 1] = reply;
            next->put_init(r, kMessageBytes)->detach();
            reply->get<Req>();
          }
          if (s > 0) {
            r->callers[s]->put_init(r, kMessageBytes)->detach();  // free as the reply leaves
          } else {
            run.latencies.record(sg4::Engine::get_clock() - r->start);
            pool.give_back(r);
          }
        }
      });
      // A permanent receiver makes a message travel as soon as it is sent, as a request
      // crosses the network before it waits in the service's queue; any worker may take it.
      if (w == 0) here->set_receiver(actor);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string style = argc > 1 ? argv[1] : "";
  if (style != "semaphores" && style != "mailboxes")
    chain::usage("styles_chain", "the first argument is the style: semaphores or mailboxes");
  const chain::Options opt = chain::parse(argc, argv, 2, "styles_chain");
  const auto wall_start = std::chrono::steady_clock::now();

  std::vector<std::string> args{"styles_chain", "--log=root.thresh:warning", "--cfg=network/model:CM02"};
  std::vector<char*> sg_argv;
  for (auto& a : args) sg_argv.push_back(a.data());
  int sg_argc = static_cast<int>(sg_argv.size());
  sg4::Engine engine(&sg_argc, sg_argv.data());

  static Run run(opt);  // static: the actors still hold references when the engine stops
  if (style == "semaphores") {
    run_semaphores(run);
  } else {
    run_mailboxes(run);
  }
  engine.run_until(opt.end());

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  chain::print_result(style == "semaphores" ? "simgrid-semaphores" : "simgrid-mailboxes", run.latencies, run.arrived,
                      -1, opt.end(), wall);
  // The workers are still blocked in acquire() and get(): SimGrid refuses to destroy a
  // semaphore or mailbox in use, and tearing the actors down is no part of what is measured.
  std::fflush(stdout);
  std::_Exit(0);
}
