#include "io/results_file.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include "support/checker.hpp"
#include "support/temp_dir.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace rapture {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif

using testing::TempDir;

// ---- a minimal JSON reader, enough for check_results.py --json -------------------------------

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  bool boolean = false;
  std::string text;  // a number's literal text, or a string's value
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  const Json& operator[](const std::string& key) const {
    for (const auto& [name, value] : members) {
      if (name == key) return value;
    }
    throw std::out_of_range("JSON has no key '" + key + "'");
  }
  const Json& operator[](size_t i) const { return items.at(i); }
  [[nodiscard]] bool has(const std::string& key) const {
    for (const auto& member : members) {
      if (member.first == key) return true;
    }
    return false;
  }
  [[nodiscard]] bool is_null() const { return kind == Kind::Null; }
  [[nodiscard]] uint64_t u64() const {
    if (kind != Kind::Number) throw std::runtime_error("JSON value is not a number");
    return std::stoull(text);
  }
  [[nodiscard]] double num() const {
    if (kind == Kind::Null) return kNaN;  // the checker writes NaN as null
    if (kind != Kind::Number) throw std::runtime_error("JSON value is not a number");
    return std::stod(text);
  }
  [[nodiscard]] const std::string& str() const {
    if (kind != Kind::String) throw std::runtime_error("JSON value is not a string");
    return text;
  }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}
  Json parse() {
    Json value = parse_value();
    skip_space();
    if (pos_ != s_.size()) fail("trailing text");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("JSON: " + what + " at " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_])) != 0) ++pos_;
  }
  bool take(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!take(c)) fail(std::string("expected '") + c + "'");
  }
  bool take_word(const char* word) {
    const std::string w(word);
    if (s_.compare(pos_, w.size(), w) == 0) {
      pos_ += w.size();
      return true;
    }
    return false;
  }
  std::string parse_string() {
    expect('"');
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("bad escape");
      c = s_[pos_++];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          const unsigned code = std::stoul(s_.substr(pos_, 4), nullptr, 16);
          pos_ += 4;
          if (code < 0x80) {
            out += static_cast<char>(code);
          } else if (code < 0x800) {
            out += static_cast<char>(0xC0 | (code >> 6));
            out += static_cast<char>(0x80 | (code & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (code >> 12));
            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (code & 0x3F));
          }
          break;
        }
        default: out += c;  // \" \\ \/
      }
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }
  Json parse_value() {
    skip_space();
    Json value;
    if (pos_ >= s_.size()) fail("unexpected end");
    const char c = s_[pos_];
    if (c == '{') {
      value.kind = Json::Kind::Object;
      ++pos_;
      if (take('}')) return value;
      do {
        skip_space();
        std::string key = parse_string();
        expect(':');
        value.members.emplace_back(std::move(key), parse_value());
      } while (take(','));
      expect('}');
    } else if (c == '[') {
      value.kind = Json::Kind::Array;
      ++pos_;
      if (take(']')) return value;
      do value.items.push_back(parse_value());
      while (take(','));
      expect(']');
    } else if (c == '"') {
      value.kind = Json::Kind::String;
      value.text = parse_string();
    } else if (take_word("null")) {
      value.kind = Json::Kind::Null;
    } else if (take_word("true") || take_word("false")) {
      value.kind = Json::Kind::Bool;
      value.boolean = s_[pos_ - 1] == 'e' && s_[pos_ - 2] == 'u';
    } else {
      value.kind = Json::Kind::Number;
      const size_t start = pos_;
      while (pos_ < s_.size() && std::string_view("+-0123456789.eE").find(s_[pos_]) != std::string_view::npos) ++pos_;
      if (pos_ == start) fail("unexpected character");
      value.text = s_.substr(start, pos_ - start);
    }
    return value;
  }

  const std::string& s_;
  size_t pos_ = 0;
};

// ---- running the independent checker -------------------------------------------------------

using testing::CheckerResult;
using testing::run_checker;

Json checked_json(const fs::path& file, const std::string& extra = "") {
  const CheckerResult result = run_checker(file, "--json " + extra, false);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  if (result.exit_code != 0) throw std::runtime_error("checker failed");
  return JsonParser(result.output).parse();
}

// ---- synthetic runs consistent with conservation -------------------------------------------

RunInfo make_info(int index, uint64_t seed) {
  RunInfo info;
  info.index = index;
  info.seed = seed;
  info.rapture_version = "0.1.0-test";
  info.scenario_name = "retry-storm";
  info.scenario_file = "scenarios/retry-storm.yaml";
  info.scenario_text = "name: retry-storm\nduration: 100 s\n# \"quoted\" and ünïcode\n";
  info.topology_name = "shop";
  info.topology_file = "topologies/shop.yaml";
  info.design = index == 0 ? "baseline" : "retries";
  if (index == 0) info.parameters = {{"workload[0].rate", "120"}, {"design", "retries"}};
  info.duration = 100;
  info.warmup = 10;
  info.bin_width = 0.1;
  info.services = {"frontend", "cart", "db"};
  info.request_types = {"browse", "checkout"};
  info.histogram_edges = {0, 0.001, 0.01, 0.1, 1, 10};
  return info;
}

/// What the synthetic run should read back as: the sums of what was streamed, and the totals.
struct Expected {
  std::vector<ServiceTotals> series;        // summed time series, by service
  std::vector<RequestBinRow> request_sums;  // summed request series
  std::vector<EdgeBinRow> edge_sums;        // summed edge series (open_fraction: the sum too)
  std::vector<uint64_t> events_per_edge;    // circuit breaker transitions, by edge
  uint64_t events = 0;
  RunTotals totals;
};

