"""Log sinks and the event bus."""
