#include "io/sweep/sweep_store.hpp"

#include <signal.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/input_file.hpp"
#include "common/limits.hpp"
#include "common/text.hpp"
#include "io/hdf5_support.hpp"
#include "io/text_file.hpp"

namespace rapture {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "rapture-sweep-store";
constexpr int kFormatVersion = 1;

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return out;
    start = tab + 1;
  }
}

std::string manifest_text(const SweepSpec& spec, const std::string& version) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << kFormat;
  out << YAML::Key << "format_version" << YAML::Value << kFormatVersion;
  out << YAML::Key << "rapture_version" << YAML::Value << version;
  out << YAML::Key << "sweep" << YAML::Value << spec.name;
  out << YAML::Key << "sweep_file" << YAML::Value << spec.file;
  out << YAML::Key << "scenario" << YAML::Value << spec.scenario;
  out << YAML::Key << "replications" << YAML::Value << spec.replications;
  out << YAML::Key << "seed" << YAML::Value << (spec.seed ? std::to_string(*spec.seed) : std::string());
  out << YAML::Key << "reference" << YAML::Value << spec.reference;
  out << YAML::Key << "metrics" << YAML::Value << YAML::Flow << spec.metrics;
  out << YAML::Key << "factors" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : spec.factors) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << f.name << YAML::Key << "path" << YAML::Value
        << f.path << YAML::Key << "values" << YAML::Value << YAML::Flow << f.values << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "axes" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : spec.axes) {
    std::vector<size_t> factors(a.factors.begin(), a.factors.end());
    out << YAML::Flow << factors;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

/// The manifest's sweep; InputError naming the manifest when it is not one rapture wrote.
SweepSpec read_manifest(const std::string& path, std::string& version) {
  const std::string text = read_input_file(path, "sweep store manifest", limits::kInputFileBytes);
  try {
    const YAML::Node m = YAML::Load(text);
    if (!m.IsMap() || !m["format"] || m["format"].as<std::string>() != kFormat) {
      throw InputError({path, 0, ""}, "not a rapture sweep store manifest");
    }
    if (m["format_version"].as<int>() != kFormatVersion) {
      throw InputError({path, 0, ""}, "sweep store format " + m["format_version"].as<std::string>() +
                                          " is not the one this rapture reads (" + std::to_string(kFormatVersion) +
                                          ")");
    }
    version = m["rapture_version"].as<std::string>();
    SweepSpec s;
    s.name = m["sweep"].as<std::string>();
    s.file = m["sweep_file"].as<std::string>();
    s.scenario = m["scenario"].as<std::string>();
    s.replications = m["replications"].as<int64_t>();
    const std::string seed = m["seed"].as<std::string>();
    if (!seed.empty()) s.seed = std::stoull(seed);
    s.reference = m["reference"].as<std::string>();
    s.metrics = m["metrics"].as<std::vector<std::string>>();
    for (const auto& f : m["factors"]) {
      SweepFactor factor;
      factor.name = f["name"].as<std::string>();
      factor.path = f["path"].as<std::string>();
      factor.values = f["values"].as<std::vector<std::string>>();
      for (const auto& v : factor.values) {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        factor.coordinates.push_back(factor.is_design() || end == v.c_str() ? NAN : x);
      }
      s.factors.push_back(std::move(factor));
    }
    for (const auto& a : m["axes"]) {
      SweepAxis axis;
      axis.factors = a.as<std::vector<size_t>>();
      if (axis.factors.empty() || axis.factors[0] >= s.factors.size()) throw YAML::Exception({}, "bad axis");
      axis.name = s.factors[axis.factors[0]].name;
      axis.size = s.factors[axis.factors[0]].values.size();
      s.axes.push_back(std::move(axis));
    }
    return s;
  } catch (const YAML::Exception& e) {
    throw InputError({path, 0, ""}, "damaged sweep store manifest: " + e.msg);
  } catch (const std::logic_error& e) {
    throw InputError({path, 0, ""}, std::string("damaged sweep store manifest: ") + e.what());
  }
}

void write_atomically(const fs::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  write_text_file(tmp, text);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw OutputError("cannot write '" + path.string() + "': " + ec.message());
  }
}

