/** What every scenario is given: the quorum's connect string and a way to kill and restart members. */
record TestEnv(String connectString, ClusterControl control) {}
