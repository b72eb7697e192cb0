// heap_chain: the chain benchmark as a minimal hand-written event loop — the limit that
// rapture's per-event cost is measured against (bench/README.md).
//
// Same semantics as bench/chain/chain.yaml in rapture and bench/chain/simpy_chain.py:
// open-loop Poisson arrivals at service 1; a chain of 5 services, each one replica with
// `workers` workers and an unbounded FIFO queue; a visit takes a worker, computes an
// exponential service time, then (services 1..4) calls the next service synchronously —
// the request travels one hop to it and the worker stays held until the reply has come
// back (another hop) — then frees the worker and replies. End-to-end latency runs from the
// arrival at service 1 to its completion. The run covers [0, N / rate) simulated seconds,
// as rapture's `duration`; requests still in flight at the end are not counted.
//
// One std::vector binary heap of {time, seq, type, id}; requests live in a pool with a free
// list, queues are power-of-two ring buffers: once the working set has grown nothing is
// allocated per event. Prints one JSON line: requests, mean_latency, latency_sd, ...
//
//   heap_chain [--requests N] [--rate R] [--seed S] [--services K] [--workers W]
//              [--service-time SECONDS] [--hop SECONDS]

#include <chrono>
#include <cstdint>
#include <vector>

#include "chain_common.hpp"

namespace {

using chain::Rng;

enum class Type : uint8_t { Source, Arrive, ComputeDone, Reply };

struct Event {
  double time;
  uint64_t seq;  // ties at equal times run in scheduling order, as in rapture's EventQueue
  uint32_t id;
  Type type;
};

class Heap {
 public:
  void push(double time, Type type, uint32_t id) {
    Event e{time, seq_++, id, type};
    size_t i = v_.size();
    v_.push_back(e);
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!before(e, v_[parent])) break;
      v_[i] = v_[parent];
      i = parent;
    }
    v_[i] = e;
  }
  Event pop() {
    const Event top = v_.front();
    const Event last = v_.back();
    v_.pop_back();
    const size_t n = v_.size();
    if (n > 0) {
      size_t i = 0;
      for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && before(v_[c + 1], v_[c])) ++c;
        if (!before(v_[c], last)) break;
        v_[i] = v_[c];
        i = c;
      }
      v_[i] = last;
    }
    return top;
  }
  [[nodiscard]] bool empty() const { return v_.empty(); }
  [[nodiscard]] double next_time() const { return v_.front().time; }

 private:
  static bool before(const Event& a, const Event& b) { return a.time < b.time || (a.time == b.time && a.seq < b.seq); }
  std::vector<Event> v_;
  uint64_t seq_ = 0;
};

/// FIFO of request ids; grows by doubling, never shrinks.
class Ring {
 public:
  [[nodiscard]] bool empty() const { return size_ == 0; }
  void push(uint32_t v) {
    if (size_ == buf_.size()) {
      std::vector<uint32_t> bigger(buf_.empty() ? 16 : buf_.size() * 2);
      for (uint32_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
      buf_.swap(bigger);
      head_ = 0;
    }
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  uint32_t pop() {
    const uint32_t v = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return v;
  }

 private:
  std::vector<uint32_t> buf_;
  uint32_t head_ = 0, size_ = 0;
};

struct Request {
  double start;      // arrival at service 1
  uint32_t service;  // where it is (forward pass) or whose reply it is carrying (return pass)
};

}  // namespace

int main(int argc, char** argv) {
  const chain::Options opt = chain::parse(argc, argv, 1, "heap_chain");
  const auto wall_start = std::chrono::steady_clock::now();
  const double end = opt.end();
  const uint32_t last = opt.services - 1;

  Rng arrivals(chain::arrival_seed(opt.seed));
  std::vector<Rng> service_rng;
  for (uint32_t s = 0; s < opt.services; ++s) service_rng.emplace_back(chain::service_seed(opt.seed, s));
  std::vector<uint32_t> busy(opt.services, 0);
  std::vector<Ring> queue(opt.services);
  std::vector<Request> pool;
  std::vector<uint32_t> free_ids;
  Heap heap;

  uint64_t arrived = 0, events = 0;
  chain::Latencies latencies;

  double now = 0;
  // A visit of request `id` reaches service pool[id].service: a free worker takes it, or it
  // waits in the FIFO queue.
  auto arrive = [&](uint32_t id) {
    const uint32_t s = pool[id].service;
    if (busy[s] < opt.workers) {
      ++busy[s];
      heap.push(now + service_rng[s].exponential(opt.service_time), Type::ComputeDone, id);
    } else {
      queue[s].push(id);
    }
  };
  // The visit at pool[id].service completes: its worker goes to the head of the queue (or
  // becomes free), and the reply travels one hop back — or the request ends at service 1.
  auto finish_visit = [&](uint32_t id) {
    Request& r = pool[id];
    const uint32_t s = r.service;
    if (!queue[s].empty()) {
      heap.push(now + service_rng[s].exponential(opt.service_time), Type::ComputeDone, queue[s].pop());
    } else {
      --busy[s];
    }
    if (s == 0) {
      latencies.record(now - r.start);
      free_ids.push_back(id);
    } else {
      r.service = s - 1;
      heap.push(now + opt.hop, Type::Reply, id);
    }
  };

  heap.push(arrivals.exponential(1.0 / opt.rate), Type::Source, 0);
  while (!heap.empty() && heap.next_time() < end) {
    const Event e = heap.pop();
    now = e.time;
    ++events;
    switch (e.type) {
      case Type::Source: {
        ++arrived;
        uint32_t id;
        if (free_ids.empty()) {
          id = static_cast<uint32_t>(pool.size());
          pool.push_back({});
        } else {
          id = free_ids.back();
          free_ids.pop_back();
        }
        pool[id] = Request{now, 0};
        arrive(id);  // as in rapture, the entry visit arrives at once, without an event
        heap.push(now + arrivals.exponential(1.0 / opt.rate), Type::Source, 0);
        break;
      }
      case Type::Arrive: arrive(e.id); break;
      case Type::ComputeDone:
        if (pool[e.id].service < last) {  // synchronous call: the worker stays held
          ++pool[e.id].service;
          heap.push(now + opt.hop, Type::Arrive, e.id);
        } else {  // the last service replies as soon as it has computed
          finish_visit(e.id);
        }
        break;
      case Type::Reply: finish_visit(e.id); break;  // the reply from downstream has arrived
    }
  }

  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  chain::print_result("heap", latencies, arrived, static_cast<long long>(events), end, wall);
  return 0;
}