/// The info of a run with two policy-managed edges.
RunInfo make_edge_info(int index, uint64_t seed) {
  RunInfo info = make_info(index, seed);
  info.design = "breakers";
  info.edges = {"frontend -> cart", "cart -> db"};
  return info;
}

EdgeBinRow edge_row(int run, int64_t bin, size_t e) {
  EdgeBinRow row;
  row.calls = 4 + static_cast<uint64_t>((bin + static_cast<int64_t>(e) + run) % 5);
  row.retries = (bin % 3 == 0) ? 2 + e : 0;
  row.attempts = row.calls + row.retries;
  row.timeouts = (bin % 4 == 0) ? 1 : 0;
  row.failures = (bin % 6 == 0) ? 1 : 0;
  row.fallbacks = (e == 1 && bin % 5 == 0) ? 1 : 0;
  row.circuit_rejections = (e == 1 && bin % 10 < 3) ? 1 : 0;
  row.bulkhead_rejections = (e == 0 && bin % 7 == 0) ? 1 : 0;
  row.late_replies = (bin % 8 == 0) ? 1 : 0;
  row.open_fraction = (e == 1 && bin % 10 < 3) ? 0.5 : 0.0;
  return row;
}

/// Breaker transitions reported at the end of `bin`, in time order: edge 1's breaker of replica
/// (bin / 10) % 2 opens, half-opens and closes every 10 bins; at bin 500 edge 0 flaps 1500 times
/// (more than a chunk of the event table, in one call).
std::vector<CircuitEvent> circuit_events(const RunInfo& info, int64_t bin) {
  std::vector<CircuitEvent> events;
  if (info.edges.size() < 2) return events;
  const double start = static_cast<double>(bin) * info.bin_width;
  const auto replica = static_cast<uint32_t>((bin / 10) % 2);
  switch (bin % 10) {
    case 0: events.push_back({start + 0.01, 1, replica, 0, 1}); break;
    case 2: events.push_back({start + 0.01, 1, replica, 1, 2}); break;
    case 3: events.push_back({start + 0.01, 1, replica, 2, 0}); break;
    default: break;
  }
  if (bin == 500) {
    for (uint32_t k = 0; k < 1500; ++k) {
      const auto from = static_cast<uint8_t>(k % 3), to = static_cast<uint8_t>((k + 1) % 3);
      events.push_back({start + 0.02 + 1e-5 * k, 0, k % 4, from, to});
    }
  }
  return events;
}

ServiceBinRow service_row(int run, int64_t bin, size_t s) {
  ServiceBinRow row;
  if (s == 2 && bin % 10 == 0) {  // an idle bin: NaN latencies
    row.latency_mean = row.latency_p50 = row.latency_p95 = row.latency_p99 = kNaN;
    return row;
  }
  row.arrivals = 10 + static_cast<uint64_t>((bin * 7 + static_cast<int64_t>(s) * 3 + run) % 13);
  row.errors[static_cast<size_t>((bin + static_cast<int64_t>(s)) % kErrorCauses)] = 1;
  row.errors[static_cast<size_t>(ErrorCause::Timeout)] += (bin % 5 == 0) ? 2 : 0;
  uint64_t ended = 0;
  for (uint64_t e : row.errors) ended += e;
  row.completions = row.arrivals - ended;
  row.queue_mean = 0.5 * static_cast<double>(s + 1) + static_cast<double>(bin % 3);
  row.queue_max = static_cast<uint32_t>(bin % 17);
  row.busy_mean = 1.25 + static_cast<double>(s);
  row.latency_mean = 0.01 * static_cast<double>(s + 1);
  row.latency_p50 = 0.008 * static_cast<double>(s + 1);
  row.latency_p95 = 0.02 * static_cast<double>(s + 1);
  row.latency_p99 = 0.05 * static_cast<double>(s + 1) + 1e-6 * static_cast<double>(bin);
  return row;
}

RequestBinRow request_row(int run, int64_t bin, size_t r) {
  RequestBinRow row;
  row.arrivals = 5 + static_cast<uint64_t>((bin + run) % 4);
  row.failures = (bin % 7 == 0) ? 1 : 0;
  row.successes = (r == 1 && bin % 50 == 0) ? 0 : row.arrivals - row.failures;
  const bool none = row.successes == 0;
  row.latency_mean = none ? kNaN : 0.03 + 0.01 * static_cast<double>(r);
  row.latency_p50 = none ? kNaN : 0.025;
  row.latency_p99 = none ? kNaN : 0.2 + 0.001 * static_cast<double>(bin % 11);
  return row;
}

/// Rows of a bin in which nothing happened (latencies NaN, as documented).
std::vector<ServiceBinRow> idle_services(size_t n) {
  ServiceBinRow row;
  row.latency_mean = row.latency_p50 = row.latency_p95 = row.latency_p99 = kNaN;
  return std::vector<ServiceBinRow>(n, row);
}
std::vector<RequestBinRow> idle_requests(size_t n) {
  RequestBinRow row;
  row.latency_mean = row.latency_p50 = row.latency_p99 = kNaN;
  return std::vector<RequestBinRow>(n, row);
}

