// warren-sim: runs the deterministic Raft simulation over a range of seeds.
#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "tests/sim/simulator.h"

ABSL_FLAG(uint64_t, seed, 1, "first seed");
ABSL_FLAG(uint64_t, seeds, 100, "how many consecutive seeds to run");
ABSL_FLAG(int, nodes, 3, "founding voters: 3 or 5");
ABSL_FLAG(uint64_t, steps, 3000, "time units of the faulty phase (10 units = 1 tick)");
ABSL_FLAG(bool, trace, false, "print the events of each run (use with --seeds=1)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Deterministic simulation of Warren's Raft core.\n"
      "  warren-sim --seed=S --seeds=N --nodes=3|5 --steps=M [--trace]");
  absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  // The core's warnings (a repaired crash, a skipped change) are part of a run, not news;
  // GLOG_minloglevel=0 shows them.
  if (getenv("GLOG_minloglevel") == nullptr) FLAGS_minloglevel = google::GLOG_ERROR;
  FLAGS_logtostderr = true;
  const int nodes = absl::GetFlag(FLAGS_nodes);
  if (nodes != 3 && nodes != 5) {
    std::cerr << "warren-sim: --nodes must be 3 or 5, got " << nodes << "\n";
    return 2;
  }
  const uint64_t first = absl::GetFlag(FLAGS_seed);
  const uint64_t count = absl::GetFlag(FLAGS_seeds);
  const uint64_t steps = absl::GetFlag(FLAGS_steps);

  uint64_t passed = 0, failed = 0;
  warren::sim::SimStats total;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    warren::sim::SimOptions opt;
    opt.seed = seed;
    opt.nodes = nodes;
    opt.steps = steps;
    if (absl::GetFlag(FLAGS_trace)) opt.trace = &std::cout;
    warren::sim::SimResult r = warren::sim::Simulator(opt).Run();
    total.ticks += r.stats.ticks;
    total.elections += r.stats.elections;
    total.proposals_acked += r.stats.proposals_acked;
    total.reads += r.stats.reads;
    total.crashes += r.stats.crashes;
    total.pauses += r.stats.pauses;
    total.partitions += r.stats.partitions;
    total.conf_changes += r.stats.conf_changes;
    total.transfers += r.stats.transfers;
    total.snapshots_sent += r.stats.snapshots_sent;
    if (r.ok) {
      ++passed;
    } else {
      ++failed;
      std::cout << "FAIL seed=" << seed << " nodes=" << nodes << ": " << r.violation << "\n"
                << "  reproduce: build/bin/warren-sim --seed=" << seed
                << " --seeds=1 --nodes=" << nodes << " --steps=" << steps << " --trace\n";
    }
  }
  std::cout << "ran " << count << " seeds: " << total.ticks << " ticks, " << total.elections
            << " elections, " << total.proposals_acked << " proposals acknowledged, " << total.reads
            << " reads, " << total.crashes << " crashes, " << total.pauses << " pauses, "
            << total.partitions << " partitions, " << total.conf_changes << " conf changes, "
            << total.transfers << " transfers, " << total.snapshots_sent << " snapshots sent\n";
  std::cout << passed << " passed, " << failed << " failed" << std::endl;
  return failed > 0 ? 1 : 0;
}
