#pragma once
// What every C++ implementation of the chain benchmark shares (bench/README.md): the
// command-line options, the random generator, the latency statistics and the JSON line that
// bench/run_chain.py and bench/run_styles.py read. Header-only: each implementation is one
// executable with no library of its own.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace chain {

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

/// One stream for arrivals and one per service, keyed as rapture keys its streams.
inline uint64_t arrival_seed(uint64_t seed) { return seed * 1000003 + 17; }
inline uint64_t service_seed(uint64_t seed, uint32_t service) { return seed * 1000003 + 101 + service; }

struct Options {
  double requests = 1e5, rate = 500, service_time = 1e-3, hop = 100e-6;
  uint64_t seed = 1;
  uint32_t services = 5, workers = 8;
  /// The run covers [0, end) simulated seconds, as rapture's `duration`.
  [[nodiscard]] double end() const { return requests / rate; }
};

[[noreturn]] inline void usage(const char* program, const std::string& why) {
  std::fprintf(stderr,
               "%s: %s\nusage: %s [--requests N] [--rate R] [--seed S] [--services K] "
               "[--workers W] [--service-time SECONDS] [--hop SECONDS]\n",
               program, why.c_str(), program);
  std::exit(2);
}

/// Reads the options from argv[first..argc).
inline Options parse(int argc, char** argv, int first, const char* program) {
  Options o;
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(program, "missing value after " + a);
    const char* v = argv[++i];
    char* end = nullptr;
    const double x = std::strtod(v, &end);
    if (end == v || *end != '\0' || !(x >= 0)) usage(program, "bad value for " + a + ": " + v);
    if (a == "--requests")
      o.requests = x;
    else if (a == "--rate")
      o.rate = x;
    else if (a == "--seed")
      o.seed = static_cast<uint64_t>(x);
    else if (a == "--services")
      o.services = static_cast<uint32_t>(x);
    else if (a == "--workers")
      o.workers = static_cast<uint32_t>(x);
    else if (a == "--service-time")
      o.service_time = x;
    else if (a == "--hop")
      o.hop = x;
    else
      usage(program, "unknown option " + a);
  }
  if (o.services < 1 || o.workers < 1 || !(o.rate > 0)) usage(program, "services, workers and rate must be positive");
  return o;
}

/// End-to-end latencies of the completed requests.
struct Latencies {
  uint64_t completed = 0;
  double sum = 0, sum_sq = 0;

  void record(double latency) {
    ++completed;
    sum += latency;
    sum_sq += latency * latency;
  }
  [[nodiscard]] double mean() const { return completed ? sum / static_cast<double>(completed) : NAN; }
  [[nodiscard]] double sd() const {
    const double n = static_cast<double>(completed);
    const double m = mean();
    return completed > 1 ? std::sqrt(std::max(0.0, (sum_sq - n * m * m) / (n - 1))) : NAN;
  }
};

/// The one JSON line the Python drivers read; `events` is left out when negative.
inline void print_result(const char* implementation, const Latencies& latencies, uint64_t arrived, long long events,
                         double simulated_seconds, double wall_seconds) {
  std::printf(
      "{\"implementation\": \"%s\", \"requests\": %llu, \"arrivals\": %llu, \"mean_latency\": %.9g, "
      "\"latency_sd\": %.9g, ",
      implementation, static_cast<unsigned long long>(latencies.completed), static_cast<unsigned long long>(arrived),
      latencies.mean(), latencies.sd());
  if (events >= 0) std::printf("\"events\": %lld, ", events);
  std::printf("\"simulated_seconds\": %.9g, \"wall_seconds\": %.6f}\n", simulated_seconds, wall_seconds);
}

}  // namespace chain