/// Streams `bins` bins of run `info.index`; `in_flight` visits of each service are left open at
/// the end (taken from the last bin's completions). With `finish`, writes consistent totals.
Expected write_run(ResultsFile& file, const RunInfo& info, int64_t bins, bool finish = true, uint64_t in_flight = 2) {
  const size_t n_s = info.services.size(), n_r = info.request_types.size();
  Expected expected;
  expected.series.resize(n_s);
  expected.request_sums.resize(n_r);
  const size_t n_e = info.edges.size();
  expected.edge_sums.resize(n_e);
  expected.events_per_edge.resize(n_e);
  auto writer = file.begin_run(info);
  std::vector<ServiceBinRow> services(n_s);
  std::vector<RequestBinRow> requests(n_r);
  std::vector<EdgeBinRow> edges(n_e);
  for (int64_t bin = 0; bin < bins; ++bin) {
    if (n_e > 0) {
      for (size_t e = 0; e < n_e; ++e) {
        edges[e] = edge_row(info.index, bin, e);
        EdgeBinRow& sum = expected.edge_sums[e];
        sum.calls += edges[e].calls;
        sum.attempts += edges[e].attempts;
        sum.retries += edges[e].retries;
        sum.timeouts += edges[e].timeouts;
        sum.failures += edges[e].failures;
        sum.fallbacks += edges[e].fallbacks;
        sum.circuit_rejections += edges[e].circuit_rejections;
        sum.bulkhead_rejections += edges[e].bulkhead_rejections;
        sum.late_replies += edges[e].late_replies;
        sum.open_fraction += edges[e].open_fraction;
      }
      writer->write_edge_bin(bin, edges);
    }
    for (size_t s = 0; s < n_s; ++s) {
      services[s] = service_row(info.index, bin, s);
      if (bin == bins - 1) services[s].completions -= std::min(in_flight, services[s].completions);
      auto& sum = expected.series[s];
      sum.arrivals += services[s].arrivals;
      sum.completions += services[s].completions;
      for (int k = 0; k < kErrorCauses; ++k)
        sum.errors[static_cast<size_t>(k)] += services[s].errors[static_cast<size_t>(k)];
    }
    for (size_t r = 0; r < n_r; ++r) {
      requests[r] = request_row(info.index, bin, r);
      expected.request_sums[r].arrivals += requests[r].arrivals;
      expected.request_sums[r].successes += requests[r].successes;
      expected.request_sums[r].failures += requests[r].failures;
    }
    writer->write_bin(bin, services, requests);
    const std::vector<CircuitEvent> events = circuit_events(info, bin);
    for (const CircuitEvent& event : events) ++expected.events_per_edge[event.edge];
    expected.events += events.size();
    writer->write_circuit_events(events);
  }
  EXPECT_EQ(writer->bins(), bins);

  RunTotals& totals = expected.totals;
  for (size_t s = 0; s < n_s; ++s) {
    ServiceTotals t = expected.series[s];
    uint64_t ended = t.completions;
    for (uint64_t e : t.errors) ended += e;
    t.in_flight_end = t.arrivals - ended;
    t.latency_mean = 0.011 * static_cast<double>(s + 1);
    t.busy_mean = 1.5 + static_cast<double>(s);
    t.queue_mean = 0.25 * static_cast<double>(s);
    t.arrival_rate = static_cast<double>(t.arrivals) / info.duration;
    t.wasted_cpu = 0.125 * static_cast<double>(s);
    totals.services.push_back(t);
  }
  RunSummary& summary = totals.summary;
  for (size_t r = 0; r < n_r; ++r) {
    RequestSummary q;
    q.successes = (info.index == 1 && r == 1) ? 0 : expected.request_sums[r].successes * 9 / 10;
    q.failures = expected.request_sums[r].failures * 9 / 10;
    const bool none = q.successes == 0;
    q.latency_mean = none ? kNaN : 0.031 + 0.01 * static_cast<double>(r);
    q.p50 = none ? kNaN : 0.0251;
    q.p95 = none ? kNaN : 0.15;
    q.p99 = none ? kNaN : 0.2057;
    q.p999 = none ? kNaN : 0.9;
    q.histogram = {q.successes / 4, q.successes / 4, q.successes / 4, q.successes / 8, 0};
    q.degraded = q.successes / 10;
    for (size_t s = 0; s < n_s; ++s) {
      q.visits_per_request.push_back(q.successes + q.failures == 0 ? kNaN : 1.0 + 0.25 * static_cast<double>(s + r));
    }
    summary.successes += q.successes;
    summary.failures += q.failures;
    summary.degraded += q.degraded;
    totals.requests.push_back(q);
  }
  summary.measured_seconds = info.duration - info.warmup;
  summary.requests = summary.successes + summary.failures;
  summary.throughput = static_cast<double>(summary.requests) / summary.measured_seconds;
  summary.goodput = static_cast<double>(summary.successes) / summary.measured_seconds;
  summary.wasted_cpu = 0.3125;
  summary.error_rate = static_cast<double>(summary.failures) / static_cast<double>(summary.requests);
  summary.latency_mean = 0.0321;
  summary.p50 = 0.0252;
  summary.p95 = 0.151;
  summary.p99 = 0.2058;
  summary.p999 = 0.91;
  summary.stopped_early = info.index == 1;
  summary.stop_reason = info.index == 1 ? "in-flight cap of 100000 reached" : "";
  summary.events = 123456789012ULL + static_cast<uint64_t>(info.index);
  summary.wall_seconds = 1.75;
  if (finish) writer->finish(totals);
  return expected;
}

void expect_same(double actual, double expected, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what;
  } else {
    EXPECT_DOUBLE_EQ(actual, expected) << what;
  }
}

