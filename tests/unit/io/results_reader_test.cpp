#include "io/results_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "analysis/cascade_report.hpp"
#include "common/error.hpp"
#include "io/analysis_record.hpp"
#include "io/results_file.hpp"
#include "support/checker.hpp"
#include "support/temp_dir.hpp"

namespace rapture {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

using testing::CheckerResult;
using testing::run_checker;
using testing::run_python;

// ---- a small synthetic run, consistent enough for the checker -------------------------------

RunInfo make_info(int index, uint64_t seed, bool with_edges) {
  RunInfo info;
  info.index = index;
  info.seed = seed;
  info.rapture_version = "0.1.0-test";
  info.scenario_name = "reader";
  info.scenario_file = "scenarios/reader.yaml";
  info.scenario_text = "name: reader\n";
  info.topology_name = "pair";
  info.topology_file = "topologies/pair.yaml";
  info.design = with_edges ? "breakers" : "baseline";
  info.parameters = {{"workload[0].rate", std::to_string(100 + index)}};
  info.bin_width = 0.5;
  info.duration = 150;  // 300 bins: more than one chunk of the time series
  info.warmup = 10;
  info.services = {"frontend", "db"};
  info.request_types = {"browse", "checkout"};
  if (with_edges) info.edges = {"frontend -> db"};
  info.histogram_edges = {0, 0.01, 0.1, 1, 10, 100};
  return info;
}

/// A cascade over a run of `info`: db fails at 20 s and frontend follows through its calls.
CascadeReport make_report(const RunInfo& info) {
  CascadeReport report;
  report.bins = static_cast<int64_t>(info.duration / info.bin_width);
  report.bin_width = info.bin_width;
  report.has_baseline = true;
  report.baseline_from = info.warmup;
  report.baseline_to = 20;
  report.trigger_start = 20;
  report.trigger_end = 30;
  const auto bin_of = [&](double t) { return static_cast<size_t>(t / info.bin_width); };
  const size_t n_s = info.services.size(), n_r = info.request_types.size();
  report.service_health.assign(static_cast<size_t>(report.bins) * n_s, 0);
  report.request_health.assign(static_cast<size_t>(report.bins) * n_r, 0);
  for (size_t bin = bin_of(20); bin < bin_of(40); ++bin) {
    report.service_health[bin * n_s + 1] = 2;
    if (bin >= bin_of(21)) report.service_health[bin * n_s] = 1;
    report.request_health[bin * n_r + 1] = 1;
  }
  PropagationNode db;
  db.service = 1;
  db.onset = 20;
  db.worst = Health::Failed;
  db.symptom = Symptom::Errors;
  db.via = "db-crash";
  db.path = "fault 'db-crash' -> db";
  PropagationNode frontend;
  frontend.service = 0;
  frontend.onset = 21;
  frontend.symptom = Symptom::Errors;
  frontend.cause = Cause::Dependency;
  frontend.parent = 1;
  frontend.via = "frontend -> db";
  frontend.path = "fault 'db-crash' -> db -> frontend";
  report.propagation = {db, frontend};
  report.journal = {{20, Category::FaultEffect, Signal::ServiceUnhealthy, "db", 1, 0, "db failed"},
                    {21, Category::DependencyPropagation, Signal::ServiceUnhealthy, "frontend", 0.2, 0, "frontend"}};
  report.touched = {1};
  report.blast_radius_requests = 0.1;
  report.blast_radius_types = 0.5;
  report.time_to_detect = 0;
  report.recovery_time = 10;
  report.recovered = true;
  report.metastable = 0;
  report.verdict.kind = RecoveryKind::Recovered;  // the kind a recovery within metastable_after gives
  report.peak_unhealthy_share = 1;
  report.dot = "digraph propagation { db -> frontend; }\n";
  return report;
}

/// Writes run `info.index` into a new single-run file at `path`, with `report` as its analysis
/// when given; returns its expected digest.
RunDigest write_file(const fs::path& path, const RunInfo& info, int variant, const CascadeReport* report = nullptr) {
  const auto bins = static_cast<int64_t>(info.duration / info.bin_width);
  const size_t n_s = info.services.size(), n_r = info.request_types.size(), n_e = info.edges.size();
  RunDigest expected;
  expected.bin_width = info.bin_width;
  expected.duration = info.duration;

  ResultsFile file(path.string());
  auto writer = file.begin_run(info);
  std::vector<ServiceTotals> service_totals(n_s);
  std::vector<uint64_t> successes(n_r), failures(n_r);
  for (int64_t bin = 0; bin < bins; ++bin) {
    double bin_calls = 0, bin_attempts = 0, bin_refused = 0;
    if (n_e > 0) {
      std::vector<EdgeBinRow> edges(n_e);
      for (auto& row : edges) {
        row.calls = 3 + static_cast<uint64_t>(bin % 4);
        row.retries = bin % 5 == 0 ? 1 : 0;
        row.attempts = row.calls + row.retries;
        row.timeouts = bin % 9 == 0 ? 1 : 0;
        row.open_fraction = bin % 50 < 5 ? 1.0 : 0.0;
        row.calls_refused = bin % 50 < 5 ? 1 : 0;  // the open breaker refused one call outright
        bin_calls += static_cast<double>(row.calls);
        bin_refused += static_cast<double>(row.calls_refused);
        bin_attempts += static_cast<double>(row.attempts);
      }
      writer->write_edge_bin(bin, edges);
    }
    expected.calls.push_back(bin_calls);
    expected.attempts.push_back(bin_attempts);
    expected.calls_refused.push_back(bin_refused);
    std::vector<ServiceBinRow> services(n_s);
    for (size_t s = 0; s < n_s; ++s) {
      ServiceBinRow& row = services[s];
      row.arrivals = 20 + static_cast<uint64_t>((bin * 3 + static_cast<int64_t>(s) + variant) % 11);
      row.errors[static_cast<size_t>(bin % kErrorCauses)] = 1;
      row.completions = row.arrivals - 1;
      row.queue_mean = 0.5;
      row.queue_max = 2;
      row.busy_mean = 1.5;
      row.latency_mean = row.latency_p50 = row.latency_p95 = row.latency_p99 = 0.01 * static_cast<double>(s + 1);
      ServiceTotals& t = service_totals[s];
      t.arrivals += row.arrivals;
      t.completions += row.completions;
      t.errors[static_cast<size_t>(bin % kErrorCauses)] += 1;
    }
    std::vector<RequestBinRow> requests(n_r);
    uint64_t bin_successes = 0, bin_arrivals = 0, bin_failures = 0;
    for (size_t r = 0; r < n_r; ++r) {
      RequestBinRow& row = requests[r];
      row.arrivals = 6 + static_cast<uint64_t>((bin + static_cast<int64_t>(r) * 2 + variant) % 5);
      row.failures = (bin + variant) % 7 == 0 ? 2 : 0;
      row.successes = row.arrivals - row.failures;
      row.latency_mean = row.latency_p50 = row.latency_p99 = 0.02;
      bin_successes += row.successes;
      bin_arrivals += row.arrivals;
      bin_failures += row.failures;
      successes[r] += row.successes;
      failures[r] += row.failures;
    }
    expected.goodput.push_back(static_cast<double>(bin_successes) / info.bin_width);
    expected.offered.push_back(static_cast<double>(bin_arrivals) / info.bin_width);
    expected.failures.push_back(static_cast<double>(bin_failures) / info.bin_width);
    writer->write_bin(bin, services, requests);
    if (n_e > 0 && bin % 50 == 0) {
      const double t = static_cast<double>(bin) * info.bin_width + 0.1;
      const std::vector<CircuitEvent> events{{t, 0, 0, 0, 1}, {t + 0.2, 0, 0, 1, 2}};
      writer->write_circuit_events(events);
    }
  }

  RunTotals totals;
  for (ServiceTotals t : service_totals) {
    t.in_flight_end = 0;
    t.latency_mean = 0.015;
    t.busy_mean = 1.5;
    t.queue_mean = 0.5;
    t.arrival_rate = static_cast<double>(t.arrivals) / info.duration;
    totals.services.push_back(t);
  }
  RunSummary& summary = totals.summary;
  for (size_t r = 0; r < n_r; ++r) {
    RequestSummary q;
    q.successes = successes[r];
    q.failures = failures[r];
    q.degraded = 0;
    q.latency_mean = q.p50 = q.p95 = q.p99 = q.p999 = 0.02;
    q.histogram = {0, q.successes, 0, 0, 0};
    q.visits_per_request.assign(n_s, 1.0);
    summary.successes += q.successes;
    summary.failures += q.failures;
    totals.requests.push_back(q);
  }
  summary.measured_seconds = info.duration - info.warmup;
  summary.requests = summary.successes + summary.failures;
  summary.throughput = static_cast<double>(summary.requests) / summary.measured_seconds;
  summary.goodput = static_cast<double>(summary.successes) / summary.measured_seconds;
  summary.error_rate = static_cast<double>(summary.failures) / static_cast<double>(summary.requests);
  summary.latency_mean = summary.p50 = summary.p95 = summary.p99 = summary.p999 = 0.02;
  summary.events = 1000;
  summary.users = 40;
  summary.users_failing = 7;
  summary.wall_seconds = 0.25;
  writer->finish(totals);
  if (report != nullptr) write_analysis(file, info.index, *report, nullptr);
  file.commit();

  expected.error_rate = summary.error_rate;
  expected.goodput_mean = summary.goodput;
  expected.requests = summary.requests;
  expected.p99 = summary.p99;
  expected.users = summary.users;
  expected.users_failing = summary.users_failing;
  if (report != nullptr) {
    expected.has_analysis = true;
    expected.trigger_start = report->trigger_start;
    expected.trigger_end = report->trigger_end;
    expected.peak_unhealthy_share = report->peak_unhealthy_share;
    expected.blast_radius_requests = report->blast_radius_requests;
    expected.blast_radius_types = report->blast_radius_types;
    expected.recovery_time = report->recovery_time;
    expected.recovered = report->recovered ? 1 : 0;
    expected.metastable = report->metastable;
    expected.verdict = report->verdict.kind;
    expected.emergent = report->emergent;
  }
  return expected;
}

void expect_same_digest(const RunDigest& actual, const RunDigest& expected) {
  EXPECT_EQ(actual.bin_width, expected.bin_width);
  EXPECT_EQ(actual.duration, expected.duration);
  EXPECT_EQ(actual.goodput, expected.goodput);
  EXPECT_EQ(actual.offered, expected.offered);
  EXPECT_EQ(actual.error_rate, expected.error_rate);
  EXPECT_EQ(actual.goodput_mean, expected.goodput_mean);
  EXPECT_EQ(actual.requests, expected.requests);
  EXPECT_EQ(actual.failures, expected.failures);
  EXPECT_EQ(actual.calls, expected.calls);
  EXPECT_EQ(actual.attempts, expected.attempts);
  EXPECT_EQ(actual.calls_refused, expected.calls_refused);
  EXPECT_EQ(actual.users_failing, expected.users_failing);
  EXPECT_TRUE(actual == expected) << "the analysis attributes differ";
}

/// The OutputError `f` throws, or a failure when it throws none.
template <class F>
std::string output_error(F&& f) {
  try {
    f();
  } catch (const OutputError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no OutputError thrown";
  return {};
}

// ---- tests ---------------------------------------------------------------------------------

TEST(ResultsReader, DigestsReadBackAndMergedFilePassesTheChecker) {
  TempDir dir;
  const fs::path a = dir.path() / "a.h5", b = dir.path() / "b.h5", merged = dir.path() / "merged.h5";
  const RunDigest expected_a = write_file(a, make_info(0, 7, false), 0);
  const RunDigest expected_b = write_file(b, make_info(3, 8, true), 1);

  const RunDigest digest_a = read_run_digest(a.string());
  const RunDigest digest_b = read_run_digest(b.string(), 3);
  ASSERT_EQ(digest_a.goodput.size(), 300U);
  ASSERT_EQ(digest_a.offered.size(), 300U);
  expect_same_digest(digest_a, expected_a);
  expect_same_digest(digest_b, expected_b);
  EXPECT_NE(digest_a.goodput, digest_b.goodput);
  EXPECT_GT(digest_b.requests, 0U);
  EXPECT_GT(digest_b.error_rate, 0.0);

  copy_runs({{a.string(), 0}, {b.string(), 3}}, merged.string(), "9.9.9-merge");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.h5", "b.h5", "merged.h5"})) << "no temporary file is left";

  const CheckerResult check = run_checker(merged, "--require-finished");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("2 run(s)"), std::string::npos) << check.output;

  expect_same_digest(read_run_digest(merged.string(), 0), digest_a);
  expect_same_digest(read_run_digest(merged.string(), 1), digest_b);
  EXPECT_TRUE(read_run_digest(merged.string(), 1) == digest_b);

  // The root attributes are ResultsFile's; each run keeps its provenance and its scales.
  const CheckerResult attrs =
      run_python(merged,
                 "import sys, h5py\n"
                 "f = h5py.File(sys.argv[1], 'r')\n"
                 "print(f.attrs['format'], f.attrs['format_version'], f.attrs['format_version'].dtype, "
                 "f.attrs['rapture_version'])\n"
                 "print(sorted(f['runs'], key=int), f['runs/1'].attrs['seed'], f['runs/1'].attrs['design'])\n"
                 "e = f['runs/1/edges/calls']\n"
                 "print([d.label for d in e.dims], e.dims[1][0].name, list(e.dims[1][0].asstr()[:]))\n"
                 "print(f['runs/1/events/circuit/to'].dims[0][0].name, len(f['runs/1/events/circuit/time']))\n");
  EXPECT_EQ(attrs.exit_code, 0) << attrs.output;
  EXPECT_EQ(attrs.output,
            "rapture-results 1 int32 9.9.9-merge\n"
            "['0', '1'] 8 breakers\n"
            "['time', 'edge'] /runs/1/edge ['frontend -> db']\n"
            "/runs/1/events/circuit/time 12\n");
}

TEST(ResultsReader, SameRunCopiedThreeTimes) {
  TempDir dir;
  const fs::path a = dir.path() / "a.h5", merged = dir.path() / "merged.h5";
  const RunDigest expected = write_file(a, make_info(2, 9, true), 2);
  copy_runs({{a.string(), 2}, {a.string(), 2}, {a.string(), 2}}, merged.string(), "0.1.0");
  const CheckerResult check = run_checker(merged, "--require-finished");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("3 run(s)"), std::string::npos) << check.output;
  for (int i = 0; i < 3; ++i) expect_same_digest(read_run_digest(merged.string(), i), expected);
}

