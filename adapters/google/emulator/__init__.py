"""A local Calendar v3 service that behaves like Google where a sync client depends on it."""