void expect_run_matches(const Json& run, const RunInfo& info, const Expected& expected, int64_t bins) {
  const std::string where = "run " + std::to_string(info.index);
  EXPECT_EQ(run["index"].u64(), static_cast<uint64_t>(info.index));
  EXPECT_TRUE(run["finished"].boolean) << where;
  EXPECT_EQ(run["bins"].u64(), static_cast<uint64_t>(bins)) << where;
  const Json& attrs = run["attributes"];
  EXPECT_EQ(attrs["seed"].u64(), info.seed);
  EXPECT_EQ(attrs["scenario_name"].str(), info.scenario_name);
  EXPECT_EQ(attrs["scenario_file"].str(), info.scenario_file);
  EXPECT_EQ(attrs["scenario_text"].str(), info.scenario_text);
  EXPECT_EQ(attrs["topology_name"].str(), info.topology_name);
  EXPECT_EQ(attrs["topology_file"].str(), info.topology_file);
  EXPECT_EQ(attrs["design"].str(), info.design);
  EXPECT_EQ(attrs["rapture_version"].str(), info.rapture_version);
  EXPECT_DOUBLE_EQ(attrs["duration"].num(), info.duration);
  EXPECT_DOUBLE_EQ(attrs["warmup"].num(), info.warmup);
  EXPECT_DOUBLE_EQ(attrs["bin_width"].num(), info.bin_width);
  ASSERT_EQ(attrs["parameters"].items.size(), info.parameters.size());
  for (size_t i = 0; i < info.parameters.size(); ++i) {
    EXPECT_EQ(attrs["parameters"][i].str(), info.parameters[i].first + "=" + info.parameters[i].second);
  }
  const RunSummary& summary = expected.totals.summary;
  EXPECT_EQ(attrs["stopped_early"].u64(), summary.stopped_early ? 1U : 0U);
  EXPECT_EQ(attrs["stop_reason"].str(), summary.stop_reason);
  EXPECT_EQ(attrs["events"].u64(), summary.events);
  EXPECT_DOUBLE_EQ(attrs["wall_seconds"].num(), summary.wall_seconds);

  ASSERT_EQ(run["services"].items.size(), info.services.size());
  for (size_t s = 0; s < info.services.size(); ++s) {
    EXPECT_EQ(run["services"][s].str(), info.services[s]);
    const Json& total = run["totals"]["services"][s];
    const ServiceTotals& want = expected.totals.services[s];
    const std::string who = where + " service " + info.services[s];
    EXPECT_EQ(total["name"].str(), info.services[s]);
    EXPECT_EQ(total["arrivals"].u64(), want.arrivals) << who;
    EXPECT_EQ(total["completions"].u64(), want.completions) << who;
    EXPECT_EQ(total["in_flight_end"].u64(), want.in_flight_end) << who;
    EXPECT_GT(want.in_flight_end, 0U) << who;
    expect_same(total["latency_mean"].num(), want.latency_mean, who);
    expect_same(total["busy_mean"].num(), want.busy_mean, who);
    expect_same(total["queue_mean"].num(), want.queue_mean, who);
    expect_same(total["arrival_rate"].num(), want.arrival_rate, who);
    expect_same(total["wasted_cpu"].num(), want.wasted_cpu, who);
    const Json& sums = run["series_totals"]["services"][s];
    EXPECT_EQ(sums["arrivals"].u64(), expected.series[s].arrivals) << who;
    EXPECT_EQ(sums["completions"].u64(), expected.series[s].completions) << who;
    for (int k = 0; k < kErrorCauses; ++k) {
      const std::string cause(to_string(static_cast<ErrorCause>(k)));
      EXPECT_EQ(total["errors"][cause].u64(), want.errors[static_cast<size_t>(k)]) << who << " " << cause;
      EXPECT_EQ(sums["errors"][cause].u64(), expected.series[s].errors[static_cast<size_t>(k)]) << who << " " << cause;
    }
  }
  ASSERT_EQ(run["request_types"].items.size(), info.request_types.size());
  for (size_t r = 0; r < info.request_types.size(); ++r) {
    EXPECT_EQ(run["request_types"][r].str(), info.request_types[r]);
    const Json& total = run["totals"]["requests"][r];
    const RequestSummary& want = expected.totals.requests[r];
    const std::string who = where + " request " + info.request_types[r];
    EXPECT_EQ(total["successes"].u64(), want.successes) << who;
    EXPECT_EQ(total["failures"].u64(), want.failures) << who;
    EXPECT_EQ(total["degraded"].u64(), want.degraded) << who;
    ASSERT_EQ(total["visits_per_request"].members.size(), info.services.size()) << who;
    for (size_t s = 0; s < info.services.size(); ++s) {
      expect_same(total["visits_per_request"][info.services[s]].num(), want.visits_per_request[s], who);
    }
    expect_same(total["latency_mean"].num(), want.latency_mean, who);
    expect_same(total["p50"].num(), want.p50, who);
    expect_same(total["p95"].num(), want.p95, who);
    expect_same(total["p99"].num(), want.p99, who);
    expect_same(total["p999"].num(), want.p999, who);
    ASSERT_EQ(total["latency_histogram"].items.size(), want.histogram.size()) << who;
    for (size_t b = 0; b < want.histogram.size(); ++b) {
      EXPECT_EQ(total["latency_histogram"][b].u64(), want.histogram[b]) << who;
    }
    const Json& sums = run["series_totals"]["requests"][r];
    EXPECT_EQ(sums["arrivals"].u64(), expected.request_sums[r].arrivals) << who;
    EXPECT_EQ(sums["successes"].u64(), expected.request_sums[r].successes) << who;
    EXPECT_EQ(sums["failures"].u64(), expected.request_sums[r].failures) << who;
  }
  const Json& s = run["summary"];
  EXPECT_DOUBLE_EQ(s["measured_seconds"].num(), summary.measured_seconds);
  EXPECT_EQ(s["requests"].u64(), summary.requests);
  EXPECT_EQ(s["successes"].u64(), summary.successes);
  EXPECT_EQ(s["failures"].u64(), summary.failures);
  EXPECT_DOUBLE_EQ(s["throughput"].num(), summary.throughput);
  EXPECT_DOUBLE_EQ(s["goodput"].num(), summary.goodput);
  EXPECT_DOUBLE_EQ(s["error_rate"].num(), summary.error_rate);
  EXPECT_DOUBLE_EQ(s["latency_mean"].num(), summary.latency_mean);
  EXPECT_DOUBLE_EQ(s["p50"].num(), summary.p50);
  EXPECT_DOUBLE_EQ(s["p95"].num(), summary.p95);
  EXPECT_DOUBLE_EQ(s["p99"].num(), summary.p99);
  EXPECT_DOUBLE_EQ(s["p999"].num(), summary.p999);
  EXPECT_EQ(s["degraded"].u64(), summary.degraded);
  EXPECT_DOUBLE_EQ(s["wasted_cpu"].num(), summary.wasted_cpu);

  ASSERT_EQ(run["edges"].items.size(), info.edges.size()) << where;
  ASSERT_EQ(run["series_totals"]["edges"].items.size(), info.edges.size()) << where;
  for (size_t e = 0; e < info.edges.size(); ++e) {
    EXPECT_EQ(run["edges"][e].str(), info.edges[e]);
    const Json& sums = run["series_totals"]["edges"][e];
    const EdgeBinRow& want = expected.edge_sums[e];
    const std::string who = where + " edge " + info.edges[e];
    EXPECT_EQ(sums["name"].str(), info.edges[e]) << who;
    EXPECT_EQ(sums["calls"].u64(), want.calls) << who;
    EXPECT_EQ(sums["attempts"].u64(), want.attempts) << who;
    EXPECT_EQ(sums["retries"].u64(), want.retries) << who;
    EXPECT_EQ(sums["timeouts"].u64(), want.timeouts) << who;
    EXPECT_EQ(sums["failures"].u64(), want.failures) << who;
    EXPECT_EQ(sums["fallbacks"].u64(), want.fallbacks) << who;
    EXPECT_EQ(sums["circuit_rejections"].u64(), want.circuit_rejections) << who;
    EXPECT_EQ(sums["bulkhead_rejections"].u64(), want.bulkhead_rejections) << who;
    EXPECT_EQ(sums["late_replies"].u64(), want.late_replies) << who;
    EXPECT_NEAR(sums["open_fraction_mean"].num(), want.open_fraction / static_cast<double>(bins), 1e-12) << who;
    EXPECT_EQ(sums["circuit_events"].u64(), expected.events_per_edge[e]) << who;
  }
  EXPECT_EQ(run["circuit_events"].u64(), expected.events) << where;
}

