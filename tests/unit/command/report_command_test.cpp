// `rapture report` without matplotlib: where the script is found, the command line it runs, and
// that the script's exit status comes back (a shell stands in for python3).
#include "command/report.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace rapture {
namespace {

ReportArgs report_of(const std::string& file) {
  ReportArgs args;
  args.file = file;
  return args;
}

class ReportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("rapture-report-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    unsetenv("RAPTURE_REPORT_SCRIPT");
    unsetenv("RAPTURE_PYTHON");
    std::filesystem::remove_all(dir_);
  }
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(ReportCommandTest, TheBuildTreeFindsTheScriptInTheSourceTree) {
  const std::string script = find_report_script("/nonexistent/bin/rapture");
  EXPECT_EQ(script, std::string(RAPTURE_SOURCE_DIR) + "/analysis/report.py");
  const auto candidates = report_script_candidates("/opt/rapture/bin/rapture");
  ASSERT_GE(candidates.size(), 2u);
  EXPECT_EQ(candidates[0], "/opt/rapture/share/rapture/report.py");
}

TEST_F(ReportCommandTest, TheOptionsArePassedToTheScript) {
  ReportArgs args = report_of("x.h5");
  args.output = "out.html";
  args.png_dir = "figs";
  args.runs = {3, 5};
  EXPECT_EQ(report_command_line(args, "/usr/bin/python3", "/s/report.py"),
            (std::vector<std::string>{"/usr/bin/python3", "/s/report.py", "x.h5", "-o", "out.html", "--png", "figs",
                                      "--run", "3", "--run", "5"}));
  EXPECT_EQ(report_command_line(report_of("x.h5"), "p", "s"), (std::vector<std::string>{"p", "s", "x.h5"}));
}

TEST_F(ReportCommandTest, TheScriptsExitStatusIsPassedThrough) {
  setenv("RAPTURE_PYTHON", "/bin/sh", 1);
  setenv("RAPTURE_REPORT_SCRIPT", write("fake.sh", "test \"$1\" = ok.h5 && exit 0; exit 3\n").c_str(), 1);
  EXPECT_EQ(report_command(report_of("ok.h5")), 0);
  EXPECT_EQ(report_command(report_of("bad.h5")), 3);
}

TEST_F(ReportCommandTest, AMissingInterpreterOrScriptIsExitOne) {
  setenv("RAPTURE_PYTHON", (dir_ / "no-python3").c_str(), 1);
  EXPECT_EQ(report_command(report_of("x.h5")), 1);
  unsetenv("RAPTURE_PYTHON");
  setenv("RAPTURE_REPORT_SCRIPT", (dir_ / "missing.py").c_str(), 1);
  EXPECT_EQ(report_command(report_of("x.h5")), 1);
}

}  // namespace
}  // namespace rapture