std::string points_text(const SweepPlan& plan) {
  std::string out;
  for (const auto& p : plan.points) {
    out += std::to_string(p.cell) + '\t' + p.design + '\t' + p.label;
    for (const auto& s : p.sets) out += '\t' + s;
    out += '\n';
  }
  return out;
}

std::string runs_text(const SweepPlan& plan) {
  std::string out;
  for (const auto& r : plan.runs) {
    out += r.id + '\t' + std::to_string(r.point) + '\t' + std::to_string(r.replication) + '\t' +
           std::to_string(r.seed) + '\n';
  }
  return out;
}

SweepPlan read_plan(const fs::path& dir, const SweepSpec& spec) {
  SweepPlan plan;
  const auto fail = [&](const fs::path& file, size_t line, const std::string& what) {
    throw InputError({file.string(), static_cast<int>(line), ""}, "damaged sweep store: " + what);
  };
  const fs::path points_file = dir / "points.tsv";
  std::ifstream points(points_file);
  if (!points) fail(points_file, 0, "cannot read it");
  std::string line;
  size_t n = 0;
  while (std::getline(points, line)) {
    ++n;
    auto fields = split_tabs(line);
    if (fields.size() < 3) fail(points_file, n, "expected cell, design, label and settings");
    SweepPoint p;
    p.cell = std::stoull(fields[0]);
    if (p.cell >= spec.grid_points()) fail(points_file, n, "a cell outside the grid");
    uint64_t rest = p.cell;
    p.index.resize(spec.axes.size());
    for (size_t a = spec.axes.size(); a-- > 0;) {
      p.index[a] = static_cast<uint32_t>(rest % spec.axes[a].size);
      rest /= spec.axes[a].size;
    }
    p.design = fields[1];
    p.label = fields[2];
    p.sets.assign(fields.begin() + 3, fields.end());
    plan.points.push_back(std::move(p));
  }
  const fs::path runs_file = dir / "runs.tsv";
  std::ifstream runs(runs_file);
  if (!runs) fail(runs_file, 0, "cannot read it");
  n = 0;
  while (std::getline(runs, line)) {
    ++n;
    const auto fields = split_tabs(line);
    if (fields.size() != 4 || fields[0].size() != 40) fail(runs_file, n, "expected id, point, replication and seed");
    SweepRun r;
    r.id = fields[0];
    r.point = static_cast<uint32_t>(std::stoul(fields[1]));
    r.replication = static_cast<uint32_t>(std::stoul(fields[2]));
    r.seed = std::stoull(fields[3]);
    if (r.point >= plan.points.size()) fail(runs_file, n, "a point outside points.tsv");
    plan.runs.push_back(std::move(r));
  }
  return plan;
}

}  // namespace

SweepStore SweepStore::prepare(const std::string& dir, const SweepSpec& spec, const SweepPlan& plan,
                               const std::string& version) {
  const fs::path root(dir);
  std::error_code ec;
  if (fs::exists(root, ec)) {
    if (!fs::is_directory(root, ec)) throw InputError({dir, 0, ""}, "the sweep store must be a directory");
    const bool empty = fs::is_empty(root, ec);
    if (!empty && !fs::exists(root / "manifest.yaml", ec)) {
      throw InputError({dir, 0, ""},
                       "this directory is not empty and holds no sweep store (manifest.yaml); "
                       "choose another with -o");
    }
    if (!empty) {
      std::string old_version;
      const SweepSpec old = read_manifest((root / "manifest.yaml").string(), old_version);
      if (old.name != spec.name || fs::weakly_canonical(old.scenario, ec) != fs::weakly_canonical(spec.scenario, ec)) {
        throw InputError({dir, 0, ""}, "this store holds sweep '" + old.name + "' of " + old.scenario + " (" +
                                           old.file + "), not sweep '" + spec.name + "' of " + spec.scenario +
                                           "; choose another store with -o");
      }
    }
  }
  for (const char* sub : {"", "runs", "failed", "slurm", "logs"}) {
    fs::create_directories(root / sub, ec);
    if (ec) throw OutputError("cannot create the sweep store '" + (root / sub).string() + "': " + ec.message());
  }
  SweepSpec recorded = spec;
  recorded.file = fs::absolute(spec.file, ec).string();
  recorded.scenario = fs::absolute(spec.scenario, ec).string();
  write_atomically(root / "points.tsv", points_text(plan));
  write_atomically(root / "runs.tsv", runs_text(plan));
  write_atomically(root / "sweep.yaml", spec.text);
  // The manifest last: a store is whole once it names the sweep.
  write_atomically(root / "manifest.yaml", manifest_text(recorded, version));
  return open(dir);
}

