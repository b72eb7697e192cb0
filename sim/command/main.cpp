#include "command/cli.hpp"

int main(int argc, char** argv) { return rapture::cli_main(argc, argv); }