/// Resident memory of this process, in bytes.
size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// ---- tests ---------------------------------------------------------------------------------

TEST(ResultsFile, TwoRunsReadBackByTheIndependentChecker) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  const RunInfo info0 = make_info(0, 42), info1 = make_info(1, 18446744073709551557ULL);
  Expected expected0, expected1;
  {
    ResultsFile file(path.string());
    EXPECT_EQ(file.path(), path.string());
    expected0 = write_run(file, info0, 1000);
    expected1 = write_run(file, info1, 1000);
    EXPECT_FALSE(fs::exists(path)) << "the final name appears only at commit";
    file.commit();
  }
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"results.h5"}) << "no temporary file is left";

  const Json report = checked_json(path);
  EXPECT_EQ(report["format"].str(), "rapture-results");
  EXPECT_EQ(report["format_version"].u64(), 1U);
  ASSERT_EQ(report["runs"].items.size(), 2U);
  expect_run_matches(report["runs"][0], info0, expected0, 1000);
  expect_run_matches(report["runs"][1], info1, expected1, 1000);

  const Json only = checked_json(path, "--run 1");
  ASSERT_EQ(only["runs"].items.size(), 1U);
  EXPECT_EQ(only["runs"][0]["index"].u64(), 1U);

  const CheckerResult text = run_checker(path, "", false);
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("2 run(s)"), std::string::npos) << text.output;
}

TEST(ResultsFile, DestroyedWithoutCommitLeavesNoFile) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file(path.string());
    write_run(file, make_info(0, 1), 300);
    auto open_writer = file.begin_run(make_info(1, 2));  // still open when the file goes
    auto services = idle_services(3);
    auto requests = idle_requests(2);
    open_writer->write_bin(0, services, requests);
    EXPECT_EQ(dir.entries().size(), 1U) << "the temporary file exists while writing";
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ResultsFile, WriterOutlivingTheFileIsHarmless) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  std::unique_ptr<RunWriter> writer;
  {
    ResultsFile file(path.string());
    writer = file.begin_run(make_info(0, 1));
  }
  auto services = idle_services(3);
  auto requests = idle_requests(2);
  EXPECT_THROW(writer->write_bin(0, services, requests), OutputError);
  writer.reset();
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ResultsFile, MissingDirectoryFailsAtConstruction) {
  TempDir dir;
  const fs::path path = dir.path() / "missing" / "results.h5";
  try {
    ResultsFile file(path.string());
    FAIL() << "expected OutputError";
  } catch (const OutputError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("cannot write results file '" + path.string() + "': ", 0), 0U) << message;
    EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(ResultsFile, ParentThatIsAFileOrTargetThatIsADirectoryFails) {
  TempDir dir;
  std::ofstream(dir.path() / "plain") << "x";
  EXPECT_THROW(ResultsFile((dir.path() / "plain" / "results.h5").string()), OutputError);
  fs::create_directory(dir.path() / "out");
  EXPECT_THROW(ResultsFile((dir.path() / "out").string()), OutputError);
}

TEST(ResultsFile, HdfFailureBecomesAReadableOutputError) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  // The temporary name is taken by a directory, so HDF5 itself fails to create the file.
  fs::create_directory(path.string() + ".tmp-" + std::to_string(::getpid()));
  try {
    ResultsFile file(path.string());
    FAIL() << "expected OutputError";
  } catch (const OutputError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("cannot write results file '" + path.string() + "': creating '", 0), 0U) << message;
    EXPECT_NE(message.find("Is a directory"), std::string::npos) << "the system's reason is kept: " << message;
  }
}

