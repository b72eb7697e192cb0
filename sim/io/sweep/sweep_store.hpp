#pragma once
/// The store of a sweep: a directory holding one results file per run, named by the run's
/// identity (runs/<id>.h5, written under a temporary name and renamed when complete), the
/// failures' messages (failed/<id>.txt), and the manifest that says what the sweep is
/// (manifest.yaml: factors and axes; points.tsv; runs.tsv), so that status, merge and the
/// Slurm tasks need nothing but the store. A run is done when its file exists and is a
/// rapture results file; anything else is redone.

#include <cstdint>
#include <string>
#include <vector>

#include "io/sweep/sweep_plan.hpp"
#include "io/sweep/sweep_spec.hpp"

namespace rapture {

/// What a run in the store has come to.
enum class RunState : uint8_t { Missing, Done, Failed };

class SweepStore {
 public:
  /// Creates the store `dir` for `spec` and its identified `plan` (or updates one made by the
  /// same sweep: more replications or values only add runs). Throws InputError when `dir` holds
  /// another sweep's store or something that is not a store; OutputError when it cannot write.
  static SweepStore prepare(const std::string& dir, const SweepSpec& spec, const SweepPlan& plan,
                            const std::string& version);
  /// Opens an existing store; throws InputError naming `dir` when it is not one.
  static SweepStore open(const std::string& dir);

  /// The store's directory.
  [[nodiscard]] const std::string& dir() const { return dir_; }
  /// The sweep as its manifest records it (file: the sweep file's absolute path).
  [[nodiscard]] const SweepSpec& spec() const { return spec_; }
  /// Points and runs, in the manifest's order.
  [[nodiscard]] const SweepPlan& plan() const { return plan_; }
  /// The rapture version that prepared the store.
  [[nodiscard]] const std::string& version() const { return version_; }

  /// Where run `id`'s results file goes.
  [[nodiscard]] std::string run_file(const std::string& id) const;
  /// Done (a complete results file), Failed (a failure message and no file) or Missing.
  [[nodiscard]] RunState state(const std::string& id) const;
  /// The message of a failed run; empty when none was recorded.
  [[nodiscard]] std::string failure(const std::string& id) const;
  /// Records why run `id` failed (replacing an earlier message).
  void record_failure(const std::string& id, const std::string& message) const;
  /// Prepares run `id` to be (re)made: removes its failure record and any damaged file.
  void clear(const std::string& id) const;
  /// Removes temporary files of runs whose writer on this machine has ended, and the logs of
  /// runs of a sweep that was killed (a local sweep owns its store while it runs).
  void remove_stale_temporaries() const;

 private:
  std::string dir_;
  SweepSpec spec_;
  SweepPlan plan_;
  std::string version_;
};

}  // namespace rapture
