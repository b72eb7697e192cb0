#include "command/amplify.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "common/error.hpp"
#include "common/units.hpp"
#include "io/results_reader.hpp"
#include "io/scenario_reader.hpp"
#include "io/search_record.hpp"
#include "io/topology_reader.hpp"
#include "model/system.hpp"

extern char** environ;

namespace rapture {

namespace {

/// When a run counts as a cascade.
struct Criterion {
  enum class Kind { Goodput, ErrorRate, NoRecovery };
  Kind kind = Kind::Goodput;
  double threshold = 0.9;
  double window = 0;  ///< NoRecovery: the last seconds of the run

  static Criterion parse(const std::string& text) {
    const SourceLocation where{"--criterion", 0, ""};
    Criterion c;
    const auto colon = text.find(':');
    if (colon == std::string::npos) {
      throw InputError(where, "expected goodput:F, error_rate:X or no_recovery:F@T, got '" + text + "'");
    }
    const std::string name = text.substr(0, colon);
    std::string rest = text.substr(colon + 1);
    if (name == "no_recovery") {
      const auto at = rest.find('@');
      if (at == std::string::npos) throw InputError(where, "no_recovery needs F@T, e.g. no_recovery:0.9@60s");
      try {
        c.window = units::parse_duration(rest.substr(at + 1));
      } catch (const std::invalid_argument& e) {
        throw InputError(where, e.what());
      }
      rest = rest.substr(0, at);
      c.kind = Kind::NoRecovery;
    } else if (name == "goodput") {
      c.kind = Kind::Goodput;
    } else if (name == "error_rate") {
      c.kind = Kind::ErrorRate;
    } else {
      throw InputError(where, "unknown criterion '" + name + "' (expected goodput, error_rate or no_recovery)");
    }
    try {
      c.threshold = units::parse_number(rest);
    } catch (const std::invalid_argument& e) {
      throw InputError(where, e.what());
    }
    if (!(c.threshold >= 0 && c.threshold <= 1)) throw InputError(where, "the threshold must be in [0, 1]");
    return c;
  }

  /// The measured quantity: served share of the offered load, or the error rate.
  [[nodiscard]] double measure(const RunDigest& d) const {
    if (kind == Kind::ErrorRate) return d.error_rate;
    size_t first = 0;
    if (kind == Kind::NoRecovery) {
      const auto last = static_cast<size_t>(std::ceil(window / d.bin_width));
      first = d.goodput.size() > last ? d.goodput.size() - last : 0;
    }
    double good = 0, offered = 0;
    for (size_t i = first; i < d.goodput.size() && i < d.offered.size(); ++i) {
      good += d.goodput[i];
      offered += d.offered[i];
    }
    return offered > 0 ? good / offered : 1.0;
  }
  [[nodiscard]] bool cascades(double measured) const {
    return kind == Kind::ErrorRate ? measured > threshold : measured < threshold;
  }
};

/// A magnitude with its unit: "250ms" is 250 and "ms".
struct Magnitude {
  double value = 0;
  std::string unit;
  static Magnitude parse(const std::string& text, const char* flag) {
    Magnitude m;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), m.value);
    if (ec != std::errc() || !std::isfinite(m.value)) {
      throw InputError({flag, 0, ""}, "expected a number with an optional unit, e.g. 250ms or 300/s, got '" + text + "'");
    }
    m.unit = std::string(ptr, text.data() + text.size());
    return m;
  }
};

struct Point {
  double value = 0;
  std::string file;
  double measure = 0;
  bool cascade = false;
};

std::string format_value(double v, const std::string& unit) { return fmt::format("{:.6g}{}", v, unit); }

/// Runs `rapture run` for each point in parallel processes; fills measure and cascade.
void run_points(std::vector<Point>& points, const AmplifyArgs& args, const std::string& path,
                const std::string& unit, const Criterion& criterion, const std::string& self,
                const std::filesystem::path& workdir, int& counter) {
  for (auto& p : points) p.file = (workdir / fmt::format("point-{}.h5", counter++)).string();
  std::mutex print;
  tbb::task_arena arena(std::max(1, args.jobs));
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, points.size(), [&](size_t i) {
      Point& p = points[i];
      std::vector<std::string> argv{self, "run", args.scenario, "-q", "-o", p.file, "--set",
                                    path + "=" + format_value(p.value, unit)};
      for (const auto& s : args.sets) {
        argv.push_back("--set");
        argv.push_back(s);
      }
      if (args.seed) {
        argv.push_back("--seed");
        argv.push_back(std::to_string(*args.seed));
      }
      const std::string log = p.file + ".log";
      posix_spawn_file_actions_t actions;
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      pid_t pid = 0;
      int status = -1;
      if (posix_spawn(&pid, self.c_str(), &actions, nullptr, cargv.data(), environ) == 0) waitpid(pid, &status, 0);
      posix_spawn_file_actions_destroy(&actions);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::ifstream in(log);
        std::string first;
        std::getline(in, first);
        throw Error("the run at " + path + "=" + format_value(p.value, unit) + " failed: " + first);
      }
      p.measure = criterion.measure(read_run_digest(p.file, 0));
      p.cascade = criterion.cascades(p.measure);
      std::lock_guard lock(print);
      std::cerr << fmt::format("rapture amplify: {} = {}: {:.4f} -> {}\n", path, format_value(p.value, unit),
                               p.measure, p.cascade ? "cascade" : "holds");
    });
  });
}

}  // namespace