TEST(ResultsFile, CommitReplacesAnExistingFile) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  std::ofstream(path) << "old contents";
  {
    ResultsFile file(path.string());
    write_run(file, make_info(0, 7), 10);
    file.commit();
  }
  EXPECT_EQ(checked_json(path)["runs"].items.size(), 1U);
}

TEST(ResultsFile, UnfinishedRunKeepsItsBins) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file(path.string());
    write_run(file, make_info(0, 1), 100);
    // Run 1 is interrupted: its writer is dropped without finish(), mid-chunk.
    write_run(file, make_info(1, 2), 300, /*finish=*/false);
    // Run 2 is still open at commit, which flushes what it has.
    auto open_writer = file.begin_run(make_info(2, 3));
    for (int64_t bin = 0; bin < 5; ++bin) {
      std::vector<ServiceBinRow> services{service_row(2, bin, 0), service_row(2, bin, 1), service_row(2, bin, 2)};
      std::vector<RequestBinRow> requests{request_row(2, bin, 0), request_row(2, bin, 1)};
      open_writer->write_bin(bin, services, requests);
    }
    file.commit();
    EXPECT_THROW(open_writer->finish(RunTotals{}), OutputError);
  }
  const Json report = checked_json(path);
  ASSERT_EQ(report["runs"].items.size(), 3U);
  EXPECT_TRUE(report["runs"][0]["finished"].boolean);
  EXPECT_FALSE(report["runs"][1]["finished"].boolean);
  EXPECT_EQ(report["runs"][1]["bins"].u64(), 300U);
  EXPECT_TRUE(report["runs"][1]["totals"].is_null());
  EXPECT_EQ(report["runs"][2]["bins"].u64(), 5U);

  const CheckerResult strict = run_checker(path, "--require-finished");
  EXPECT_EQ(strict.exit_code, 1) << strict.output;
  EXPECT_NE(strict.output.find("not finished"), std::string::npos) << strict.output;
}

TEST(ResultsFile, MisuseIsReported) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  ResultsFile file(path.string());
  auto writer = file.begin_run(make_info(0, 1));
  EXPECT_THROW(file.begin_run(make_info(0, 1)), OutputError) << "run index already in the file";
  auto services = idle_services(3);
  auto requests = idle_requests(2);
  EXPECT_THROW(writer->write_bin(1, services, requests), std::invalid_argument) << "bins start at 0";
  std::vector<ServiceBinRow> too_few(2);
  EXPECT_THROW(writer->write_bin(0, too_few, requests), std::invalid_argument);
  writer->write_bin(0, services, requests);
  RunTotals wrong;
  EXPECT_THROW(writer->finish(wrong), std::invalid_argument);
  RunInfo no_bins = make_info(1, 1);
  no_bins.bin_width = 0;
  EXPECT_THROW(file.begin_run(no_bins), std::invalid_argument);
  writer.reset();
  file.commit();
  EXPECT_THROW(file.begin_run(make_info(1, 1)), OutputError) << "committed";
  const Json report = checked_json(path);
  ASSERT_EQ(report["runs"].items.size(), 1U) << "the refused duplicate left run 0 alone";
  EXPECT_EQ(report["runs"][0]["bins"].u64(), 1U);
}

/// Output of a Python snippet (no single quotes) run on `file`, bound to `path`, by the checker's interpreter.
std::string python_output(const fs::path& file, const std::string& code) {
  const std::string command = std::string("'") + RAPTURE_PYTHON3 +
                              "' -c 'import sys, h5py, numpy as np\npath = sys.argv[1]\n" + code + "' '" +
                              file.string() + "' 2>&1";
  const testing::CheckerResult result = testing::run_shell(command);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

TEST(ResultsFile, EdgesAndBreakerEventsReadBackByTheIndependentChecker) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  const RunInfo with_edges = make_edge_info(0, 11), without = make_info(1, 12);
  Expected expected0, expected1;
  {
    ResultsFile file(path.string());
    expected0 = write_run(file, with_edges, 1000);
    expected1 = write_run(file, without, 40);
    file.commit();
  }
  // 3 transitions every 10 bins on edge 1, 1500 at bin 500 on edge 0.
  ASSERT_EQ(expected0.events_per_edge, (std::vector<uint64_t>{1500, 300}));
  const Json report = checked_json(path, "--require-finished");
  ASSERT_EQ(report["runs"].items.size(), 2U);
  expect_run_matches(report["runs"][0], with_edges, expected0, 1000);
  expect_run_matches(report["runs"][1], without, expected1, 40);
  EXPECT_EQ(report["runs"][1]["circuit_events"].u64(), 0U);

  // The stored values themselves, not only their sums: shapes, the event table, the state names.
  const std::string out = python_output(path, R"(
with h5py.File(path, "r") as f:
    for name in ("0", "1"):
        run = f["runs"][name]
        print(name, run["edge"].shape, run["edges/calls"].shape, run["edges/open_fraction"].shape,
              run["events/circuit/time"].shape, run["totals/requests/visits_per_request"].shape)
    c = f["runs/0/events/circuit"]
    print([dim.label for dim in f["runs/0/edges/retries"].dims], [dim.label for dim in c["to"].dims])
    print(c["to"].attrs["flag_meanings"], list(c["to"].attrs["flag_values"]))
    for i in (0, 1):
        print(round(float(c["time"][i]), 9), c["edge"][i], c["replica"][i], c["from"][i], c["to"][i])
    k = np.nonzero(c["edge"][:] == 0)[0]
    print(len(k), c["replica"][k[5]], c["from"][k[5]], c["to"][k[5]], round(float(c["time"][k[0]]), 9))
    print(f["runs/0/edges/retries"][3, 1], f["runs/0/edges/open_fraction"][12, 1])
)");
  EXPECT_EQ(out,
            "0 (2,) (1000, 2) (1000, 2) (1800,) (2, 3)\n"
            "1 (0,) (40, 0) (40, 0) (0,) (2, 3)\n"
            "['time', 'edge'] ['time']\n"
            "closed open half_open [0, 1, 2]\n"
            "0.01 1 0 0 1\n"
            "0.21 1 0 1 2\n"
            "1500 1 2 0 50.02\n"
            "3 0.5\n");
}

