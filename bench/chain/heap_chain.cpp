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

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

/// xoshiro256**: as fast as a good generator gets, so the loop measures event handling and
/// not the generator (rapture uses pcg64: a nanosecond or two per draw either way).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) {  // splitmix64 expands the seed into the state
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      w = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

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
  static bool before(const Event& a, const Event& b) {
    return a.time < b.time || (a.time == b.time && a.seq < b.seq);
  }
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
  double start;     // arrival at service 1
  uint32_t service; // where it is (forward pass) or whose reply it is carrying (return pass)
};

struct Options {
  double requests = 1e5, rate = 500, service_time = 1e-3, hop = 100e-6;
  uint64_t seed = 1;
  uint32_t services = 5, workers = 8;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "heap_chain: %s\nusage: heap_chain [--requests N] [--rate R] [--seed S] [--services K] "
               "[--workers W] [--service-time SECONDS] [--hop SECONDS]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    if (end == v || *end != '\0' || !(x >= 0)) usage(("bad value for " + a + ": " + v).c_str());
    if (a == "--requests") o.requests = x;
    else if (a == "--rate") o.rate = x;
    else if (a == "--seed") o.seed = static_cast<uint64_t>(x);
    else if (a == "--services") o.services = static_cast<uint32_t>(x);
    else if (a == "--workers") o.workers = static_cast<uint32_t>(x);
    else if (a == "--service-time") o.service_time = x;
    else if (a == "--hop") o.hop = x;
    else usage(("unknown option " + a).c_str());
  }
  if (o.services < 1 || o.workers < 1 || !(o.rate > 0)) usage("services, workers and rate must be positive");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const auto wall_start = std::chrono::steady_clock::now();
  const double end = opt.requests / opt.rate;
  const uint32_t last = opt.services - 1;

  // One stream for arrivals and one per service, as rapture keys its streams.
  Rng arrivals(opt.seed * 1000003 + 17);
  std::vector<Rng> service_rng;
  for (uint32_t s = 0; s < opt.services; ++s) service_rng.emplace_back(opt.seed * 1000003 + 101 + s);
  std::vector<uint32_t> busy(opt.services, 0);
  std::vector<Ring> queue(opt.services);
  std::vector<Request> pool;
  std::vector<uint32_t> free_ids;
  Heap heap;

  uint64_t arrived = 0, completed = 0, events = 0;
  double sum = 0, sum_sq = 0;

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
      const double latency = now - r.start;
      ++completed;
      sum += latency;
      sum_sq += latency * latency;
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
  const double n = static_cast<double>(completed);
  const double mean = completed ? sum / n : NAN;
  const double sd = completed > 1 ? std::sqrt(std::max(0.0, (sum_sq - n * mean * mean) / (n - 1))) : NAN;
  std::printf(
      "{\"implementation\": \"heap\", \"requests\": %llu, \"arrivals\": %llu, \"mean_latency\": %.9g, "
      "\"latency_sd\": %.9g, \"events\": %llu, \"simulated_seconds\": %.9g, \"wall_seconds\": %.6f}\n",
      static_cast<unsigned long long>(completed), static_cast<unsigned long long>(arrived), mean, sd,
      static_cast<unsigned long long>(events), end, wall);
  return 0;
}