TEST(ResultsReader, MergedRunsKeepTheirAnalysisOnTheirOwnAxes) {
  TempDir dir;
  const fs::path a = dir.path() / "a.h5", b = dir.path() / "b.h5", merged = dir.path() / "merged.h5";
  const RunInfo info_a = make_info(3, 7, true);
  const CascadeReport report = make_report(info_a);
  const RunDigest expected_a = write_file(a, info_a, 0, &report);
  const RunDigest expected_b = write_file(b, make_info(0, 8, false), 1);
  expect_same_digest(read_run_digest(a.string(), 3), expected_a);
  EXPECT_TRUE(expected_a.has_analysis);
  EXPECT_EQ(expected_a.recovery_time, 10.0);

  copy_runs({{a.string(), 3}, {b.string(), 0}, {a.string(), 3}}, merged.string(), "0.1.0");
  const CheckerResult check = run_checker(merged, "--require-finished");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  expect_same_digest(read_run_digest(merged.string(), 0), expected_a);
  expect_same_digest(read_run_digest(merged.string(), 1), expected_b);
  expect_same_digest(read_run_digest(merged.string(), 2), expected_a);
  EXPECT_FALSE(read_run_digest(merged.string(), 1).has_analysis);
  const std::vector<PropagationRecord> propagation = read_propagation(a.string(), 3);
  ASSERT_EQ(propagation.size(), 2U);
  EXPECT_EQ(propagation[1].parent, "db");
  EXPECT_EQ(read_propagation(merged.string(), 0), propagation);
  EXPECT_EQ(read_propagation(merged.string(), 2), propagation);
  EXPECT_TRUE(read_propagation(merged.string(), 1).empty());

  // The health series point at the scales of the run they were copied into, not the source's.
  const CheckerResult scales =
      run_python(merged,
                 "import sys, h5py\n"
                 "f = h5py.File(sys.argv[1], 'r')\n"
                 "for run in ('0', '2'):\n"
                 "    for name in ('service_health', 'request_health'):\n"
                 "        d = f['runs/' + run + '/analysis/' + name]\n"
                 "        print(run, name, [dim.label for dim in d.dims], d.dims[0][0].name, d.dims[1][0].name)\n"
                 "print(f['runs/2/analysis/propagation']['service'][1].decode(), 'analysis' in f['runs/1'])\n");
  EXPECT_EQ(scales.exit_code, 0) << scales.output;
  EXPECT_EQ(scales.output,
            "0 service_health ['time', 'service'] /runs/0/time /runs/0/service\n"
            "0 request_health ['time', 'request_type'] /runs/0/time /runs/0/request_type\n"
            "2 service_health ['time', 'service'] /runs/2/time /runs/2/service\n"
            "2 request_health ['time', 'request_type'] /runs/2/time /runs/2/request_type\n"
            "frontend False\n");
}