TEST(ResultsFile, UnfinishedRunWithEdgesKeepsWholeBins) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  const RunInfo info = make_edge_info(0, 3);
  const std::vector<EdgeBinRow> edges{edge_row(0, 0, 0), edge_row(0, 0, 1)};
  {
    ResultsFile file(path.string());
    auto writer = file.begin_run(info);
    for (int64_t bin = 0; bin < 20; ++bin) {
      writer->write_edge_bin(bin, edges);
      writer->write_bin(bin, idle_services(3), idle_requests(2));
      writer->write_circuit_events(circuit_events(info, bin));
    }
    // The simulation stops between the edge rows of bin 20 and its write_bin: bin 20 is not kept.
    writer->write_edge_bin(20, edges);
    file.commit();
  }
  const Json report = checked_json(path);
  const Json& run = report["runs"][0];
  EXPECT_FALSE(run["finished"].boolean);
  EXPECT_EQ(run["bins"].u64(), 20U);
  EXPECT_EQ(run["series_totals"]["edges"][0]["calls"].u64(), 20 * edges[0].calls);
  EXPECT_EQ(run["circuit_events"].u64(), 6U);
}

TEST(ResultsFile, EdgeMisuseIsReported) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  ResultsFile file(path.string());
  const RunInfo info = make_edge_info(0, 1);
  auto writer = file.begin_run(info);
  const auto services = idle_services(3);
  const auto requests = idle_requests(2);
  const std::vector<EdgeBinRow> edges(2), too_few(1);
  EXPECT_THROW(writer->write_bin(0, services, requests), std::invalid_argument) << "edge rows come first";
  EXPECT_THROW(writer->write_edge_bin(1, edges), std::invalid_argument) << "bins start at 0";
  EXPECT_THROW(writer->write_edge_bin(0, too_few), std::invalid_argument);
  writer->write_edge_bin(0, edges);
  EXPECT_THROW(writer->write_edge_bin(0, edges), std::invalid_argument) << "given twice";
  writer->write_bin(0, services, requests);
  EXPECT_THROW(writer->write_bin(1, services, requests), std::invalid_argument) << "bin 1 has no edge rows";
  const std::vector<CircuitEvent> bad_edge{{0.01, 0, 0, 0, 1}, {0.02, 2, 0, 0, 1}};
  EXPECT_THROW(writer->write_circuit_events(bad_edge), std::invalid_argument);
  const std::vector<CircuitEvent> bad_state{{0.01, 1, 0, 0, 3}};
  EXPECT_THROW(writer->write_circuit_events(bad_state), std::invalid_argument);
  const std::vector<CircuitEvent> good{{0.05, 1, 0, 0, 1}};
  writer->write_circuit_events(good);
  RunTotals totals;
  totals.services.resize(3);
  totals.requests.resize(2);
  for (auto& q : totals.requests) {
    q.histogram.assign(5, 0);
    q.visits_per_request.assign(2, kNaN);  // one short
    q.latency_mean = q.p50 = q.p95 = q.p99 = q.p999 = kNaN;
  }
  EXPECT_THROW(writer->finish(totals), std::invalid_argument);
  writer.reset();
  file.commit();
  const Json report = checked_json(path);
  EXPECT_EQ(report["runs"][0]["bins"].u64(), 1U);
  EXPECT_EQ(report["runs"][0]["circuit_events"].u64(), 1U) << "refused calls left nothing behind";

  // A run without edges takes no edge rows but an empty span, and no events.
  TempDir dir2;
  ResultsFile file2((dir2.path() / "results.h5").string());
  auto plain = file2.begin_run(make_info(0, 1));
  plain->write_edge_bin(0, {});
  plain->write_bin(0, services, requests);
  plain->write_bin(1, services, requests);
  EXPECT_THROW(plain->write_circuit_events(good), std::invalid_argument);
}

TEST(ResultsFile, ManyBinsKeepMemoryBounded) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  constexpr int64_t kBins = 200'000;
  const RunInfo info = make_edge_info(0, 9);
  {
    ResultsFile file(path.string());
    auto writer = file.begin_run(info);
    auto services = idle_services(3);
    auto requests = idle_requests(2);
    std::vector<EdgeBinRow> edges(2);
    std::vector<CircuitEvent> events(1);
    auto write = [&](int64_t bin) {
      for (size_t s = 0; s < 3; ++s) services[s] = service_row(0, bin, s);
      for (size_t r = 0; r < 2; ++r) requests[r] = request_row(0, bin, r);
      for (size_t e = 0; e < 2; ++e) edges[e] = edge_row(0, bin, e);
      writer->write_edge_bin(bin, edges);
      writer->write_bin(bin, services, requests);
      // A breaker flapping every bin: the event table grows as fast as the series.
      const auto open = static_cast<uint8_t>(bin % 2);
      events[0] = {(static_cast<double>(bin) + 0.5) * info.bin_width, 1, 0, open, static_cast<uint8_t>(1 - open)};
      writer->write_circuit_events(events);
    };
    // Warm up allocators and HDF5's caches before taking the baseline.
    for (int64_t bin = 0; bin < 2000; ++bin) write(bin);
    const size_t before = resident_bytes();
    for (int64_t bin = 2000; bin < kBins; ++bin) write(bin);
    const size_t after = resident_bytes();
    // The rows themselves come to ~130 MB (3 services x 17 values + 2 request types x 6 + 2 edges
    // x 10, per bin), the events to 3.6 MB.
    // AddressSanitizer's quarantine holds freed blocks, so resident memory means nothing there.
    if (!kAddressSanitizer) {
      EXPECT_LT(after, before + (16U << 20)) << "resident memory grew from " << before << " to " << after;
    }
    std::cout << "[ memory   ] resident " << before / 1024 << " KiB before, " << after / 1024 << " KiB after "
              << kBins - 2000 << " more bins\n";
    writer.reset();  // unfinished: the bins stay
    file.commit();
  }
  const Json report = checked_json(path);
  EXPECT_EQ(report["runs"][0]["bins"].u64(), static_cast<uint64_t>(kBins));
  EXPECT_EQ(report["runs"][0]["circuit_events"].u64(), static_cast<uint64_t>(kBins));
  // Compressed, the file is a fraction of the raw rows.
  EXPECT_LT(fs::file_size(path), 40U << 20);
}

