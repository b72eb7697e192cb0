#pragma once
/// `rapture sweep`: the runs of a sweep file, made on this machine's cores or sent to a Slurm
/// job array, kept one file per run in a store (io/sweep/sweep_store.hpp) so that a rerun makes
/// only what is missing; `sweep status` reads the store, `sweep merge` writes one labelled file.

#include <cstdint>
#include <optional>
#include <string>

#include "command/sweep_executor.hpp"

namespace rapture {

/// The options of `rapture sweep SWEEP.yaml`.
struct SweepArgs {
  std::string sweep_file;
  std::string store;         ///< -o: the store directory (default: <sweep name>.sweep in the working directory)
  ExecutorOptions executor;  ///< -j, --memory-limit, --slurm and its options
};

/// Runs the missing runs of the sweep (locally, or by submitting a job array). Returns the exit status.
int sweep_command(const SweepArgs& args, const std::string& self);

/// `rapture sweep status DIR`: done, missing and failed runs, and how to make the missing ones.
int sweep_status_command(const std::string& store);

/// `rapture sweep merge DIR -o FILE [--partial]`.
int sweep_merge_command(const std::string& store, const std::string& output, bool partial);

/// `rapture sweep task DIR TASKS INDEX`: what one task of a job array runs (line INDEX of TASKS).
int sweep_task_command(const std::string& store, const std::string& tasks_file, int64_t index,
                       std::optional<uint64_t> memory_limit, const std::string& self);

}  // namespace rapture
