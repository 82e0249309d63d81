"""Click commands, one module each, loaded lazily by wizard.cli."""
