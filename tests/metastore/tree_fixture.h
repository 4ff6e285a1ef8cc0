#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "metastore/ops.h"
#include "metastore/watch_manager.h"
#include "metastore/znode_tree.h"

namespace warren::metastore {

// A ZNodeTree in a fresh directory, with helpers that build commands and queries the way
// the service does, each at the next log index.
class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Opens the tree again (as a restart does) with `event_history_`.
  void Reopen();

  metastorepb::CommandReply Run(const metastorepb::Command& cmd);
  metastorepb::CommandReply Write(const metastorepb::Op& op, uint64_t session = 0);
  metastorepb::CommandReply Create(const std::string& path, const std::string& data = "",
                                   uint64_t session = 0, bool ephemeral = false,
                                   bool sequential = false);
  metastorepb::CommandReply SetData(const std::string& path, const std::string& data,
                                    int version = -1);
  metastorepb::CommandReply Delete(const std::string& path, int version = -1);
  uint64_t NewSession(int64_t timeout_ms = 5000);
  metastorepb::QueryReply Ask(const metastorepb::Query& q);
  metastorepb::QueryReply Get(const std::string& path, uint64_t session = 0, bool watch = false);
  bool Exists(const std::string& path);
  std::vector<std::string> Children(const std::string& path);
  // Records the session's events; attaches it to the watch manager.
  void Listen(uint64_t session);

  std::filesystem::path dir_;
  WatchManager watches_;
  std::unique_ptr<ZNodeTree> tree_;
  uint64_t event_history_ = TreeOptions().event_history;
  uint64_t index_ = 0;
  int64_t now_ms_ = 1000000;
  std::map<uint64_t, std::vector<metastorepb::SessionEvent>> events_;
};

}  // namespace warren::metastore
