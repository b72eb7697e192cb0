#pragma once
/// A Slurm job array over a sweep's missing runs: the runs bundled into tasks (so that the array
/// stays under the cluster's MaxArraySize), the sbatch script, its submission, and the compact
/// `--array=` list that resubmits the tasks still missing something.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rapture {

/// What the sbatch script asks of the cluster.
struct SlurmRequest {
  std::string partition, time;  ///< empty: the cluster's defaults
  int max_concurrent = 0;       ///< %N of --array; 0: no throttle
};

/// `runs` bundled `per_task` at a time, more per task when there would be more tasks than
/// `max_array_size` (Slurm's MaxArraySize: indices 0 .. MaxArraySize - 1).
std::vector<std::vector<std::string>> bundle_tasks(const std::vector<std::string>& runs, int per_task,
                                                   int64_t max_array_size);

/// The cluster's MaxArraySize from `scontrol show config`; nullopt when it cannot be asked.
std::optional<int64_t> slurm_max_array_size();

/// "0-3,7,9-10": the indices (ascending) as Slurm's --array list.
std::string array_list(const std::vector<int64_t>& indices);

/// The batch script: one array task per line of `tasks_file`, each running `rapture sweep task`
/// (with `task_options` after it, such as --memory-limit).
std::string sbatch_script(const std::string& self, const std::string& store, const std::string& tasks_file,
                          const std::string& job_name, size_t tasks, const SlurmRequest& request,
                          const std::vector<std::string>& task_options = {});

/// Whether `sbatch` is on the PATH.
bool sbatch_available();

/// Submits `script` with sbatch; returns the job id. Throws Error with sbatch's message.
std::string submit(const std::string& script);

}  // namespace rapture
