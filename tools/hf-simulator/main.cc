// ohfp-hf-simulator: the command. Everything lives in the ohfp_hf_simulator library (cli.h).
#include <iostream>
#include <string>
#include <vector>

#include "ohfp/hf_simulator/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return ohfp::hf_simulator::RunCli(args, std::cin, std::cout, std::cerr);
}