TEST(ResultsReader, MissingFileRunOrFormatIsAnOutputErrorNamingTheFile) {
  TempDir dir;
  const fs::path missing = dir.path() / "missing.h5";
  std::string message = output_error([&] { read_run_digest(missing.string()); });
  EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;

  const fs::path a = dir.path() / "a.h5";
  write_file(a, make_info(0, 1, false), 0);
  message = output_error([&] { read_run_digest(a.string(), 5); });
  EXPECT_NE(message.find(a.string()), std::string::npos) << message;
  EXPECT_NE(message.find("no run 5"), std::string::npos) << message;

  const fs::path text = dir.path() / "text.h5";
  {
    std::FILE* f = std::fopen(text.c_str(), "w");
    std::fputs("not hdf5\n", f);
    std::fclose(f);
  }
  message = output_error([&] { read_run_digest(text.string()); });
  EXPECT_NE(message.find(text.string()), std::string::npos) << message;
  EXPECT_NE(message.find("not an HDF5 file"), std::string::npos) << message;

  // A merge with a missing source names that source and leaves no file behind.
  const fs::path merged = dir.path() / "merged.h5";
  message = output_error([&] { copy_runs({{a.string(), 0}, {missing.string(), 0}}, merged.string(), "0.1.0"); });
  EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
  message = output_error([&] { copy_runs({{a.string(), 1}}, merged.string(), "0.1.0"); });
  EXPECT_NE(message.find("no run 1"), std::string::npos) << message;
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a.h5", "text.h5"}));

  message = output_error([&] { copy_runs({{a.string(), 0}}, (dir.path() / "nodir" / "m.h5").string(), "0.1.0"); });
  EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST(ResultsReader, UnfinishedRunHasNoDigest) {
  TempDir dir;
  const fs::path path = dir.path() / "unfinished.h5";
  {
    ResultsFile file(path.string());
    const RunInfo info = make_info(0, 1, false);
    auto writer = file.begin_run(info);
    std::vector<ServiceBinRow> services(2);
    std::vector<RequestBinRow> requests(2);
    for (auto& row : services) row.latency_mean = row.latency_p50 = row.latency_p95 = row.latency_p99 = std::nan("");
    for (auto& row : requests) row.latency_mean = row.latency_p50 = row.latency_p99 = std::nan("");
    writer->write_bin(0, services, requests);
    file.commit();
  }
  const std::string message = output_error([&] { read_run_digest(path.string()); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("unfinished"), std::string::npos) << message;
}

}  // namespace
}  // namespace rapture
