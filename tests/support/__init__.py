"""Test plugins and helpers (real plugins, loaded through PLUGIN_MODULES)."""