int amplify_command(const AmplifyArgs& args, const std::string& self) {
  const Criterion criterion = Criterion::parse(args.criterion);
  const Magnitude from = Magnitude::parse(args.from, "--from");
  const Magnitude to = Magnitude::parse(args.to, "--to");
  if (from.unit != to.unit) {
    throw InputError({"--to", 0, ""}, "--from and --to must have the same unit ('" + from.unit + "' and '" + to.unit + "')");
  }
  if (!(to.value > from.value)) throw InputError({"--to", 0, ""}, "--to must be above --from");
  if (args.points < 2 || args.points > 1000) throw InputError({"--points", 0, ""}, "between 2 and 1000 points");
  if (args.rounds < 0 || args.rounds > 30) throw InputError({"--rounds", 0, ""}, "between 0 and 30 rounds");

  // The path the magnitude sets, and a check of the scenario at both ends before any run.
  const Scenario base = read_scenario(args.scenario, args.sets);
  std::string path = args.param;
  if (args.fault) {
    const auto it = std::find_if(base.faults.begin(), base.faults.end(),
                                 [&](const FaultSpec& f) { return f.name == *args.fault; });
    if (it == base.faults.end()) throw InputError({base.file, 0, "--fault"}, "no fault named '" + *args.fault + "'");
    path = fmt::format("faults[{}].{}", it - base.faults.begin(), args.param);
  }
  for (const Magnitude& end : {from, to}) {
    auto sets = args.sets;
    sets.push_back(path + "=" + format_value(end.value, from.unit));
    const Scenario s = read_scenario(args.scenario, sets);
    build_system(read_topology(s.topology_path), s);
  }
  std::string out = args.output.empty() ? (base.name.empty() ? "rapture" : base.name) + "-amplify.h5" : args.output;
  out = std::filesystem::absolute(out).lexically_normal().string();
  const auto dir = std::filesystem::path(out).parent_path();
  if (!std::filesystem::is_directory(dir)) throw OutputError("cannot write results file '" + out + "': no such directory");
  std::string pattern = (dir / ".rapture-amplify-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw OutputError("cannot write in '" + dir.string() + "'");
  const std::filesystem::path workdir(pattern);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{workdir};

  // Ramp, then bisect the first bracket where the criterion turns.
  std::vector<Point> all;
  int counter = 0;
  std::vector<Point> ramp(static_cast<size_t>(args.points));
  for (int i = 0; i < args.points; ++i) ramp[i].value = from.value + (to.value - from.value) * i / (args.points - 1);
  run_points(ramp, args, path, from.unit, criterion, self, workdir, counter);
  all = ramp;
  SearchRecord record;
  record.scenario = args.scenario;
  record.param = path;
  record.unit = from.unit;
  record.criterion = args.criterion;
  const auto first = std::find_if(ramp.begin(), ramp.end(), [](const Point& p) { return p.cascade; });
  bool non_monotonic = false;
  if (first == ramp.begin()) {
    record.verdict = "the range cannot bracket the tipping point: the first point, " +
                     format_value(from.value, from.unit) + ", already cascades (lower --from)";
  } else if (first == ramp.end()) {
    record.verdict = "no tipping point in [" + args.from + ", " + args.to + "]: no point cascades";
  } else {
    double lo = (first - 1)->value, hi = first->value;
    for (int r = 0; r < args.rounds; ++r) {
      const int inner = std::max(1, args.jobs);
      std::vector<Point> mid(static_cast<size_t>(inner));
      for (int i = 0; i < inner; ++i) mid[i].value = lo + (hi - lo) * (i + 1) / (inner + 1);
      run_points(mid, args, path, from.unit, criterion, self, workdir, counter);
      all.insert(all.end(), mid.begin(), mid.end());
      const auto turn = std::find_if(mid.begin(), mid.end(), [](const Point& p) { return p.cascade; });
      if (turn != mid.end()) hi = turn->value;
      if (turn != mid.begin()) lo = (turn == mid.end() ? mid.back() : *(turn - 1)).value;
    }
    for (const auto& p : all) non_monotonic |= (p.value < lo && p.cascade) || (p.value > hi && !p.cascade);
    record.found = true;
    record.threshold = 0.5 * (lo + hi);
    record.uncertainty = 0.5 * (hi - lo);
    record.verdict = fmt::format("tipping point at {} ± {} ({})", format_value(record.threshold, from.unit),
                                 format_value(record.uncertainty, from.unit), args.criterion);
    if (non_monotonic) record.verdict += "; warning: the criterion is not monotonic in the range (noise or a second regime)";
  }
  std::sort(all.begin(), all.end(), [](const Point& a, const Point& b) { return a.value < b.value; });
  std::vector<std::pair<std::string, int>> sources;
  for (const auto& p : all) {
    sources.emplace_back(p.file, 0);
    record.values.push_back(p.value);
    record.cascades.push_back(p.cascade ? 1 : 0);
    record.measure.push_back(p.measure);
  }
  copy_runs(sources, out, RAPTURE_VERSION);
  write_search_record(out, record);

  std::cout << fmt::format("rapture amplify: {} from {} to {}, criterion {}\n", path, args.from, args.to, args.criterion);
  std::cout << fmt::format("{:>14}{:>12}{:>10}\n", "value", "measure", "cascade");
  for (const auto& p : all) {
    std::cout << fmt::format("{:>14}{:>12.4f}{:>10}\n", format_value(p.value, from.unit), p.measure, p.cascade ? "yes" : "no");
  }
  std::cout << record.verdict << "\nresults: " << out << "\n";
  return first == ramp.begin() ? 1 : 0;
}

}  // namespace rapture
