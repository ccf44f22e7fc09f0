"""Sessions, merge and export: the stages that turn frames and prompts into masks."""
