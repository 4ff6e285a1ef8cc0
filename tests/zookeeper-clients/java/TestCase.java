/** One named check that ZkClientsTest runs and reports; its body throws on failure. */
record TestCase(String name, Checks.Action body) {}
