#pragma once
/// Load shedding at a service, as plain state machines on the simulated clock (`now`, seconds):
///  - CoDel (Nichols & Jacobson, "Controlling Queue Delay", and RFC 8289's pseudocode) drops
///    from a queue whose requests have waited above `target` for a whole `interval`, then ever
///    faster (interval / sqrt(count)) until the wait falls below target.
///  - AdaptiveLifo (Maurer, "Fail at Scale", Facebook 2015): a queue that has not been empty
///    within the last `interval` (N = 100 ms) is overloaded: requests joining it may wait only
///    `overload_timeout` (M = 5 ms) instead of `normal_timeout` (N), and workers serve the newest
///    request first, so the requests served are the ones that can still meet their timeout.
///  - AdmissionControl: at the entry, a concurrency limit and a token-bucket rate limit.
///  - Bulkhead: a semaphore on an edge (resilience4j's SemaphoreBulkhead, maxWaitDuration 0).
/// Each config has library-documented defaults and a validate() that throws
/// std::invalid_argument naming the field. No call allocates.

#include <cstdint>
#include <string_view>

namespace rapture {

struct CoDelConfig {
  double target = 0.005;  ///< seconds: the acceptable standing queue delay (5 ms, RFC 8289)
  double interval = 0.1;  ///< seconds: how long the delay must stay above target before dropping (100 ms)
  /// Throws std::invalid_argument naming the field: non-positive or non-finite values, target > interval.
  void validate() const;
};

class CoDel {
 public:
  /// Validates `config` (std::invalid_argument).
  explicit CoDel(CoDelConfig config = {});
  /// A request leaves the queue at `now` after waiting `sojourn`; `remaining` = requests still
  /// waiting behind it (leave the default when unknown: others are assumed to wait). Returns true
  /// when this request should be dropped; the caller then dequeues the next one and asks again.
  /// As RFC 8289 never drops the last packet (bytes <= MAXPACKET), a request that leaves the
  /// queue empty is never dropped and ends the dropping state.
  bool on_dequeue(double now, double sojourn, uint32_t remaining = 1);

  /// Whether the queue is in the dropping state.
  [[nodiscard]] bool dropping() const { return dropping_; }
  /// Drops since the dropping state was entered (the control law's count).
  [[nodiscard]] uint32_t count() const { return count_; }
  /// When the next drop is due while dropping.
  [[nodiscard]] double drop_next() const { return drop_next_; }

 private:
  /// RFC 8289's dodequeue: whether the sojourn has been above target for an interval.
  bool ok_to_drop(double now, double sojourn, uint32_t remaining);
  [[nodiscard]] double control_law(double t, uint32_t count) const;

  CoDelConfig config_;
  bool above_ = false;  // first_above_time is set
  double first_above_time_ = 0;
  bool dropping_ = false;
  double drop_next_ = 0;
  uint32_t count_ = 0, lastcount_ = 0;
};

struct AdaptiveLifoConfig {
  double interval = 0.1;            ///< N, seconds: a queue not empty for this long is overloaded
  double overload_timeout = 0.005;  ///< M, seconds: longest wait for a request joining an overloaded queue
  double normal_timeout = 0.1;      ///< seconds: longest wait otherwise (the paper uses N); 0 = none
  uint32_t lifo_threshold =
      0;  ///< also serve LIFO while at least this many wait (HHVM-style switch); 0 = only when overloaded
  /// Throws std::invalid_argument naming the field: non-positive or non-finite durations, overload_timeout >
  /// normal_timeout.
  void validate() const;
};

class AdaptiveLifo {
 public:
  /// Validates `config` (std::invalid_argument); the queue is empty at `start`.
  explicit AdaptiveLifo(AdaptiveLifoConfig config = {}, double start = 0);
  /// A request joins a queue where `waiting` requests already wait (0 records the queue empty at `now`).
  void on_enqueue(double now, uint32_t waiting);
  /// Whether a free worker should take the newest request; `waiting` = requests in the queue at
  /// `now` before it takes one (0 records the queue empty).
  bool use_lifo(double now, uint32_t waiting);
  /// Whether a request leaving the queue at `now` after `sojourn` outlived the timeout the
  /// paper's onNewRequest gave it when it joined; the caller drops it and takes the next.
  [[nodiscard]] bool expired(double now, double sojourn) const;
  /// The queue timeout of a request joining at `now` (M when overloaded, else normal_timeout; 0 = none).
  [[nodiscard]] double queue_timeout(double now) const;
  /// Whether the queue has not been empty within the last interval (lastEmptyTime < now - N).
  [[nodiscard]] bool overloaded(double now) const { return now - last_empty_ > config_.interval; }

 private:
  AdaptiveLifoConfig config_;
  double last_empty_ = 0;
};

struct AdmissionConfig {
  uint32_t max_concurrent = 0;  ///< requests in flight at the entry; 0 = unlimited
  double rate = 0;              ///< requests per second through a token bucket; 0 = unlimited
  double burst = 0;  ///< bucket size in requests; 0 = one second's worth, max(1, rate) (Guava's RateLimiter.create)
  /// Throws std::invalid_argument naming the field: negative or non-finite values, a burst below one request.
  void validate() const;
};

class AdmissionControl {
 public:
  /// Validates `config` (std::invalid_argument); the bucket is full at `start`.
  explicit AdmissionControl(AdmissionConfig config = {}, double start = 0);
  /// Whether a request arriving at `now`, with `in_flight` already admitted and not finished,
  /// is admitted. The concurrency limit is checked first, so its rejections spend no token.
  /// The bucket refills continuously at `rate` up to `burst`, as golang.org/x/time/rate.
  bool admit(double now, uint32_t in_flight);
  /// Tokens in the bucket as of the last admit.
  [[nodiscard]] double tokens() const { return tokens_; }

 private:
  AdmissionConfig config_;
  double capacity_ = 0;
  double tokens_ = 0;
  double last_ = 0;
};

struct BulkheadConfig {
  uint32_t max_concurrent = 25;  ///< concurrent calls on the edge (resilience4j maxConcurrentCalls)
  /// "resilience4j" (maxConcurrentCalls 25) or "hystrix" (10: coreSize of the thread pool and
  /// maxConcurrentRequests of the semaphore). Throws std::invalid_argument for an unknown name.
  static BulkheadConfig preset(std::string_view name);
  /// Throws std::invalid_argument naming the field: max_concurrent < 1.
  void validate() const;
};

class Bulkhead {
 public:
  /// Validates `config` (std::invalid_argument).
  explicit Bulkhead(BulkheadConfig config = {});
  /// Takes a permit if one is free; false means the call is rejected at once (BulkheadFullException).
  bool try_enter();
  /// Returns the permit of a call that entered (an extra leave is ignored).
  void leave();
  /// Permits taken.
  [[nodiscard]] uint32_t in_use() const { return in_use_; }

 private:
  BulkheadConfig config_;
  uint32_t in_use_ = 0;
};

}  // namespace rapture
