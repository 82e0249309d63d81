# A corpus of flow source files for the flow detector, not tests: never collect or import them.
collect_ignore_glob = ["*"]