SweepStore SweepStore::open(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw InputError({dir, 0, ""}, "no sweep store here (not a directory)");
  if (!fs::exists(root / "manifest.yaml", ec)) throw InputError({dir, 0, ""}, "no sweep store here (no manifest.yaml)");
  SweepStore s;
  s.dir_ = dir;
  s.spec_ = read_manifest((root / "manifest.yaml").string(), s.version_);
  s.plan_ = read_plan(root, s.spec_);
  return s;
}

std::string SweepStore::run_file(const std::string& id) const {
  return (fs::path(dir_) / "runs" / (id + ".h5")).string();
}

RunState SweepStore::state(const std::string& id) const {
  const std::string file = run_file(id);
  std::error_code ec;
  if (fs::is_regular_file(file, ec)) {
    std::lock_guard lock(hdf5::library_mutex());
    hdf5::silence();
    if (hdf5::is_rapture_results(file)) return RunState::Done;
  }
  return fs::exists(fs::path(dir_) / "failed" / (id + ".txt"), ec) ? RunState::Failed : RunState::Missing;
}

std::string SweepStore::failure(const std::string& id) const {
  std::ifstream in(fs::path(dir_) / "failed" / (id + ".txt"));
  std::string message;
  std::getline(in, message);
  return message;
}

void SweepStore::record_failure(const std::string& id, const std::string& message) const {
  write_atomically(fs::path(dir_) / "failed" / (id + ".txt"), message + "\n");
}

void SweepStore::clear(const std::string& id) const {
  std::error_code ec;
  fs::remove(fs::path(dir_) / "failed" / (id + ".txt"), ec);
  if (state(id) != RunState::Done) fs::remove(run_file(id), ec);
}

namespace {

/// Whether process `pid` exists and has not ended: a zombie (killed, not yet reaped by whoever
/// adopted it) has ended, though signal 0 still reaches it.
bool writer_running(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: believe the signal
  const size_t close = line.rfind(')');        // the command name may hold spaces and parentheses
  return close == std::string::npos || close + 2 >= line.size() || (line[close + 2] != 'Z' && line[close + 2] != 'X');
}

}  // namespace

void SweepStore::remove_stale_temporaries() const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "runs", ec)) {
    const std::string name = entry.path().filename().string();
    // A run's stderr log (child_runs) outlives it only when its sweep was killed.
    if (name.size() > 7 && name.compare(name.size() - 7, 7, ".h5.log") == 0) {
      fs::remove(entry.path(), ec);
      continue;
    }
    const size_t tmp = name.rfind(".tmp-");
    if (tmp == std::string::npos) continue;
    const long pid = std::strtol(name.c_str() + tmp + 5, nullptr, 10);
    // A writer still running (on this machine) keeps its file; a Slurm task elsewhere is not
    // seen, so stores shared between machines only lose files of ended local writers.
    if (pid > 0 && writer_running(static_cast<pid_t>(pid))) continue;
    fs::remove(entry.path(), ec);
  }
}

}  // namespace rapture