/// A one-bin run whose totals are taken from `services` before `break_rows` edits the rows.
void write_one_bin_run(const fs::path& path, const std::function<void(std::vector<ServiceBinRow>&)>& break_rows) {
  ResultsFile file(path.string());
  auto writer = file.begin_run(make_info(0, 5));
  std::vector<ServiceBinRow> services{service_row(0, 1, 0), service_row(0, 1, 1), service_row(0, 1, 2)};
  std::vector<RequestBinRow> requests{request_row(0, 1, 0), request_row(0, 1, 1)};
  RunTotals totals;
  for (const auto& row : services) {
    ServiceTotals t;
    t.arrivals = row.arrivals;
    t.completions = row.completions;
    t.errors = row.errors;
    totals.services.push_back(t);
  }
  break_rows(services);
  writer->write_bin(0, services, requests);
  totals.requests.resize(2);
  for (auto& q : totals.requests) {
    q.histogram.assign(5, 0);
    q.visits_per_request.assign(3, kNaN);  // no request ended
    q.latency_mean = q.p50 = q.p95 = q.p99 = q.p999 = kNaN;
  }
  RunSummary& summary = totals.summary;
  summary.latency_mean = summary.p50 = summary.p95 = summary.p99 = summary.p999 = kNaN;
  writer->finish(totals);
  file.commit();
}

TEST(ResultsFile, CheckerRejectsBrokenConservation) {
  TempDir dir;

  const fs::path consistent = dir.path() / "consistent.h5";
  write_one_bin_run(consistent, [](std::vector<ServiceBinRow>&) {});
  CheckerResult result = run_checker(consistent, "");
  EXPECT_EQ(result.exit_code, 0) << result.output;

  // A bin ends a visit that never arrived: the time series disagree with the totals.
  const fs::path extra_completion = dir.path() / "extra_completion.h5";
  write_one_bin_run(extra_completion, [](std::vector<ServiceBinRow>& rows) { rows[1].completions += 1; });
  result = run_checker(extra_completion, "--json");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("service 'cart': time series break conservation"), std::string::npos) << result.output;

  // A visit is left in flight by the time series but the totals say none is.
  const fs::path lost_in_flight = dir.path() / "lost_in_flight.h5";
  write_one_bin_run(lost_in_flight, [](std::vector<ServiceBinRow>& rows) { rows[2].arrivals += 1; });
  result = run_checker(lost_in_flight, "");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("service 'db'"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("summed time series differ from totals"), std::string::npos) << result.output;
}

TEST(ResultsFile, CheckerRejectsInconsistentEdgesAndEvents) {
  TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file(path.string());
    auto writer = file.begin_run(make_edge_info(0, 5));
    std::vector<EdgeBinRow> edges{edge_row(0, 0, 0), edge_row(0, 0, 1)};
    edges[0].retries = edges[0].attempts + 1;  // more retries than tries sent
    edges[1].open_fraction = 1.5;
    writer->write_edge_bin(0, edges);
    writer->write_bin(0, idle_services(3), idle_requests(2));
    // The writer takes these (it checks structure, not meaning); the checker must not.
    const std::vector<CircuitEvent> events{{0.05, 1, 0, 0, 1}, {0.03, 1, 0, 1, 1}};
    writer->write_circuit_events(events);
    writer.reset();
    file.commit();
  }
  const CheckerResult result = run_checker(path, "");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  for (const char* problem :
       {"edge 0 'frontend -> cart': more retries than attempts so far", "edges/open_fraction is not within [0, 1]",
        "events are not in time order", "from == to"}) {
    EXPECT_NE(result.output.find(problem), std::string::npos) << problem << " in " << result.output;
  }
}

TEST(ResultsFile, CheckerRejectsAFileThatIsNotResults) {
  TempDir dir;
  const fs::path path = dir.path() / "junk.h5";
  std::ofstream(path) << "not an HDF5 file";
  const CheckerResult result = run_checker(path, "");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("cannot open"), std::string::npos) << result.output;
}

TEST(ErrorCause, NamesAreTheDocumentedOnes) {
  const std::vector<std::string> names{"queue_overflow", "downstream",  "timeout", "circuit_open",
                                       "rejected",       "unavailable", "injected"};
  ASSERT_EQ(names.size(), static_cast<size_t>(kErrorCauses));
  for (int k = 0; k < kErrorCauses; ++k)
    EXPECT_EQ(to_string(static_cast<ErrorCause>(k)), names[static_cast<size_t>(k)]);
}

}  // namespace
}  // namespace rapture
