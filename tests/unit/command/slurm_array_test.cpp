// The job array of `rapture sweep --slurm`, without a cluster: how runs are bundled into tasks
// under MaxArraySize, the --array= list of the holes, and the script's directives.
#include "command/slurm_array.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rapture {
namespace {

std::vector<std::string> ids(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("run" + std::to_string(i));
  return out;
}

TEST(SlurmArrayTest, RunsAreBundledTheAskedNumberPerTaskWithTheRemainderLast) {
  const auto tasks = bundle_tasks(ids(7), 3, 1001);
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0], (std::vector<std::string>{"run0", "run1", "run2"}));
  EXPECT_EQ(tasks[2], (std::vector<std::string>{"run6"}));
}

TEST(SlurmArrayTest, MoreRunsPerTaskKeepTheArrayWithinMaxArraySize) {
  const auto tasks = bundle_tasks(ids(2500), 1, 1001);
  EXPECT_LE(tasks.size(), 1001u);
  size_t runs = 0;
  for (const auto& t : tasks) runs += t.size();
  EXPECT_EQ(runs, 2500u);
  EXPECT_EQ(tasks[0].size(), 3u);
}

TEST(SlurmArrayTest, TheArrayListCompressesConsecutiveTasksIntoRanges) {
  EXPECT_EQ(array_list({0, 1, 2, 3, 7, 9, 10}), "0-3,7,9-10");
  EXPECT_EQ(array_list({5}), "5");
  EXPECT_EQ(array_list({}), "");
}

TEST(SlurmArrayTest, TheScriptRunsOneTaskPerLineThrottledAndLogsUnderTheStore) {
  const std::string s = sbatch_script("/usr/bin/rapture", "/data/s.sweep", "/data/s.sweep/slurm/x.tasks", "rapture-s",
                                      6, {"short", "00:10:00", 2});
  EXPECT_NE(s.find("#SBATCH --array=0-5%2\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --output=/data/s.sweep/logs/%A_%a.out\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --partition=short\n"), std::string::npos) << s;
  EXPECT_NE(s.find("#SBATCH --time=00:10:00\n"), std::string::npos) << s;
  EXPECT_NE(s.find("exec '/usr/bin/rapture' sweep task '/data/s.sweep' '/data/s.sweep/slurm/x.tasks' "
                   "\"$SLURM_ARRAY_TASK_ID\""),
            std::string::npos)
      << s;
}

}  // namespace
}  // namespace rapture
