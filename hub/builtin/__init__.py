"""The core's own behaviour written as plugins (registered first, overridable)."""
