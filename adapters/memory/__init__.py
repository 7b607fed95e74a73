"""In-memory studio source and calendar backend, for tests and for trying syncengine out."""
